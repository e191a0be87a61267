"""Counts over a search's window (`Store.reason_counts_in`, `Store.stuck_counts_in`):
the exact counts of the newest sessions a search of that window covers, on both backends.
"""

from __future__ import annotations

import asyncio

import pytest
from msgspec.structs import replace

from tests.support.templates import ServiceTemplates
from tui.domain.models import SessionFilter, SessionRow, SortKey
from tui.store.store import Store, make_engine, open_store
from tui.store.tables import sessions
from tui.store.target import DbTarget

WINDOW = 200


@pytest.fixture
def owned_db(
    db_url: str, service_templates: ServiceTemplates, request: pytest.FixtureRequest
) -> DbTarget:
    """600 demo sessions on today's service schema (users own most conversations)."""
    server = None if db_url.startswith("sqlite") else request.getfixturevalue("pg_server")
    return service_templates.copy(db_url, server, sessions=600, era="v0.7")


async def _newest_first(store: Store) -> list[SessionRow]:
    """Every session in the list's order, newest first (sessions without a start time
    where the backend's order puts them)."""
    rows: list[SessionRow] = []
    cursor = None
    while True:
        page = await store.list_sessions(SessionFilter(), SortKey.STARTED, cursor, 500)
        rows.extend(page.rows)
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


def _window_ids(rows: list[SessionRow], window: int) -> frozenset[str]:
    """The sessions a search of `window` covers from the top of the list: the rows down
    to the `window`-th dated one and its ties, with those without a start time that the
    list shows before it."""
    dated = 0
    floor = None
    out: set[str] = set()
    for row in rows:
        if row.started_at is None:
            if floor is None:  # above the window's floor in the list: read by the search
                out.add(row.id)
            continue
        if floor is not None and row.started_at < floor:
            break
        out.add(row.id)
        dated += 1
        if dated == window:
            floor = row.started_at
    return frozenset(out)


@pytest.mark.parametrize(
    "flt",
    [
        SessionFilter(search="a"),
        SessionFilter(user="ada"),
        SessionFilter(search="e", user="ada", reasons=frozenset({"reset-requested"})),
    ],
    ids=["text", "user", "text-and-user"],
)
def test_window_counts_are_the_exact_counts_of_the_windows_sessions(
    owned_db: DbTarget, flt: SessionFilter
) -> None:
    """Reason and stuck counts over the newest WINDOW sessions equal the exact counts
    under the same filter restricted to those sessions (the reasons aside, as always)."""

    async def run() -> None:
        store = await open_store(owned_db)
        try:
            ids = _window_ids(await _newest_first(store), WINDOW)
            assert len(ids) >= WINDOW
            inside = replace(flt, ids=ids)
            facets = await store.reason_counts_in(flt, WINDOW)
            exact = await store.reason_counts(inside)
            assert facets.window == WINDOW
            assert facets.groups == exact.groups
            assert 0 < facets.total < (await store.reason_counts(flt)).total
            stuck, window = await store.stuck_counts_in(flt, WINDOW)
            assert window == WINDOW
            assert stuck == await store.stuck_counts(inside)
        finally:
            await store.close()

    asyncio.run(run())


def test_a_session_below_the_window_is_counted_once_the_window_widens(
    owned_db: DbTarget,
) -> None:
    """A match just below the window is not in its counts; a window twice as wide
    counts it, and a window past the last session counts the whole table (`window`
    None: the exact counts)."""

    async def run() -> None:
        store = await open_store(owned_db)
        try:
            rows = await _newest_first(store)
            ids = _window_ids(rows, WINDOW)
            below = next(r for r in rows[len(ids) + 5 :] if r.started_at is not None)
        finally:
            await store.close()
        engine = make_engine(owned_db)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    sessions.update()
                    .where(sessions.c.id == below.id)
                    .values(ai_assistant_type="needle-below")
                )
        finally:
            await engine.dispose()
        flt = SessionFilter(search="needle-below")
        store = await open_store(owned_db)
        try:
            narrow = await store.reason_counts_in(flt, WINDOW)
            assert (narrow.total, narrow.window) == (0, WINDOW)
            wide = await store.reason_counts_in(flt, 2 * WINDOW)
            assert (wide.total, wide.window) == (1, 2 * WINDOW)
            whole = await store.reason_counts_in(flt, 10 * len(rows))
            assert whole.window is None
            assert whole == await store.reason_counts(flt)
            stuck, window = await store.stuck_counts_in(flt, 10 * len(rows))
            assert window is None
            assert stuck == await store.stuck_counts(flt)
        finally:
            await store.close()

    asyncio.run(run())


def test_an_active_session_below_the_window_joins_the_stuck_counts_when_it_widens(
    owned_db: DbTarget,
) -> None:
    """The stuck counts follow the same window: an active session below it, in every
    kind its row can be in, counts only once the window reaches it."""

    async def run() -> None:
        store = await open_store(owned_db)
        try:
            rows = await _newest_first(store)
            ids = _window_ids(rows, WINDOW)
            below = next(
                r for r in rows[len(ids) + 5 :] if r.started_at is not None and r.active and r.stuck
            )
        finally:
            await store.close()
        engine = make_engine(owned_db)
        try:
            async with engine.begin() as conn:
                stmt = sessions.update().where(sessions.c.id == below.id)
                await conn.execute(stmt.values(ai_assistant_type="needle-stuck"))
        finally:
            await engine.dispose()
        flt = SessionFilter(search="needle-stuck")
        store = await open_store(owned_db)
        try:
            narrow, _ = await store.stuck_counts_in(flt, WINDOW)
            wide, window = await store.stuck_counts_in(flt, 2 * WINDOW)
            assert window == 2 * WINDOW
            kinds = set(below.stuck)
            assert all(narrow[k] == 0 for k in kinds)
            assert all(wide[k] == 1 for k in kinds)
            assert wide == await store.stuck_counts(flt)
        finally:
            await store.close()

    asyncio.run(run())
