"""The workflow runs screens worth a picture, on a fixed database: the runs list (its
stuck panel counting) and one run's detail, shared by the snapshots and the screenshot
script.

The database is a v0.8 service schema (`service_schema`) with rows in the shapes the
service writes them (the columns `createWorkflowRun` names, the statuses and metadata its
updates set: `tests.support.run_writes` cites each statement), but with fixed ids and
times, so the pictures change only when the screens do. The app's clock is the scenes'
fixed `NOW`.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import shutil
import sqlite3
import tempfile
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.support import scenes
from tests.support.app_helpers import NOW, record_toasts, settle, wait_until
from tests.support.dbs import create_service_db
from tests.support.runs_app import detail_ready, key, runs_ready
from tui.app import SessionsApp, make_app
from tui.app.screens.runs import RunsScreen
from tui.settings import Settings


def _at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%d %H:%M:%S")


def _id(n: int) -> str:
    return f"{n:04x}" + "a5" * 14


CODEBASES = {"infra": _id(1), "web": _id(2)}
CONVERSATIONS = {"slack": _id(11), "telegram": _id(12), "web": _id(13)}
ADA = _id(21)
DETAIL_RUN = _id(0x105)
"""The run whose detail is pictured: a parent run with a sub-run, events and a node
session."""

RUNS: list[dict[str, Any]] = [
    # workflow, conversation, codebase, status, started (min ago), activity, completed,
    # working path, cost, parent, user
    dict(n=0x101, wf="deploy-prod", conv="slack", cb="infra", status="completed",
         started=300, activity=280, done=280, path="/wt/deploy", cost=0.42),
    dict(n=0x102, wf="fix-issue", conv="telegram", cb="web", status="failed",
         started=240, activity=200, done=200, path="/wt/fix-123", cost=1.17),
    dict(n=0x103, wf="review-pr", conv="web", cb="web", status="running",
         started=200, activity=150, path="/wt/review-9", user=ADA),
    dict(n=0x104, wf="review-pr", conv="web", cb="web", status="cancelled",
         started=120, activity=120, done=120, path="/wt/review-9"),
    dict(n=0x105, wf="release", conv="slack", cb="infra", status="paused",
         started=90, activity=60, path="/wt/release", user=ADA),
    dict(n=0x106, wf="release-notes", conv="slack", cb="infra", status="completed",
         started=85, activity=70, done=70, cost=0.08, parent=0x105),
    dict(n=0x107, wf="triage", conv="telegram", cb=None, status="pending", started=25,
         activity=25),
    dict(n=0x108, wf="deploy-staging", conv="slack", cb="infra", status="running",
         started=12, activity=1, path="/wt/staging"),
    dict(n=0x109, wf="nightly", conv="web", cb="web", status="completed", started=1500,
         activity=1440, done=1440, cost=3.5),
]  # fmt: skip


def _q(value: object) -> str:
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def _fill(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        for name, cid in CODEBASES.items():
            conn.execute(
                "INSERT INTO remote_agent_codebases (id, name, default_cwd, created_at)"
                f" VALUES ({_q(cid)}, {_q(name)}, {_q('/srv/' + name)}, {_q(_at(9000))})"
            )
        conn.execute(
            "INSERT INTO remote_agent_users (id, display_name, email)"
            f" VALUES ({_q(ADA)}, 'Ada Lovelace', 'ada@example.com')"
        )
        for i, (platform, conv) in enumerate(CONVERSATIONS.items()):
            conn.execute(
                "INSERT INTO remote_agent_conversations (id, platform_type,"
                " platform_conversation_id, created_at, updated_at, last_activity_at)"
                f" VALUES ({_q(conv)}, {_q(platform)}, {_q(f'C-{platform}-{i}')},"
                f" {_q(_at(2000))}, {_q(_at(10))}, {_q(_at(10))})"
            )
            conn.execute(
                "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type,"
                " started_at)"
                f" VALUES ({_q(_id(31 + i))}, {_q(conv)}, 'claude', {_q(_at(400 - 50 * i))})"
            )
        for r in RUNS:
            meta: dict[str, Any] = {}
            if r.get("cost") is not None:
                meta = {"node_counts": {"completed": 2}, "total_cost_usd": r["cost"]}
            if r["status"] == "paused":
                meta = {"approval": {"nodeId": "review", "message": "Ship it?", "resolved": None}}
            parent = _id(r["parent"]) if r.get("parent") else None
            conn.execute(
                "INSERT INTO remote_agent_workflow_runs (id, workflow_name, conversation_id,"
                " codebase_id, status, user_message, metadata, working_path, user_id,"
                " parent_run_id, started_at, last_activity_at, completed_at)"
                f" VALUES ({_q(_id(r['n']))}, {_q(r['wf'])}, {_q(CONVERSATIONS[r['conv']])},"
                f" {_q(CODEBASES.get(r['cb'] or ''))}, {_q(r['status'])},"
                f" {_q('run ' + r['wf'])}, {_q(json.dumps(meta))}, {_q(r.get('path'))},"
                f" {_q(r.get('user'))}, {_q(parent)}, {_q(_at(r['started']))},"
                f" {_q(_at(r['activity']))}, {_q(_at(r['done']) if 'done' in r else None)})"
            )
        for order, (kind, step, ago) in enumerate(
            [
                ("workflow_started", None, 90),
                ("node_started", "build", 89),
                ("node_completed", "build", 70),
                ("approval_requested", "review", 60),
            ]
        ):
            conn.execute(
                "INSERT INTO remote_agent_workflow_events (id, workflow_run_id, event_type,"
                " step_index, step_name, data, created_at, event_order)"
                f" VALUES ({_q(_id(0x200 + order))}, {_q(DETAIL_RUN)}, {_q(kind)}, {order},"
                f" {_q(step)}, '{{}}', {_q(_at(ago))}, {order + 1})"
            )
        conn.execute(
            "INSERT INTO remote_agent_workflow_node_sessions (workflow_name, node_id,"
            " scope_key, provider, provider_session_id, last_run_id, created_at, updated_at)"
            f" VALUES ('release', 'build', {_q(CONVERSATIONS['slack'])}, 'claude',"
            f" 'sess-build', {_q(DETAIL_RUN)}, {_q(_at(89))}, {_q(_at(70))})"
        )
        conn.commit()
    finally:
        conn.close()


@cache
def runs_db() -> Path:
    """Built once per process in a private folder, removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="sessions-tui-run-scenes-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "runs.db"
    asyncio.run(create_service_db(f"sqlite:///{path}", era="v0.8"))
    _fill(path)
    return path


def runs_app() -> SessionsApp:
    settings = Settings(
        target=scenes.scene_target(runs_db()),
        refresh_seconds=0,
        actor="oncall@ops-laptop",
        clock=lambda: NOW,
        theme="textual-dark",
    )
    app = make_app(settings)
    record_toasts(app)
    return app


async def runs_list(pilot: Pilot[Any]) -> None:
    """The sessions list, then the runs key: every run, the stuck panel counted."""
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await wait_until(pilot, lambda: app.store is not None, "the store")
    await settle(pilot)
    await pilot.press(key(app, "runs"))
    await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs list")
    await runs_ready(pilot)


async def run_detail(pilot: Pilot[Any]) -> None:
    """The paused release run's detail: its sub-run, events, node session, sessions."""
    await runs_list(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    rows = [str(r.key.value) for r in screen.table.ordered_rows]
    screen.table.move_cursor(row=rows.index(DETAIL_RUN))
    await pilot.press("enter")
    await detail_ready(pilot)


RUN_SCENES = {"runs": runs_list, "run-detail": run_detail}
