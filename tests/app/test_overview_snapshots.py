"""Snapshot of the overview (pytest-textual-snapshot): a SQLite and a PostgreSQL
deployment read, one refused and one missing, the clock fixed.

Update after an intended change with
`python3 -m pytest tests/app/test_overview_snapshots.py --snapshot-update` and look at
the report it writes before committing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support.app_helpers import settle, wait_until
from tests.support.overview_scenes import MISSING, REFUSED, answered, deployment_of, overview_app
from tests.support.pgserver import PgServer
from tests.support.templates import ServiceTemplates
from tui.app.fleet_app import FleetApp
from tui.deployments import Deployment

pytestmark = pytest.mark.postgres


def test_the_overview(
    tmp_path: Path,
    pg_database: str,
    pg_server: PgServer,
    service_templates: ServiceTemplates,
    snap_compare: Any,
) -> None:
    sqlite_db = service_templates.copy(f"sqlite:///{tmp_path / 'staging.db'}", None, sessions=600)
    pg_db = service_templates.copy(pg_database, pg_server, sessions=600)
    deployments = [
        deployment_of(sqlite_db, "staging", colour="green", title="Staging"),
        deployment_of(pg_db, "prod", colour="red", title="Production (EU)", read_only=True),
        Deployment("edge", url=REFUSED, colour="yellow"),
        Deployment("lab", db=MISSING),
    ]
    app = overview_app(deployments)

    async def shown(pilot: Pilot[Any]) -> None:
        fleet: FleetApp = pilot.app  # type: ignore[assignment]
        names = [d.name for d in deployments]
        await wait_until(pilot, lambda: answered(fleet, *names), "every row's first answer")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(250, 14), run_before=shown)
