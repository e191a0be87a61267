"""Keyset paging through every sort, both ways, equals the database's own ORDER BY.

The service database gets ties (many sessions with one start time, many with one end
time) and odd rows (no start time, ended without an end time), which is where a keyset
skips or repeats rows. The expected order is a plain SQL ORDER BY read with an engine of
the test's own: the store's statements are never the yardstick.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from tests.support.dbs import create_service_db
from tests.support.templates import ServiceTemplates
from tui.domain.models import SessionFilter, SortKey, Status
from tui.store.store import Store, make_engine, open_store
from tui.store.tables import sessions
from tui.store.target import DbTarget

s = sessions
PAGE = 7


def _prepare(url: str) -> DbTarget:
    """600 demo sessions; 40 share one start, 30 share one end, 3 have no start, 2 ended
    sessions have no end time."""

    async def build() -> DbTarget:
        target = await create_service_db(url, sessions=600)
        engine = make_engine(target)
        try:
            async with engine.begin() as conn:
                ids = (await conn.execute(sa.select(s.c.id).order_by(s.c.id))).scalars().all()
                ended = (
                    (
                        await conn.execute(
                            sa.select(s.c.id).where(s.c.active == sa.false()).order_by(s.c.id)
                        )
                    )
                    .scalars()
                    .all()
                )
                one_start = (
                    await conn.execute(sa.select(s.c.started_at).where(s.c.id == ids[0]))
                ).scalar_one()
                one_end = (
                    await conn.execute(sa.select(s.c.ended_at).where(s.c.id == ended[0]))
                ).scalar_one()
                await conn.execute(
                    s.update().where(s.c.id.in_(ids[1:40])).values(started_at=one_start)
                )
                await conn.execute(
                    s.update().where(s.c.id.in_(ended[1:30])).values(ended_at=one_end)
                )
                await conn.execute(s.update().where(s.c.id.in_(ids[-3:])).values(started_at=None))
                await conn.execute(s.update().where(s.c.id.in_(ended[-2:])).values(ended_at=None))
        finally:
            await engine.dispose()
        return target

    return asyncio.run(build())


@pytest.fixture
def tied_db(
    db_url: str, service_templates: ServiceTemplates, request: pytest.FixtureRequest
) -> DbTarget:
    """A copy of `_prepare`'s database, built once per backend: the tests only read it."""
    server = None if db_url.startswith("sqlite") else request.getfixturevalue("pg_server")
    return service_templates.copy_built(db_url, server, "sort-paging-ties", _prepare)


def _sql_order(sort: SortKey, ascending: bool) -> list[sa.ColumnElement[object]]:
    """The order by definition: newest (or its reverse), ties by id; an active session has
    no end, so by `ended` it sorts below every ended one."""
    if sort is SortKey.STARTED:
        key: sa.ColumnElement[object] = s.c.started_at
    else:
        key = sa.case((s.c.ended_at.is_(None), 0), else_=1)
        keys = [key, s.c.ended_at]
        return [k.asc() if ascending else k.desc() for k in [*keys, s.c.id]]
    return [k.asc() if ascending else k.desc() for k in (key, s.c.id)]


async def _expected(target: DbTarget, flt: SessionFilter, sort: SortKey, asc: bool) -> list[str]:
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            stmt = sa.select(s.c.id).order_by(*_sql_order(sort, asc))
            if flt.status is Status.ACTIVE:
                stmt = stmt.where(s.c.active == sa.true())
            elif flt.status is Status.ENDED:
                stmt = stmt.where(s.c.active == sa.false())
            return [str(i) for i in (await conn.execute(stmt)).scalars().all()]
    finally:
        await engine.dispose()


async def _walk(store: Store, flt: SessionFilter, sort: SortKey, asc: bool) -> list[str]:
    out: list[str] = []
    cursor = None
    while True:
        page = await store.list_sessions(flt, sort, cursor, PAGE, ascending=asc)
        out.extend(r.id for r in page.rows)
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


@pytest.mark.parametrize("ascending", [False, True], ids=["desc", "asc"])
@pytest.mark.parametrize("sort", [SortKey.STARTED, SortKey.ENDED])
@pytest.mark.parametrize("status", [Status.ALL, Status.ENDED])
def test_paging_equals_order_by(
    tied_db: DbTarget, sort: SortKey, ascending: bool, status: Status
) -> None:
    flt = SessionFilter(status=status)

    async def run() -> tuple[list[str], list[str]]:
        store = await open_store(tied_db)
        try:
            return await _walk(store, flt, sort, ascending), await _expected(
                tied_db, flt, sort, ascending
            )
        finally:
            await store.close()

    got, want = asyncio.run(run())
    assert len(got) == len(set(got))
    assert got == want


