"""The dashboard's first page, read through the bare driver before SQLAlchemy is imported.

Importing SQLAlchemy's asyncio engine takes longer than the whole budget for rows on
screen after Textual's first frame. The default view (every session, newest
first) is one fixed statement, so it is compiled ahead of time (`_warm_sql.py`, kept
equal to `queries.list_statement` by a test) and run through the backend's bare
driver (`backends.driver_for`: aiosqlite or asyncpg), and decoded by the same
`codec` functions as the Store's column types.

It never reports an error: anything unusual (no file, an older schema, a lock, a
refused connection) returns None, and the Store, opened right after, shows the page
or says what is wrong. It never writes: SQLite is opened with mode=ro and PostgreSQL
in a read-only session.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from tui.domain.models import Cursor, Page
from tui.domain.timefmt import utcnow
from tui.store import _warm_sql as sql
from tui.store.backends import driver_for
from tui.store.codec import DUPLICATE_COLUMN, decode_list_row, text_id
from tui.store.target import DbTarget

WARM_TIMEOUT = 2.0
"""Seconds to wait for a lock or a server; past that the Store's own, longer timeouts apply."""

MAX_LIMIT = 10_000


async def first_page(
    target: DbTarget,
    limit: int,
    wait: float = WARM_TIMEOUT,
    stale_after: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> Page | None:
    """The unfiltered first page, newest first, as `Store.list_sessions` returns it (its
    rows `idle` after `stale_after` at `now`, as the Store judges them); or None."""
    limit = max(1, min(limit, MAX_LIMIT))
    try:
        raw = await driver_for(target.kind).first_rows(target, limit, wait)
        if not raw:
            return None  # an empty table, or not tried: the Store gives the right words
        return _page(raw, limit, stale_after, now or utcnow())
    except Exception:
        return None  # any failure means "take the normal path", which reports it


def start(
    target: DbTarget,
    limit: int,
    stale_after: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> Future[Page | None]:
    """`first_page` begun at once on a thread of its own, for the dashboard to pick up.

    The dashboard asks for it before it imports Textual (its imports, then the
    first frame's layout, during which a driver on the app's event loop would wait): a
    page read meanwhile is there when the screen mounts. The thread is a daemon and the
    page only reads, so quitting before it is done loses nothing."""
    future: Future[Page | None] = Future()

    def read() -> None:
        try:
            page = asyncio.run(first_page(target, limit, stale_after=stale_after, now=now))
            future.set_result(page)
        except BaseException:  # first_page declines rather than raises; this is the loop
            future.set_result(None)

    threading.Thread(target=read, name="sessions-tui-warm", daemon=True).start()
    return future


def _page(raw: list[tuple[Any, ...]], limit: int, stale_after: timedelta, now: datetime) -> Page:
    names = sql.COLUMNS
    rows = [
        decode_list_row(dict(zip(names, r, strict=True))).with_idle(now, stale_after)
        for r in raw[:limit]
    ]
    cursor = None
    if len(raw) > limit:
        last = dict(zip(names, raw[limit - 1], strict=True))
        cursor = Cursor(key=last["_sort_key"], id=text_id(last["id"]) or "")
    mark = names.index(DUPLICATE_COLUMN)
    unknown = any(r[mark] is None for r in raw[:limit])  # compiled without the mark
    return Page(rows=rows, next_cursor=cursor, duplicates_unknown=unknown)
