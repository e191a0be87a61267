"""The dashboard started the operator's way: the real CLI, with no subcommand, reads a
real config file that declares `[deployments.*]`; `--all`, `-d` twice, or nothing (the
file declares several) starts the overview (never the single database's dashboard), and
the app it starts (captured where the CLI would run it, then driven with Pilot) shows
one row per chosen deployment, in the file's order, each read from its own database: a
SQLite file, a PostgreSQL database named by an environment variable, a missing file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tui.app.fleet_app as fleet_app
import tui.cli.common as cli_common
from tests.support.app_helpers import screen_lines
from tests.support.cli_env import isolate
from tests.support.overview_scenes import MISSING, every_row_answered
from tui.app.fleet_app import FleetApp, make_fleet_app
from tui.cli.main import cli
from tui.config import ENV as CONFIG_ENV
from tui.store.target import DbTarget

pytestmark = pytest.mark.postgres

SIZE = (120, 10)


@pytest.fixture
def declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_db: DbTarget, pg_db: DbTarget
) -> Path:
    """A config file with three deployments (staging, prod, lab) and two settings."""
    isolate(tmp_path, monkeypatch)
    monkeypatch.setenv("PROD_DATABASE_URL", pg_db.secret_url())
    path = tmp_path / "config.toml"
    path.write_text(
        "refresh = 0\ndeployment_timeout = 47\n"
        f'\n[deployments.staging]\ndb = "{sqlite_db.path}"\ncolour = "green"\n'
        '\n[deployments.prod]\nurl_env = "PROD_DATABASE_URL"\ntitle = "Production"\n'
        "read_only = true\n"
        f'\n[deployments.lab]\ndb = "{MISSING}"\n'
    )
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


async def _started(monkeypatch: pytest.MonkeyPatch, *argv: str) -> FleetApp:
    """The overview app the CLI starts for `argv`."""
    overviews: list[tuple[Any, ...]] = []
    single: list[object] = []
    monkeypatch.setattr(fleet_app, "run_fleet", lambda *given: overviews.append(given) or 0)
    monkeypatch.setattr(cli_common, "launch_dashboard", single.append)
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(argv))
    assert result.exit_code == 0, result.output
    assert single == [], "the single database's dashboard was started"
    ((settings, deployments, options),) = overviews
    return make_fleet_app(settings, deployments, options)


def _row_keys(app: FleetApp) -> list[str | None]:
    return [key.value for key in app.overview.table.rows]


@pytest.mark.usefixtures("declared")
@pytest.mark.parametrize("argv", [["--all"], []], ids=["all", "none-given"])
async def test_all_opens_the_overview_with_a_row_per_deployment(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """`--all`, or nothing while the file declares several: every one of them."""
    app = await _started(monkeypatch, *argv)
    assert app.options.within == 47  # the file's deployment_timeout
    async with app.run_test(size=SIZE) as pilot:
        await every_row_answered(pilot)
        assert _row_keys(app) == ["staging", "prod", "lab"]
        lines = screen_lines(app)
        assert "3 deployments" in lines[0]
        staging, prod, lab = (
            next(line for line in lines if line.lstrip(" ▎").startswith(label))
            for label in ("staging", "Production (read-only)", "lab")
        )
        assert "● live" in staging and "● live" in prod
        assert "✖ /nonexistent/" in lab
        assert app.overview.rows["lab"].state == "disconnected"


@pytest.mark.usefixtures("declared")
async def test_two_d_open_the_overview_with_their_rows_in_the_files_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = await _started(monkeypatch, "-d", "prod", "-d", "staging")
    async with app.run_test(size=SIZE) as pilot:
        await every_row_answered(pilot)
        assert _row_keys(app) == ["staging", "prod"]
        lines = screen_lines(app)
        assert "2 deployments" in lines[0]
        live = [line for line in lines if "● live" in line]
        assert [line.split()[0] for line in live] == ["staging", "Production"]
        assert not any("lab" in line or "✖" in line for line in lines)
