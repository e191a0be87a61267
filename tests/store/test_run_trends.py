"""The store's trends of workflow runs, at each era of the service's schema and on both
backends, over runs written by the service's own statements (`tests.support.run_writes`
cites each): what the store counts equals the test's own reading of the rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.support.run_trends import expected_run_trends, write_runs
from tests.support.run_writes import ServiceRuns, runs_database
from tests.support.service_schema import ERAS, RUNS_OUTCOME, statements
from tui.domain.models import NOT_RECORDED_TOKEN
from tui.domain.run_trends import RunTrendBy, RunTrends
from tui.domain.timefmt import utcnow
from tui.store.store import Store, open_store
from tui.store.target import DbTarget

Make = Callable[[str], tuple[DbTarget, ServiceRuns]]


@pytest.fixture
def make_runs(empty_db_url: str, request: pytest.FixtureRequest) -> Make:
    def make(era: str) -> tuple[DbTarget, ServiceRuns]:
        return runs_database(request, empty_db_url, era)

    return make


def since(era: str, first: str) -> bool:
    return ERAS.index(era) >= ERAS.index(first)


def read(target: DbTarget, work: Callable[[Store], Any], *, ahead: timedelta = timedelta(0)) -> Any:
    async def go() -> Any:
        store = await open_store(target, clock=lambda: utcnow() + ahead)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(go())


@pytest.mark.parametrize("era", ERAS)
def test_each_era_counts_what_the_rows_hold(make_runs: Make, era: str) -> None:
    target, svc = make_runs(era)
    write_runs(svc)
    found: RunTrends = read(target, lambda s: s.run_trends(days=30))
    w = found.window
    want = asyncio.run(expected_run_trends(target, w.start, w.end, hourly=False))
    assert dict(found.runs.counts) == dict(want.runs) and found.runs.total >= 6
    assert dict(found.spend.counts) == want.spend
    assert dict(found.costed.counts) == dict(want.costed)
    assert dict(found.uncosted.counts) == dict(want.uncosted)
    # $1.25 + $0.50 in top-level runs; a sub-run's $0.75 is in its parent's total
    assert found.spend.total == 1_750_000
    assert {g: found.spend.group_total(g) for g in found.spend.groups()} == {
        "plan": 1_250_000,
        "review": 500_000,
    }
    # not recorded: plan's free and pending runs, review's failed and cancelled ones
    assert found.uncosted.group_total("plan") == 2 and found.uncosted.group_total("review") == 2


def test_the_window_and_the_hours_follow_the_clock(make_runs: Make) -> None:
    """A run counts in the UTC day (or hour) of its start: with the clock a day on, in
    yesterday's bucket; 40 days on, in no 30-day bucket."""
    target, svc = make_runs("v0.8")
    write_runs(svc)
    today = read(target, lambda s: s.run_trends(days=7))
    later = read(target, lambda s: s.run_trends(days=7), ahead=timedelta(days=1))
    assert today.runs.total == later.runs.total == 7
    day = today.runs.bucket_totals().index(7)
    assert later.runs.bucket_totals().index(7) == day - 1
    gone = read(target, lambda s: s.run_trends(days=30), ahead=timedelta(days=40))
    assert gone.runs.total == 0 and gone.spend.total == 0 and gone.has_table
    hours = read(target, lambda s: s.run_trends(days=2), ahead=timedelta(hours=3))
    assert hours.window.hourly and hours.runs.window.count == 48
    w = hours.window
    want = asyncio.run(expected_run_trends(target, w.start, w.end, hourly=True))
    assert dict(hours.runs.counts) == dict(want.runs) and hours.runs.total == 7


def test_by_outcome_where_the_version_has_it_else_by_status(make_runs: Make) -> None:
    """`outcome` is main's after v0.9.0 (6594996d3): NULL is `not recorded`."""
    target, svc = make_runs("v0.8")
    made = write_runs(svc)
    by_status = read(target, lambda s: s.run_trends(by=RunTrendBy.OUTCOME))
    assert by_status.runs.by is RunTrendBy.STATUS
    for stmt in statements(RUNS_OUTCOME["postgresql" if svc.db.pg else "sqlite"]):
        svc.db.run(stmt)
    svc.set_outcome(made["paid"], "succeeded")
    svc.set_outcome(made["paid2"], "failed")
    found = read(target, lambda s: s.run_trends(by=RunTrendBy.OUTCOME))
    assert found.runs.by is RunTrendBy.OUTCOME
    w = found.window
    want = asyncio.run(expected_run_trends(target, w.start, w.end, hourly=False, by="outcome"))
    assert dict(found.runs.counts) == dict(want.runs)
    totals = {g: found.runs.group_total(g) for g in found.runs.groups()}
    assert totals == {NOT_RECORDED_TOKEN: 5, "succeeded": 1, "failed": 1}


def test_an_unknown_status_counts_as_itself_and_filters_apply(make_runs: Make) -> None:
    """A status no tag writes (a newer service's) is counted as stored; the runs
    filters the list has narrow the trends too."""
    target, svc = make_runs("v0.8")
    made = write_runs(svc)
    svc.db.run(
        f"UPDATE remote_agent_workflow_runs SET status = 'archived' WHERE id = '{made['free']}'"
    )
    found = read(target, lambda s: s.run_trends())
    assert found.runs.group_total("archived") == 1
    from tui.domain.runs import RunFilter

    only = read(target, lambda s: s.run_trends(RunFilter(workflow="REV")))
    assert only.runs.total == 3 and set(only.spend.groups()) == {"review"}


def test_without_a_runs_table_every_series_is_empty(make_runs: Make) -> None:
    target, svc = make_runs("v0.8")
    for table in ("workflow_node_sessions", "workflow_events", "workflow_runs"):
        svc.db.run(f"DROP TABLE remote_agent_{table}")
    found = read(target, lambda s: s.run_trends())
    assert found.has_table is False
    assert [t.total for t in found.series] == [0, 0, 0, 0]
