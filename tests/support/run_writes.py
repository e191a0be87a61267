"""Workflow runs written the way the service writes them: each method replays one of the
service's statements (packages/core/src/db/workflows.ts and its neighbours, cited per
method at the tag it is taken from), on a connection that sets no zone, with the
database's own clock. The columns an insert names follow the era of the database
(`era`), as the service of that era named them.

Times are the database's "now": a test that needs an old run reads it with the tool's
clock moved forward (`open_store(clock=...)`), never by writing a time the service
would not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.dbs import sa_url
from tests.support.pgserver import PgServer
from tests.support.service_schema import ERAS
from tests.support.service_writes import ServiceDb
from tui.store.target import DbTarget, resolve_target


def _quote(value: str | None) -> str:
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


@dataclass
class ServiceRuns:
    """The service's writes to `remote_agent_workflow_runs` and the tables beside it."""

    db: ServiceDb
    era: str

    def _since(self, era: str) -> bool:
        return ERAS.index(self.era) >= ERAS.index(era)

    @property
    def now(self) -> str:
        """The dialect's `now()`: NOW() / datetime('now') (adapters/*.ts@v0.9.0)."""
        return "NOW()" if self.db.pg else "datetime('now')"

    def _merge(self, patch: dict[str, Any]) -> str:
        """The dialect's `jsonMerge('metadata', n)`: `metadata || $n::jsonb` on PostgreSQL,
        `json_patch(metadata, $n)` on SQLite (adapters/postgres.ts, sqlite.ts @v0.9.0)."""
        text = _quote(json.dumps(patch))
        return f"metadata || {text}::jsonb" if self.db.pg else f"json_patch(metadata, {text})"

    def conversation(self, platform: str = "slack", user_id: str | None = None) -> str:
        """A conversation as `getOrCreateConversation` inserts it (conversations.ts)."""
        conv = self.db.new_id()
        owner = ""
        values = ""
        if user_id is not None:
            owner, values = ", user_id", f", {_quote(user_id)}"
        self.db.run(
            "INSERT INTO remote_agent_conversations"
            f" (id, platform_type, platform_conversation_id{owner})"
            f" VALUES ({_quote(conv)}, {_quote(platform)}, {_quote('C-' + conv[:8])}{values})"
        )
        return conv

    def user(self, display_name: str | None, email: str | None) -> str:
        """A user row (v0.4.0 on), as the service's user store inserts it (users.ts@v0.4.0)."""
        uid = self.db.new_id()
        self.db.run(
            "INSERT INTO remote_agent_users (id, display_name, email)"
            f" VALUES ({_quote(uid)}, {_quote(display_name)}, {_quote(email)})"
        )
        return uid

    def codebase(self, name: str) -> str:
        cid = self.db.new_id()
        self.db.run(
            "INSERT INTO remote_agent_codebases (id, name, default_cwd)"
            f" VALUES ({_quote(cid)}, {_quote(name)}, {_quote('/srv/' + name)})"
        )
        return cid

    def create(
        self,
        workflow: str,
        conversation_id: str,
        *,
        user_message: str = "run it",
        metadata: dict[str, Any] | None = None,
        codebase_id: str | None = None,
        working_path: str | None = None,
        parent_conversation_id: str | None = None,
        user_id: str | None = None,
        parent_run_id: str | None = None,
    ) -> str:
        """`createWorkflowRun`: an INSERT with no status (the column's default, `pending`)
        and no times (their defaults: the database's now). The columns it names:
        workflows.ts@99bbec9f79 (pre-016 / 016): workflow_name, conversation_id,
        codebase_id, user_message, metadata; @v0.2.13 adds working_path and
        parent_conversation_id; @v0.4.0 user_id; @v0.7.0 parent_run_id."""
        cols = ["workflow_name", "conversation_id", "codebase_id", "user_message", "metadata"]
        vals = [workflow, conversation_id, codebase_id, user_message, json.dumps(metadata or {})]
        if self._since("v0.2.13"):
            cols += ["working_path", "parent_conversation_id"]
            vals += [working_path, parent_conversation_id]
        if self._since("v0.4"):
            cols.append("user_id")
            vals.append(user_id)
        if self._since("v0.7"):
            cols.append("parent_run_id")
            vals.append(parent_run_id)
        out = self.db.run(
            f"INSERT INTO remote_agent_workflow_runs ({', '.join(cols)})"
            f" VALUES ({', '.join(_quote(v) for v in vals)}) RETURNING id"
        )
        return out.strip().splitlines()[0]

    def start(self, run_id: str) -> None:
        """`updateWorkflowRun(id, {status: 'running'})` as the executor calls it once
        execution starts (executor.ts@v0.9.0; workflows.ts@v0.9.0 sets no time for it)."""
        self.db.run(
            f"UPDATE remote_agent_workflow_runs SET status = 'running' WHERE id = {_quote(run_id)}"
        )

    def activity(self, run_id: str) -> None:
        """`updateWorkflowActivity` (workflows.ts@v0.9.0)."""
        self.db.run(
            f"UPDATE remote_agent_workflow_runs SET last_activity_at = {self.now}"
            f" WHERE id = {_quote(run_id)}"
        )

    def pause(self, run_id: str, node_id: str = "review") -> None:
        """`pauseWorkflowRun` (workflows.ts@v0.9.0): paused, the approval context merged
        into metadata, no completed_at; only from running."""
        approval = {"approval": {"nodeId": node_id, "message": "Approve?", "resolved": None}}
        self.db.run(
            "UPDATE remote_agent_workflow_runs SET status = 'paused',"
            f" metadata = {self._merge(approval)}"
            f" WHERE id = {_quote(run_id)} AND status = 'running'"
        )

    def complete(self, run_id: str, cost: float | None = None) -> None:
        """`completeWorkflowRun(id, metadata)` (workflows.ts@v0.9.0) with the DAG executor's
        metadata (dag-executor.ts@v0.9.0: `total_cost_usd` only when a node reported one)."""
        patch: dict[str, Any] = {"node_counts": {"completed": 1}}
        if cost is not None:
            patch["total_cost_usd"] = cost
        self.db.run(
            "UPDATE remote_agent_workflow_runs SET status = 'completed',"
            f" completed_at = {self.now}, metadata = {self._merge(patch)}"
            f" WHERE id = {_quote(run_id)} AND status = 'running'"
        )

    def fail(self, run_id: str, error: str) -> None:
        """`failWorkflowRun` (workflows.ts@v0.9.0)."""
        self.db.run(
            f"UPDATE remote_agent_workflow_runs SET status = 'failed', completed_at = {self.now},"
            f" metadata = {self._merge({'error': error})}"
            f" WHERE id = {_quote(run_id)} AND status = 'running'"
        )

    def cancel(self, run_id: str) -> None:
        """`cancelWorkflowRun` (workflows.ts@v0.9.0)."""
        self.db.run(
            f"UPDATE remote_agent_workflow_runs SET status = 'cancelled', completed_at = {self.now}"
            f" WHERE id = {_quote(run_id)} AND status NOT IN ('completed', 'cancelled')"
        )

    def lose_path_lock(self, run_id: str) -> None:
        """What the executor does with its own row when the path lock finds another run
        holding the path: `updateWorkflowRun(id, {status: 'cancelled'})`
        (executor.ts@v0.4.0 and @v0.9.0), which sets completed_at and writes no reason
        (workflows.ts@v0.9.0 `updateWorkflowRun`)."""
        self.db.run(
            f"UPDATE remote_agent_workflow_runs SET status = 'cancelled', completed_at = {self.now}"
            f" WHERE id = {_quote(run_id)}"
        )

    def set_outcome(self, run_id: str, outcome: str) -> None:
        """`updateWorkflowRun(id, {outcome})` (workflows.ts at 6594996d3, main after v0.9.0)."""
        self.db.run(
            f"UPDATE remote_agent_workflow_runs SET outcome = {_quote(outcome)}"
            f" WHERE id = {_quote(run_id)}"
        )

    def event(self, run_id: str, event_type: str, step_name: str | None = None) -> str:
        """`insertWorkflowEvent` (workflow-events.ts@v0.9.0): the id generated by the
        service, times and event_order by their defaults."""
        eid = self.db.new_id()
        data = _quote(json.dumps({"step": step_name}))
        self.db.run(
            "INSERT INTO remote_agent_workflow_events"
            " (id, workflow_run_id, event_type, step_index, step_name, data)"
            f" VALUES ({_quote(eid)}, {_quote(run_id)}, {_quote(event_type)}, 0,"
            f" {_quote(step_name)}, {data})"
        )
        return eid

    def node_session(self, run_id: str, workflow: str, node_id: str, scope_key: str) -> None:
        """`upsertWorkflowNodeSession` (workflow-node-sessions.ts@v0.9.0)."""
        now = self.now
        self.db.run(
            "INSERT INTO remote_agent_workflow_node_sessions"
            " (workflow_name, node_id, scope_key, provider, provider_session_id, last_run_id,"
            " created_at, updated_at)"
            f" VALUES ({_quote(workflow)}, {_quote(node_id)}, {_quote(scope_key)}, 'claude',"
            f" {_quote('sess-' + node_id)}, {_quote(run_id)}, {now}, {now})"
            " ON CONFLICT (workflow_name, node_id, scope_key, provider)"
            " DO UPDATE SET provider_session_id = EXCLUDED.provider_session_id,"
            f" last_run_id = EXCLUDED.last_run_id, updated_at = {now}"
        )


def runs_database(request: Any, url: str, era: str) -> tuple[DbTarget, ServiceRuns]:
    """An empty service database of `era` at `url` (a template copy) and a writer that
    writes runs into it as that era's service does."""
    templates = request.getfixturevalue("service_templates")
    server = None if url.startswith("sqlite") else request.getfixturevalue("pg_server")
    target: DbTarget = templates.copy(url, server, era=era)
    return target, writer(url, server, era)


def writer(url: str, server: PgServer | None, era: str) -> ServiceRuns:
    """A writer of `era`'s runs into the database at `url` (on `server` if PostgreSQL)."""
    if server is not None:
        dbname = str(sa_url(resolve_target(url=url)).database)
        db = ServiceDb(url, pg=True, server=server, dbname=dbname)
    else:
        db = ServiceDb(url, pg=False, path=Path(url.removeprefix("sqlite:///")))
    return ServiceRuns(db, era)
