"""`Driver`: the bare-driver side of a backend, for the warm first page and the Store's hot
reads (`reader`). No SQLAlchemy here.

The warm page (`tui.store.warm`) runs the statement `warm_gen` compiled ahead of
time through sqlite3 or asyncpg directly, before SQLAlchemy is imported, so this
module and its implementations (`*_driver.py`) import nothing from SQLAlchemy nor
from the SQLAlchemy side of their backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from tui.store.errors import StoreError
from tui.store.target import DbTarget

if TYPE_CHECKING:
    from tui.store.backends.reader import Reader


class Driver(ABC):
    """How one database is addressed (its URL read, shown, known to be missing), how its
    driver's errors read, and its warm first page, read through its own asyncio driver."""

    zone_sql: str | None = None
    """A query for the zone the service writes its zone-less timestamps in, which
    `warm_gen` folds into the compiled statement as a subquery (so the warm page is one
    statement: no round trip of its own); None where they are stored as UTC."""

    warm_apart = False
    """Whether the warm page is read by a child interpreter (`warm.start`): where the
    driver's import and protocol, run on a thread, would hold the interpreter's lock
    while the dashboard imports Textual. Otherwise it is read on a thread."""

    @abstractmethod
    def display(self, target: DbTarget) -> str:
        """What the header and every message call the database: never its password."""

    @abstractmethod
    def secret_url(self, target: DbTarget) -> str:
        """A URL that `url_target` reads back as this same database, password included:
        for a child process's environment only (never its command line, never a screen)."""

    @abstractmethod
    def missing(self, target: DbTarget) -> bool:
        """Whether the database is known not to exist before connecting to it."""

    @abstractmethod
    def error(
        self,
        target: DbTarget,
        exc: BaseException,
        *,
        timeout: tuple[str, str, str, str] | None = None,
    ) -> StoreError:
        """`exc`, raised by this backend's driver (or SQLAlchemy over it) on `target`, as
        the one line an operator reads (`errors`): its password scrubbed (`DbTarget.scrub`),
        its true cause where the message alone misleads. `timeout` is the statement
        timeout in force (`Catalog.timeout`: value, source, role, database), for saying
        where a timeout came from."""

    @abstractmethod
    def parse_url(self, raw: str, rest: str, source: str) -> DbTarget:
        """The database the URL `raw` names (`rest` is what follows its `://`), for a URL
        whose scheme is this backend's (`backends.SCHEMES`). Raises BadTarget, naming
        `source` (where the URL came from), for a URL this tool cannot honour."""

    @abstractmethod
    async def first_rows(self, target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
        """The first `limit` + 1 rows of the compiled statement, read-only, giving up
        after `wait` seconds; [] when this driver declines to try. May raise."""

    def first_rows_now(self, target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
        """`first_rows` on the calling thread, one with no event loop of its own running
        (the warm page's: `warm.start`); its own loop unless the driver blocks anyway."""
        import asyncio

        return asyncio.run(self.first_rows(target, limit, wait))

    @abstractmethod
    def reader(
        self,
        target: DbTarget,
        *,
        read_only: bool,
        lock_wait_ms: int,
        statement_timeout_ms: int | None,
    ) -> Reader:
        """The Store's hot reads on this driver (`reader.Reader`), its connections set up
        as `Backend.make_engine` sets up the engine's with the same arguments."""


def bind(spec: tuple[Any, ...], limit: int) -> list[Any]:
    """The compiled statement's parameters, with the page size (plus one) put where
    `warm_gen` marked "limit"."""
    return [limit + 1 if p == "limit" else p for p in spec]
