"""The dashboard's first page, read through the bare driver before SQLAlchemy is imported.

Importing SQLAlchemy's asyncio engine takes ~240 ms, more than the whole budget for
rows on screen after Textual's first frame. The default view (every session, newest
first) is one fixed statement, so it is compiled ahead of time (`_warm_sql.py`, kept
equal to `queries.list_statement` by a test) and run through aiosqlite or asyncpg,
and decoded by the same `codec` functions as the Store's column types.

It never reports an error: anything unusual (no file, an older schema, a lock, a
refused connection) returns None, and the Store, opened right after, shows the page
or says what is wrong. It never writes: SQLite is opened with mode=ro and PostgreSQL
in a read-only session.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from tui.domain.models import Cursor, Page
from tui.store import _warm_sql as sql
from tui.store.codec import decode_list_row, text_id
from tui.store.target import DbTarget, pg_server_settings

WARM_TIMEOUT = 2.0
"""Seconds to wait for a lock or a server; past that the Store's own, longer timeouts apply."""

MAX_LIMIT = 10_000


def _params(spec: tuple[Any, ...], limit: int) -> list[Any]:
    return [limit + 1 if p == "limit" else p for p in spec]


async def _sqlite(target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
    import aiosqlite

    if target.path is None or not target.path.is_file():
        return []
    uri = f"file:{quote(str(target.path))}?mode=ro"
    async with aiosqlite.connect(uri, uri=True, timeout=wait, isolation_level=None) as db:
        rows = await db.execute_fetchall(sql.SQLITE_SQL, _params(sql.SQLITE_PARAMS, limit))
    return [tuple(r) for r in rows]


async def _postgresql(target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
    if target.query:
        return []  # connection options the Store passes through SQLAlchemy: let it connect
    import asyncpg

    conn = await asyncpg.connect(
        host=target.host,
        port=target.port,
        user=target.username,
        password=target.password,
        database=target.database,
        ssl=target.ssl,
        timeout=wait,
        server_settings=pg_server_settings(read_only=True),
    )
    try:
        records = await conn.fetch(
            sql.POSTGRESQL_SQL, *_params(sql.POSTGRESQL_PARAMS, limit), timeout=wait
        )
    finally:
        with contextlib.suppress(Exception):
            await conn.close(timeout=wait)
    return [tuple(r) for r in records]


async def first_page(target: DbTarget, limit: int, wait: float = WARM_TIMEOUT) -> Page | None:
    """The unfiltered first page, newest first, as `Store.list_sessions` returns it; or None."""
    limit = max(1, min(limit, MAX_LIMIT))
    try:
        if target.kind == "sqlite":
            raw = await _sqlite(target, limit, wait)
        else:
            raw = await _postgresql(target, limit, wait)
        if not raw:
            return None  # an empty table, or not tried: the Store gives the right words
        return _page(raw, limit)
    except Exception:
        return None  # any failure means "take the normal path", which reports it


def _page(raw: list[tuple[Any, ...]], limit: int) -> Page:
    names = sql.COLUMNS
    rows = [decode_list_row(dict(zip(names, r, strict=True))) for r in raw[:limit]]
    cursor = None
    if len(raw) > limit:
        last = dict(zip(names, raw[limit - 1], strict=True))
        cursor = Cursor(key=last["_sort_key"], id=text_id(last["id"]) or "")
    return Page(rows=rows, next_cursor=cursor)
