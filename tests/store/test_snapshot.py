"""A deployment's snapshot: every count it carries equals what SQL counts in a database
written the way the service writes it (tests/support/service_writes.py and run_writes.py
cite the statements, file@tag)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.run_writes import ServiceRuns, runs_database
from tui.domain.run_stuck import RunStuckKind
from tui.domain.snapshot import Headline, Snapshot
from tui.domain.stuck import StuckKind
from tui.store.snapshot import read_headline, read_rest
from tui.store.store import open_store
from tui.store.target import DbTarget

Make = Callable[[str], tuple[DbTarget, ServiceRuns]]


@pytest.fixture
def make_runs(empty_db_url: str, request: pytest.FixtureRequest) -> Make:
    def make(era: str) -> tuple[DbTarget, ServiceRuns]:
        return runs_database(request, empty_db_url, era)

    return make


def snapshot(target: DbTarget) -> tuple[Headline, Snapshot]:
    """A reading's two parts, as the overview reads them: its headline, then the rest."""

    async def go() -> tuple[Headline, Snapshot]:
        store = await open_store(target)
        try:
            headline = await read_headline(store)
            return headline, await read_rest(store, headline)
        finally:
            await store.close()

    return asyncio.run(go())


def count(svc: ServiceRuns, sql: str) -> int:
    return int(svc.db.run(sql).strip() or 0)


def test_the_snapshot_is_what_sql_counts(make_runs: Make) -> None:
    target, svc = make_runs("v0.8")
    db = svc.db
    db.sessions(3, db.now_minus(60))
    quiet = db.session(db.now_minus(3 * 86400))
    db.run(  # its conversation quiet for 3 days too: idle at the default 24 h
        f"UPDATE remote_agent_conversations SET last_activity_at = {db.now_minus(3 * 86400)}"
        f" WHERE id = (SELECT conversation_id FROM remote_agent_sessions WHERE id = '{quiet}')"
    )
    for ago in (3600, 5400):
        db.session(db.now_minus(ago + 600), ended=db.now_minus(ago), reason="reset-requested")
    db.session(db.now_minus(9000), ended=db.now_minus(7200))  # not recorded
    db.session(db.now_minus(3 * 86400), ended=db.now_minus(2 * 86400), reason="conversation-closed")
    conv = svc.conversation()
    done = svc.create("plan", conv)
    svc.start(done)
    svc.complete(done, cost=0.5)
    failed = svc.create("fix", conv)
    svc.start(failed)
    svc.fail(failed, "boom")
    waiting = svc.create("review", conv)
    svc.start(waiting)
    svc.pause(waiting)
    svc.cancel(svc.create("lint", conv))

    headline, found = snapshot(target)

    active = count(svc, "SELECT count(*) FROM remote_agent_sessions WHERE active")
    assert headline.active == found.active == active == 4
    assert headline.version == found.version
    assert found.ended == 4
    assert found.stuck[StuckKind.IDLE] == 1
    assert found.ended_recently == {"reset-requested": 2, None: 1}
    assert found.top_reasons(1) == [("reset-requested", 2)]
    statuses: dict[str | None, Any] = {}
    for line in db.run(
        "SELECT status, count(*) FROM remote_agent_workflow_runs GROUP BY status"
    ).splitlines():
        status, n = line.split("|")
        statuses[status] = int(n)
    assert found.has_runs and found.runs_by_status == statuses
    assert statuses == {"completed": 1, "failed": 1, "paused": 1, "cancelled": 1}
    assert found.stuck_runs[RunStuckKind.AWAITING_APPROVAL] == 1
    assert found.stuck_runs_total == 1
    assert found.version and found.seconds >= 0
