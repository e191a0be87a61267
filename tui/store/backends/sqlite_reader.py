"""The SQLite backend's hot reads: `sqlite3` connections, each plan run at once on the
event loop when it is short, else in one hop to a reading thread. No SQLAlchemy here
(see reader).

Each read is one call: BEGIN, every statement of the plan, ROLLBACK, so the file's
shared lock is held for the statements alone and never across a return to the event
loop, where the service's writers would wait on it for as long as the loop is busy.

A read the Store calls short (a keyset page, the incremental refresh) is tried on the
loop itself, on a connection that never waits for a lock (busy timeout 0), each of its
statements stopped once it has used `INLINE_CPU_S` of CPU (a progress handler):
no thread to wake and no loop to wake back, which on a busy machine cost more than
the page. A try that meets a lock or its limit is dropped (ROLLBACK) and the read
runs again from the top on a reading thread, where it may wait for a lock, at most
the busy timeout, while the screen goes on. The threads are as many as the Store's
engine allows connections at once, so a long count never queues a page behind it;
they are daemons, started on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tui.store.backends.reader import Plan, Query, Reader, Rows, drive
from tui.store.backends.sqlite_driver import decode_text, file_uri
from tui.store.backends.sqlite_fold import register as register_fold_like

T = TypeVar("T")

READ_THREADS = 5
"""Reads at once, as many as the engine's pool keeps (SQLAlchemy's default of 5): a
refresh's page and counts all wait on a lock side by side, none queued behind another's
busy timeout."""
INLINE_CPU_S = 0.002
"""The CPU a statement of a short read may use on the event loop before the read moves
to a reading thread: a page's statement is a fraction of it, and the screen never
notices it."""
PROGRESS_STEPS = 1000
"""SQLite virtual-machine steps between two looks at that limit."""
_GAVE_WAY = ("interrupted", "database is locked", "database table is locked")
"""What sqlite3 says of a try stopped by its limit or by another connection's lock."""


