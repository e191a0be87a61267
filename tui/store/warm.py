"""The dashboard's first page, read through the bare driver before SQLAlchemy is imported.

Importing SQLAlchemy's asyncio engine takes longer than the whole budget for rows on
screen after Textual's first frame. The default view (every session, newest
first) is one fixed statement, so it is compiled ahead of time (`_warm_sql.py`, kept
equal to `queries.list_statement` by a test) and run through the backend's bare
driver (`backends.driver_for`: sqlite3 or asyncpg), and decoded by the same
`codec` functions as the Store's column types.

It never reports an error: anything unusual (no file, an older schema, a lock, a
refused connection) returns None, and the Store, opened right after, shows the page
or says what is wrong. It never writes: SQLite is opened with mode=ro and PostgreSQL
in a read-only session.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
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

CHILD_TIMEOUT = WARM_TIMEOUT + 8.0
"""Seconds the child is given in all: its interpreter's start-up and imports, then the
read's own `WARM_TIMEOUT`; past that it is stopped and the Store reads the page."""


async def first_page(
    target: DbTarget,
    limit: int,
    wait: float = WARM_TIMEOUT,
    stale_after: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> Page | None:
    """The unfiltered first page, newest first, as `Store.list_sessions` returns it (its
    rows `idle` after `stale_after` at `now`, as the Store judges them); or None."""
    limit = _bounded(limit)
    try:
        raw = await driver_for(target.kind).first_rows(target, limit, wait)
        return _decoded(raw, limit, stale_after, now)
    except Exception:
        return None  # any failure means "take the normal path", which reports it


def _bounded(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def _decoded(
    raw: list[tuple[Any, ...]], limit: int, stale_after: timedelta, now: datetime | None
) -> Page | None:
    """The driver's rows as the page; None for none (an empty table, or not tried: the
    Store gives the right words)."""
    return _page(raw, limit, stale_after, now or utcnow()) if raw else None


def start(
    target: DbTarget,
    limit: int,
    stale_after: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> Future[Page | None]:
    """`first_page` begun at once, for the dashboard to pick up.

    The dashboard asks for it before it imports Textual (its imports, then the first
    frame's layout, during which a driver on the app's event loop would wait): a page
    read meanwhile is there when the screen mounts. Where the backend asks for it
    (`Driver.warm_apart`) and another core can run it (`_apart_possible`), the page is
    read by a child interpreter (`warm_child`): the driver's import, the connection and
    the decoding then run beside the dashboard's imports instead of taking the
    interpreter's lock from them, as on a thread of this process. Otherwise, or when no
    child can be started, it is read on a thread. Either way a daemon thread of this
    process waits for the page; the page only reads, so quitting before it is done
    loses nothing."""
    future: Future[Page | None] = Future()
    limit = _bounded(limit)
    wait: Callable[[], Page | None] | None = None
    if driver_for(target.kind).warm_apart and _apart_possible():
        wait = _in_child(target, limit, stale_after, now)
    if wait is None:
        wait = _threaded(target, limit, stale_after, now)

    def collect() -> None:
        try:
            future.set_result(wait())
        except BaseException:  # first_page declines rather than raises; this is the loop
            future.set_result(None)

    threading.Thread(target=collect, name="sessions-tui-warm", daemon=True).start()
    return future


def _apart_possible() -> bool:
    """More than one core to run on (on one, a child's work would take the dashboard's
    turn instead of running beside it), and an interpreter to start."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return bool(sys.executable) and (cores or 1) > 1


def _threaded(
    target: DbTarget, limit: int, stale_after: timedelta, now: datetime | None
) -> Callable[[], Page | None]:
    """The page read on the waiting thread itself (`Driver.first_rows_now`)."""

    def read() -> Page | None:
        try:
            raw = driver_for(target.kind).first_rows_now(target, limit, WARM_TIMEOUT)
        except Exception:
            return None  # as `first_page`: the Store, opened later, says why
        return _decoded(raw, limit, stale_after, now)

    return read


def _in_child(
    target: DbTarget, limit: int, stale_after: timedelta, now: datetime | None
) -> Callable[[], Page | None] | None:
    """The page's rows read by `warm_child` in a child interpreter started now, and
    decoded here as `first_page` decodes them; what the returned callable waits for.
    The child starts without `site` (`-S`) and imports this tool and its driver from
    this process's `sys.path`. The question, the password within it, goes through its
    stdin, never its command line or environment. A child that fails (an import hook
    `-S` left out, say) hands the read to the waiting thread; None when no child could
    be started."""
    import os
    import pickle
    import subprocess

    path = os.pathsep.join(entry for entry in sys.path if entry)
    try:
        child = subprocess.Popen(
            [sys.executable, "-S", "-m", "tui.store.warm_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
        )
    except OSError:  # no interpreter to be had (a process limit, a missing file)
        return None
    ask = pickle.dumps((target, limit, WARM_TIMEOUT), protocol=pickle.HIGHEST_PROTOCOL)

    def wait() -> Page | None:
        try:
            given, _ = child.communicate(ask, timeout=CHILD_TIMEOUT)
        except BaseException:  # past its time, or this process is on its way out
            child.kill()
            child.wait()
            return None
        if child.returncode != 0:
            return _threaded(target, limit, stale_after, now)()
        raw: list[tuple[Any, ...]] = pickle.loads(given) if given else []  # our own child's
        return _decoded(raw, limit, stale_after, now)

    return wait


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
