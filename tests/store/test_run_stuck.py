"""Each stuck run kind, proven from what the service's own statements leave
(`tests.support.run_writes` cites them), on both backends: the store's SQL rule (counts,
the kind's filter) and the kind's Python rule (the row's kinds) agree, and a version that
cannot produce a kind says so (None) instead of counting 0."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.support.run_writes import ServiceRuns, runs_database
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import RunFilter, RunRow
from tui.domain.timefmt import utcnow
from tui.store.store import open_store
from tui.store.target import DbTarget

Make = Callable[[str], tuple[DbTarget, ServiceRuns]]
K = RunStuckKind


@pytest.fixture
def make_runs(db_url: str, request: pytest.FixtureRequest) -> Make:
    def make(era: str) -> tuple[DbTarget, ServiceRuns]:
        return runs_database(request, db_url, era)

    return make


class Seen:
    """What one read of the store says about the stuck runs."""

    def __init__(self, rows: list[RunRow], by_sql: dict[K, set[str]], counts: dict[K, Any]):
        self.rows = {r.id: r for r in rows}
        self.by_sql = by_sql
        self.counts = counts

    def kinds(self, run_id: str) -> tuple[K, ...]:
        return self.rows[run_id].stuck


def look(
    target: DbTarget, *, ahead: timedelta = timedelta(0), quiet_after: timedelta | None = None
) -> Seen:
    """Read the runs with the store's clock `ahead` of the real one; check the SQL and the
    Python rules agree on every kind, and the counts with both."""

    async def go() -> Seen:
        store = await open_store(target, clock=lambda: utcnow() + ahead)
        if quiet_after is not None:
            store.run_quiet_after = quiet_after
        try:
            rows = (await store.list_runs(None, None, 1000)).rows
            by_sql = {
                k: {r.id for r in (await store.list_runs(RunFilter(stuck=k), None, 1000)).rows}
                for k in K
            }
            stuck = {r.id for r in (await store.stuck_runs(None, 1000)).rows}
            counts = await store.run_stuck_counts()
        finally:
            await store.close()
        for k in K:
            by_python = {r.id for r in rows if k in r.stuck}
            assert by_sql[k] == by_python, k
            if counts[k] is not None:
                assert counts[k] == len(by_python), k
        assert stuck == {r.id for r in rows if r.stuck}
        return Seen(rows, by_sql, counts)

    return asyncio.run(go())


@pytest.mark.parametrize("era", ["016", "v0.2.13", "v0.8"])
def test_a_pending_run_is_stale_after_the_services_five_minutes(make_runs: Make, era: str) -> None:
    """`STALE_PENDING_AGE_MS` (workflows.ts@v0.4.0 … @v0.9.0): a pre-created run its
    dispatch never started. PostgreSQL before v0.2.13 created runs `running` (no pending
    row to find); SQLite always `pending`."""
    target, svc = make_runs(era)
    run = svc.create("deploy", svc.conversation())
    pending = not (svc.db.pg and era == "016")
    assert look(target, ahead=timedelta(minutes=4)).kinds(run) == ()
    seen = look(target, ahead=timedelta(minutes=6))
    assert seen.kinds(run) == ((K.STALE_PENDING,) if pending else ())
    assert seen.counts[K.STALE_PENDING] == (1 if pending else 0)
    svc.start(run)
    assert look(target, ahead=timedelta(minutes=6)).kinds(run) == ()


@pytest.mark.parametrize("era", ["pre-016", "v0.8"])
def test_a_running_run_with_no_activity_is_quiet_past_the_setting(
    make_runs: Make, era: str
) -> None:
    """last_activity_at (migration 009) is the service's heartbeat (`updateWorkflowActivity`);
    quiet is a guess by time alone, in every era."""
    target, svc = make_runs(era)
    conv = svc.conversation()
    run = svc.create("deploy", conv)
    svc.start(run)
    svc.activity(run)
    done = svc.create("docs", conv)
    svc.start(done)
    svc.complete(done)
    assert look(target, ahead=timedelta(minutes=29)).kinds(run) == ()
    seen = look(target, ahead=timedelta(minutes=31))
    assert seen.kinds(run) == (K.QUIET,)
    assert seen.kinds(done) == ()
    assert seen.counts[K.QUIET] == 1
    longer = look(target, ahead=timedelta(minutes=31), quiet_after=timedelta(hours=2))
    assert longer.kinds(run) == () and longer.counts[K.QUIET] == 0


@pytest.mark.parametrize("era", ["v0.2.13", "v0.8"])
def test_a_paused_run_awaits_approval(make_runs: Make, era: str) -> None:
    """`pauseWorkflowRun` (workflows.ts@v0.9.0): paused from running, at an approval gate."""
    target, svc = make_runs(era)
    conv = svc.conversation()
    gate = svc.create("release", conv, working_path="/wt/release")
    svc.start(gate)
    svc.pause(gate)
    never = svc.create("release", conv)
    svc.pause(never)  # only from running: the service's WHERE leaves a pending run alone
    seen = look(target)
    assert seen.kinds(gate) == (K.AWAITING_APPROVAL,)
    assert seen.rows[gate].status == "paused"
    assert K.AWAITING_APPROVAL not in seen.kinds(never)
    assert seen.counts[K.AWAITING_APPROVAL] == 1


@pytest.mark.parametrize("era", ["v0.4", "v0.8"])
def test_a_run_holding_a_path_a_later_run_lost_is_path_held(make_runs: Make, era: str) -> None:
    """The path lock (executor.ts@v0.4.0, @v0.9.0): a later run on the same working_path
    finds it held and cancels its own row (`updateWorkflowRun(id, {status:
    'cancelled'})`), recording no reason."""
    target, svc = make_runs(era)
    conv = svc.conversation()
    holder = svc.create("fix-bug", conv, working_path="/wt/issue-12")
    svc.start(holder)
    other = svc.create("docs", conv, working_path="/wt/docs")
    svc.start(other)
    loser = svc.create("fix-bug", conv, working_path="/wt/issue-12")
    svc.lose_path_lock(loser)
    elsewhere = svc.create("docs", conv, working_path="/wt/elsewhere")
    svc.cancel(elsewhere)
    seen = look(target)
    assert seen.kinds(holder) == (K.PATH_HELD,)
    assert seen.rows[holder].path_lost_by == loser
    assert seen.kinds(other) == () and seen.rows[other].path_lost_by is None
    assert seen.rows[loser].status == "cancelled" and seen.kinds(loser) == ()
    assert seen.counts[K.PATH_HELD] == 1
    svc.complete(holder)
    assert look(target).counts[K.PATH_HELD] == 0


@pytest.mark.parametrize(
    ("era", "blind"),
    [
        ("pre-016", {K.AWAITING_APPROVAL, K.PATH_HELD}),
        ("016", {K.AWAITING_APPROVAL, K.PATH_HELD}),
        ("v0.2.13", {K.PATH_HELD}),
        ("v0.4", set()),
        ("v0.8", set()),
    ],
)
def test_a_kind_the_version_cannot_produce_is_not_counted(
    make_runs: Make, era: str, blind: set[K]
) -> None:
    target, svc = make_runs(era)
    svc.create("deploy", svc.conversation())

    async def go() -> tuple[dict[K, Any], dict[K, str]]:
        store = await open_store(target)
        try:
            return await store.run_stuck_counts(), store.run_undetectable
        finally:
            await store.close()

    counts, why = asyncio.run(go())
    assert {k for k, n in counts.items() if n is None} == blind
    assert set(why) == blind
    assert all(why[k] for k in blind)
