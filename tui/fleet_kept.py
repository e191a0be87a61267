"""The overview's readings: each deployment's store kept open between its readings.

A `KeptStore` opens its deployment's database read-only at the first reading and keeps
it for the next ones; each reading runs within `deployment_timeout` (connecting
included, when it connects). While no store is open, a SQLite deployment's headline is
read without one (`KeptStore.first`: on the bare driver, as a short read, its connection
closed when the store opens for the rest of the reading, not before the headline is
told). A failed reading closes the store and the next one opens it again, as does a
SQLite file replaced or deleted at its path.

A `Fleet` holds one per deployment and reads each in two parts: its `Headline` (version
and active count), told as soon as it is read, then the costlier counts of its
`Snapshot`. Those pass a gate one deployment at a time (`COUNTING_AT_ONCE`), and only
while no first part of a SQLite deployment is being read: a SQLite reading is this
host's CPU, so the cheap first answers come before any costlier count takes it. A
server's first part holds nothing back (a hung server costs its own row only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from time import monotonic
from typing import TYPE_CHECKING, Any, TypeVar

from tui.fleet import CLOSE_WITHIN, Reading, ReadOptions

if TYPE_CHECKING:
    from tui.deployments import Deployment
    from tui.domain.snapshot import Headline, Snapshot
    from tui.store.backends.reader import Reader
    from tui.store.store import Store
    from tui.store.target import DbTarget

T = TypeVar("T")

COUNTING_AT_ONCE = 1
"""Deployments whose costlier counts are read at the same time."""


class KeptStore:
    """One deployment's store, kept open between readings."""

    def __init__(self, deployment: Deployment, options: ReadOptions) -> None:
        self.deployment = deployment
        self.options = options
        self.store: Store | None = None
        """The open store, None before the first reading and after a failed one."""
        self.opens = 0
        """How many times a store was opened for it."""
        self._reading: asyncio.Future[Any] | None = None
        """The last reading: a store is never closed under one."""
        self._bare: Reader | None = None
        """The bare reader of the headlines read without a store (`first`), open until
        the store opens or a reading fails."""

    @property
    def local(self) -> bool:
        """Whether its database is a SQLite file, read by this host's CPU."""
        from tui.store.errors import StoreError

        try:
            return self.deployment.target().kind == "sqlite"
        except StoreError:
            return False

    async def read(self, work: Callable[[Store], Awaitable[T]]) -> Reading[T]:
        """`work` on the kept store (opened first when there is none), within
        `options.within` seconds; after a failure the store is closed. A caller that
        is cancelled leaves the reading to end by itself (within its timeout): a
        statement is never cut off under its connection, which the store's close then
        waits for (`shut`)."""

        async def on_store(target: DbTarget) -> T:
            return await work(await self._open(target))

        return await self._run(on_store)

    async def first(self) -> Reading[Headline]:
        """The headline (`snapshot.read_headline`) as `read` reads it, but while no
        store is open, read without opening one where the backend can
        (`headline.read_bare`: the catalog and the count on the bare driver); the next
        `read` opens the store, and closes the bare reader then. A bare reading runs in
        the caller's task (no store to keep from a cancelled caller): one short enough
        for the event loop answers before the loop turns to anything else (a first
        paint)."""
        from tui.store.snapshot import read_headline

        if self.store is not None:
            return await self.read(read_headline)
        if self._reads_bare():
            return await self._read(self._read_bare)

        async def opened(target: DbTarget) -> Headline:
            return await read_headline(await self._open(target))

        return await self._run(opened)

    def _reads_bare(self) -> bool:
        from tui.store.errors import StoreError
        from tui.store.headline import reads_bare

        try:
            return reads_bare(self.deployment.target())
        except StoreError:
            return False  # the reading says why

    async def _read_bare(self, target: DbTarget) -> Headline:
        from tui.store.headline import bare_reader, read_bare

        if self._bare is None:
            self._bare = bare_reader(target)
        return await read_bare(target, self._bare)

    async def _run(self, call: Callable[[DbTarget], Awaitable[T]]) -> Reading[T]:
        reading = asyncio.ensure_future(self._read(call))
        self._reading = reading
        return await asyncio.shield(reading)

    async def _read(self, call: Callable[[DbTarget], Awaitable[T]]) -> Reading[T]:
        from tui.store.errors import StoreError

        started = monotonic()
        try:
            target = self.deployment.target()
        except StoreError as exc:
            await self.close()
            return Reading(self.deployment, error=str(exc), seconds=monotonic() - started)
        within = self.options.within
        try:
            async with asyncio.timeout(within):
                value = await call(target)
        except TimeoutError:
            await self.close()
            why = f"no answer within {within:g} s"
            return Reading(self.deployment, error=why, seconds=monotonic() - started)
        except (StoreError, OSError) as exc:
            await self.close()
            message = target.scrub(str(target.error(exc)))
            return Reading(self.deployment, error=message, seconds=monotonic() - started)
        return Reading(self.deployment, value=value, seconds=monotonic() - started)

    async def _open(self, target: DbTarget) -> Store:
        """The kept store; a new one when there is none or its file left the path."""
        from tui.store.store import open_store

        if self.store is not None and self.store.file_changed() is not None:
            await self.close()
        if self.store is None:
            await self._close_bare()
            store = await open_store(
                target,
                read_only=True,
                stale_after=self.options.stale_after,
                statement_timeout=self.options.statement_timeout,
            )
            store.run_quiet_after = self.options.run_quiet_after
            self.store = store
            self.opens += 1
        return self.store

    async def shut(self) -> None:
        """At the end: the reading still running left to end, then the store closed,
        each bounded by `CLOSE_WITHIN`."""
        if self._reading is not None and not self._reading.done():
            await asyncio.wait({self._reading}, timeout=CLOSE_WITHIN)
        await self.close()

    async def close(self) -> None:
        """The store (and the bare reader) closed, bounded by `CLOSE_WITHIN` (a dropped
        server can hang it)."""
        from tui.store.errors import StoreError

        await self._close_bare()
        store, self.store = self.store, None
        if store is None:
            return
        try:
            async with asyncio.timeout(CLOSE_WITHIN):
                await store.close()
        except (TimeoutError, StoreError, OSError):
            pass  # the connection is gone either way

    async def _close_bare(self) -> None:
        bare, self._bare = self._bare, None
        if bare is not None:
            await bare.close()  # SQLite's: its connections closed, nothing awaited


