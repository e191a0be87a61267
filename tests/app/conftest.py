"""Fixtures the dashboard's runs tests share."""

from __future__ import annotations

import pytest

from tests.support.run_writes import ServiceRuns, runs_database
from tui.store.target import DbTarget


@pytest.fixture
def runs_db(db_url: str, era: str, request: pytest.FixtureRequest) -> tuple[DbTarget, ServiceRuns]:
    """An empty service database of `era` (the test's parameter) and the service's writes.
    Made before the test's event loop runs: the template copy runs its own."""
    return runs_database(request, db_url, era)
