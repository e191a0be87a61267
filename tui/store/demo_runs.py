"""The demo's workflow runs: the service's runs, events and node-sessions tables in their
v0.9 shape, with runs in every status and in each stuck run kind, deterministic from the
seed and the anchor (no time after it), on the demo's first conversations.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncConnection

from tui.store.backends import backend_for
from tui.store.sql_runs import events, node_sessions, run_metadata, runs
from tui.store.tables import conversations

RUN_CONVERSATIONS = 120
"""How many conversations (the first by id) the demo's runs are spread over."""
WORKFLOWS = [
    ("fix-github-issue", 30),
    ("review-pr", 25),
    ("implement-feature", 15),
    ("release", 10),
    ("refactor-module", 10),
    ('=HYPERLINK("http://x")', 1),
]
"""A skew; the last is a name a spreadsheet would run: CSV exports guard it."""
DONE = [("completed", 75), ("failed", 15), ("cancelled", 10)]

RUN_INDEXES = (
    sa.Index("idx_workflow_runs_conversation", runs.c.conversation_id),
    sa.Index("idx_workflow_runs_status", runs.c.status),
    sa.Index(
        "idx_workflow_runs_parent_run",
        runs.c.parent_run_id,
        sqlite_where=runs.c.parent_run_id.is_not(None),
        postgresql_where=runs.c.parent_run_id.is_not(None),
    ),
    sa.Index("idx_workflow_events_run_id", events.c.workflow_run_id),
)
"""The service's indexes on these tables (sqlite.ts@v0.9.0), those the tool reads by."""


class RunSummary(Struct):
    runs: int = 0
    events: int = 0
    node_sessions: int = 0
    statuses: dict[str, int] | None = None


