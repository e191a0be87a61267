"""What a new operator trips over in the dashboard (issue 25), driven with Pilot against
real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from textual import events
from textual.widgets import Static

from tests.support.app_helpers import (
    app_for,
    main_screen,
    notifications,
    ready,
    run_palette_command,
    screen_lines,
    settle,
    wait_until,
)
from tests.support.dbs import ANCHOR, create_service_db
from tests.support.odd_rows import execute, fetch
from tui.app import SessionsApp
from tui.app.screens.detail import DetailScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.trends import TrendsScreen
from tui.domain.columns import INDEXED_SORTS
from tui.store.target import DbTarget

SIZE = (100, 24)
SMALL = (80, 24)
"""For a test where nothing depends on the width: fewer cells to draw."""


async def test_the_palette_offers_only_the_dashboards_sorts_and_o_cycles_after_each(
    service_db: DbTarget,
) -> None:
    """The palette's sorts are the indexed ones `o` cycles through: after any of them,
    `o` goes on to the next and the app keeps running."""
    app = app_for(service_db)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        offered = [c.name for c in main.palette_commands() if c.name.startswith("Sort by")]
        assert offered == [f"Sort by {sort.value}" for sort in INDEXED_SORTS.values()]
        for sort in INDEXED_SORTS.values():
            await run_palette_command(pilot, f"by {sort.value}", f"Sort by {sort.value}")
            await settle(pilot)
            assert main.state.sort is sort
            await pilot.press("o")
            await settle(pilot)
            assert app.is_running and main.state.sort is not sort
            assert main.state.sort in INDEXED_SORTS.values()


def _filters(app: SessionsApp) -> str:
    """The filter line and, beside it, the list's state (sort, selection)."""
    main = main_screen(app)
    return " ".join(
        str(main.query_one(f"#{w}", Static).render()) for w in ("filters", "list-state")
    )


async def test_a_selection_beyond_the_window_is_checked_against_the_new_view(
    service_db: DbTarget,
) -> None:
    """`1`, `A`, `C`: every selected session is still in the view (all), loaded or not,
    so none is deselected; `2` then drops them all, and says so once."""
    app = app_for(service_db, page_size=10)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("A")
        await wait_until(pilot, lambda: len(main.state.selected) > 10, "select all")
        chosen = set(main.state.selected)
        assert not chosen <= set(main.state.rows), "more are selected than loaded"
        await pilot.press("C")
        await settle(pilot)
        assert main.state.selected == chosen
        assert f"selected: {len(chosen)}" in _filters(app)
        assert not any("not in this view" in n for n in notifications(app))
        await pilot.press("2")
        await wait_until(pilot, lambda: not main.state.selected, "the active ones dropped")
        said = [n for n in notifications(app) if "not in this view" in n]
        assert said == [
            f"{len(chosen)} selected sessions are not in this view any more: deselected"
        ]
        assert "selected" not in _filters(app)


async def test_select_all_over_the_cap_leaves_nothing_selected(service_db: DbTarget) -> None:
    """ "nothing selected" is what it does: the earlier selection is dropped too."""
    app = app_for(service_db, select_cap=3)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        main.table.move_cursor(row=0)
        await pilot.press("space", "space")
        await settle(pilot)
        assert len(main.state.selected) == 2
        await pilot.press("A")
        await wait_until(
            pilot, lambda: any("more than the cap" in n for n in notifications(app)), "refusal"
        )
        await settle(pilot)
        assert main.state.selected == set()
        assert "selected" not in _filters(app)


async def test_u_deselects_everything_at_once_and_help_says_so(service_db: DbTarget) -> None:
    """One key clears the selection; help lists it, and says space moves down."""
    app = app_for(service_db)
    async with app.run_test(size=(120, 60), notifications=True) as pilot:  # help to `space`
        await ready(pilot)
        main = main_screen(app)
        main.table.move_cursor(row=0)
        await pilot.press("space")
        await settle(pilot)
        assert main.table.cursor_row == 1, "space selects, then moves down"
        await pilot.press("space", "space")
        await settle(pilot)
        assert len(main.state.selected) == 3 and "selected: 3" in _filters(app)
        await pilot.press("u")
        await settle(pilot)
        assert main.state.selected == set()
        assert "selected" not in _filters(app)
        assert any("Deselected 3 sessions" in n for n in notifications(app))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "Select none  Deselect every selected session at once" in text, text
        assert "Select  Select or deselect the row, then move down one" in text, text


