"""Which deployments the dashboard's overview shows (`tui.cli.fleet_dashboard`), and how
old a row's numbers look (`tui.domain.overview`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui.cli.common import Globals
from tui.cli.fleet_dashboard import overview_deployments
from tui.config import Config
from tui.deployments import Deployment
from tui.domain.overview import Age, DeploymentRow, age_of
from tui.domain.snapshot import Headline, Snapshot
from tui.domain.stuck import StuckKind


def _globals(declared: int, **given: Any) -> Globals:
    g = Globals(**given)
    g.config = Config(
        path=Path("/etc/sessions-tui.toml"),
        deployments={
            f"d{i}": Deployment(f"d{i}", db=Path(f"/srv/{i}.db")) for i in range(declared)
        },
    )
    return g


def _names(g: Globals) -> list[str]:
    return [d.name for d in overview_deployments(g)]


def test_two_declared_and_nothing_given_is_the_overview() -> None:
    assert _names(_globals(2)) == ["d0", "d1"]
    assert _names(_globals(3)) == ["d0", "d1", "d2"]


def test_one_declared_and_nothing_given_resolves_the_database_as_always() -> None:
    assert _names(_globals(1)) == []
    assert _names(_globals(0)) == []


@pytest.mark.parametrize(
    "given",
    [{"db": Path("/srv/other.db")}, {"url": "postgresql://u@h/db"}, {"demo": True}],
    ids=["db", "url", "demo"],
)
def test_a_database_option_wins_over_the_declared_deployments(given: dict[str, Any]) -> None:
    assert _names(_globals(3, **given)) == []


def test_chosen_deployments_are_shown_in_the_files_order() -> None:
    assert _names(_globals(3, all_deployments=True)) == ["d0", "d1", "d2"]
    assert _names(_globals(3, deployment_names=("d2", "d0"))) == ["d0", "d2"]
    assert _names(_globals(3, deployment_names=("d1",))) == ["d1"]  # one: its list


def test_numbers_age_amber_then_red_by_refresh_intervals() -> None:
    assert age_of(10, every=5) is Age.FRESH
    assert age_of(10.5, every=5) is Age.AGED
    assert age_of(25, every=5) is Age.AGED
    assert age_of(25.5, every=5) is Age.OLD


def test_a_failed_reading_keeps_the_last_good_numbers_and_their_age() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    row = DeploymentRow()
    assert row.state == "waiting" and row.read_ago(now) == "never"
    snapshot = Snapshot(
        version="v0.9.0",
        active=3,
        ended=10,
        stuck={kind: 0 for kind in StuckKind},
        has_runs=False,
        stuck_runs={},
        runs_by_status={},
        ended_recently={"reset-requested": 2},
        read_at=now,
        seconds=0.01,
    )
    row.took(snapshot, None, now)
    assert row.state == "live" and row.read_ago(now + timedelta(seconds=12)) == "12s ago"
    row.took(None, "no answer within 10 s", now + timedelta(seconds=30))
    assert row.state == "disconnected" and row.snapshot is snapshot and row.answers == 2
    assert row.age(now + timedelta(seconds=30), every=5) is Age.OLD
    assert row.age(now + timedelta(seconds=15), every=5) is Age.AGED


def test_a_headline_makes_the_row_live_before_its_costlier_counts() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    row = DeploymentRow()
    row.took(None, "no answer within 10 s", now)
    row.headed(Headline("v0.9.0", active=3, read_at=now, seconds=0.01), now)
    assert row.state == "live" and row.counting and row.error is None
    assert row.snapshot is None and row.answers == 1  # the reading is not over yet
    assert row.headline is not None and row.headline.active == 3
    row.took(None, "no answer within 10 s", now)
    assert row.state == "disconnected" and not row.counting
    assert row.headline is not None and row.headline.active == 3  # kept, as numbers are