class SqliteReader(Reader):
    """`sqlite3` connections to one file, opened as the Store's engine opens its own:
    the same mode (`ro` when read-only, else `rw`: never created), busy timeout,
    `query_only` when read-only, FOLD_LIKE and the text decoding."""

    def __init__(self, path: Path, *, read_only: bool, busy_timeout_ms: int) -> None:
        self.reading = set()
        self._path = path
        self._read_only = read_only
        self._busy_timeout_ms = busy_timeout_ms
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._inline: sqlite3.Connection | None = None
        """The loop's own connection, busy timeout 0 (`_try_inline`)."""

    def _connect(self, busy_timeout_ms: int | None = None) -> sqlite3.Connection:
        mode = "ro" if self._read_only else "rw"
        busy_ms = self._busy_timeout_ms if busy_timeout_ms is None else busy_timeout_ms
        con = sqlite3.connect(
            file_uri(self._path, mode),
            uri=True,
            timeout=busy_ms / 1000,
            isolation_level=None,  # BEGIN and ROLLBACK are the reader's own
            check_same_thread=False,  # used by one thread at a time, whichever is free
        )
        try:
            register_fold_like(con)
            con.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            if self._read_only:
                con.execute("PRAGMA query_only = ON")
        except BaseException:
            con.close()
            raise
        return con

    def _take(self) -> sqlite3.Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _give(self, con: sqlite3.Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(con)
                return
        con.close()

    def _read(self, plan: Callable[[], Plan[T]]) -> T:
        """On a reading thread: the whole plan in one transaction."""
        con = self._take()
        kept = False
        try:
            con.execute("BEGIN")
            try:
                answer = drive(plan(), lambda query: _execute(con, query))
            finally:
                if con.in_transaction:
                    con.execute("ROLLBACK")  # a read keeps nothing; the lock goes at once
            kept = True
            return answer
        finally:
            if kept or not con.in_transaction:
                self._give(con)
            else:  # a ROLLBACK that failed leaves a connection nobody should reuse
                con.close()

    async def run(
        self,
        plan: Callable[[], Plan[T]],
        *,
        setup: Sequence[str] = (),
        snapshot: bool = False,
        short: bool = False,
    ) -> T:
        """`setup` and `snapshot` ask nothing of SQLite: a read transaction is one
        snapshot, and there is no server to spare."""
        if short and not self._closed:
            done, answer = self._try_inline(plan)
            if done:
                return answer  # type: ignore[return-value]
        return await self._in_thread(plan)

    def _try_inline(self, plan: Callable[[], Plan[T]]) -> tuple[bool, T | None]:
        """The plan on the loop's connection: (True, its answer), or (False, None) when
        a lock or the CPU limit stopped it (nothing of it is kept)."""
        if self._inline is None:
            self._inline = self._connect(busy_timeout_ms=0)
            # The schema is read once, here, not within the first statement's limit.
            with contextlib.suppress(sqlite3.OperationalError):  # locked: read later
                self._inline.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        con = self._inline
        # Each statement's own limit, none outside them: building the next statement or
        # decoding rows is not SQLite's time, and BEGIN and ROLLBACK are never stopped
        # (a ROLLBACK stopped would leave the connection in its transaction, and every
        # later try would fail on BEGIN).
        deadline = [math.inf]

        def statement(query: Query) -> Rows:
            deadline[0] = time.thread_time() + INLINE_CPU_S
            try:
                return _execute(con, query)
            finally:
                deadline[0] = math.inf

        con.set_progress_handler(lambda: time.thread_time() > deadline[0], PROGRESS_STEPS)
        try:
            con.execute("BEGIN")
            try:
                return True, drive(plan(), statement)
            finally:
                if con.in_transaction:
                    con.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if str(exc).startswith(_GAVE_WAY):
                return False, None
            raise
        finally:
            con.set_progress_handler(None, 0)

    async def _in_thread(self, plan: Callable[[], Plan[T]]) -> T:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if len(self._threads) < READ_THREADS:
                thread = threading.Thread(target=self._work, name="sessions-tui-read", daemon=True)
                self._threads.append(thread)
                thread.start()
        self._jobs.put(_Job(lambda: self._read(plan), loop, answer))
        return await answer

    def _work(self) -> None:
        """A reading thread: a daemon, so quitting never waits for a read queued behind
        a lock (it would wait out the busy timeout); its answer is dropped then."""
        while (job := self._jobs.get()) is not None:
            job.run()

    async def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            threads = len(self._threads)
        if self._inline is not None:
            idle.append(self._inline)
            self._inline = None
        for con in idle:
            con.close()
        for _ in range(threads):
            self._jobs.put(None)


class _Job:
    """One read for a reading thread, and where its answer goes."""

    __slots__ = ("answer", "call", "loop")

    def __init__(
        self, call: Callable[[], Any], loop: asyncio.AbstractEventLoop, answer: asyncio.Future[Any]
    ) -> None:
        self.call, self.loop, self.answer = call, loop, answer

    def run(self) -> None:
        try:
            result = self.call()
        except BaseException as exc:  # handed to the awaiting task, which raises it
            self._hand(_fail, exc)
        else:
            self._hand(_succeed, result)

    def _hand(self, how: Callable[[asyncio.Future[Any], Any], None], value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            self.loop.call_soon_threadsafe(how, self.answer, value)


def _succeed(answer: asyncio.Future[Any], value: Any) -> None:
    if not answer.done():  # a cancelled wait drops the answer
        answer.set_result(value)


def _fail(answer: asyncio.Future[Any], exc: BaseException) -> None:
    if not answer.done():
        answer.set_exception(exc)


def _execute(con: sqlite3.Connection, query: Query) -> Rows:
    """The statement's rows, TEXT decoded as the engine's connections decode it
    (`decode_text`). sqlite3's own decoding, in C, is tried first: it refuses a value
    that is not UTF-8, and only then is the statement read again through
    `decode_text`, a Python call per value."""
    try:
        return _fetch(con, query)
    except sqlite3.OperationalError as exc:
        if not str(exc).startswith(_NOT_UTF8):
            raise
    con.text_factory = decode_text
    try:
        return _fetch(con, query)
    finally:
        con.text_factory = str


_NOT_UTF8 = "Could not decode to UTF-8"
"""How sqlite3 refuses a TEXT value that is not UTF-8."""


def _fetch(con: sqlite3.Connection, query: Query) -> Rows:
    sql, args = query
    cursor = con.execute(sql, args)
    try:
        data = cursor.fetchall()
        names = [d[0] for d in cursor.description or ()]
    finally:
        cursor.close()
    return Rows(names, data)
