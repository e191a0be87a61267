"""The overview's readings, driven with Pilot against a real SQLite file and a real
PostgreSQL database side by side: a row's state, version and active count come before
its costlier counts (which say "counting…" meanwhile, never 0); each deployment's store
is kept open between readings and opened again after the database went away and came
back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support.app_helpers import wait_until
from tests.support.overview_scenes import (
    active_count,
    answered,
    deployment_of,
    overview_app,
    row_cells,
)
from tests.support.pgserver import PgServer
from tui.app.fleet_app import FleetApp
from tui.fleet_kept import COUNTING_AT_ONCE
from tui.store.target import DbTarget

pytestmark = pytest.mark.postgres

SIZE = (150, 10)


def _first_answered(app: FleetApp, *names: str) -> bool:
    return all(name in app.overview.answered_at for name in names)


async def _read_again(pilot: Pilot[Any], app: FleetApp, answers: int) -> None:
    """`r`, and every row's reading after it done (each row's `answers` reached)."""
    await pilot.press(app.key_of("overview-refresh"))
    names = [d.name for d in app.deployments]
    await wait_until(
        pilot,
        lambda: all(app.overview.rows[name].answers >= answers for name in names),
        f"reading {answers} of every row",
    )


async def test_a_row_shows_state_version_and_active_before_its_stuck_counts(
    sqlite_db: DbTarget, pg_db: DbTarget
) -> None:
    deployments = [deployment_of(sqlite_db, "staging"), deployment_of(pg_db, "prod")]
    app = overview_app(deployments)
    # The costlier counts wait at the fleet's gate: held here before the app reads.
    for _ in range(COUNTING_AT_ONCE):
        await app.fleet.counting.acquire()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: _first_answered(app, "staging", "prod"), "first answers")
        for name, target in (("staging", sqlite_db), ("prod", pg_db)):
            cells = row_cells(app, name)
            assert cells[1] == "● live" and cells[3].startswith("service ")
            assert cells[4] == f"{await active_count(target):,}"
            assert cells[5:] == ["counting…"] * 3, cells  # unknown, never 0 or "none"
            assert app.overview.rows[name].answers == 0 and name not in app.overview.complete_at
        for _ in range(COUNTING_AT_ONCE):
            app.fleet.counting.release()
        await wait_until(pilot, lambda: answered(app, "staging", "prod"), "complete rows")
        for name in ("staging", "prod"):
            cells = row_cells(app, name)
            assert "counting…" not in cells and "idle" in cells[5], cells
            assert app.overview.answered_at[name] <= app.overview.complete_at[name]


async def test_a_store_is_kept_between_readings_and_opened_again_after_a_failure(
    sqlite_db: DbTarget, pg_db: DbTarget, pg_server: PgServer, tmp_path: Path
) -> None:
    deployments = [deployment_of(sqlite_db, "staging"), deployment_of(pg_db, "prod")]
    names = [d.name for d in deployments]
    app = overview_app(deployments)  # refresh 0: read only on `r`
    kept = app.fleet.kept
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: answered(app, *names), "the first readings")
        assert [kept[name].opens for name in names] == [1, 1]
        await _read_again(pilot, app, 2)
        assert [kept[name].opens for name in names] == [1, 1]  # the same stores, read again
        assert [app.overview.rows[name].state for name in names] == ["live", "live"]
        # Both databases go away: the file moved, the database renamed (its connections cut).
        assert sqlite_db.path is not None and pg_db.database is not None
        away = tmp_path / "staging.away"
        sqlite_db.path.rename(away)
        pg_server.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{pg_db.database}';\n"
            f'ALTER DATABASE "{pg_db.database}" RENAME TO "{pg_db.database}_away";'
        )
        await _read_again(pilot, app, 3)
        assert [app.overview.rows[name].state for name in names] == ["disconnected"] * 2
        assert [kept[name].store for name in names] == [None, None]  # closed after the failure
        assert row_cells(app, "staging")[4] != "—"  # the last good numbers stay, dimmed
        # They come back: the next reading opens each store again.
        away.rename(sqlite_db.path)
        pg_server.psql(f'ALTER DATABASE "{pg_db.database}_away" RENAME TO "{pg_db.database}";')
        await _read_again(pilot, app, 4)
        assert [app.overview.rows[name].state for name in names] == ["live", "live"]
        assert [kept[name].opens for name in names] == [2, 2]
