"""What an operator's hands do: mouse clicks land on the row clicked, keys act on the
screen in front of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.support.app_helpers import (
    NOW,
    app_for,
    db_session,
    main_screen,
    notifications,
    ready,
    settle,
    wait_until,
)
from tui.app.screens.detail import DetailScreen
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.app.screens.help import HelpScreen
from tui.app.widgets.sessions_table import SessionsTable
from tui.domain.models import Status
from tui.store.store import make_engine
from tui.store.tables import sessions
from tui.store.target import DbTarget

WEEK = timedelta(days=7)

SIZE = (100, 24)
WIDE = (200, 24)  # the status bar shows the read time only when it has room for every part


async def test_a_click_lands_on_the_row_clicked_and_a_double_click_opens_it(
    service_db: DbTarget,
) -> None:
    """Lines of the table widget: its top border, the header, then the rows. A click on
    the border or the header moves nothing."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = main_screen(app).table
        for row in (0, 1, 9):
            table.move_cursor(row=5)
            await pilot.click(SessionsTable, offset=(10, 2 + row))
            await settle(pilot)
            assert table.cursor_row == row, f"a click on row {row}"
            assert table.current_id == table.ids[row], f"a click on row {row}"

        table.move_cursor(row=4)
        for y in (0, 1):  # the border, the header
            await pilot.click(SessionsTable, offset=(10, y))
            await settle(pilot)
            assert table.cursor_row == 4, f"a click on line {y} moved the cursor"

        wanted = table.ids[2]
        await pilot.click(SessionsTable, offset=(10, 4), times=2)
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert screen.session_id == wanted, "the double click opens the row clicked"


PICKS = [
    ("worktree", "worktree-removed"),  # isolation-changed's description says worktree
    ("repo", "repo-removed"),  # codebase-cloned's says repository
    ("conversation", "conversation-closed"),  # codebase-changed's says conversation
    ("reset", "reset-requested"),
    ("switched", "codebase-changed"),  # no name has it: a description still finds it
]


async def test_the_picker_takes_a_name_before_a_description(service_db: DbTarget) -> None:
    """Each typed word is tried in a picker of its own; the confirmation is cancelled
    before the next, so nothing is written."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("1")
        await settle(pilot)
        main.table.move_cursor(row=0)
        for typed, chosen in PICKS:
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
            await pilot.press(*typed, "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirm")
            screen = app.screen
            assert isinstance(screen, ConfirmEndScreen)
            assert screen.trigger.wire == chosen, f"typed {typed!r}"
            await pilot.press("escape")
            await wait_until(
                pilot,
                lambda: app.screen is main and not any(w.group == "end" for w in app.workers),
                "the confirmation cancelled",
            )


async def test_ctrl_c_explains_q_goes_back_on_a_pushed_screen_and_quits_only_from_the_list(
    service_db: DbTarget,
) -> None:
    """ctrl+c says how to quit in plain words. On a detail screen the list's keys
    (1/2/3, t, o and the reason panel's) do nothing and are not offered: they used to
    change the hidden list behind it. q goes back from a pushed screen, is typed into
    the picker's narrowing box, and quits only from the list."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert "Press q or ctrl+q to quit" in notifications(app)
        assert not any("[b]" in n for n in notifications(app))

        before = (main.state.status, main.state.since, main.state.sort, main.state.reasons)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
        await pilot.press("2", "3", "1", "t", "o", "f")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen), "a list key left the detail screen"
        after = (main.state.status, main.state.since, main.state.sort, main.state.reasons)
        assert after == before, "a list key changed the list behind the detail screen"
        shown = {b.key for _node, group in app.screen.key_bindings() for b in group}
        assert not shown & {"1", "2", "3", "t", "o", "f"}, "the detail screen offers list keys"

        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is main, "back on the list")
        assert app.is_running
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is main, "help closed")
        await pilot.press("1")
        await settle(pilot)
        main.table.move_cursor(row=0)
        sid = main.table.current_id
        assert sid is not None
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        await pilot.press("q")  # typed into the narrowing box, not a key to leave
        assert isinstance(app.screen, EndReasonScreen)
        await pilot.press("backspace", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirm")
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is main, "confirmation cancelled")
        assert app.is_running
        assert (await db_session(service_db, sid))["active"] is True, "nothing was ended"
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, "quit from the list")


async def test_a_selection_the_new_filter_drops_is_no_longer_announced(
    service_db: DbTarget,
) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("1")
        await settle(pilot)
        main.table.move_cursor(row=0)
        first = main.table.current_id
        await pilot.press("space", "space")
        await settle(pilot)
        filters = main.query_one("#list-state", Static)
        assert "selected: 2" in str(filters.render())
        await pilot.press("2")  # ended sessions: the two active ones leave the view
        await settle(pilot)
        assert main.state.selected == set()
        assert "selected" not in str(filters.render())
        assert any("2 selected sessions are not in this view" in n for n in notifications(app))
        assert first not in main.state.rows