class RunDemo:
    """The rows, from their own generator: the sessions are the same with or without them."""

    def __init__(self, seed: int, anchor: datetime, conversations: list[tuple[str, Any]]) -> None:
        self.rng = random.Random(seed * 15485863 + 5)
        self.anchor = anchor
        self.conversations = conversations
        self.runs: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.nodes: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def new_id(self) -> str:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).hex

    def _run(
        self,
        status: str,
        started: datetime,
        *,
        activity: datetime | None = None,
        path: str | None = None,
        parent: str | None = None,
        conv: tuple[str, Any] | None = None,
        workflow: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        conv_id, codebase = conv or rng.choice(self.conversations)
        name = workflow or rng.choices([w for w, _ in WORKFLOWS], [n for _, n in WORKFLOWS])[0]
        length = timedelta(minutes=rng.randint(2, 90))
        done = status in ("completed", "failed", "cancelled")
        meta: dict[str, Any] = dict(extra or {})
        if status == "completed":
            meta["node_counts"] = {"completed": rng.randint(1, 6)}
            if rng.random() < 0.8:
                meta["total_cost_usd"] = round(rng.uniform(0.05, 4.5), 4)
        elif status == "failed":
            meta["error"] = rng.choice(["Node 'build' failed: exit code 1", "Provider timeout"])
        end = min(started + length, self.anchor) if done else None
        row = {
            "id": self.new_id(),
            "workflow_name": name,
            "conversation_id": conv_id,
            "codebase_id": codebase,
            "current_step_index": None,
            "status": status,
            "user_message": f"/workflow run {name}",
            "metadata": json.dumps(meta),
            "parent_conversation_id": None,
            "started_at": started,
            "completed_at": end,
            "last_activity_at": activity or end or started,
            "working_path": path,
            "user_id": None,
            "parent_run_id": parent,
            "output_root": None,
        }
        self.runs.append(row)
        self._events(row)
        return row

    def _events(self, row: dict[str, Any]) -> None:
        at = row["started_at"]
        kinds = ["workflow_started", "node_started"]
        if row["status"] in ("completed", "failed"):
            kinds += ["node_completed", f"workflow_{row['status']}"]
        if row["status"] == "paused":
            kinds.append("approval_requested")
        for i, kind in enumerate(kinds):
            self.events.append(
                {
                    "id": self.new_id(),
                    "workflow_run_id": row["id"],
                    "event_order": i + 1,
                    "event_type": kind,
                    "step_index": i,
                    "step_name": "plan" if i < 2 else "build",
                    "data": json.dumps({"step": i}),
                    "created_at": min(at + timedelta(seconds=30 * i), self.anchor),
                }
            )
        if row["status"] == "completed" and self.rng.random() < 0.3:
            key = (row["workflow_name"], "plan", row["conversation_id"], "claude")
            self.nodes[key] = {
                "workflow_name": key[0],
                "node_id": key[1],
                "scope_key": key[2],
                "provider": key[3],
                "provider_session_id": f"sess-{self.new_id()[:12]}",
                "last_run_id": row["id"],
                "created_at": row["started_at"],
                "updated_at": row["completed_at"],
            }

    def build(self, n_done: int = 200) -> None:
        """Finished runs over the last 30 days, then one of each thing an operator looks
        for, relative to the anchor."""
        rng, now = self.rng, self.anchor
        for _ in range(n_done):
            started = now - timedelta(minutes=rng.randint(90, 30 * 24 * 60))
            status = rng.choices([s for s, _ in DONE], [w for _, w in DONE])[0]
            self._run(status, started)
        umbrella = self._run("completed", now - timedelta(days=2), workflow="release")
        for i in range(2):
            self._run(
                "completed",
                now - timedelta(days=2) + timedelta(minutes=5 + i),
                parent=umbrella["id"],
                conv=(umbrella["conversation_id"], umbrella["codebase_id"]),
                workflow="review-pr",
            )
        self._run("running", now - timedelta(minutes=12), activity=now - timedelta(minutes=1))
        self._run("pending", now - timedelta(minutes=1))
        self._run("pending", now - timedelta(minutes=47))  # stale-pending
        self._run(
            "running", now - timedelta(hours=3), activity=now - timedelta(hours=2, minutes=15)
        )
        self._run(
            "paused",
            now - timedelta(hours=5),
            activity=now - timedelta(hours=4, minutes=50),
            path="/srv/worktrees/archon/release-2-4",
            extra={"approval": {"nodeId": "approve-release", "message": "Ship it?"}},
            workflow="release",
        )
        path = "/srv/worktrees/payments-api/issue-812"
        holder = self._run(
            "running",
            now - timedelta(hours=26),
            activity=now - timedelta(hours=25),
            path=path,
            workflow="fix-github-issue",
        )
        self._run(
            "cancelled",
            now - timedelta(hours=1),
            path=path,
            conv=(holder["conversation_id"], holder["codebase_id"]),
            workflow="fix-github-issue",
        )

    def summary(self) -> RunSummary:
        statuses: dict[str, int] = {}
        for r in self.runs:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        return RunSummary(len(self.runs), len(self.events), len(self.nodes), statuses)


_IDS = ("id", "conversation_id", "codebase_id", "parent_run_id", "workflow_run_id", "last_run_id")
_JSON = ("metadata", "data")


def _bound(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hex ids as UUID text where ids are UUIDs; JSON as the object where it is not bound
    as text (the demo's other rows are bound the same way)."""
    traits = backend_for(name).traits
    out = []
    for row in rows:
        fixed = dict(row)
        for key in _IDS:
            if traits.uuid_ids and fixed.get(key):
                fixed[key] = str(uuid.UUID(fixed[key]))
        for key in _JSON:
            if not traits.json_text and key in fixed:
                fixed[key] = json.loads(fixed[key])
        out.append(fixed)
    return out


def _create(sync_conn: sa.Connection) -> None:
    run_metadata.create_all(sync_conn, tables=[runs, events, node_sessions], checkfirst=True)
    for index in RUN_INDEXES:
        index.create(sync_conn, checkfirst=True)


async def populate_runs(conn: AsyncConnection, seed: int, anchor: datetime) -> RunSummary:
    """Create the runs tables (when missing) and fill them for the demo's conversations."""
    await conn.run_sync(_create)
    found = await conn.execute(
        sa.select(conversations.c.id, conversations.c.codebase_id)
        .order_by(conversations.c.id)
        .limit(RUN_CONVERSATIONS)
    )
    convs = [
        (str(i).replace("-", ""), None if c is None else str(c).replace("-", "")) for i, c in found
    ]
    if not convs:
        return RunSummary()
    demo = RunDemo(seed, anchor, convs)
    demo.build()
    name = conn.dialect.name
    await conn.execute(sa.insert(runs), _bound(name, demo.runs))
    await conn.execute(sa.insert(events), _bound(name, demo.events))
    if demo.nodes:
        await conn.execute(sa.insert(node_sessions), _bound(name, list(demo.nodes.values())))
    return demo.summary()
