"""What a new operator trips over in the dashboard (issue 25), driven with Pilot against
real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

from tests.support.app_helpers import (
    app_for,
    main_screen,
    ready,
    run_palette_command,
    settle,
)
from tui.domain.columns import INDEXED_SORTS
from tui.store.target import DbTarget

SIZE = (170, 45)


async def test_the_palette_offers_only_the_dashboards_sorts_and_o_cycles_after_each(
    service_db: DbTarget,
) -> None:
    """The palette's sorts are the indexed ones `o` cycles through: after any of them,
    `o` goes on to the next and the app keeps running."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        offered = [c.name for c in main.palette_commands() if c.name.startswith("Sort by")]
        assert offered == [f"Sort by {sort.value}" for sort in INDEXED_SORTS.values()]
        for sort in INDEXED_SORTS.values():
            await run_palette_command(pilot, f"Sort by {sort.value}", f"Sort by {sort.value}")
            await settle(pilot)
            assert main.state.sort is sort
            await pilot.press("o")
            await settle(pilot)
            assert app.is_running and main.state.sort is not sort
            assert main.state.sort in INDEXED_SORTS.values()
