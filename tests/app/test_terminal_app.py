"""Issue 17 on the dashboard: the palette's reason filters show in the panel, the light
theme redraws in its own colours, and the detail screens keep their history."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.support.app_helpers import (
    app_for,
    column_texts,
    main_screen,
    panel_count,
    ready,
    run_palette_command,
    settle,
    wait_until,
)
from tui.app import SessionsApp, render
from tui.app.screens.detail import DetailScreen
from tui.domain.models import UNRECOGNISED_TOKEN
from tui.domain.wording import ANY_UNRECOGNISED
from tui.store.store import open_store
from tui.store.target import DbTarget

SIZE = (100, 24)


async def test_the_palettes_unrecognised_filter_shows_in_the_panel(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await run_palette_command(pilot, "unrecognised", "Filter reason: unrecognised")
        await wait_until(pilot, lambda: main.state.reasons == {UNRECOGNISED_TOKEN}, "filter")
        await settle(pilot)
        panel = main.reason_panel
        assert panel.selected == [UNRECOGNISED_TOKEN]
        index = next(
            i
            for i in range(panel.option_count)
            if panel.get_option_at_index(i).value == UNRECOGNISED_TOKEN
        )
        prompt = str(panel.get_option_at_index(index).prompt)
        assert prompt.startswith(f"⚠ {ANY_UNRECOGNISED}")
        shown = set(column_texts(app, "reason"))
        assert shown and all(reason.startswith("⚠ ") for reason in shown)
        assert panel_count(prompt) == f"{main.status_bar.counts.filtered:,}"  # type: ignore[union-attr]
        # Unticking it in the panel clears the filter, as for any entry.
        panel.focus()
        panel.highlighted = index
        await pilot.press("space")
        await wait_until(pilot, lambda: not main.state.reasons, "filter cleared")


def drawn_colours(app: SessionsApp, text: str) -> set[str]:
    """The colours the table draws `text` in, as its lines are painted (`render_line`,
    Textual's line API)."""
    table = main_screen(app).table
    colours = set()
    for y in range(table.size.height):
        for segment in table.render_line(y):
            if segment.text.strip() == text and segment.style and segment.style.color:
                colours.add(segment.style.color.name)
    return colours


async def test_the_light_theme_redraws_the_rows_in_its_colours(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert drawn_colours(app, "reset-requested") == {render.DARK.deactivates}
        app.theme = "textual-light"
        await pilot.pause()
        assert render.palette() is render.LIGHT
        assert drawn_colours(app, "reset-requested") == {render.LIGHT.deactivates}


async def test_the_chain_has_focus_and_down_goes_to_the_next_hop(service_db: DbTarget) -> None:
    # A session in the middle of a chain: a hop above it and one below it (the first
    # such in the list; each chain is read only until one is found).
    found: tuple[list[str], str] | None = None
    store = await open_store(service_db)
    try:
        page = await store.list_sessions(limit=600)
        for row in (r for r in page.rows if r.parent_session_id):
            c = await store.session_chain(row.id)
            hops = [h.id for h in c.hops] + [k.id for k in c.children]
            inner = [n for n in range(1, len(c.hops)) if n + 1 < len(hops)]
            if inner:
                found = hops, hops[inner[0]]
                break
    finally:
        await store.close()
    assert found is not None, "a session in the middle of a chain"
    ids, middle = found
    after = ids[ids.index(middle) + 1]
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = DetailScreen(middle, end=main_screen(app).end_flow.start)
        app.push_screen(screen)
        await wait_until(pilot, lambda: screen.chain is not None, "chain loaded")
        await settle(pilot)
        options = screen.query_one("#chain", OptionList)
        assert screen.focused is options, "no Tab needed"
        await pilot.press("down")
        highlighted = options.highlighted
        assert highlighted is not None
        assert options.get_option_at_index(highlighted).id == after
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: screen.detail is not None and screen.detail.row.id == after, "hop"
        )
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: screen.detail is not None and screen.detail.row.id == middle, "back"
        )
