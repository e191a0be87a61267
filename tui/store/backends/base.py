"""`Backend`: everything the Store, the migrations and the demo do differently per database.

Nothing outside `tui.store.backends` asks which database it talks to: it asks the
backend of its target (`backend_for(target.kind)`) for the piece that differs. The
bare-driver side of a backend (the warm first page) is `driver.Driver`, kept apart
because it must load without SQLAlchemy. What the shared SQL requires of a database
(row values, RETURNING, partial indexes, recursive CTEs, ...) is listed in the `tui.store`
package docstring: check those first for a new backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Select, Table
from sqlalchemy.engine import URL, Connection, Dialect, Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement, TextClause
from sqlalchemy.types import TypeEngine

from tui.domain.models import Cursor
from tui.store.target import DbTarget


def escape_like(text: str) -> str:
    """`text` as a literal part of a LIKE pattern escaped with a backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Catalog:
    """What a migration must know of a database before it changes anything.

    `tables`: every table of the schema the service's unqualified names resolve in;
    `columns`: each `remote_agent_*` table's columns; `indexes`: each index of
    `remote_agent_sessions`, mapped to whether it is usable (an interrupted concurrent
    build on PostgreSQL leaves an index that exists but is not valid). `schema`: that
    schema's name where the database has several (PostgreSQL), else None; `elsewhere`:
    each `remote_agent_*` table that other schemas on the search path hold, mapped to
    their names.
    """

    tables: frozenset[str] = frozenset()
    columns: Mapping[str, frozenset[str]] = field(default_factory=dict)
    indexes: Mapping[str, bool] = field(default_factory=dict)
    schema: str | None = None
    elsewhere: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, frozenset())

    def service_tables(self) -> frozenset[str]:
        return frozenset(t for t in self.tables if t.startswith("remote_agent_"))


@dataclass(frozen=True)
class Traits:
    """What a backend is, as data rather than methods.

    `write_pause_s`: seconds to wait between two write transactions of one end, so that
    writes the service queued behind the first get the lock before the next takes it.
    `batch_alter`: Alembic's `render_as_batch` (a database that cannot ALTER much).
    `audit_types`: the declared types the audit table's columns of each kind (`id`,
    `text`, `time`: `audit_shape.AUDIT_COLUMNS`) may have for an end's INSERT to fit.
    `id_type`, `json_type`: the types of the service's ids and JSON columns (metadata).
    """

    write_pause_s: float
    batch_alter: bool
    audit_types: Mapping[str, frozenset[str]]
    id_type: TypeEngine[Any]
    json_type: TypeEngine[Any]

    def alembic_options(self) -> dict[str, Any]:
        """Options for Alembic's `context.configure`, online and offline alike."""
        return {"render_as_batch": self.batch_alter}


