"""The keys operators have in their fingers (j/k, ctrl+d/ctrl+u, g/G, Home/End) move
through the whole filtered list, while the table holds only a window of it.

The expected order is read with a plain SQL ORDER BY of the test's own, never the store.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from textual.pilot import Pilot

from tests.support.app_helpers import (
    app_for,
    main_screen,
    notifications,
    ready,
    settle,
    wait_until,
)
from tui.app.widgets.reason_panel import ReasonPanel
from tui.app.widgets.sessions_table import SessionsTable
from tui.domain.models import SessionFilter, SortKey
from tui.store.store import make_engine, open_store
from tui.store.tables import sessions
from tui.store.target import DbTarget

SIZE = (100, 24)
TALL = (100, 36)
"""A table of 21 lines or more: half a screen is 10 rows or more."""
WIDE = (200, 24)  # every column of the table on screen, for clicks on its header
PAGE = 50
s = sessions


async def list_order(target: DbTarget, *, ascending: bool = False) -> list[str]:
    """Every session, newest first (or oldest first), ties by id: the list's order."""
    order = (
        [s.c.started_at.asc(), s.c.id.asc()]
        if ascending
        else [s.c.started_at.desc(), s.c.id.desc()]
    )
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(s.c.id).order_by(*order))).scalars().all()
    finally:
        await engine.dispose()
    return [str(r) for r in rows]


def current(app: Any) -> str | None:
    return main_screen(app).table.current_id


async def press_settled(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def test_the_keys_move_a_row_half_a_screen_and_to_the_real_ends(
    service_db: DbTarget,
) -> None:
    """600 sessions, pages of 50: j/k move one row, ctrl+d/ctrl+u half a screen; the
    bottom (G, End) is read from the list's other end, so the window holds one page, not
    the 600 rows before it; the top (g, Home) likewise; f opens the reason panel now that
    g goes to the top."""
    want = await list_order(service_db)
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=TALL) as pilot:
        await ready(pilot)
        table = main_screen(app).table
        await press_settled(pilot, "j", "j", "j", "k")
        assert table.cursor_row == 2
        half = (table.scrollable_content_region.height - 1) // 2  # lines below the header
        await press_settled(pilot, "ctrl+d")
        moved = table.cursor_row - 2
        assert moved >= 10 and abs(moved - half) <= 1, (moved, half)
        assert table.scroll_y > 0, "the view moves with the cursor"
        await press_settled(pilot, "ctrl+u")
        assert table.cursor_row == 2
        for bottom, top in (("G", "g"), ("end", "home")):
            await press_settled(pilot, bottom)
            await wait_until(pilot, lambda: current(app) == want[-1], f"{bottom}: the oldest")
            assert table.row_count == PAGE, bottom
            assert table.ids == want[-PAGE:], bottom
            assert "more above" in str(table.border_subtitle), bottom
            await press_settled(pilot, top)
            await wait_until(pilot, lambda: current(app) == want[0], f"{top}: the newest")
            assert table.ids == want[:PAGE], top
            assert table.cursor_row == 0, top
        await press_settled(pilot, "f")
        assert isinstance(app.focused, ReasonPanel)


async def test_at_the_bottom_a_refresh_keeps_it_and_going_up_reads_the_pages_above(
    service_db: DbTarget,
) -> None:
    want = await list_order(service_db)
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = main_screen(app).table
        await press_settled(pilot, "G")
        await wait_until(pilot, lambda: current(app) == want[-1], "the bottom")
        await press_settled(pilot, "r")
        assert current(app) == want[-1], "a refresh after G keeps the bottom"
        assert table.ids == want[-PAGE:], "a refresh after G keeps the bottom"
        for _ in range(8):
            await press_settled(pilot, "pageup")
        assert table.row_count > PAGE, "pages above were read"
        assert table.ids == want[-table.row_count :], "no row skipped or repeated"
        # The cursor stayed on the same session while rows were added above it.
        assert current(app) == want[len(want) - table.row_count + table.cursor_row]


