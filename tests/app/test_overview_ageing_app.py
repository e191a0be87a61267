"""A deployment's numbers age on the overview's screen once its readings fail: they are
kept, dimmed, and its "Read" cell turns amber after `AMBER_AFTER` intervals without a
good reading, then red after `RED_AFTER`, while the row beside it, read well, stays as
it was. Driven with Pilot on a real SQLite file and a real PostgreSQL server that goes
down (a proxy in front of it stops answering); the test's clock is the dashboard's
(`Settings.clock`), moved by hand, and each reading is asked with `r`: no sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.pilot import Pilot

from tests.support.app_helpers import NOW, screen_lines, settle, wait_until
from tests.support.commit_cut import CommitCutProxy
from tests.support.overview_scenes import deployment_of, every_row_answered, overview_app
from tui.app.fleet_app import FleetApp
from tui.app.render import palette
from tui.deployments import Deployment
from tui.domain.overview import AMBER_AFTER, RED_AFTER
from tui.store.target import DbTarget

pytestmark = pytest.mark.postgres

WITHIN = 30.0
"""The deployments' timeout: with no refresh interval, the unit the numbers age in."""
NUMBERS = ("Service", "Active", "Stuck", "Stuck runs", "Ended 24 h")


class Clock:
    """The dashboard's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _look(cell: Text) -> Style:
    """The style the whole cell is drawn in: its own, then every span over all of it."""
    style = Style.parse(str(cell.style)) if cell.style else Style()
    for span in cell.spans:
        if span.start == 0 and span.end >= len(cell.plain):
            style += span.style if isinstance(span.style, Style) else Style.parse(span.style)
    return style


def _cells(app: FleetApp, name: str) -> dict[str, Text]:
    table = app.overview.table
    return {str(column.label): table.get_cell(name, key) for key, column in table.columns.items()}


async def _read_again(pilot: Pilot[Any], app: FleetApp, answers: int) -> None:
    """`r`, then every row's next answer drawn."""
    await pilot.press("r")
    await wait_until(
        pilot,
        lambda: all(row.answers >= answers for row in app.overview.rows.values()),
        f"answer {answers} of every row",
    )
    await settle(pilot)


def _prod_line(app: FleetApp) -> str:
    return next(line for line in screen_lines(app) if "prod" in line)


async def test_a_row_whose_readings_fail_turns_amber_then_red(
    sqlite_db: DbTarget, pg_db: DbTarget
) -> None:
    clock = Clock(NOW)
    with CommitCutProxy(pg_db.secret_url()) as server:
        deployments = [deployment_of(sqlite_db, "staging"), Deployment("prod", url=server.url)]
        app = overview_app(deployments, within=WITHIN, clock=clock)
        async with app.run_test(size=(150, 8)) as pilot:
            await every_row_answered(pilot)
            prod = _cells(app, "prod")
            assert prod["State"].plain == "● live" and prod["Read"].plain == "0s ago"
            active = prod["Active"].plain
            assert not _look(prod["Read"]).bold
            # Its version and active count are drawn bright (an empty cell is dim anyway).
            bright = [column for column in NUMBERS if not _look(prod[column]).dim]
            assert {"Service", "Active"} <= set(bright)

            # Down: its numbers stay, its state says why, and they are not old yet.
            server.stop_answering()
            clock.now = NOW + timedelta(seconds=1)
            await _read_again(pilot, app, 2)
            prod = _cells(app, "prod")
            assert prod["State"].plain.startswith("✖ ")
            assert _look(prod["State"]).color == Color.parse("red")
            assert prod["Active"].plain == active and prod["Read"].plain == "1s ago"
            assert not _look(prod["Read"]).bold
            assert not any(_look(prod[column]).dim for column in bright)

            # Amber: more than AMBER_AFTER intervals since its last good numbers.
            clock.now = NOW + timedelta(seconds=AMBER_AFTER * WITHIN + 1)
            await _read_again(pilot, app, 3)
            prod = _cells(app, "prod")
            read = _look(prod["Read"])
            assert prod["Read"].plain == "1m ago" and prod["Active"].plain == active
            assert read.color == Color.parse(palette().warning) and read.bold
            assert not read.reverse
            assert all(_look(prod[column]).dim for column in NUMBERS)
            assert "1m ago" in _prod_line(app) and active in _prod_line(app)
            staging = _cells(app, "staging")  # read well at the same moment: fresh
            assert staging["Read"].plain == "0s ago" and not _look(staging["Read"]).bold
            assert not any(_look(staging[column]).dim for column in bright)

            # Red: more than RED_AFTER intervals.
            clock.now = NOW + timedelta(seconds=RED_AFTER * WITHIN + 1)
            await _read_again(pilot, app, 4)
            prod = _cells(app, "prod")
            read = _look(prod["Read"])
            assert prod["Read"].plain == "2m ago" and prod["Active"].plain == active
            assert read.color == Color.parse(palette().stale) and read.bold and read.reverse
            assert all(_look(prod[column]).dim for column in NUMBERS)
            assert prod["State"].plain.startswith("✖ ")
            assert "2m ago" in _prod_line(app)
            staging = _cells(app, "staging")
            assert staging["Read"].plain == "0s ago" and not _look(staging["Read"]).reverse
