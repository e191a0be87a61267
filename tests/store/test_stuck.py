"""Stuck sessions as the Store finds them on a v0.9.0 database the service's own
sequences made (both backends; every era: tests/store/test_stuck_eras.py): each row's
kinds, the filter to one kind, the counts per kind under the other filters, a kind the
version cannot produce left uncomputed, and the warm first page agreeing with the Store."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from msgspec.structs import replace

from tests.support.odd_rows import execute
from tests.support.sql_log import sql_log
from tests.support.stuck import StuckScene, stuck_copy
from tui.domain.models import SessionFilter, SessionRow, Status
from tui.domain.stuck import StuckKind
from tui.store.store import Store, open_store
from tui.store.tables import SERVICE_CONVERSATION_INDEXES
from tui.store.warm import first_page


async def _with_store(scene: StuckScene, job):  # type: ignore[no-untyped-def]
    store = await open_store(scene.target, read_only=True)
    try:
        return await job(store)
    finally:
        await store.close()


def _rows(scene: StuckScene, flt: SessionFilter | None = None) -> list[SessionRow]:
    async def job(store: Store) -> list[SessionRow]:
        return (await store.list_sessions(flt, limit=1000)).rows

    return list(asyncio.run(_with_store(scene, job)))


async def _drop_conversation_indexes(scene: StuckScene) -> None:
    drops = (f"DROP INDEX IF EXISTS {ix}" for ix in sorted(SERVICE_CONVERSATION_INDEXES))
    await execute(scene.target, *drops)


@pytest.fixture(params=["service-indexes", "migrated", "no-index"])
def scene(db_url: str, request: pytest.FixtureRequest) -> StuckScene:
    """The scene as the service leaves it; after `migrate` (the tool's indexes, the
    active one included, which the counts and `duplicate` then read); and with no index
    on the sessions' conversation at all (`duplicate` read in one pass): same answers."""
    scene = stuck_copy(request, db_url, migrated=request.param == "migrated")
    if request.param == "no-index":
        asyncio.run(_drop_conversation_indexes(scene))
    return scene


def test_every_row_knows_its_kinds_and_healthy_ones_have_none(scene: StuckScene) -> None:
    found = {scene.name_of(r.id): r.stuck for r in _rows(scene)}
    assert found == scene.kinds
    assert found["message"] == () and found["auto-attach"] == ()
    assert found["ended-on-deleted"] == ()
    assert found["idle-orphaned"] == (StuckKind.IDLE, StuckKind.ORPHANED)


@pytest.mark.parametrize("kind", list(StuckKind), ids=[k.wire for k in StuckKind])
def test_the_filter_keeps_exactly_one_kind(scene: StuckScene, kind: StuckKind) -> None:
    rows = _rows(scene, SessionFilter(stuck=kind))
    assert {r.id for r in rows} == scene.of_kind(kind)
    assert all(kind in r.stuck and r.active for r in rows)


def test_counts_per_kind_under_the_other_filters(
    scene: StuckScene, request: pytest.FixtureRequest
) -> None:
    orphan = scene.ids["orphaned"]

    async def job(store: Store) -> tuple[dict[StuckKind, int | None], ...]:
        # The migrated scene is read through the tool's active index, the other without.
        indexes = request.node.callspec.params["scene"]
        assert store.d.has_active_index is (indexes == "migrated")
        assert store.d.has_conversation_index is (indexes != "no-index")
        return (
            await store.stuck_counts(),
            # the stuck filter itself is not one of the "other filters"
            await store.stuck_counts(SessionFilter(stuck=StuckKind.IDLE)),
            await store.stuck_counts(SessionFilter(search=orphan)),
            await store.stuck_counts(SessionFilter(status=Status.ENDED)),
        )

    every, under_stuck, searched, ended = asyncio.run(_with_store(scene, job))
    assert every == scene.counts
    pg = scene.target.kind == "postgresql"
    assert every == {
        StuckKind.IDLE: 2,
        StuckKind.ORPHANED: 2,
        StuckKind.DUPLICATE: 1 if pg else None,
    }
    assert under_stuck == every
    assert searched == {
        k: None if n is None else int(k is StuckKind.ORPHANED) for k, n in every.items()
    }
    assert ended == {k: None if n is None else 0 for k, n in every.items()}