async def test_G_reaches_the_bottom_of_each_order(service_db: DbTarget) -> None:
    """Oldest first (O), the bottom is the newest; by `ended`, active sessions come after
    every ended one: the bottom is active."""
    want = await list_order(service_db, ascending=True)
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await press_settled(pilot, "O")
        assert main.table.ids == want[:PAGE]
        await press_settled(pilot, "G")
        await wait_until(pilot, lambda: current(app) == want[-1], "the newest session")
        assert main.table.ids == want[-PAGE:]
        main.filters.set_sort(SortKey.ENDED)
        await settle(pilot)
        assert main.table.cell_text(0, "ended") != "—", "an ended session first"
        await press_settled(pilot, "G")
        table = main.table
        await wait_until(pilot, lambda: "more above" in str(table.border_subtitle), "bottom")
        assert table.cell_text(table.cursor_row, "ended") == "—"


async def test_the_search_finds_what_the_table_shows_and_tokens_follow_one_rule(
    service_db: DbTarget,
) -> None:
    """Free text finds what the table shows; `platform:SLACK codebase:inf reason:RESET`
    as typed: every token is the start of a value, any case; the reason token is a reason
    filter, counted like the panel's."""
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        table = main.table
        await pilot.press("slash", *"codex", "enter")
        await wait_until(pilot, lambda: main.state.search.text == "codex", "the search")
        await settle(pilot)
        assert table.row_count > 0
        assert all(table.cell_text(i, "assistant") == "codex" for i in range(table.row_count))
        await pilot.press("slash")
        main.search_box.value = "platform:SLACK codebase:inf reason:RESET"
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.state.search.reason == "RESET", "the search")
        await settle(pilot)
        assert table.row_count > 0
        for i in range(table.row_count):
            assert table.cell_text(i, "platform") == "slack"
            assert table.cell_text(i, "codebase").startswith("infra")
            assert table.cell_text(i, "reason") == "reset-requested"
        assert main.state.effective_reasons == {"reset-requested"}
        assert "reason: RESET" in str(main.query_one("#filters").render())


async def test_a_rows_whole_id_is_at_hand_on_hover_and_y_copies_it_or_the_selection(
    service_db: DbTarget,
) -> None:
    """Hovering a row shows its whole title and id; y copies the highlighted session's
    whole id, or the selection's, one id a line."""
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        table = main_screen(app).table
        await pilot.hover(SessionsTable, offset=(30, 2 + 3))  # border, header, rows 0-2
        await settle(pilot)
        row = main_screen(app).state.rows[table.ids[3]]
        tip = str(table.tooltip)
        assert row.id in tip
        assert (row.title or row.platform_conversation_id or row.conversation_id or "") in tip
        await press_settled(pilot, "j", "j", "y")
        whole = table.ids[2]
        assert app.clipboard == whole and len(whole) > 8
        assert any(f"Copied {whole}" in n for n in notifications(app))
        table.move_cursor(row=0)
        await press_settled(pilot, "space", "j", "space", "y")  # rows 0 and 2
        assert app.clipboard == f"{table.ids[0]}\n{table.ids[2]}"
        assert any("Copied 2 session ids" in n for n in notifications(app))


def header_text(app: Any) -> str:
    table = main_screen(app).table
    return "".join(segment.text for segment in table.render_line(0))


def header_x(app: Any, column: str) -> int:
    """A cell inside `column`'s header, in the table's content coordinates."""
    table = main_screen(app).table
    return next(x for x in range(400) if table.column_at(x) == column) + 2


async def click_header(pilot: Pilot[Any], column: str) -> None:
    x = header_x(pilot.app, column)
    await pilot.click(SessionsTable, offset=(x + 1, 1))  # +1: the border
    await settle(pilot)


