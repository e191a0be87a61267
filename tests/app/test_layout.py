"""The terminal it runs in: at 80x24, 120x30 and 200x50 the state, the filtered count and
the columns that tell sessions apart stay on screen; the panel and the wide mode keys."""

from __future__ import annotations

import pytest

from tests.support.app_helpers import app_for, main_screen, ready, screen_lines, wait_until
from tui.domain.columns import COLUMNS, fit
from tui.store.target import DbTarget

SIZES = [(80, 24), (120, 30), (200, 50)]
ALWAYS = ["status", "reason", "id", "conversation"]


def header_line(lines: list[str]) -> str:
    return next(line for line in lines if "ended_reason" in line and "status" in line)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_state_the_count_and_the_key_columns_are_on_screen(
    service_db: DbTarget, size: tuple[int, int]
) -> None:
    app = app_for(service_db, refresh_seconds=5)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await wait_until(pilot, lambda: main.status_bar.counts is not None, "counts")
        await pilot.pause()
        lines = screen_lines(app)
        assert "filtered 600" in lines[0]
        assert "● live, every 5s" in lines[0]
        header = header_line(lines)
        for word in ("status", "ended_reason", "id", "conversation"):
            assert f" {word} " in header, (word, header)
        assert set(ALWAYS) <= set(main.table.shown_columns)
        # The conversation takes the spare width: nothing is left blank at the right.
        used = sum(p.width + 2 for p in main.table.columns_layout)
        assert used == main.table.scrollable_content_region.width
        first = main.table.cell_text(0, "id")
        assert any(first in line for line in lines), "the first row's id is on screen"


async def test_the_panel_starts_collapsed_when_narrow_and_its_key_shows_it(
    service_db: DbTarget,
) -> None:
    app = app_for(service_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        main = main_screen(app)
        assert not main.query_one("#side").display
        await pilot.press("b")
        await wait_until(pilot, lambda: main.reason_panel.region.width > 0, "panel shown")
        assert "ended_reason" in screen_lines(app)[4]  # the panel's border title
        # Beside the panel, 44 cells: the conversation is the first to give way.
        assert main.table.shown_columns == ["status", "reason", "id"]
        await pilot.press("b")
        await wait_until(pilot, lambda: not main.query_one("#side").display, "panel hidden")


async def test_the_panel_shows_at_120_and_its_key_hides_it(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        main = main_screen(app)
        before = main.table.shown_columns
        assert main.query_one("#side").display
        await pilot.press("b")
        await wait_until(pilot, lambda: not main.query_one("#side").display, "panel hidden")
        await wait_until(
            pilot, lambda: len(main.table.shown_columns) > len(before), "more columns fit"
        )


async def test_wide_mode_shows_every_column(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        main = main_screen(app)
        assert len(main.table.shown_columns) < len(COLUMNS)
        await pilot.press("w")
        await wait_until(
            pilot, lambda: main.table.shown_columns == [c.key for c in COLUMNS], "every column"
        )
        assert not main.query_one("#side").display
        await pilot.press("w")
        await wait_until(pilot, lambda: len(main.table.shown_columns) < len(COLUMNS), "fitted")


async def test_the_read_only_notice_fits_80_columns(service_db: DbTarget) -> None:
    app = app_for(service_db, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        line = screen_lines(app)[1]
        assert "ending disabled:" in line
        assert "read-only" in line
        assert "…" not in line


def test_columns_drop_out_from_the_least_useful() -> None:
    """A more useful column never drops while a less useful one shows."""
    for width in range(20, 260, 3):
        shown = {p.column.priority for p in fit(width)}
        assert shown == set(range(1, len(shown) + 1)), width
        if "conversation" in {p.column.key for p in fit(width)}:
            assert sum(p.width + 2 for p in fit(width)) == width, "the conversation fills it"
