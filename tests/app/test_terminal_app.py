"""Issue 17 on the dashboard: the palette's reason filters show in the panel, the light
theme redraws in its own colours, and the detail screens keep their history."""

from __future__ import annotations

from tests.support.app_helpers import (
    app_for,
    column_texts,
    main_screen,
    ready,
    run_palette_command,
    settle,
    wait_until,
)
from tui.app import render
from tui.domain.models import UNRECOGNISED_TOKEN
from tui.domain.wording import ANY_UNRECOGNISED
from tui.store.target import DbTarget

SIZE = (170, 46)


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
        assert prompt.split()[-1] == f"{main.status_bar.counts.filtered:,}"  # type: ignore[union-attr]
        # Unticking it in the panel clears the filter, as for any entry.
        panel.focus()
        panel.highlighted = index
        await pilot.press("space")
        await wait_until(pilot, lambda: not main.state.reasons, "filter cleared")


async def test_the_light_theme_redraws_the_rows_in_its_colours(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        row = next(
            i for i, text in enumerate(column_texts(app, "reason")) if text == "reset-requested"
        )
        assert str(main.table._draw(row)[0][1].style) == render.DARK.deactivates
        app.theme = "textual-light"
        await pilot.pause()
        assert render.palette() is render.LIGHT
        assert str(main.table._draw(row)[0][1].style) == render.LIGHT.deactivates
