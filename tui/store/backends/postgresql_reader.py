"""The PostgreSQL backend's hot reads: asyncpg connections of the Store's own, each
plan on the event loop. No SQLAlchemy here (see reader).

asyncpg prepares each statement text once per connection and keeps it (its statement
cache), so a page read again costs one round trip: the plan's SQL is the same text
for every value (`tui.store.hot`). The connections carry the engine's settings
(`connect_options`: read-only, the statement timeout, the URL's libpq parameters) and
are reused without asyncpg's pool, whose reset on every release is a round trip of
its own: a plan changes no session setting (`SET LOCAL` ends with its transaction).
A read runs in a transaction only where it must: a snapshot (REPEATABLE READ) or a
setting for its statements (`setup`). Otherwise each statement is its own, as each has
its own snapshot in a READ COMMITTED transaction anyway: no BEGIN and COMMIT round trips.
Where it must, BEGIN and the settings go in one round trip (the simple query protocol
takes several statements).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from tui.store.backends.postgresql_driver import connect_options
from tui.store.backends.reader import Plan, Reader, Rows
from tui.store.target import DbTarget

if TYPE_CHECKING:
    import asyncpg

T = TypeVar("T")

CONNECTIONS = 5
"""Reads at once, as many as the Store's engine opens (its pool of 3 and 2 more): a
refresh's page and counts all run side by side."""
CONNECT_TIMEOUT_S = 10.0
"""As the engine's (`PostgresqlBackend.make_engine`), unless the URL says otherwise."""


class PostgresqlReader(Reader):
    """Up to `CONNECTIONS` asyncpg connections to `target`, opened on demand."""

    def __init__(
        self, target: DbTarget, *, read_only: bool, statement_timeout_ms: int | None
    ) -> None:
        self.reading = set()
        self._target = target
        settings = {"statement_timeout": str(statement_timeout_ms)} if statement_timeout_ms else {}
        self._options = connect_options(
            target, read_only=read_only, timeout=CONNECT_TIMEOUT_S, settings=settings
        )
        self._idle: list[asyncpg.Connection] = []
        self._slots = asyncio.Semaphore(CONNECTIONS)
        self._closed = False

    async def _connect(self) -> asyncpg.Connection:
        import asyncpg

        t = self._target
        return await asyncpg.connect(
            host=t.host,
            port=t.port,
            user=t.username,
            password=t.password,
            database=t.database,
            **self._options,
        )

    async def run(
        self,
        plan: Callable[[], Plan[T]],
        *,
        setup: Sequence[str] = (),
        snapshot: bool = False,
        short: bool = False,
    ) -> T:
        """A connection kept idle may have died (a server restart, a dropped network):
        found so before the plan's first answer, the plan runs once more on a new one,
        as the engine's pre-ping would have replaced it."""
        async with self._slots:
            reused = bool(self._idle)
            con = self._idle.pop() if reused else await self._connect()
            try:
                return await self._run_on(con, plan, setup, snapshot)
            except Exception as exc:
                if not (reused and _dead(con, exc)):
                    raise
            con = await self._connect()
            return await self._run_on(con, plan, setup, snapshot)

    async def _run_on(
        self,
        con: asyncpg.Connection,
        plan: Callable[[], Plan[T]],
        setup: Sequence[str],
        snapshot: bool,
    ) -> T:
        pid = con.get_server_pid()
        self.reading.add(pid)
        clean = False
        try:
            if snapshot or setup:  # BEGIN and the settings in one round trip
                begin = "BEGIN ISOLATION LEVEL REPEATABLE READ" if snapshot else "BEGIN"
                await con.execute(";\n".join((begin, *setup)))
                try:
                    answer = await _drive(con, plan())
                except Exception:
                    with contextlib.suppress(Exception):
                        await con.execute("ROLLBACK")
                    raise
                await con.execute("ROLLBACK")  # a read keeps nothing
            else:  # READ COMMITTED gives each statement its own snapshot in a transaction too
                answer = await _drive(con, plan())
            clean = True
            return answer
        except Exception:
            clean = not con.is_closed() and not con.is_in_transaction()
            raise
        finally:
            self.reading.discard(pid)
            if clean and not self._closed:
                self._idle.append(con)
            else:  # cancelled mid-statement, or closed meanwhile: never reused
                con.terminate()

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for con in idle:
            with contextlib.suppress(Exception):
                await con.close(timeout=2)


async def _drive(con: asyncpg.Connection, plan: Plan[T]) -> T:
    try:
        query = next(plan)
        while True:
            sql, args = query
            records = await con.fetch(sql, *args)
            names: Sequence[str] = list(records[0].keys()) if records else ()
            query = plan.send(Rows(names, records))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        plan.close()


def _dead(con: Any, exc: BaseException) -> bool:
    """The connection is gone (not the statement refused): worth a new one."""
    if con.is_closed():
        return True
    name = type(exc).__name__
    return name in {"ConnectionDoesNotExistError", "InterfaceError"} or isinstance(
        exc, (ConnectionError, OSError)
    )
