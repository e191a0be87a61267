"""The dashboard's end write path: the audit screen, the confirmation's word and the
once-only note where no audit row is kept, and an end whose commit answer is lost, on
real databases."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from tests.support.app_helpers import app_for, main_screen, notifications, ready, wait_until
from tests.support.commit_cut import CommitCutProxy
from tests.support.service_writes import ServiceDb
from tui.app.screens.audit import AUDIT_VIEW, COLUMNS, AuditScreen
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.store.migrate import upgrade
from tui.store.target import resolve_target

SIZE = (100, 24)
ACTOR = "ops@dashboard"


def _active(db: ServiceDb, sid: str) -> str:
    active = "active::int" if db.pg else "active"
    return db.run(f"SELECT {active} FROM remote_agent_sessions WHERE id = '{sid}'")


def _said(app: Any, text: str) -> int:
    return sum(text in n for n in notifications(app))


async def _confirmation_then_back(pilot: Any, sid: str, migrated: bool) -> None:
    """The end of `sid` up to its confirmation, which says whether an audit row will be
    kept; Esc there ends nothing."""
    app = pilot.app
    main_screen(app).end_flow.start([sid])
    await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
    await pilot.press(*"reset", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirm")
    writes = str(app.screen.query_one("#writes").render())
    assert ("no audit row will be kept" in writes) is not migrated
    assert ("sessions-tui migrate" in writes) is not migrated
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmEndScreen), "closed")


async def test_no_audit_table_is_said_at_the_confirmation_and_once_per_session(
    service_writer: ServiceDb,
) -> None:
    """The confirmation says no audit row will be kept (Esc ends nothing); the ends say
    it once, and the audit screen says there is no table."""
    db = service_writer
    kept = db.session(db.now_minus(600))
    ids = [db.session(db.now_minus(600)) for _ in range(2)]
    app = app_for(resolve_target(url=db.url))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await _confirmation_then_back(pilot, kept, migrated=False)
        main = main_screen(app)
        for n, sid in enumerate(ids, 1):
            main.end_flow.end_sessions([sid], "reset-requested", ACTOR)
            await wait_until(pilot, lambda n=n: _said(app, "ended ") >= n, "ended")  # type: ignore[misc]
        assert _said(app, "no audit row was kept") == 1
        assert _said(app, "sessions-tui migrate") == 1
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), "audit screen")
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await wait_until(pilot, lambda: "migrate" in str(screen.note.render()), "no table")
        assert "no audit table" in str(screen.note.render())
    assert all(_active(db, s) == "0" for s in ids)
    assert _active(db, kept) == "1"


async def test_with_an_audit_table_the_audit_screen_pages_the_rows_newest_first(
    service_writer: ServiceDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The confirmation names no missing audit row (Esc ends nothing); nine ends, and
    the audit screen pages their rows."""
    smaller = replace(AUDIT_VIEW, page_size=4, near_end=1)
    monkeypatch.setattr("tui.app.screens.audit.AUDIT_VIEW", smaller)
    db = service_writer
    await upgrade(resolve_target(url=db.url))
    kept = db.session(db.now_minus(600))
    ids = [db.session(db.now_minus(600)) for _ in range(9)]
    app = app_for(resolve_target(url=db.url))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await _confirmation_then_back(pilot, kept, migrated=True)
        main = main_screen(app)
        main.end_flow.end_sessions(ids, "reset-requested", ACTOR)
        await wait_until(pilot, lambda: _said(app, "ended 9 of 9") == 1, "ended")
        assert _said(app, "no audit row") == 0
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), "audit screen")
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await wait_until(pilot, lambda: screen.table.row_count == 4, "first page")
        for _ in range(8):
            await pilot.press("down")
        await wait_until(pilot, lambda: screen.table.row_count == 9, "every page")
        assert not screen.more and "9 rows" in str(screen.note.render())
        at = {column: n for n, column in enumerate(COLUMNS)}
        shown = {str(screen.table.get_row_at(i)[at["session_id"]]) for i in range(9)}
        assert shown == set(ids)
        assert str(screen.table.get_row_at(0)[at["actor"]]) == ACTOR
        assert str(screen.table.get_row_at(0)[at["target"]]) == "session"
        assert str(screen.table.get_row_at(0)[at["run_id"]]) == "—"
        ids = {b.id for _node, group in screen.key_bindings() for b in group}
        own = {"help", "audit-back", "audit-back-q", "audit-reload"}
        rows = {"row-up-k", "row-down-j", "row-first", "row-first-g", "row-last", "row-last-g"}
        assert ids == own | rows, "the table's row keys, as on the sessions list"
        assert "Audit" in [c.name for c in main.palette_commands()]
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main, "back")
    assert _active(db, kept) == "1"


@pytest.mark.postgres
async def test_a_lost_commit_answer_says_outcome_unknown_not_nothing_ended(
    new_york_db: ServiceDb,
) -> None:
    db = new_york_db
    await upgrade(resolve_target(url=db.url))
    sid = db.session(db.now_minus(600))
    with CommitCutProxy(db.url) as proxy:
        app = app_for(resolve_target(url=proxy.url))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot)
            main = main_screen(app)
            proxy.armed.set()
            main.end_flow.end_sessions([sid], "reset-requested", ACTOR)
            await wait_until(pilot, lambda: _said(app, "outcome unknown") == 1, "unknown")
            assert _said(app, "1 ended by this end") == 1
            assert _said(app, "Nothing was ended") == 0
            assert _said(app, "ended ") >= 1
        assert proxy.cut.is_set()
    assert _active(db, sid) == "0"