def test_ended_sort_puts_active_sessions_after_every_ended_one(tied_db: DbTarget) -> None:
    """(Two ended sessions without an end time sort with them: nothing to order them by.)"""

    async def run() -> list[tuple[bool, bool]]:
        store = await open_store(tied_db)
        try:
            page = await store.list_sessions(SessionFilter(), SortKey.ENDED, limit=600)
            return [(r.active, r.ended_at is not None) for r in page.rows]
        finally:
            await store.close()

    rows = asyncio.run(run())
    first_active = [active for active, _ in rows].index(True)
    assert first_active > 0 and not any(active for active, _ in rows[:first_active])
    assert not any(has_end for _, has_end in rows[first_active:])


@pytest.mark.parametrize("sort", list(SortKey))
def test_ascending_is_the_descending_order_reversed(tied_db: DbTarget, sort: SortKey) -> None:
    """Duration included: both walks pin the same moment, so the orders mirror exactly."""

    async def run() -> tuple[list[str], list[str]]:
        store = await open_store(tied_db)
        try:
            down = await _walk(store, SessionFilter(), sort, False)
            up = await _walk(store, SessionFilter(), sort, True)
            return down, up
        finally:
            await store.close()

    down, up = asyncio.run(run())
    assert len(down) == 600 == len(set(down))
    if sort is not SortKey.DURATION:  # active sessions' durations grow between the walks
        assert up == down[::-1]
    else:
        assert set(up) == set(down)


@pytest.mark.parametrize("text", ["slack", "no such thing anywhere"])
@pytest.mark.parametrize("window", [37, 250, 5000])
def test_a_bounded_search_walked_window_by_window_is_the_whole_search(
    tied_db: DbTarget, text: str, window: int
) -> None:
    """Windows of `window` sessions (ties at a window's floor and rows without a start
    time included) give every match once, in the list's order."""
    flt = SessionFilter(search=text)

    async def run() -> tuple[list[str], list[str], int]:
        store = await open_store(tied_db)
        try:
            whole = await _walk(store, flt, SortKey.STARTED, False)
            got: list[str] = []
            cursor, windows = None, 0
            while True:
                page = await store.search_window(flt, cursor, PAGE, window)
                got.extend(r.id for r in page.rows)
                assert page.searched == window
                if page.next_cursor is not None:
                    cursor = page.next_cursor
                elif page.resume is not None:
                    assert len(page.rows) < PAGE + 1
                    cursor, windows = page.resume, windows + 1
                else:
                    return whole, got, windows
        finally:
            await store.close()

    whole, got, windows = asyncio.run(run())
    assert got == whole
    if text.startswith("no such"):
        assert not whole
        dated = 600 - 3  # a window covers at least `window` of them (ties at its floor too)
        assert (windows > 0) == (window < dated) and windows <= dated // window


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_a_narrowing_list_keeps_rows_without_a_start_time_where_the_order_puts_them(
    tied_db: DbTarget, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`list_sessions` first tries the newest `SEARCH_WINDOW` sessions for a search. The
    matches are one dated session in that window, one below it, and the three sessions
    without a start time, which a newest-first list puts last on SQLite and first on
    PostgreSQL: pages of `limit` must give them in that order, whichever try answers."""
    monkeypatch.setattr("tui.store.limits.SEARCH_WINDOW", 20)
    flt = SessionFilter(search="needle-agent")

    async def run() -> tuple[list[str], list[str]]:
        order = await _expected(tied_db, SessionFilter(), SortKey.STARTED, False)
        engine = make_engine(tied_db)
        try:
            async with engine.begin() as conn:
                undated = (
                    (await conn.execute(sa.select(s.c.id).where(s.c.started_at.is_(None))))
                    .scalars()
                    .all()
                )
                dated = [i for i in order if i not in set(map(str, undated))]
                picked = {dated[1], dated[200], *map(str, undated)}
                await conn.execute(
                    s.update().where(s.c.id.in_(picked)).values(ai_assistant_type="needle-agent")
                )
        finally:
            await engine.dispose()
        store = await open_store(tied_db)
        try:
            got: list[str] = []
            cursor = None
            while True:
                page = await store.list_sessions(flt, SortKey.STARTED, cursor, limit)
                got.extend(r.id for r in page.rows)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        finally:
            await store.close()
        return got, [i for i in order if i in picked]

    got, want = asyncio.run(run())
    assert len(want) == 5
    assert got == want
