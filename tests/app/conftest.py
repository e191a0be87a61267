"""Fixtures the dashboard's tests share: the runs' databases, and the overview's two live
deployments (a SQLite file and a PostgreSQL database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pgserver import PgServer
from tests.support.run_writes import ServiceRuns, runs_database
from tests.support.templates import ServiceTemplates
from tui.store.target import DbTarget


@pytest.fixture
def runs_db(db_url: str, era: str, request: pytest.FixtureRequest) -> tuple[DbTarget, ServiceRuns]:
    """An empty service database of `era` (the test's parameter) and the service's writes.
    Made before the test's event loop runs: the template copy runs its own."""
    return runs_database(request, db_url, era)


@pytest.fixture
def sqlite_db(tmp_path: Path, service_templates: ServiceTemplates) -> DbTarget:
    """A SQLite service database with 600 demo sessions (the overview's `staging`)."""
    return service_templates.copy(f"sqlite:///{tmp_path / 'staging.db'}", None, sessions=600)


@pytest.fixture
def pg_db(pg_database: str, pg_server: PgServer, service_templates: ServiceTemplates) -> DbTarget:
    """A PostgreSQL service database with 600 demo sessions (the overview's `prod`)."""
    return service_templates.copy(pg_database, pg_server, sessions=600)
