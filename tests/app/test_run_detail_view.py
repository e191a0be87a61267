"""A run's detail screen, `runs show` and `runs show --format json` render one view-model
(`tui.domain.run_detail_view`): from the same odd rows, on both backends, they state the
same facts. The rows: a run of a database from before migration 016 (no outcome,
output_root, parent_run_id, user_id nor working_path; no node sessions table) written
by the service's `createWorkflowRun` and `insertWorkflowEvent`
(`tests.support.run_writes`, workflows.ts and workflow-events.ts @v0.9.0), then left in
a status the tool does not know and with a cost stored as a string.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.support.app_helpers import app_for, ready
from tests.support.run_writes import ServiceRuns, runs_database
from tests.support.runs_app import detail_ready, detail_text, open_runs, service_session
from tui.cli.main import cli
from tui.domain.run_detail_view import (
    EVENTS_TITLE,
    METADATA_TITLE,
    NO_NODE_SESSIONS_TABLE,
    NODES_TITLE,
)
from tui.domain.timefmt import utcnow
from tui.store.target import DbTarget

MISSING = ["outcome", "output_root", "parent_run_id", "user_id", "working_path"]
SAME = ("id", "status", "outcome", "stuck", "workflow", "cost", "working_path", "user_message")
"""Fields whose shown value does not move with the clock: the same in both texts."""


@pytest.fixture
def runs_db(empty_db_url: str, request: pytest.FixtureRequest) -> tuple[DbTarget, ServiceRuns]:
    return runs_database(request, empty_db_url, "pre-016")


def _field(text: str, name: str) -> str:
    """The value of the field line `name` in a rendering's fields (two spaces apart)."""
    for line in text.splitlines():
        head, _, value = line.strip().partition("  ")
        if head == name:
            return value.strip()
    raise AssertionError(f"no field {name!r} in:\n{text}")


async def _screen(target: DbTarget) -> dict[str, str]:
    app = app_for(target, clock=lambda: utcnow() + timedelta(0))
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        await open_runs(pilot)
        await pilot.press("enter")
        screen = await detail_ready(pilot)
        return {
            part: detail_text(screen, part) for part in ("fields", "metadata", "events", "nodes")
        }


async def test_screen_show_and_json_state_the_same_facts(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    conv = svc.conversation()
    service_session(svc, conv)
    rid = svc.create(
        "plan", conv, user_message="plan the work", metadata={"total_cost_usd": "12.5"}
    )
    svc.event(rid, "workflow_started", "plan")
    svc.db.run(f"UPDATE remote_agent_workflow_runs SET status = 'exploded' WHERE id = '{rid}'")
    args = ["--url", svc.db.url, "runs", "show", rid]
    as_json = await asyncio.to_thread(CliRunner().invoke, cli, [*args, "--format", "json"])
    as_text = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert as_json.exit_code == 0 and as_text.exit_code == 0, as_json.output + as_text.output
    shown, text = json.loads(as_json.stdout), as_text.stdout
    screen = await _screen(target)

    for name in SAME:
        assert _field(text, name) == _field(screen["fields"], name), name
    assert shown["run"]["id"] == rid == _field(text, "id")
    assert shown["run"]["status"] == "exploded"
    assert _field(text, "status") == "⚠ exploded"
    assert shown["run"]["cost_usd"] is None and _field(text, "cost") == "—"
    assert shown["user_message"] == "plan the work" == _field(text, "user_message")

    assert shown["columns_missing"] == MISSING
    said = f"this service version has no {', '.join(MISSING)}: shown as —"
    assert said in text and said in screen["fields"]
    for name in MISSING:
        assert shown["run"].get(name) is None
        assert _field(text, name) == _field(screen["fields"], name) == "—"

    assert [e["event_type"] for e in shown["events"]] == ["workflow_started"]
    assert EVENTS_TITLE in text and EVENTS_TITLE in screen["events"]
    assert "workflow_started  plan" in text and "workflow_started  plan" in screen["events"]

    assert shown["node_sessions"] is None
    assert NODES_TITLE in text and NODES_TITLE in screen["nodes"]
    assert NO_NODE_SESSIONS_TABLE in text and NO_NODE_SESSIONS_TABLE in screen["nodes"]

    assert shown["metadata_valid"] is True and shown["metadata"] == {"total_cost_usd": "12.5"}
    assert f"\n{METADATA_TITLE}\n" in text and METADATA_TITLE in screen["metadata"]
    assert '"total_cost_usd": "12.5"' in text and '"total_cost_usd": "12.5"' in screen["metadata"]