class Fleet:
    """Every deployment's kept store, by name, and the gate of the costlier counts."""

    def __init__(self, deployments: Sequence[Deployment], options: ReadOptions) -> None:
        self.kept = {d.name: KeptStore(d, options) for d in deployments}
        self.counting = asyncio.Semaphore(COUNTING_AT_ONCE)
        """Held while a deployment's costlier counts are read."""
        self._local_firsts = 0
        self._no_local_first = asyncio.Event()
        self._no_local_first.set()

    async def read(
        self, name: str, told: Callable[[Reading[Headline]], object]
    ) -> Reading[Snapshot] | None:
        """One reading of deployment `name`: its headline's reading, given to `told` as
        soon as it is read, then the whole reading; None when the first part failed
        (`told` has its error)."""
        from tui.store.snapshot import read_rest

        kept = self.kept[name]
        local = kept.local
        if local:
            self._local_firsts += 1
            self._no_local_first.clear()
        try:
            first = await kept.first()
        finally:
            if local:
                self._local_firsts -= 1
                if not self._local_firsts:
                    self._no_local_first.set()
        told(first)
        if first.value is None:
            return None
        await self._no_local_first.wait()
        async with self.counting:
            return await kept.read(partial(read_rest, headline=first.value))

    async def close(self) -> None:
        """Every store closed once its reading has ended."""
        await asyncio.gather(*(kept.shut() for kept in self.kept.values()))