async def test_a_long_search_never_pushes_the_selection_out_of_sight(
    service_db: DbTarget,
) -> None:
    """The sort and `selected: N` stay on screen whatever the filters' length (80x24).

    The search is pasted, in one piece: typed a key at a time, a pause longer than the
    search's debounce (a loaded machine) searches a word half typed ("codeb"), which
    holds no row, and that search deselects the row, as it should."""
    app = app_for(service_db)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        main.table.move_cursor(row=0)
        sid = main.table.current_id
        assert sid is not None
        row = main.state.rows[sid]
        await pilot.press("space")
        search = (
            f"{sid} platform:{row.platform_type} codebase:{row.codebase_name} "
            f"assistant:{row.ai_assistant_type}"
        )
        await pilot.press("slash")
        await wait_until(pilot, lambda: main.search_box.has_focus, "the search field")
        app.post_message(events.Paste(search))
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.table.ids == [sid], "the search's one row")
        await settle(pilot)
        assert main.state.selected == {sid}, notifications(app)
        shown = "\n".join(screen_lines(app))
        assert "selected: 1" in shown, shown
        assert "sort: started" in shown, shown


async def test_the_trends_header_names_only_the_filters_trends_apply(
    service_db: DbTarget,
) -> None:
    """Trends count ended sessions by end time: the status, the since window and the
    stuck kind do not apply, so their header does not name them."""
    app = app_for(service_db)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("1", "t", "slash")
        main_screen(app).search_box.value = "platform:slack"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("T")
        await wait_until(pilot, lambda: isinstance(app.screen, TrendsScreen), "trends")
        await settle(pilot)
        under = str(app.screen.query_one("#trends-under", Static).render())
        assert "platform: slack" in under
        assert "status" not in under and "since" not in under and "sort" not in under


async def test_after_filtering_from_a_panel_space_selects_a_row(service_db: DbTarget) -> None:
    """A kind chosen in the stuck panel (enter), or the reasons picked in theirs (space
    toggles, enter is done), hands the keys back to the table: space selects its row."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("s")
        assert main.stuck_panel.has_focus
        await pilot.press("enter")  # idle
        await settle(pilot)
        assert main.state.stuck is not None and main.table.has_focus
        first = main.table.current_id
        await pilot.press("space")
        await settle(pilot)
        assert main.state.selected == {first}
        await pilot.press("u", "escape")
        await settle(pilot)
        await pilot.press("f")
        assert main.reason_panel.has_focus
        await pilot.press("down", "space")  # plan-to-execute
        await settle(pilot)
        assert main.state.reasons and main.reason_panel.has_focus, "space toggles a reason"
        await pilot.press("enter")
        assert main.table.has_focus
        await settle(pilot)
        main.table.move_cursor(row=0)
        row = main.table.current_id
        assert row is not None
        await pilot.press("space")
        await settle(pilot)
        assert main.state.selected == {row}


async def _add_chain(target: DbTarget, hops: int) -> list[str]:
    """`hops` sessions of one conversation, each the parent of the next, the last active
    and the newest of the database: oldest first."""
    (conv,) = await fetch(
        target, "SELECT CAST(id AS TEXT) FROM remote_agent_conversations ORDER BY id LIMIT 1"
    )
    ids = [str(uuid.UUID(int=(0xC4A10 + i) << 100)) for i in range(hops)]
    rows = []
    for i, sid in enumerate(ids):
        last = i == hops - 1
        started = ANCHOR + timedelta(minutes=20, seconds=i)
        parent = "NULL" if i == 0 else f"'{ids[i - 1]}'"
        ended = "NULL" if last else f"'{started + timedelta(seconds=1):%Y-%m-%d %H:%M:%S}'"
        rows.append(
            "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type, active,"
            " started_at, ended_at, ended_reason, transition_reason, parent_session_id) VALUES"
            f" ('{sid}', '{conv[0]}', 'claude', {'TRUE' if last else 'FALSE'},"
            f" '{started:%Y-%m-%d %H:%M:%S}', {ended},"
            f" {'NULL' if last else chr(39) + 'reset-requested' + chr(39)},"
            f" {'NULL' if i == 0 else chr(39) + 'reset-requested' + chr(39)}, {parent})"
        )
    await execute(target, *rows)
    return ids


async def test_a_deep_chain_opens_with_the_current_session_in_view(service_db: DbTarget) -> None:
    """24 hops, two lines each, do not fit: the chain scrolls to the session shown."""
    ids = await _add_chain(service_db, 24)
    app = app_for(service_db)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        main.table.move_cursor(row=main.table.get_row_index(ids[-1]))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await wait_until(pilot, lambda: detail.chain is not None, "chain loaded")
        await settle(pilot)
        assert detail.chain is not None and len(detail.chain.hops) == 24
        shown = "\n".join(screen_lines(app))
        assert f"▶ {ids[-1][:12]}" in shown, shown


async def test_the_header_shortens_a_long_path_before_dropping_the_service_version(
    tmp_path: Path,
) -> None:
    """At 120 columns the service version stays; the path gives way, from the left."""
    folder = tmp_path / ("operator-" + "deep" * 10) / ("nested-" + "folder" * 8)
    folder.mkdir(parents=True)
    path = folder / "archon-service-database.db"
    target = await create_service_db(f"sqlite:///{path}", sessions=20)
    app = app_for(target)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await wait_until(pilot, lambda: "service 016" in screen_lines(app)[0], "the version")
        header = screen_lines(app)[0]
        assert "…" in header and "archon-service-database.db" in header, header
