"""`Driver`: the bare-driver side of a backend, for the warm first page. No SQLAlchemy here.

The warm page (`tui.store.warm`) runs the statement `warm_gen` compiled ahead of
time through aiosqlite or asyncpg directly, before SQLAlchemy is imported, so this
module and its implementations (`*_driver.py`) import nothing from SQLAlchemy nor
from the SQLAlchemy side of their backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from tui.store.target import DbTarget


class Driver(ABC):
    """How one database is addressed (shown, known to be missing) and its warm first page,
    read through its own asyncio driver."""

    @abstractmethod
    def display(self, target: DbTarget) -> str:
        """What the header and every message call the database: never its password."""

    @abstractmethod
    def missing(self, target: DbTarget) -> bool:
        """Whether the database is known not to exist before connecting to it."""

    @abstractmethod
    async def first_rows(self, target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
        """The first `limit` + 1 rows of the compiled statement, read-only, giving up
        after `wait` seconds; [] when this driver declines to try. May raise."""


def bind(spec: tuple[Any, ...], limit: int, zone: str | None = None) -> list[Any]:
    """The compiled statement's parameters, with the page size (plus one) put where
    `warm_gen` marked "limit" and the service's time zone where it marked "zone"."""
    marks = {"limit": limit + 1, "zone": zone}
    return [marks[p] if isinstance(p, str) and p in marks else p for p in spec]