async def test_header_clicks_and_o_sort_only_where_an_index_keeps_it_cheap(
    service_db: DbTarget,
) -> None:
    """A click on a column no index sorts says why: `platform`, and `lasted` (no index: a
    duration is computed), with where it can be had, `list --sort duration`. A header
    click sorts by its column and a second reverses; `o` steps through started and ended
    only."""
    ended_asc = await ended_order(service_db, ascending=True)
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=WIDE, notifications=True) as pilot:  # lasted shown
        await ready(pilot)
        main = main_screen(app)
        assert "started▼" in header_text(app)
        await click_header(pilot, "platform")
        assert (main.state.sort, main.state.ascending) == (SortKey.STARTED, False)
        assert any("Not sortable by platform" in n for n in notifications(app))
        await click_header(pilot, "duration")  # the `lasted` column
        assert (main.state.sort, main.state.ascending) == (SortKey.STARTED, False)
        said = [n for n in notifications(app) if "Not sortable by lasted" in n]
        assert said and "list --sort duration" in said[0]
        await click_header(pilot, "ended")
        assert (main.state.sort, main.state.ascending) == (SortKey.ENDED, False)
        assert "ended▼" in header_text(app) and "started▼" not in header_text(app)
        await click_header(pilot, "ended")
        assert (main.state.sort, main.state.ascending) == (SortKey.ENDED, True)
        assert "ended▲" in header_text(app)
        assert main.table.ids == ended_asc[:PAGE], "active sessions first, by id, then ended"
        await press_settled(pilot, "O")
        assert main.state.ascending is False and "ended▼" in header_text(app)
        steps = []
        for _ in range(3):
            await press_settled(pilot, "o")
            steps.append(main.state.sort)
        assert steps == [SortKey.STARTED, SortKey.ENDED, SortKey.STARTED]


async def ended_order(target: DbTarget, *, ascending: bool) -> list[str]:
    """By ended: every ended session by its end, then the others (no end), ties by id."""
    no_end = sa.case((s.c.ended_at.is_(None), 0), else_=1)
    keys = [no_end, s.c.ended_at, s.c.id]
    order = [k.asc() if ascending else k.desc() for k in keys]
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(s.c.id).order_by(*order))).scalars().all()
    finally:
        await engine.dispose()
    return [str(r) for r in rows]


async def test_a_search_that_matches_nothing_says_what_it_searched_and_n_goes_on(
    service_db: DbTarget,
) -> None:
    """Windows of 200 of the 600 sessions: the first answer says what it covered; `n`
    searches the next window, until the whole list has been searched."""
    app = app_for(service_db, page_size=PAGE, search_window=200)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        table = main.table
        await pilot.press("slash")
        main.search_box.value = "zz-no-such-text"
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.state.search.text == "zz-no-such-text", "search")
        await settle(pilot)
        assert table.row_count == 0
        await wait_until(
            pilot, lambda: "no match in the newest 200" in str(table.border_subtitle), "answer"
        )
        assert "n searches older" in str(table.border_subtitle)
        await press_settled(pilot, "n")
        assert "no match in the newest 400 sessions" in str(table.border_subtitle)
        await press_settled(pilot, "n")
        assert main.state.search_resume is None
        assert str(table.border_subtitle).startswith("no sessions match")
        await press_settled(pilot, "n")
        assert any("No search to continue" in n for n in notifications(app))


async def test_n_appends_the_matches_of_older_windows_in_order(service_db: DbTarget) -> None:
    """Windows of 100: each adds what it holds, in the list's order, none twice, until the
    rows equal the whole search's."""
    store = await open_store(service_db, read_only=True)
    try:
        want = [
            r.id for r in (await store.list_sessions(SessionFilter(search="codex"), limit=600)).rows
        ]
    finally:
        await store.close()
    app = app_for(service_db, page_size=PAGE, search_window=100)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("slash", *"codex", "enter")
        await wait_until(pilot, lambda: main.state.search.text == "codex", "search")
        await settle(pilot)
        assert main.state.search_resume is not None
        assert 0 < main.table.row_count < len(want)
        for _ in range(30):
            if main.state.search_resume is None:
                break
            await press_settled(pilot, "n")
        assert main.state.search_resume is None
        assert main.table.ids == want