def test_the_list_agrees_with_the_counts_under_a_filter(scene: StuckScene) -> None:
    flt = SessionFilter(platform="slack", stuck=StuckKind.ORPHANED)

    async def job(store: Store) -> tuple[int, int | None]:
        rows = (await store.list_sessions(flt)).rows
        counts = await store.stuck_counts(flt)
        return len(rows), counts[StuckKind.ORPHANED]

    assert asyncio.run(_with_store(scene, job)) == (2, 2)


def test_a_kind_the_version_cannot_produce_is_not_computed(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    """A second active session on one conversation, written by hand (the v0.9.0 service
    on SQLite serialises its transitions and never leaves one): on SQLite no row is
    `duplicate` and the count is None; on PostgreSQL, where two service processes can
    leave it, it is found."""
    import sqlalchemy as sa

    from tui.store.store import make_engine

    scene = stuck_copy(request, db_url)
    pg = scene.target.kind == "postgresql"

    async def insert() -> str:
        engine = make_engine(scene.target)
        try:
            async with engine.begin() as conn:
                row = await conn.execute(
                    sa.text(
                        "INSERT INTO remote_agent_sessions (conversation_id, ai_assistant_type,"
                        " transition_reason) VALUES (:c, 'claude', 'first-message') RETURNING id"
                    ),
                    {"c": scene.conversations["message"]},
                )
                return str(row.scalar_one())
        finally:
            await engine.dispose()

    asyncio.run(insert())

    async def job(store: Store) -> tuple[dict[StuckKind, int | None], list[SessionRow], str]:
        dup = (await store.list_sessions(SessionFilter(stuck=StuckKind.DUPLICATE))).rows
        return (
            await store.stuck_counts(),
            list(dup),
            store.undetectable.get(StuckKind.DUPLICATE, ""),
        )

    counts, dup, why = asyncio.run(_with_store(scene, job))
    if pg:
        assert counts[StuckKind.DUPLICATE] == 2  # the race's first and the message's
        assert {r.id for r in dup} == {scene.ids["race-first"], scene.ids["message"]}
        assert why == ""
    else:
        assert counts[StuckKind.DUPLICATE] is None and dup == []
        assert "one transaction" in why
        assert not any(StuckKind.DUPLICATE in r.stuck for r in _rows(scene))


def test_a_longer_stale_after_makes_nobody_idle(scene: StuckScene) -> None:
    from datetime import timedelta

    async def job(store: Store) -> tuple[dict[StuckKind, int | None], list[SessionRow]]:
        return await store.stuck_counts(), (await store.list_sessions(limit=1000)).rows

    async def opened() -> tuple[dict[StuckKind, int | None], list[SessionRow]]:
        store = await open_store(scene.target, read_only=True, stale_after=timedelta(days=30))
        try:
            return await job(store)
        finally:
            await store.close()

    counts, rows = asyncio.run(opened())
    assert counts[StuckKind.IDLE] == 0
    assert not any(StuckKind.IDLE in r.stuck for r in rows)
    assert counts[StuckKind.ORPHANED] == 2


def test_warm_page_is_the_stores_page(scene: StuckScene) -> None:
    """Migrated, exactly the Store's page; as the service left it (no active index), the
    same rows without the `duplicate` mark, which the Store's page then fills in."""
    warm = asyncio.run(first_page(scene.target, 100))
    assert warm is not None
    rows = _rows(scene)
    # Where the service's writes can leave a duplicate, the scene holds one, so the mark
    # is compared; where they cannot (SQLite from v0.2.13), none is seeded or found.
    seeded = StuckKind.DUPLICATE not in scene.undetectable
    assert any(StuckKind.DUPLICATE in r.stuck for r in rows) is seeded
    if warm.duplicates_unknown:
        dup = StuckKind.DUPLICATE
        rows = [replace(r, stuck=tuple(k for k in r.stuck if k is not dup)) for r in rows]
    assert warm.rows == rows


def test_a_schema_without_soft_delete_finds_no_orphans_and_still_lists(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    """`deleted_at` came with the service's migration 013: a database without it is read
    without naming it, orphaned is not detectable there (no count, no row), the other
    kinds still are."""
    import sqlalchemy as sa

    from tui.store.store import make_engine

    scene = stuck_copy(request, db_url, era="016")

    async def drop() -> None:
        engine = make_engine(scene.target)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    sa.text("ALTER TABLE remote_agent_conversations DROP COLUMN deleted_at")
                )
        finally:
            await engine.dispose()

    asyncio.run(drop())

    async def job(store: Store) -> tuple[str, dict[StuckKind, int | None], list[SessionRow]]:
        orphans = (await store.list_sessions(SessionFilter(stuck=StuckKind.ORPHANED))).rows
        why = store.undetectable.get(StuckKind.ORPHANED, "")
        return why, await store.stuck_counts(), list(orphans)

    why, counts, orphans = asyncio.run(_with_store(scene, job))
    assert "deleted_at" in why
    assert counts[StuckKind.ORPHANED] is None and orphans == []
    assert counts[StuckKind.DUPLICATE] == 1 and counts[StuckKind.IDLE] == 2
    rows = {scene.name_of(r.id): r.stuck for r in _rows(scene)}
    assert rows["idle-orphaned"] == (StuckKind.IDLE,)


def test_odd_active_values_are_in_no_kind(scene: StuckScene) -> None:
    """Only 1/true is active (`codec.active_state`), in the statements and in the active
    index alike: sessions holding NULL (and on SQLite 2 or 'true') on a deleted, quiet
    conversation are counted in no kind and listed with none, migrated or not."""
    import sqlalchemy as sa

    from tui.store.store import make_engine

    pg = scene.target.kind == "postgresql"
    odd_values = ["NULL"] if pg else ["NULL", "2", "'true'"]
    odd_ids = {f"odd-{n}": (str(uuid.uuid4()) if pg else uuid.uuid4().hex) for n in range(3)}

    async def insert() -> None:
        engine = make_engine(scene.target)
        try:
            async with engine.begin() as conn:
                conv = await conn.scalar(
                    sa.text("SELECT conversation_id FROM remote_agent_sessions WHERE id = :i"),
                    {"i": scene.ids["orphaned"]},
                )
                for (_name, sid), value in zip(odd_ids.items(), odd_values, strict=False):
                    await conn.execute(
                        sa.text(
                            "INSERT INTO remote_agent_sessions (id, conversation_id,"
                            " ai_assistant_type, active, started_at)"
                            f" VALUES (:i, :c, 'claude', {value}, '2020-01-01 00:00:00')"
                        ),
                        {"i": sid, "c": conv},
                    )
        finally:
            await engine.dispose()

    asyncio.run(insert())

    async def job(store: Store) -> tuple[dict[StuckKind, int | None], list[SessionRow]]:
        return await store.stuck_counts(), (await store.list_sessions(limit=1000)).rows

    counts, rows = asyncio.run(_with_store(scene, job))
    assert counts == scene.counts
    odd = [r for r in rows if r.id in odd_ids.values()]
    assert len(odd) == len(odd_values)
    assert all(r.odd and r.stuck == () for r in odd)


def test_idle_follows_the_clock_from_one_count_to_the_next(scene: StuckScene) -> None:
    """The status-only counts are built once per Store and run again on every refresh:
    "now" for `idle` is taken at each run, so a clock that moves a week on makes every
    active session idle without a new Store."""
    from datetime import timedelta

    from tui.domain.timefmt import utcnow

    offset = [timedelta(0)]

    async def job() -> tuple[dict[StuckKind, int | None], dict[StuckKind, int | None]]:
        store = await open_store(scene.target, read_only=True, clock=lambda: utcnow() + offset[0])
        try:
            before = await store.stuck_counts()
            offset[0] = timedelta(days=7)
            return before, await store.stuck_counts(SessionFilter())
        finally:
            await store.close()

    before, after = asyncio.run(job())
    assert before == scene.counts
    active = sum(r.active for r in _rows(scene))
    assert after == {**scene.counts, StuckKind.IDLE: active}


def test_without_a_conversation_index_duplicate_is_one_pass(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    """With no index on the sessions' conversation, neither the page's marks nor the
    counts nor the filter ask, for each active row, for a newer session (a table scan
    each: minutes at 200k); `duplicate` is read once, ranked per conversation."""
    scene = stuck_copy(request, db_url)
    asyncio.run(_drop_conversation_indexes(scene))

    async def job(store: Store) -> list[str]:
        with sql_log(store) as seen:
            await store.list_sessions(limit=1000)
            await store.stuck_counts()
            await store.list_sessions(SessionFilter(stuck=StuckKind.DUPLICATE))
        return seen

    sent = asyncio.run(_with_store(scene, job))
    assert not any(" newer" in sql for sql in sent), sent
    ranked = [sql for sql in sent if "row_number()" in sql.lower()]
    # the page's marks, the counts, the filter, and the filtered page's marks
    assert len(ranked) == (0 if StuckKind.DUPLICATE in scene.undetectable else 4), sent
