"""`InFlight`, through which the app's workers call the store: a call answered without
waiting takes no turn of the event loop, one that waits runs to its end whether or not
its caller still waits for it."""

from __future__ import annotations

import asyncio

import pytest

from tui.app.data import InFlight
from tui.domain.models import Page, SessionFilter, Status
from tui.store.backends import sqlite_reader
from tui.store.store import open_store
from tui.store.target import DbTarget


async def test_a_call_answered_at_once_takes_no_turn_of_the_loop(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page the store answers without waiting (SQLite: a short read, on the loop) is
    the caller's in the same turn of the event loop: no frame and no other worker runs
    between the ask and the answer. A read that waits (a search window on SQLite's
    reading thread; any read on PostgreSQL) is answered once it is done. The rows are
    the store's either way. (The short read's CPU limit is lifted: this file has none
    of the tool's indexes, so a page sorts the table, which a loaded machine may take
    past the limit to a reading thread.)"""
    monkeypatch.setattr(sqlite_reader, "INLINE_CPU_S", 60.0)
    store = await open_store(service_db, read_only=True)
    run = InFlight()
    loop = asyncio.get_running_loop()
    try:
        flt = SessionFilter(status=Status.ENDED)
        expected = [row.id for row in (await store.list_sessions(flt, limit=20)).rows]
        turns: list[str] = []
        loop.call_soon(turns.append, "a turn of the loop")
        page = await run.run(store.list_sessions(flt, limit=20))
        assert [row.id for row in page.rows] == expected
        if service_db.kind == "sqlite":
            assert turns == [], "answered within the caller's turn"
            assert len(run) == 0, "never in flight"

        search = SessionFilter(search="a")
        direct = await store.search_window(search, None, 10, 100)
        turns.clear()
        loop.call_soon(turns.append, "a turn of the loop")
        waited = await run.run(store.search_window(search, None, 10, 100))
        assert turns, "the search waited for its reading thread or the server"
        assert [r.id for r in waited.rows] == [r.id for r in direct.rows]
        assert (waited.searched, waited.resume) == (direct.searched, direct.resume)
    finally:
        await run.settle(5)
        await store.close()


async def test_a_waiting_call_runs_to_its_end_when_its_caller_stops_waiting(
    service_db: DbTarget,
) -> None:
    """The caller cancelled while the store call waits: the call runs on (in flight until
    it is done, its answer dropped), the caller alone is cancelled, and the store
    answers the next call as before."""
    store = await open_store(service_db, read_only=True)
    run = InFlight()
    try:
        search = SessionFilter(search="a")
        asked = asyncio.Event()

        async def call() -> Page:
            asked.set()
            return await store.search_window(search, None, 10, 100)

        caller = asyncio.ensure_future(run.run(call()))
        await asked.wait()  # the caller's first step is done: the call waits on its own
        caller.cancel()
        await asyncio.gather(caller, return_exceptions=True)
        assert caller.cancelled()
        assert len(run) == 1, "the store call itself runs on"
        await run.settle(30)
        assert len(run) == 0, "and ends"
        page = await run.run(store.list_sessions(SessionFilter(status=Status.ENDED), limit=5))
        assert len(page.rows) == 5
    finally:
        await run.settle(5)
        await store.close()
