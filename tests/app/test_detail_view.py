"""The detail screen, `show` and `show --format json` render one view-model
(`tui.domain.detail_view`): from the same odd rows they state the same facts, the kinds
of stuck and a stored start that is no time included."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner
from textual.widgets import Static

from tests.support.app_helpers import app_for, ready, wait_until
from tests.support.dbs import create_service_db
from tests.support.odd_rows import execute
from tui.app.screens.detail import DetailScreen
from tui.cli.main import cli
from tui.store.target import DbTarget

ODD = "odd-start"
NOT_A_TIME = "⚠ not-a-date (stored text, not a time)"
CODEBASE = "Codebase (the conversation's; the session stores none)"
NOT_JSON = "not valid JSON; shown as stored"


async def _db(tmp_path: Path) -> DbTarget:
    """A session the service could leave behind: active on a deleted conversation (so
    orphaned, and idle: nothing has happened on it for months), a start stored as text that
    is no time, metadata that is not JSON, and its codebase only on the conversation."""
    target = await create_service_db(f"sqlite:///{tmp_path / 'archon.db'}", sessions=6)
    await execute(
        target,
        "INSERT INTO remote_agent_conversations"
        " (id, platform_type, platform_conversation_id, codebase_id, deleted_at,"
        " last_activity_at)"
        " VALUES ('odd-conv', 'slack', 'C-odd',"
        " (SELECT id FROM remote_agent_codebases ORDER BY id LIMIT 1),"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "INSERT INTO remote_agent_sessions"
        " (id, conversation_id, codebase_id, active, started_at, metadata)"
        f" VALUES ('{ODD}', 'odd-conv', NULL, 1, 'not-a-date', '{{oops')",
    )
    return target


async def _screen_text(target: DbTarget) -> dict[str, str]:
    """The detail screen's sections, opened with enter on the list's first row (a start
    that is no time sorts above every date)."""
    app = app_for(target)
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail screen")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        await wait_until(pilot, lambda: screen.detail is not None, "detail loaded")
        assert screen.session_id == ODD
        return {
            part: str(screen.query_one(f"#{part}", Static).render())
            for part in ("fields", "codebase", "metadata")
        }


async def test_screen_show_and_json_state_the_same_facts(tmp_path: Path) -> None:
    target = await _db(tmp_path)
    args = ["--db", str(target.path), "show", ODD]
    as_json = await asyncio.to_thread(CliRunner().invoke, cli, [*args, "--format", "json"])
    as_text = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert as_json.exit_code == 0 and as_text.exit_code == 0, as_json.output + as_text.output
    shown = json.loads(as_json.stdout)
    text = as_text.stdout
    screen = await _screen_text(target)

    kinds = shown["session"]["stuck"]
    assert kinds == ["idle", "orphaned"]
    stuck_line = next(line for line in text.splitlines() if line.strip().startswith("stuck "))
    screen_line = next(
        ln for ln in screen["fields"].splitlines() if ln.strip().startswith("stuck ")
    )
    for kind in kinds:
        assert f"{kind} (" in stuck_line and f"{kind} (" in screen_line
    assert stuck_line.split(None, 1)[1] == screen_line.split(None, 1)[1]

    assert shown["session"]["started_at"] is None
    assert shown["session"]["started_at_stored"] == "not-a-date"
    assert NOT_A_TIME in text and NOT_A_TIME in screen["fields"]

    assert shown["codebase_of"] == "conversation" and shown["codebase"]
    assert CODEBASE in text and CODEBASE in screen["codebase"]
    name = shown["codebase"]["name"]
    assert name in text and name in screen["codebase"]

    assert shown["metadata_valid"] is False and shown["metadata"] == "{oops"
    assert f"Metadata ({NOT_JSON})" in text and NOT_JSON in screen["metadata"]
    assert "{oops" in text and "{oops" in screen["metadata"]
