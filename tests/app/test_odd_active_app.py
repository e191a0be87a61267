"""The dashboard under the rule for odd `active` values (codec.active_state): marked in
the table and the detail, counted apart in the header, never ended."""

from __future__ import annotations

from tests.support.app_helpers import (
    app_for,
    cell_text,
    main_screen,
    notifications,
    ready,
    settle,
    wait_until,
)
from tests.support.odd_rows import newest_ids, odd_active_values, set_active, table_snapshot
from tui.app.screens.detail import DetailScreen
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.store.target import DbTarget


async def test_odd_rows_are_marked_counted_apart_and_never_ended(service_db: DbTarget) -> None:
    values = odd_active_values(service_db)
    ids = await newest_ids(service_db, len(values))
    await set_active(service_db, dict(zip(ids, values, strict=True)))
    before = await table_snapshot(service_db)
    app = app_for(service_db)
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        for sid, literal in zip(ids, values, strict=True):
            row = screen.table.get_row_index(sid)
            assert cell_text(app, row, "status").strip() == "⚠ odd"
            assert cell_text(app, row, "reason").strip() == f"⚠ active={literal}"
        header = str(screen.status_bar.render())
        assert f"⚠ odd {len(values)}" in header
        screen.table.move_cursor(row=screen.table.get_row_index(ids[0]))
        await pilot.press("x")
        await settle(pilot)
        assert any(
            "not ended" in n and "not a value the service writes" in n for n in notifications(app)
        )
        assert not app.screen.is_modal, "no reason picker for a row the tool never ends"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
        await settle(pilot)
        assert "⚠ odd" in str(app.screen.query_one("#detail-title").render())
    assert await table_snapshot(service_db) == before


async def test_a_row_turned_odd_while_the_confirmation_is_open_is_reported_as_odd(
    service_db: DbTarget,
) -> None:
    """The confirmation listed an active session; before Confirm, an odd `active` was
    stored. The toast says what is stored (not "already ended at None"), the row is left
    as it was, and the table shows it as odd."""
    literal = odd_active_values(service_db)[0]
    app = app_for(service_db)
    async with app.run_test(size=(100, 24), notifications=True) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        sid = next(i for i in screen.table.ids if screen.state.rows[i].active)
        screen.table.move_cursor(row=screen.table.get_row_index(sid))
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        await set_active(service_db, {sid: literal})
        before = await table_snapshot(service_db)
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: any(sid[:8] in n for n in notifications(app)), "toast")
        await settle(pilot)
        toast = next(n for n in notifications(app) if sid[:8] in n)
        assert f"its active is {literal}, not a value the service writes" in toast
        assert "already ended" not in toast
        row = screen.table.get_row_index(sid)
        assert cell_text(app, row, "status").strip() == "⚠ odd"
    assert await table_snapshot(service_db) == before