class Backend(ABC):
    """One database's SQL, column types, connections and transactions."""

    traits: Traits
    """This database's facts as data (`Traits`)."""

    # -- connections and transactions ------------------------------------------------

    @abstractmethod
    def make_engine(
        self,
        target: DbTarget,
        *,
        read_only: bool,
        create: bool,
        lock_wait_ms: int,
        statement_timeout_ms: int | None = None,
    ) -> AsyncEngine:
        """An engine whose every connection carries this tool's settings.

        `lock_wait_ms` is how long a statement waits for a lock another connection
        holds, where the client sets that: a server that has its own setting (the
        service's) keeps it. `create` lets a file-based database be created.
        `statement_timeout_ms` bounds every statement where the server can (the
        dashboard's: a query queued behind a lock ends with a message).
        """

    def file_identity(self, target: DbTarget) -> tuple[int, int] | None:
        """What the target's path names now, (device, inode), to notice a file replaced,
        deleted or made unreadable under an open engine; None where the database is no
        file (a server). Raises FileNotFoundError when the path names nothing, and
        PermissionError when this user may not read the file or search a folder on its
        path (its open connections may still read it; no new one can)."""
        return None

    async def reader_id(self, conn: AsyncConnection) -> int | None:
        """What `cancel_readers` needs to stop this connection's statement from another
        one (PostgreSQL: the backend's pid); None where nothing can (SQLite: its busy
        wait is bounded by the busy timeout instead)."""
        return None

    async def cancel_readers(self, conn: AsyncConnection, ids: list[int]) -> int:
        """Cancel the statements running on those connections, through `conn`; how many
        the server agreed to cancel."""
        return 0

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
    async def joins_by_index(self, conn: AsyncConnection) -> None:
        """Make the current transaction's joins probe indexes row by row, for a statement
        whose outer rows are few against the tables it joins (the active sessions against
        every conversation)."""

    @abstractmethod
    async def for_writes(self, conn: AsyncConnection) -> AsyncConnection:
        """`conn`, set so that the transaction it begins next holds the write lock from
        its first statement: no other writer can slip in between our read and write."""

    @abstractmethod
    def lock_for_migration(self, conn: Connection) -> None:
        """Before the first revision, for the whole connection: make concurrent
        migrations take turns and keep DDL from queueing behind the live service's
        transactions (which would make the service's own queries queue behind it)."""

    def catalog(self, conn: Connection) -> Catalog:
        """The tables, service columns and session indexes, read from the catalog."""
        tables = frozenset(str(r[0]) for r in conn.execute(self.tables_sql()))
        columns = {t: frozenset(c) for t, c in self.service_columns(conn).items()}
        return Catalog(
            tables,
            columns,
            self.session_indexes(conn),
            schema=self.service_schema(conn),
            elsewhere=self.tables_elsewhere(conn),
        )

    def service_schema(self, conn: Connection) -> str | None:
        """The name of the schema the service's tables are in (the first on the search
        path that holds `remote_agent_sessions`), where a database has schemas; None
        where it has one namespace (SQLite's main)."""
        return None

    def tables_elsewhere(self, conn: Connection) -> dict[str, tuple[str, ...]]:
        """Each `remote_agent_*` table that a schema on the search path other than
        `service_schema` holds, mapped to those schemas' names in path order: what a
        migration must not make a second copy of."""
        return {}

    def pin_schema_sql(self, catalog: Catalog) -> list[str]:
        """For a DBA's script: what `lock_for_migration` does to put the service's schema
        first on the session's search path, for the database `catalog` was read from."""
        return []

    @abstractmethod
    def tables_sql(self) -> TextClause:
        """A query of one column: every table of the schema the service's unqualified
        names resolve in (this tool's and any other's, for `migrate` to judge)."""

    @abstractmethod
    def session_indexes(self, conn: Connection) -> dict[str, bool]:
        """Each index of `remote_agent_sessions`, mapped to whether it is usable."""

    @abstractmethod
    def add_column(self, conn: Connection, table: str, column: str, comment: str) -> None:
        """Add the TEXT `column` (with `comment`, where the database keeps one) if the
        table lacks it; a table that has it is not locked at all. `conn` autocommits."""

    @abstractmethod
    def add_column_sql(self, catalog: Catalog, table: str, column: str, comment: str) -> list[str]:
        """`add_column` as SQL for a DBA, for the database `catalog` was read from."""

    @abstractmethod
    def create_index(
        self, conn: Connection, name: str, table: str, columns: str, where: str | None = None
    ) -> None:
        """Build the index `name` unless a usable one exists, each in its own short
        transaction or none, so the service's writes wait as little as the database
        allows. `where` makes it partial: SQL in this database's spelling (a query uses
        the index only when its own WHERE says the same). `conn` autocommits."""

    @abstractmethod
    def create_index_sql(
        self, catalog: Catalog, name: str, table: str, columns: str, where: str | None = None
    ) -> list[str]:
        """`create_index` as SQL for a DBA, for the database `catalog` was read from."""

    @abstractmethod
    def migration_notice(self, sessions: int, indexes: int) -> str | None:
        """What the operator must hear (and agree to) before `indexes` indexes are built
        over `sessions` sessions while the service runs; None when the service does not
        wait for it."""

    @abstractmethod
    async def prepare_bulk_load(self, conn: AsyncConnection) -> None:
        """A database this tool has just created, about to be filled (the demo)."""

    # -- catalog and column types -----------------------------------------------------

    @abstractmethod
    def driver_dialect(self) -> Dialect:
        """The SQLAlchemy dialect that compiles for the bare driver (`warm_gen`)."""

    def service_columns(self, conn: Connection) -> dict[str, set[str]]:
        """Every `remote_agent_*` table and its columns, in one catalog query: what the
        service's schema has applied to this database tells which version it is."""
        found: dict[str, set[str]] = {}
        for table, column in conn.execute(self.service_columns_sql()):
            found.setdefault(str(table), set()).add(str(column))
        return found

    @abstractmethod
    def service_columns_sql(self) -> TextClause:
        """`service_columns`' query: a row (table, column) for each column of each
        `remote_agent_*` table."""

    @abstractmethod
    def service_views(self, conn: Connection) -> set[str]:
        """The `remote_agent_*` names that are views, not tables: readable perhaps, but
        nothing a migration can add a column or an index to."""

    def damage(self, conn: Connection) -> str | None:
        """What is wrong with the storage itself, if the backend can tell cheaply
        (SQLite's quick_check); None when nothing is, or it cannot tell (a server
        looks after its own pages)."""
        return None

    @abstractmethod
    def is_standby(self, conn: Connection) -> bool:
        """Whether the server is a read-only replica that replays another's writes (a
        hot standby): it lists and counts, and refuses every write."""

    def timeout_setting(self, conn: Connection) -> tuple[str, str, str, str] | None:
        """The statement timeout this connection has, where the server has one: its
        value, where it came from (`pg_settings.source`), the role and the database;
        None where there is none (SQLite) or it is off."""
        return None

    @abstractmethod
    def service_zone(self, conn: Connection) -> str | None:
        """The time zone the service's `NOW()` writes its zone-less timestamps
        (started_at, ended_at) in, read once at open; None where they are UTC text."""

    @abstractmethod
    def tool_table(self, conn: Connection, table: str) -> tuple[bool, bool]:
        """Whether this tool's own `table` exists, and whether this connection's role
        may insert into it: an end writes its audit rows only where both hold."""

    @abstractmethod
    def column_shapes(self, conn: Connection, table: str) -> dict[str, tuple[str, bool, bool]]:
        """Each column of this tool's `table` (in the service's schema): its declared
        type (lower case, without a length), NOT NULL, and whether the database fills it
        when an INSERT leaves it out (a default, an identity, SQLite's rowid); {} when
        there is no such table."""

    @abstractmethod
    def index_names(self, conn: Connection, table: str) -> set[str]:
        """The names of `table`'s indexes, by the catalog's cheapest query."""

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
        """The database clock, as an absolute time (it reads back as an aware UTC datetime)."""

    @abstractmethod
    def stored_now(self, zone: str) -> ColumnElement[Any]:
        """The value the service's own `NOW()` gives a zone-less column (`ended_at`) on
        a connection in `zone`: what an end writes, so both writers agree."""

    @abstractmethod
    def absolute(self, col: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        """A zone-less stored timestamp `col`, written in `zone`, as an absolute time.

        For the select list only: WHERE and ORDER BY compare the stored values
        (`raw_timestamp`, `stored`), which is what the indexes hold."""

    @abstractmethod
    def stored(self, when: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        """An absolute time (a bind of an aware datetime) as the zone-less value the
        service stores for that instant in `zone`: to compare with the raw column."""

    @abstractmethod
    def audit_object(self, record_json: str) -> ColumnElement[Any]:
        """The audit record (a JSON object) with `"at"` added: the database clock of the
        end's statement, as ISO-8601 UTC with the precision `stored_now` keeps, so the
        record and the `ended_at` it wrote read back as the same instant."""

    @abstractmethod
    def session_columns(self, session_id: str) -> tuple[TextClause, dict[str, Any]]:
        """A statement reading every column the sessions table has *now* (a service
        upgrade may add some while the tool runs), with its parameters. Its one row
        holds the columns, metadata as text; `columns_of` makes it a mapping."""

    @abstractmethod
    def columns_of(self, row: Row[Any]) -> dict[str, Any]:
        """Column name to value, from a row of `session_columns`' statement."""

    @abstractmethod
    def as_text(self, col: ColumnElement[Any]) -> ColumnElement[str]:
        """`col` as text, to compare with or match a string."""

    @abstractmethod
    def like(self, col: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """`col` matches the LIKE `pattern` (escaped with a backslash), ignoring case."""

    @abstractmethod
    def id_contains(self, col: ColumnElement[Any], text: str) -> ColumnElement[bool]:
        """The ids (the service's, in `col`) that contain `text` as an operator types it,
        ignoring case: where ids are UUIDs, with or without their dashes, as `show`
        accepts them."""

    @abstractmethod
    def raw_timestamp(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        """The stored timestamp untouched, so cursors compare exactly as the index does."""

    @abstractmethod
    def seconds_between(
        self, end: ColumnElement[Any], start: ColumnElement[Any]
    ) -> ColumnElement[float]:
        """`end - start` in seconds, fractions kept: a cursor must find the row again."""

    def id_present(self, col: Column[Any]) -> ColumnElement[bool] | None:
        """Where a primary key can be NULL (SQLite's TEXT PRIMARY KEY allows it), the
        test that a row has an id; None where it cannot (PostgreSQL)."""
        return None

    def time_shaped(self, col: ColumnElement[Any]) -> ColumnElement[bool] | None:
        """Where started_at/ended_at can hold any text (SQLite), the test that a stored
        value is a time at all, so that a comparison with a time means something; None
        where the column's type allows only times (PostgreSQL)."""
        return None

    @abstractmethod
    def unindexed(self, col: Column[Any]) -> ColumnElement[Any]:
        """`col`, in a form the planner will not choose an index for."""

    def read_by_index(self, stmt: Select[Any], table: Table, index: str) -> Select[Any]:
        """`stmt` with `table` read through `index`, where the planner cannot tell that
        it is the cheap way; `stmt` itself where the database has statistics to choose by
        (the caller knows the index exists and that the statement can use it)."""
        return stmt

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
    def utc_bucket(self, col: ColumnElement[Any], zone: str, *, hourly: bool) -> ColumnElement[Any]:
        """A stored started_at/ended_at as the UTC day (`YYYY-MM-DD`) or hour
        (`YYYY-MM-DD HH`) it falls in, as text; NULL for a value that is no time."""

    @abstractmethod
    def segment_after(self, cursor: Cursor) -> Cursor | None:
        """The segment of the sort key (NULL keys, or the others) that a newest-first
        order puts after `cursor`'s, if any: the other one or none."""

    @abstractmethod
    def valid_id(self, value: str) -> bool:
        """Whether `value` can be an id at all (asking the database otherwise errs)."""

    @abstractmethod
    def id_prefix(self, col: ColumnElement[Any], prefix: str) -> ColumnElement[bool] | None:
        """The ids that start with `prefix` (as typed, stripped), as index ranges; None
        if no id can start with it."""

    @abstractmethod
    def json_set(
        self, col: ColumnElement[Any], key: str, value: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        """The JSON object in `col` with `key` set to the JSON `value`, computed by the UPDATE
        itself: NULL (or nothing) becomes a new object; a value that is not an object is
        left as it is."""
