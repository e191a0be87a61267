"""Workflow runs written the way the service writes them, for the run-cancel tests.

Each method replays one statement of the service's packages/core/src/db/workflows.ts at
v0.9.0 (its function named in the docstring), on a connection that sets no time zone,
with the service's own clock (`NOW()` / `datetime('now')`, the `dialect.now()` of its
adapters). Only the columns the tests' minimal runs table has are written
(tests/support/service_schema.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.support.service_writes import ServiceDb


@dataclass
class ServiceRuns:
    """The service's run statements over one service database."""

    db: ServiceDb

    @property
    def _now(self) -> str:
        return "NOW()" if self.db.pg else "datetime('now')"

    def create(
        self, workflow: str = "fix-issue", rid: str | None = None, owner: str | None = None
    ) -> str:
        """`createWorkflowRun` (workflows.ts@v0.9.0): a `pending` run (the column's
        default) on a new conversation; its id is the database's own unless `rid`. With
        `owner` (v0.4 on), the conversation belongs to a new user of that display name."""
        db = self.db
        conv, rid = db.new_id(), rid or db.new_id()
        user_col, user_val = "", ""
        if owner is not None:
            uid = db.new_id()
            db.run(f"INSERT INTO remote_agent_users (id, display_name) VALUES ('{uid}', '{owner}')")
            user_col, user_val = ", user_id", f", '{uid}'"
        db.run(
            "INSERT INTO remote_agent_conversations"
            f" (id, platform_type, platform_conversation_id{user_col})"
            f" VALUES ('{conv}', 'web', 'W-{conv[:8]}'{user_val})"
        )
        db.run(
            "INSERT INTO remote_agent_workflow_runs"
            " (id, workflow_name, conversation_id, user_message, metadata)"
            f" VALUES ('{rid}', '{workflow}', '{conv}', 'do it', '{{}}')"
        )
        return rid

    def start(self, rid: str) -> None:
        """`updateWorkflowRun(id, {status: 'running'})` (workflows.ts@v0.9.0): a
        non-terminal status, so completed_at is not touched."""
        self.db.run(f"UPDATE remote_agent_workflow_runs SET status = 'running' WHERE id = '{rid}'")

    def running(self, workflow: str = "fix-issue") -> str:
        rid = self.create(workflow)
        self.start(rid)
        return rid

    def running_owned(self, owner: str) -> str:
        rid = self.create(owner=owner)
        self.start(rid)
        return rid

    def complete(self, rid: str) -> None:
        """`completeWorkflowRun` (workflows.ts@v0.9.0), a compare-and-set from `running`."""
        self.db.run(
            "UPDATE remote_agent_workflow_runs"
            f" SET status = 'completed', completed_at = {self._now}"
            f" WHERE id = '{rid}' AND status = 'running'"
        )

    def fail(self, rid: str) -> None:
        """`failWorkflowRun` (workflows.ts@v0.9.0) without its metadata merge (the
        error text is not what these tests read)."""
        self.db.run(
            "UPDATE remote_agent_workflow_runs"
            f" SET status = 'failed', completed_at = {self._now}"
            f" WHERE id = '{rid}' AND status = 'running'"
        )

    def pause(self, rid: str) -> None:
        """`pauseWorkflowRun` (workflows.ts@v0.9.0) without its metadata merge: an
        approval gate; completed_at stays NULL."""
        self.db.run(
            "UPDATE remote_agent_workflow_runs SET status = 'paused'"
            f" WHERE id = '{rid}' AND status = 'running'"
        )

    def service_cancel(self, rid: str) -> None:
        """The service's own `cancelWorkflowRun` (workflows.ts@v0.9.0)."""
        self.db.run(
            "UPDATE remote_agent_workflow_runs"
            f" SET status = 'cancelled', completed_at = {self._now}"
            f" WHERE id = '{rid}' AND status NOT IN ('completed', 'cancelled')"
        )

    def state(self, rid: str) -> tuple[str, str]:
        """(status, completed_at as text, '' when NULL) as the database holds them."""
        found = self.db.run(
            "SELECT status, COALESCE(CAST(completed_at AS TEXT), '')"
            f" FROM remote_agent_workflow_runs WHERE id = '{rid}'"
        )
        status, _, completed = found.partition("|")
        return status, completed

    def complete_counted(self, rid: str) -> int:
        """`completeWorkflowRun` (workflows.ts@v0.9.0) on its own connection, and how
        many rows it wrote (the service's `rowCount`): 1 when it won, 0 when the run was
        no longer `running`."""
        now = self._now
        update = (
            f"UPDATE remote_agent_workflow_runs SET status = 'completed', completed_at = {now}"
            f" WHERE id = '{rid}' AND status = 'running'"
        )
        if self.db.pg:
            return int(self.db.run(f"WITH u AS ({update} RETURNING id) SELECT count(*) FROM u"))
        assert self.db.path is not None
        conn = sqlite3.connect(self.db.path, timeout=30)
        try:
            written = conn.execute(update).rowcount
            conn.commit()
        finally:
            conn.close()
        return written


def said_time(stored: str) -> str:
    """A completed_at as psql or sqlite3 print it, as the CLI says it: UTC, whole
    seconds, `Z`."""
    parsed = datetime.fromisoformat(stored.replace(" ", "T"))
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
