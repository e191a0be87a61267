"""`Backend`: everything the Store, the migrations and the demo do differently per database.

Nothing outside `tui.store.backends` asks which database it talks to: it asks the
backend of its target (`backend_for(target.kind)`) for the piece that differs. The
bare-driver side of a backend (the warm first page) is `driver.Driver`, kept apart
because it must load without SQLAlchemy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Select
from sqlalchemy.engine import URL, Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from tui.domain.models import Cursor
from tui.store.target import DbTarget


class Backend(ABC):
    """One database's SQL, column types, connections and transactions."""

    # -- connections and transactions ------------------------------------------------

    @abstractmethod
    def make_engine(
        self, target: DbTarget, *, read_only: bool, create: bool, lock_wait_ms: int
    ) -> AsyncEngine:
        """An engine whose every connection carries this tool's settings.

        `lock_wait_ms` is how long a statement waits for a lock another connection
        holds, where the client sets that: a server that has its own setting (the
        service's) keeps it. `create` lets a file-based database be created.
        """

    @abstractmethod
    def url(self, target: DbTarget) -> URL:
        """The SQLAlchemy URL of `target`, password included: for connecting, never for
        showing (`DbTarget.display` is for that)."""

    @abstractmethod
    async def snapshot(self, conn: AsyncConnection) -> None:
        """Make every statement of the transaction `conn` begins next see the same data."""

    @abstractmethod
    async def background(self, conn: AsyncConnection) -> None:
        """Make the current transaction's heavy reads background work for the server."""

    @abstractmethod
    async def for_writes(self, conn: AsyncConnection) -> AsyncConnection:
        """`conn`, set so that the transaction it begins next holds the write lock from
        its first statement: no other writer can slip in between our read and write."""

    @abstractmethod
    def lock_for_migration(self, conn: Connection) -> None:
        """Inside the migration's transaction: make concurrent migrations take turns and
        keep DDL from queueing indefinitely behind the live service's transactions."""

    @abstractmethod
    def alembic_options(self) -> dict[str, Any]:
        """Options for Alembic's `context.configure`, online and offline alike."""

    @abstractmethod
    async def prepare_bulk_load(self, conn: AsyncConnection) -> None:
        """A database this tool has just created, about to be filled (the demo)."""

    # -- catalog and column types -----------------------------------------------------

    @abstractmethod
    def driver_dialect(self) -> Dialect:
        """The SQLAlchemy dialect that compiles for the bare driver (`warm_gen`)."""

    @abstractmethod
    def service_columns(self, conn: Connection) -> dict[str, set[str]]:
        """Every `remote_agent_*` table and its columns, in one catalog query: what the
        service's schema has applied to this database tells which version it is."""

    @abstractmethod
    def index_names(self, conn: Connection, table: str) -> set[str]:
        """The names of `table`'s indexes, by the catalog's cheapest query."""

    @abstractmethod
    def id_type(self) -> TypeEngine[Any]:
        """The type of the service's ids."""

    @abstractmethod
    def json_type(self) -> TypeEngine[Any]:
        """The type of the service's JSON columns (metadata)."""

    @abstractmethod
    def timestamp_type(self, *, timezone: bool) -> TypeEngine[Any]:
        """The type of the service's timestamps, with or without a time zone."""

    @abstractmethod
    def bind_timestamp(self, utc: datetime, *, timezone: bool) -> Any:
        """A UTC datetime as this backend stores it in a timestamp column."""

    @abstractmethod
    def demo_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Demo rows (hex ids, JSON text) in the form this backend's columns take."""

    # -- SQL expressions ---------------------------------------------------------------

    @abstractmethod
    def now(self) -> ColumnElement[Any]:
        """The clock the service writes ended_at with."""

    @abstractmethod
    def as_text(self, col: ColumnElement[Any]) -> ColumnElement[str]:
        """`col` as text, to compare with or match a string."""

    @abstractmethod
    def like(self, col: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """`col` matches the LIKE `pattern` (escaped with a backslash), ignoring case."""

    @abstractmethod
    def raw_timestamp(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        """The stored timestamp untouched, so cursors compare exactly as the index does."""

    @abstractmethod
    def timestamp_literal(self, text: str) -> ColumnElement[Any]:
        """`text` ('YYYY-MM-DD HH:MM:SS') as a value comparable with `raw_timestamp`."""

    @abstractmethod
    def lowest_timestamp(self) -> ColumnElement[Any]:
        """A value below every `raw_timestamp`."""

    @abstractmethod
    def seconds_between(
        self, end: ColumnElement[Any], start: ColumnElement[Any]
    ) -> ColumnElement[float]:
        """`end - start` in seconds, fractions kept: a cursor must find the row again."""

    @abstractmethod
    def unindexed(self, col: Column[Any]) -> ColumnElement[Any]:
        """`col`, in a form the planner will not choose an index for."""

    @abstractmethod
    def in_small_set(self, col: ColumnElement[Any], ids: Select[Any]) -> ColumnElement[bool]:
        """`col IN (ids)`, where `ids` is a short list read once up front (a user's
        conversations): the rows come from an index on `col`, never from a walk of the
        table testing each row."""

    @abstractmethod
    def null_pinning_order(self, col: ColumnElement[Any]) -> list[ColumnElement[Any]]:
        """ORDER BY terms to lead with when every row asked for has `col` NULL, so the
        planner reads the index that starts with `col`."""

    @abstractmethod
    def segment_after(self, cursor: Cursor) -> Cursor | None:
        """The segment of the sort key (NULL keys, or the others) that a newest-first
        order puts after `cursor`'s, if any: the other one or none."""

    @abstractmethod
    def valid_id(self, value: str) -> bool:
        """Whether `value` can be an id at all (asking the database otherwise errs)."""

    @abstractmethod
    def id_prefix(self, col: ColumnElement[Any], prefix: str) -> ColumnElement[bool] | None:
        """The ids that start with `prefix` (lowercase), as one index range; None if no
        id can start with it."""

    @abstractmethod
    def json_set(self, col: ColumnElement[Any], key: str, value_json: str) -> ColumnElement[Any]:
        """The JSON object in `col` with `key` set to `value_json`, computed by the UPDATE
        itself: NULL (or nothing) becomes a new object; a value that is not an object is
        left as it is."""
