"""The dashboard across deployments, driven with Pilot: the overview's rows from a real
SQLite file and a real PostgreSQL database beside ones that are down (a hung server, a
refused port, a missing file); enter opens a deployment's sessions list in its own
mode, with its name in its colour on every screen; each mode keeps its stack; a
read-only deployment refuses to end, in its own words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support.app_helpers import notifications, run_palette_command, settle, wait_until
from tests.support.overview_scenes import (
    MISSING,
    REFUSED,
    active_count,
    answered,
    deployment_of,
    overview_app,
    row_cells,
    silent_port,
)
from tui.app.fleet_app import FleetApp
from tui.app.screens.detail import DetailScreen
from tui.app.screens.end_session import EndReasonScreen
from tui.app.screens.main import MainScreen
from tui.app.screens.overview import OverviewScreen
from tui.deployments import Deployment
from tui.store.target import DbTarget

pytestmark = pytest.mark.postgres


@pytest.fixture
def hung_port() -> Iterator[int]:
    with silent_port() as port:
        yield port


def _banner(app: FleetApp) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("#deployment-banner"))


async def _open(pilot: Pilot[Any], app: FleetApp, row: int, name: str) -> None:
    app.overview.table.move_cursor(row=row)
    await pilot.press("enter")
    await wait_until(pilot, lambda: app.current_mode == name, f"the mode of {name}")
    await wait_until(
        pilot,
        lambda: (
            isinstance(app.screen_stack[0], MainScreen)
            and app.main_screen.sessions_app.store is not None
            and app.main_screen.table.row_count > 0
        ),
        f"{name}'s first rows",
    )
    await wait_until(pilot, lambda: bool(_banner(app)), "the deployment's banner")
    await settle(pilot)


async def test_each_row_shows_its_deployment_or_why_it_is_down(
    sqlite_db: DbTarget, pg_db: DbTarget
) -> None:
    deployments = [
        deployment_of(sqlite_db, "staging", colour="green"),
        deployment_of(pg_db, "prod", colour="red", title="[b]Prod[/b] (EU)"),
        Deployment("edge", url=REFUSED),
        Deployment("lab", db=MISSING),
    ]
    app = overview_app(deployments)
    async with app.run_test(size=(200, 30)) as pilot:
        await wait_until(pilot, lambda: answered(app, "staging", "prod", "edge", "lab"), "rows")
        staging, prod, edge, lab = (row_cells(app, d.name) for d in deployments)
        assert staging[1] == "● live" and prod[1] == "● live"
        assert staging[4] == f"{await active_count(sqlite_db):,}"
        assert prod[4] == f"{await active_count(pg_db):,}"
        assert staging[3].startswith("service ") and prod[3] == staging[3]
        assert "idle" in staging[5] and staging[2] == "0s ago"
        # A title is data: its brackets are shown, never read as markup.
        assert prod[0] == "[b]Prod[/b] (EU)"
        # The cell is cut; the row's state keeps the whole line, and the line below the
        # table says it for the highlighted row.
        edge_error = app.overview.rows["edge"].error or ""
        assert edge_error.startswith("postgresql://archon@127.0.0.1:1/archon: ")
        assert edge[1].startswith("✖ postgresql://archon@127.0.0.1:1/")
        assert "s3cret" not in edge_error and "s3cret" not in edge[1]
        assert lab[1].startswith("✖ /nonexistent/")
        assert str(MISSING) in (app.overview.rows["lab"].error or "")
        app.overview.table.move_cursor(row=2)
        await pilot.pause()
        assert str(app.overview.why.render()) == f"edge: {edge_error}"
        assert edge[4] == lab[4] == "—" and edge[2] == lab[2] == "never"
        assert [app.overview.rows[d.name].state for d in deployments] == [
            "live",
            "live",
            "disconnected",
            "disconnected",
        ]


async def test_a_hung_deployment_delays_no_other_row(
    sqlite_db: DbTarget, pg_db: DbTarget, hung_port: int
) -> None:
    within = 6.0
    deployments = [
        Deployment("hung", url=f"postgresql://archon:pw@127.0.0.1:{hung_port}/archon"),
        deployment_of(sqlite_db, "staging"),
        deployment_of(pg_db, "prod"),
    ]
    app = overview_app(deployments, within=within)
    async with app.run_test(size=(200, 30)) as pilot:
        overview = app.overview
        await wait_until(pilot, lambda: answered(app, "staging", "prod"), "the live rows")
        # The live rows came while the hung one was still waiting on its own timeout.
        assert overview.rows["hung"].answers == 0
        assert row_cells(app, "hung")[1] == "… waiting"
        assert max(overview.answered_at["staging"], overview.answered_at["prod"]) < within
        # Whole: the hung one's first part holds back no other row's costlier counts.
        assert max(overview.complete_at["staging"], overview.complete_at["prod"]) < within
        assert "counting…" not in row_cells(app, "staging") + row_cells(app, "prod")
        await wait_until(pilot, lambda: answered(app, "hung"), "the hung row", tries=2000)
        assert overview.answered_at["hung"] >= within
        assert row_cells(app, "hung")[1] == f"✖ no answer within {within:g} s"
        assert row_cells(app, "staging")[1] == "● live"


async def test_enter_opens_the_deployments_list_and_each_mode_keeps_its_stack(
    sqlite_db: DbTarget, pg_db: DbTarget
) -> None:
    deployments = [
        deployment_of(sqlite_db, "staging", colour="green"),
        deployment_of(pg_db, "prod", colour="red", title="Production"),
    ]
    app = overview_app(deployments)
    async with app.run_test(size=(170, 40)) as pilot:
        await wait_until(pilot, lambda: answered(app, "staging", "prod"), "rows")
        await _open(pilot, app, 1, "prod")
        assert app.main_screen.settings.target.secret_url() == pg_db.secret_url()
        assert "◆ Production" in _banner(app)
        banner = app.screen.query_one("#deployment-banner").render()
        assert any("red" in str(span.style) for span in banner.spans)  # type: ignore[union-attr]
        # Its detail screen carries the banner too.
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "the detail")
        await wait_until(pilot, lambda: "◆ Production" in _banner(app), "the detail's banner")
        # The other deployment, in its own mode, with its own database and banner.
        await pilot.press(app.key_of("deployment-previous"))
        await wait_until(pilot, lambda: app.current_mode == "staging", "staging's mode")
        await wait_until(
            pilot,
            lambda: app.main_screen.sessions_app.store is not None and "◆ staging" in _banner(app),
            "staging's list",
        )
        assert app.main_screen.settings.target.path == sqlite_db.path
        assert isinstance(app.screen, MainScreen)
        # Back to prod: its detail is where it was left.
        await pilot.press(app.key_of("deployment-next"))
        await wait_until(pilot, lambda: app.current_mode == "prod", "prod's mode")
        assert isinstance(app.screen, DetailScreen)
        assert "◆ Production" in _banner(app)
        await pilot.press(app.key_of("overview"))
        await wait_until(pilot, lambda: isinstance(app.screen, OverviewScreen), "the overview")
        assert not _banner(app)
        # The palette goes to a deployment by its name, and back.
        await run_palette_command(pilot, "staging", "Deployment: staging")
        await wait_until(pilot, lambda: app.current_mode == "staging", "staging by the palette")
        assert isinstance(app.screen, MainScreen)
        await run_palette_command(pilot, "overview", "Overview")
        await wait_until(pilot, lambda: isinstance(app.screen, OverviewScreen), "the overview")


async def test_a_read_only_deployment_refuses_to_end_in_its_own_words(
    sqlite_db: DbTarget, pg_db: DbTarget
) -> None:
    deployments = [
        deployment_of(sqlite_db, "staging"),
        deployment_of(pg_db, "prod", read_only=True, title="Production"),
    ]
    app = overview_app(deployments)
    async with app.run_test(size=(170, 40)) as pilot:
        await wait_until(pilot, lambda: answered(app, "staging", "prod"), "rows")
        assert row_cells(app, "prod")[0] == "Production (read-only)"
        await _open(pilot, app, 1, "prod")
        assert "read-only" in _banner(app)
        before = await active_count(pg_db)
        await pilot.press(app.key_of("end"))
        await settle(pilot)
        said = notifications(app)[-1]
        assert said.startswith("Ending is disabled: Production is read-only")
        assert "[deployments.prod]" in said
        assert said.endswith("this dashboard does not end sessions there")
        assert isinstance(app.screen, MainScreen)  # no picker was opened
        assert await active_count(pg_db) == before
        # The writable one next to it still offers the end.
        await pilot.press(app.key_of("overview"))
        await wait_until(pilot, lambda: isinstance(app.screen, OverviewScreen), "the overview")
        await _open(pilot, app, 0, "staging")
        assert app.main_screen.sessions_app.store is not None
        assert not app.main_screen.sessions_app.store.can_end
        # Its end dialog names it too.
        await pilot.press(app.key_of("status-active"))
        await settle(pilot)
        await pilot.press(app.key_of("end"))
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "the picker")
        await wait_until(pilot, lambda: "◆ staging" in _banner(app), "the picker's banner")
