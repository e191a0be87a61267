"""The Store on a real PostgreSQL hot standby: it reads everything the primary has,
knows it is a standby, and never sends a write there.

The database is made on the primary (`replica_db`) and read on its streaming standby
(`pg_standby`); what the standby answers is checked against the primary, where the
service writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.app_helpers import db_session
from tests.support.dbs import Replica
from tests.support.pgserver import PgServer, PgStandby
from tests.support.sql_log import sql_log
from tui.domain.models import SessionFilter, SortKey, Status
from tui.store import operations
from tui.store.errors import ReadOnly
from tui.store.migrate import upgrade
from tui.store.store import STANDBY_REASON, Store, open_store
from tui.store.warm import first_page

pytestmark = pytest.mark.postgres


@pytest.fixture
async def standby(replica_db: Replica) -> AsyncIterator[Store]:
    opened = await open_store(replica_db.standby)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def primary(replica_db: Replica) -> AsyncIterator[Store]:
    opened = await open_store(replica_db.primary)
    try:
        yield opened
    finally:
        await opened.close()


def _dbname(replica: Replica) -> str:
    return replica.primary_url.rsplit("/", 1)[1]


async def test_open_tells_a_standby_from_its_primary(standby: Store, primary: Store) -> None:
    assert standby.standby is True
    assert standby.can_end == STANDBY_REASON
    assert primary.standby is False
    assert primary.can_end is None
    assert standby.schema == primary.schema


async def test_the_standby_reason_comes_before_read_only(replica_db: Replica) -> None:
    store = await open_store(replica_db.standby, read_only=True)
    try:
        assert store.can_end == STANDBY_REASON
    finally:
        await store.close()


async def test_every_read_answers_on_the_standby_as_on_the_primary(
    standby: Store, primary: Store, replica_db: Replica, pg_server: PgServer
) -> None:
    for flt, sort in [
        (SessionFilter(), SortKey.STARTED),
        (SessionFilter(status=Status.ACTIVE), SortKey.DURATION),
        (SessionFilter(search="a"), SortKey.STARTED),
    ]:
        on_standby = await standby.list_sessions(flt, sort, None, 1000)
        on_primary = await primary.list_sessions(flt, sort, None, 1000)
        assert on_standby.rows == on_primary.rows
    assert len((await standby.list_sessions(limit=1000)).rows) == 300

    counts = await standby.counts(SessionFilter(status=Status.ENDED))
    active = int(
        pg_server.psql(
            "SELECT count(*) FROM remote_agent_sessions WHERE active", _dbname(replica_db)
        )
    )
    assert (counts.active, counts.ended, counts.filtered) == (active, 300 - active, 300 - active)

    # A full count (its snapshot transaction and `background`), then the delta after it.
    full = await standby.reason_counts(SessionFilter(status=Status.ENDED), recount=True)
    again = await standby.reason_counts(SessionFilter(status=Status.ENDED))
    assert full == again == await primary.reason_counts(SessionFilter(status=Status.ENDED))
    free = await standby.reason_counts(SessionFilter(search="a"))
    assert free == await primary.reason_counts(SessionFilter(search="a"))

    row = (await standby.list_sessions(limit=1)).rows[0]
    assert await standby.resolve_id(row.id[:8]) == row.id
    assert await standby.get_session(row.id) == await primary.get_session(row.id)
    assert await standby.session_chain(row.id) == await primary.session_chain(row.id)


async def test_counts_by_delta_run_on_the_standby(
    replica_db: Replica, pg_standby: PgStandby
) -> None:
    """With the tool's indexes (migrated on the primary, replayed here) a status-only
    count takes a full count in one snapshot with `background`, then deltas."""
    await upgrade(replica_db.primary)
    pg_standby.wait_for_replay()
    standby = await open_store(replica_db.standby)
    primary = await open_store(replica_db.primary)
    try:
        assert standby.standby and standby.missing_indexes == ()
        flt = SessionFilter(status=Status.ACTIVE)
        with sql_log(standby) as sent:
            full = await standby.reason_counts(flt)
            delta = await standby.reason_counts(flt)
        assert any("max_parallel_workers_per_gather" in stmt for stmt in sent)
        assert full == delta == await primary.reason_counts(flt, recount=True)
    finally:
        await standby.close()
        await primary.close()


async def test_the_warm_page_reads_the_standby(standby: Store) -> None:
    warm = await first_page(standby.target, 100)
    assert warm is not None
    assert warm.rows == (await standby.list_sessions(limit=100)).rows


async def test_ending_on_the_standby_is_refused_before_any_write(
    standby: Store, replica_db: Replica
) -> None:
    row = (await standby.list_sessions(SessionFilter(status=Status.ACTIVE), limit=1)).rows[0]
    before = await db_session(replica_db.primary, row.id)
    with sql_log(standby) as sent:
        with pytest.raises(operations.CannotEnd, match="end sessions on the primary"):
            await operations.plan_end(standby, [row.id], "reset-requested", "tester")
        with pytest.raises(ReadOnly, match="read-only standby"):
            await standby.end_sessions([row.id], "reset-requested", "tester")
    assert sent == []
    assert await db_session(replica_db.primary, row.id) == before


async def test_an_end_on_the_primary_reaches_the_standby(
    standby: Store, primary: Store, pg_standby: PgStandby
) -> None:
    row = (await standby.list_sessions(SessionFilter(status=Status.ACTIVE), limit=1)).rows[0]
    await primary.end_sessions([row.id], "reset-requested", "tester")
    pg_standby.wait_for_replay()
    seen = await standby.get_session(row.id)
    assert seen is not None
    assert (seen.row.active, seen.row.ended_reason) == (False, "reset-requested")
    assert seen == await primary.get_session(row.id)
