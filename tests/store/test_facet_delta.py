"""Reason counts kept as settled counts plus a live delta, on SQLite and PostgreSQL.

A refresh under a status-only filter re-reads only the rows that can still change.
These tests change the database the way the service does (new sessions, ends with
known, unknown and missing reasons, odd `active` values) behind the store's back, and
check every incremental answer against a full count made by a separate Store. They
record the SQL each call runs, to prove which path answered.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.app_helpers import (
    app_for,
    facets_shown,
    main_screen,
    ready,
    settle,
    wait_until,
)
from tests.support.sql_log import sql_log
from tui.domain.models import ReasonFacets, SessionFilter, Status
from tui.domain.timefmt import utcnow
from tui.store import queries as q
from tui.store.migrate import upgrade
from tui.store.store import Store, make_engine, open_store
from tui.store.target import DbTarget

FILTERS = [SessionFilter(), SessionFilter(status=Status.ACTIVE), SessionFilter(status=Status.ENDED)]


@pytest.fixture
def migrated_db(service_db: DbTarget) -> DbTarget:
    """The demo service database, migrated: the delta needs the tool's indexes (see
    Store._delta_indexed)."""
    asyncio.run(upgrade(service_db))
    return service_db


@pytest.fixture
async def store(migrated_db: DbTarget) -> AsyncIterator[Store]:
    st = await open_store(migrated_db)
    try:
        yield st
    finally:
        await st.close()


def facet_queries(statements: list[str]) -> tuple[int, int]:
    """(full counts, live counts) among `statements`."""
    full = sum(1 for s in statements if "count(" in s.lower() and "UNION ALL" not in s)
    live = sum(1 for s in statements if "UNION ALL" in s)
    return full, live


async def exact(target: DbTarget, flt: SessionFilter) -> ReasonFacets:
    """The answer of a Store that has never counted before: one full GROUP BY."""
    fresh = await open_store(target)
    try:
        return await fresh.reason_counts(flt)
    finally:
        await fresh.close()


class Service:
    """Writes as the service does, through an engine of its own."""

    def __init__(self, target: DbTarget) -> None:
        self.target = target
        self.engine = make_engine(target)
        self.pg = target.kind != "sqlite"
        self.now = "now()" if self.pg else "datetime('now')"

    async def close(self) -> None:
        await self.engine.dispose()

    async def sql(self, text: str, **params: Any) -> list[Any]:
        async with self.engine.begin() as conn:
            result = await conn.execute(sa.text(text), params)
            return list(result) if result.returns_rows else []

    async def new_session(self) -> str:
        conv, sid = str(uuid.uuid4()), str(uuid.uuid4())
        if not self.pg:
            conv, sid = conv.replace("-", ""), sid.replace("-", "")
        await self.sql(
            "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
            " VALUES (:c, 'telegram', :p)",
            c=conv,
            p=f"chat-{conv}",
        )
        await self.sql(
            "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type, active)"
            " VALUES (:s, :c, 'claude', :a)",
            s=sid,
            c=conv,
            a=True,
        )
        return sid

    async def active_ids(self, n: int) -> list[str]:
        rows = await self.sql(
            "SELECT id FROM remote_agent_sessions WHERE active = :a ORDER BY id LIMIT :n",
            a=True,
            n=n,
        )
        return [str(r[0]) for r in rows]

    async def end(self, sid: str, reason: str | None) -> None:
        await self.sql(
            f"UPDATE remote_agent_sessions SET active = :f, ended_at = {self.now},"
            " ended_reason = :r WHERE id = :s",
            f=False,
            r=reason,
            s=sid,
        )


@pytest.fixture
async def service(migrated_db: DbTarget) -> AsyncIterator[Service]:
    svc = Service(migrated_db)
    try:
        yield svc
    finally:
        await svc.close()


async def test_refreshes_read_only_live_rows_and_stay_exact(
    store: Store, service: Service, migrated_db: DbTarget
) -> None:
    for flt in FILTERS:  # the first count of each is a full one
        with sql_log(store) as sql:
            assert await store.reason_counts(flt) == await exact(migrated_db, flt)
        assert facet_queries(sql) == (1, 1), sql
        # On PostgreSQL a full count is background work: no parallel workers.
        serial = "SET LOCAL max_parallel_workers_per_gather = 0"
        assert (serial in sql) is service.pg, sql

    victims = await service.active_ids(6)
    started = [await service.new_session() for _ in range(3)]
    reasons = ["reset-requested", "cwd-changed", "some-future-trigger", None, "", "plan-to-execute"]
    for sid, reason in zip(victims, reasons, strict=True):
        await service.end(sid, reason)
    await service.end(started[0], "conversation-closed")
    if not service.pg:  # SQLite keeps whatever it is given: odd values count as active
        await service.sql("UPDATE remote_agent_sessions SET active = 2 WHERE id = :s", s=started[1])
    await service.sql("UPDATE remote_agent_sessions SET active = NULL WHERE id = :s", s=started[2])
    # The store's own end is a live row too.
    ended_here = (await service.active_ids(1))[0]
    await store.end_sessions([ended_here], "repo-removed", "test@host")

    for flt in FILTERS:
        with sql_log(store) as sql:
            got = await store.reason_counts(flt)
        assert facet_queries(sql) == (0, 1), sql
        assert got == await exact(migrated_db, flt)
    whole = await store.reason_counts()
    assert whole.unrecognised.get("some-future-trigger") == 1
    assert whole.known["repo-removed"] >= 1


def live_sql(store: Store, flt: SessionFilter, *, all_active: bool) -> str:
    """The live statement as the store's engine sends it (the mark is a bound parameter:
    any time gives the same text)."""
    stmt = q.live_facet_statement(store.d, flt, utcnow(), all_active=all_active)
    return str(stmt.compile(dialect=store.engine.dialect))


async def test_old_active_sessions_are_counted_not_read(
    store: Store, service: Service, migrated_db: DbTarget
) -> None:
    """A refresh does not read the active sessions that started before the mark (most of
    a busy table's active ones): their number is derived (tui.store.delta). It stays
    exact while they end, take odd values or are ended here, and new ones come and go."""
    for flt in FILTERS:
        await store.reason_counts(flt)
        with sql_log(store) as sql:
            await store.reason_counts(flt)
        assert live_sql(store, flt, all_active=False) in sql, "the old active rows are not read"
    before = await store.reason_counts()
    assert before.active >= 10  # the demo's old active sessions

    old = await service.active_ids(8)
    await service.end(old[0], "reset-requested")
    await service.end(old[1], "a-trigger-from-the-future")
    await service.end(old[2], None)
    await service.sql("UPDATE remote_agent_sessions SET active = NULL WHERE id = :s", s=old[3])
    if not service.pg:  # values only SQLite can hold
        for sid, odd in ((old[4], 2), (old[5], -1), (old[6], 0.5)):
            await service.sql(
                "UPDATE remote_agent_sessions SET active = :v WHERE id = :s", v=odd, s=sid
            )
    new = [await service.new_session() for _ in range(4)]
    await service.end(new[0], "cwd-changed")
    await service.sql("UPDATE remote_agent_sessions SET active = NULL WHERE id = :s", s=new[1])
    await store.end_sessions([old[7]], "repo-removed", "test@host")

    for flt in FILTERS:
        with sql_log(store) as sql:
            got = await store.reason_counts(flt)
        assert facet_queries(sql) == (0, 1), sql
        assert live_sql(store, flt, all_active=False) in sql
        assert got == await exact(migrated_db, flt)
    after = await store.reason_counts()
    # Only 1/true is active (codec.active_state): NULL, and SQLite's 2, -1 and 0.5, are odd,
    # counted apart; two of the four new sessions are still active.
    left = 8 if not service.pg else 5
    assert after.active == before.active - left + 2
    assert after.odd == before.odd + (5 if not service.pg else 2)
    assert after.unrecognised["a-trigger-from-the-future"] == 1


async def test_an_active_session_with_a_reason_is_read_live(
    store: Store, service: Service, migrated_db: DbTarget
) -> None:
    """The arithmetic needs every active session's reason to be NULL, as the service
    writes them. If one is not, every refresh reads the active rows, as before."""
    odd = (await service.active_ids(1))[0]
    await service.sql("UPDATE remote_agent_sessions SET ended_reason = 'x' WHERE id = :s", s=odd)
    await store.reason_counts()
    await service.end(odd, "reset-requested")
    await service.new_session()
    with sql_log(store) as sql:
        got = await store.reason_counts()
    assert facet_queries(sql) == (0, 1)
    assert live_sql(store, SessionFilter(), all_active=True) in sql
    assert got == await exact(migrated_db, SessionFilter())


async def test_arithmetic_that_stops_adding_up_forces_a_full_count(
    store: Store, service: Service, migrated_db: DbTarget
) -> None:
    """A session written with a start before the mark after the full count breaks the
    derivation's premise. When the numbers show it (fewer than no old active
    sessions), the store counts in full instead of answering."""
    await service.sql(
        f"UPDATE remote_agent_sessions SET active = :f, ended_at = {service.now},"
        " ended_reason = 'reset-requested' WHERE active = :t",
        f=False,
        t=True,
    )
    assert (await store.reason_counts()).active == 0
    sid = await service.new_session()
    await service.sql(
        "UPDATE remote_agent_sessions SET started_at = :old, active = :f, ended_at ="
        f" {service.now}, ended_reason = 'cwd-changed' WHERE id = :s",
        old=datetime(2020, 1, 1) if service.pg else "2020-01-01 00:00:00",
        f=False,
        s=sid,
    )
    with sql_log(store) as sql:
        got = await store.reason_counts()
    assert facet_queries(sql) == (1, 2), sql  # the refused delta, then a full count
    assert got == await exact(migrated_db, SessionFilter())


async def test_a_recount_is_full_and_catches_what_deltas_cannot(
    store: Store, service: Service, migrated_db: DbTarget
) -> None:
    """A settled session deleted behind the store's back (the service's conversation
    delete cascades) stays counted until the next full count: the operator's refresh,
    or the periodic one once `recount_after` has passed."""
    before = await store.reason_counts()
    rows = await service.sql(
        "SELECT conversation_id FROM remote_agent_sessions WHERE active = :f"
        " AND ended_reason = 'reset-requested' ORDER BY id LIMIT 1",
        f=False,
    )
    await service.sql("DELETE FROM remote_agent_conversations WHERE id = :c", c=rows[0][0])
    truth = await exact(migrated_db, SessionFilter())
    assert truth.total < before.total

    assert await store.reason_counts() == before  # the delta cannot see a deleted row
    with sql_log(store) as sql:
        assert await store.reason_counts(recount=True) == truth
    assert facet_queries(sql) == (1, 1)

    await service.sql(
        "DELETE FROM remote_agent_conversations WHERE id IN (SELECT conversation_id"
        " FROM remote_agent_sessions WHERE active = :f AND ended_reason ="
        " 'cwd-changed')",
        f=False,
    )
    store.recount_after = 0.0
    with sql_log(store) as sql:
        assert await store.reason_counts() == await exact(migrated_db, SessionFilter())
    assert facet_queries(sql) == (1, 1)


async def test_other_filters_always_count_in_full(store: Store) -> None:
    """Titles, codebase names and the since window can change under settled rows."""
    for flt in (SessionFilter(platform="slack"), SessionFilter(search="fix")):
        assert not q.incremental_facets(flt)
        for _ in range(2):
            with sql_log(store) as sql:
                await store.reason_counts(flt)
            assert facet_queries(sql) == (1, 0), sql


@pytest.mark.parametrize("has_016", [True, False], ids=["unmigrated", "pre-016"])
async def test_without_the_tools_indexes_every_count_is_full(
    has_016: bool, empty_db_url: str
) -> None:
    """Unindexed, each live branch would scan the table: one full count is cheaper. A
    database from before 016 cannot have the indexes (they cover ended_reason)."""
    from tests.support.dbs import add_legacy_session, create_service_db

    target = await create_service_db(empty_db_url, ended_reason=has_016, sessions=50 * has_016)
    await add_legacy_session(target)
    st = await open_store(target)
    svc = Service(target)
    try:
        assert st.missing_indexes
        first = await st.reason_counts()
        await svc.sql(
            f"UPDATE remote_agent_sessions SET active = :f, ended_at = {svc.now}", f=False
        )
        for _ in range(2):
            with sql_log(st) as sql:
                after = await st.reason_counts()
            assert facet_queries(sql) == (1, 0), sql
            assert after.active == 0 and after.total == first.total
            assert after == await exact(target, SessionFilter())
    finally:
        await svc.close()
        await st.close()


def shown_active(app: Any) -> int | None:
    """The active count as the status bar shows it on screen."""
    text = str(main_screen(app).status_bar.render())
    marker = "active "
    if marker not in text:
        return None
    return int(text.split(marker, 1)[1].split()[0].replace(",", ""))


async def test_app_ticks_by_delta_and_r_recounts(migrated_db: DbTarget, service: Service) -> None:
    """The screen follows the service's writes on each tick, without a full count; the
    operator's `r` asks for one."""
    app = app_for(migrated_db, refresh_seconds=0.2)
    # 200 columns: beside a 75-character temporary path the header keeps the database, the
    # service version and the read time before the totals this test reads.
    async with app.run_test(size=(200, 45)) as pilot:
        await ready(pilot)
        assert app.store is not None
        await wait_until(pilot, lambda: shown_active(app) is not None, "counts on screen")
        # The first full count has finished (a tick racing it would count in full too).
        await wait_until(pilot, lambda: facets_shown(app), "settled counts")
        await settle(pilot)
        before = shown_active(app)
        assert before is not None
        with sql_log(app.store) as sql:
            sid = await service.new_session()
            await wait_until(pilot, lambda: shown_active(app) == before + 1, "tick saw the insert")
        assert facet_queries(sql)[0] == 0 and facet_queries(sql)[1] >= 1, sql

        await service.end(sid, "worktree-removed")
        with sql_log(app.store) as sql:
            await pilot.press("r")
            await wait_until(pilot, lambda: facet_queries(sql)[0] >= 1, "a full count")
        truth = await exact(migrated_db, SessionFilter())
        assert truth.active == before
        await wait_until(pilot, lambda: shown_active(app) == truth.active, "recount shown")
        assert main_screen(app).status_bar.counts is not None
        assert main_screen(app).status_bar.counts.ended == truth.total - truth.active
