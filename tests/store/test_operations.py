"""The operations above single queries (walk a view in pages, plan an end, apply it),
run on real service databases of both backends: what they read and what lands."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.app_helpers import db_session
from tests.support.service_writes import ServiceDb
from tests.support.sql_log import sql_log
from tui.domain.models import (
    AlreadyEnded,
    Ended,
    NotFound,
    Page,
    SessionFilter,
    SortKey,
    Status,
)
from tui.domain.triggers import InvalidEndReason
from tui.store import operations
from tui.store.errors import AmbiguousId
from tui.store.store import Store, open_store
from tui.store.target import DbTarget, resolve_target


@pytest.fixture
async def store(service_db: DbTarget) -> AsyncIterator[Store]:
    opened = await open_store(service_db)
    try:
        yield opened
    finally:
        await opened.close()


async def _walk(store: Store, flt: SessionFilter, limit: int | None) -> list[Page]:
    walk = operations.pages(store, flt, SortKey.STARTED, limit=limit, page_size=10)
    return [page async for page in walk]


async def test_a_walk_sees_every_row_once_in_the_stores_order(store: Store) -> None:
    flt = SessionFilter(status=Status.ACTIVE)
    whole = await store.list_sessions(flt, SortKey.STARTED, None, 10_000)
    walked = await _walk(store, flt, None)
    ids = [r.id for p in walked for r in p.rows]
    assert ids == [r.id for r in whole.rows]
    assert len(ids) > 10, "the view spans several pages"
    assert all(len(p.rows) == 10 for p in walked[:-1])
    assert walked[-1].next_cursor is None


@pytest.mark.parametrize(("limit", "sizes"), [(15, [10, 5]), (3, [3]), (20, [10, 10])])
async def test_a_walk_stops_at_the_limit_and_hands_back_the_cursor(
    store: Store, limit: int, sizes: list[int]
) -> None:
    walked = await _walk(store, SessionFilter(), limit)
    assert [len(p.rows) for p in walked] == sizes
    assert walked[-1].next_cursor is not None, "more sessions match than the limit"
    rest = await store.list_sessions(SessionFilter(), SortKey.STARTED, walked[-1].next_cursor, 1)
    first = await store.list_sessions(SessionFilter(), SortKey.STARTED, None, limit + 1)
    assert rest.rows[0].id == first.rows[limit].id, "the cursor continues where the walk ended"


async def test_a_view_that_matches_nothing_is_one_empty_page(store: Store) -> None:
    walked = await _walk(store, SessionFilter(search="no such text anywhere"), None)
    assert [(p.rows, p.next_cursor) for p in walked] == [([], None)]


async def test_plan_then_apply_an_end(store: Store, service_db: DbTarget) -> None:
    active = (await store.list_sessions(SessionFilter(status=Status.ACTIVE), limit=1)).rows[0]
    ended = (await store.list_sessions(SessionFilter(status=Status.ENDED), limit=1)).rows[0]
    missing = "0" * 8 + "-0000-4000-8000-" + "0" * 12
    given = [active.id[:12], missing, ended.id, active.id, missing]

    plan = await operations.plan_end(store, given, "cwd-changed", "me@test")
    assert plan.steps == (
        Ended(active.id, "cwd-changed"),
        NotFound(missing),
        AlreadyEnded(ended.id, ended.ended_at, ended.ended_reason),
    )
    assert (plan.to_end, plan.all_would_end) == (1, False)
    assert (await db_session(service_db, active.id))["active"] is True, "planning writes nothing"

    outcomes = await operations.apply_end(store, plan)
    assert outcomes == plan.steps
    row = await db_session(service_db, active.id)
    assert (row["active"], row["ended_reason"]) == (False, "cwd-changed")
    assert row["metadata"]["endedBy"]["actor"] == "me@test"
    kept = await db_session(service_db, ended.id)
    assert (kept["ended_reason"], kept["ended_at"]) == (ended.ended_reason, ended.ended_at)


async def test_apply_reports_what_is_there_now_not_what_was_planned(store: Store) -> None:
    active = (await store.list_sessions(SessionFilter(status=Status.ACTIVE), limit=1)).rows[0]
    plan = await operations.plan_end(store, [active.id], "reset-requested", "me@test")
    await store.end_sessions([active.id], "worktree-removed", "someone-else")  # faster
    (outcome,) = await operations.apply_end(store, plan)
    assert isinstance(outcome, AlreadyEnded)
    assert outcome.ended_reason == "worktree-removed"


async def test_plan_checks_the_reason_first_then_whether_the_database_can_end(
    store: Store, service_db: DbTarget
) -> None:
    active = (await store.list_sessions(SessionFilter(status=Status.ACTIVE), limit=1)).rows[0]
    with pytest.raises(InvalidEndReason, match="of service 016 \\(main\\)"):
        await operations.plan_end(store, [active.id], "plan-to-execute", "me")
    read_only = await open_store(service_db, read_only=True)
    try:
        with pytest.raises(InvalidEndReason):
            await operations.plan_end(read_only, [active.id], "not-a-trigger", "me")
        with pytest.raises(operations.CannotEnd, match=r"cannot end sessions on .*read-only"):
            await operations.plan_end(read_only, [active.id], "cwd-changed", "me")
    finally:
        await read_only.close()
    with pytest.raises(AmbiguousId):  # one hex digit: many of the 600 sessions share it
        await operations.plan_end(store, [active.id[:1]], "cwd-changed", "me")


def _seed_active(db: ServiceDb, n: int) -> list[str]:
    """`n` active sessions (and their conversations) in two statements."""
    pairs = [(db.new_id(), db.new_id()) for _ in range(n)]
    active = "true" if db.pg else "1"
    db.run(
        "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
        " VALUES " + ", ".join(f"('{c}', 'slack', 'C-{c[:8]}')" for c, _ in pairs)
    )
    db.run(
        "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type, active,"
        " started_at) VALUES "
        + ", ".join(f"('{s}', '{c}', 'claude', {active}, {db.now_minus(600)})" for c, s in pairs)
    )
    return [s for _, s in pairs]


async def test_a_thousand_sessions_are_planned_and_read_back_in_batches(
    service_writer: ServiceDb,
) -> None:
    """Planning an end of 1,000 whole ids and re-reading them after it: at most two
    statements per batch of 250 each, not several per session."""
    db = service_writer
    sids = _seed_active(db, 1000)
    batches = -(-len(sids) // operations.ID_BATCH)
    store = await open_store(resolve_target(url=db.url))
    try:
        with sql_log(store) as planned:
            plan = await operations.plan_end(store, sids, "cwd-changed", "me@test")
        assert plan.steps == tuple(Ended(s, "cwd-changed") for s in sids)
        await operations.apply_end(store, plan)
        with sql_log(store) as reread:
            rows = await operations.rows_by_id(store, sids)
    finally:
        await store.close()
    assert sorted(rows) == sorted(sids)
    assert not any(r.active for r in rows.values()), "read back as they are now"
    assert len(reread) <= 2 * batches, reread[:3]
    assert len(planned) <= 2 * batches, planned[:3]