async def test_an_empty_result_says_how_to_widen_it_and_escape_undoes_one_filter_at_a_time(
    service_db: DbTarget,
) -> None:
    """An empty result names esc and C. Esc from a detail screen and then once more used
    to wipe every filter: each Esc undoes one, C clears them all; in the reason panel
    Esc undoes the reasons first."""
    app = app_for(service_db, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("slash", *"no such title anywhere", "enter")
        await settle(pilot)
        assert main.table.row_count == 0
        assert main.table.border_subtitle == (
            "no sessions match · esc undoes a filter, C clears all"
        )
        await pilot.press("escape")
        await settle(pilot)
        assert main.state.search.text is None and main.table.row_count > 0

        await pilot.press("2", "t", "t", "t")  # ended, started in the last 7 days
        await pilot.press("slash", *"e", "enter")
        main.filters.only_reason("reset-requested")
        await settle(pilot)
        state = main.state
        assert (state.status, state.search.text, state.since) == (Status.ENDED, "e", WEEK)
        assert main.table.row_count > 0
        await pilot.press("enter")  # a detail screen, and back with Esc
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main, "back")
        await pilot.press("escape")
        await settle(pilot)
        assert state.search.text is None and state.reasons and state.since == WEEK
        assert main.query_one("#search", Input).value == ""
        await pilot.press("escape")
        await settle(pilot)
        assert not state.reasons and state.since == WEEK
        assert main.reason_panel.selected == []
        await pilot.press("escape")
        await settle(pilot)
        assert state.since is None and state.status is Status.ENDED, "status is kept"
        await pilot.press("escape")
        await settle(pilot)
        assert state.status is Status.ENDED
        await pilot.press("t", "C")
        await settle(pilot)
        assert (state.status, state.since) == (Status.ALL, None)

        await pilot.press("slash", *"claude", "enter")
        main.filters.only_reason("reset-requested")
        await settle(pilot)
        await pilot.press("f", "escape")
        await settle(pilot)
        assert not main.state.reasons, "Esc in the reason panel undoes the reasons"
        assert main.state.search.text == "claude", "and only them"


async def test_the_header_says_when_the_rows_were_read_and_that_auto_refresh_is_off(
    service_db: DbTarget,
) -> None:
    """With auto-refresh off, p does not pause: it explains."""
    reads = iter(NOW + timedelta(seconds=s) for s in range(0, 10_000, 7))
    app = app_for(service_db, clock=lambda: next(reads), refresh_seconds=0)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        first = main.status_bar.read_at
        assert first is not None and f"read {first:%H:%M:%S} UTC" in str(main.status_bar.render())
        assert "auto-refresh off (r refreshes)" in str(main.status_bar.render())
        await pilot.press("r")
        await settle(pilot)
        later = main.status_bar.read_at
        assert later is not None and later > first
        assert f"read {later:%H:%M:%S} UTC" in str(main.status_bar.render())
        await pilot.press("p")
        await settle(pilot)
        assert not main.state.paused
        assert "paused" not in str(main.status_bar.render())
        assert any("Auto-refresh is off" in n for n in notifications(app))


async def test_a_parent_loop_opens_in_the_detail_screen(service_db: DbTarget) -> None:
    """The service's schema lets a session be its own parent, or two be each other's:
    the detail screen crashed with DuplicateID on the repeated chain entry. Each loop
    is written in turn and opened from the list."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        first, second = main.table.ids[:2]
        for loop in ("self", "two-step"):
            engine = make_engine(service_db)
            try:
                async with engine.begin() as conn:
                    s = sessions
                    if loop == "self":
                        await conn.execute(
                            s.update().where(s.c.id == first).values(parent_session_id=first)
                        )
                    else:
                        await conn.execute(
                            s.update().where(s.c.id == first).values(parent_session_id=second)
                        )
                        await conn.execute(
                            s.update().where(s.c.id == second).values(parent_session_id=first)
                        )
            finally:
                await engine.dispose()
            main.table.move_cursor(row=0)
            await pilot.press("enter")
            screen = await _detail_loaded(pilot)
            chain = screen.query_one("#chain", OptionList)
            prompts = [str(chain.get_option_at_index(i).prompt) for i in range(chain.option_count)]
            assert any("parent links loop" in p for p in prompts), (loop, prompts)
            await pilot.press("p")  # the parent opens; the loop does not hang the screen
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen) and app.is_running, loop
            for _ in range(3):  # back through the detail screen's history to the list
                if not main.is_current:
                    await pilot.press("escape")
                    await settle(pilot)
            assert main.is_current, loop


async def _detail_loaded(pilot: Pilot[Any]) -> DetailScreen:
    """The detail screen just opened, once its session is loaded and shown."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
    screen = app.screen
    assert isinstance(screen, DetailScreen)
    await wait_until(pilot, lambda: screen.detail is not None, "detail loaded")
    await settle(pilot)
    return screen
