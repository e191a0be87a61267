"""`Backend`: what the Store, the migrations and the demo do differently per database.

Nothing outside `tui.store.backends` asks which database it talks to: it asks the
backend of its target (`backend_for(target.kind)`) for the piece that differs. What a
database *is* (its types, the options of its transactions, its planner's needs, its
catalog queries) is data (`Traits`, `CatalogQueries`), read by the store's shared code;
what it *does* differently is the few methods of `Backend`, kept to at most 25
(tests/store/test_backend_interface.py counts them). The bare-driver side of a
backend (URLs, driver errors, the warm first page) is `driver.Driver`, kept apart
because it must load without SQLAlchemy.

A third backend's author checks first that the database has what the shared SQL
(`sql_*`, `store_*`, `migrate`, `tables`) requires of it:

- [ ] row values compared as a whole: `(key, id) < (:key, :id)` for keyset pages
      (`sql_pages`), with an index on (key, id) used for that range;
- [ ] `UPDATE ... RETURNING` (the end, `store_writes`) in one statement with its WHERE;
- [ ] partial indexes (`CREATE INDEX ... WHERE active = true`, `tables.ACTIVE_INDEX`),
      used by a query whose own WHERE states the same predicate;
- [ ] `WITH RECURSIVE` (a session's ancestors, `sql_detail`);
- [ ] correlated `EXISTS` subqueries, scalar subqueries in the select list, `UNION ALL`
      of ordered and limited branches (as subqueries), `CASE`, `COALESCE`, `NULLIF`;
- [ ] `LIMIT` with `OFFSET`, and a fixed place for NULLs in a descending order
      (`Traits.nulls_first_desc` says which);
- [ ] `LIKE ... ESCAPE '\\'`, and a case-insensitive match (`Backend.like`);
- [ ] a read transaction in which every statement sees one snapshot
      (`Traits.snapshot_options`), and a write transaction that holds its lock from its
      first statement (`Traits.write_options`);
- [ ] the service's column types as the backend maps them (`Traits`: ids, JSON metadata,
      zone-less or text timestamps), with a JSON object updated in place by one
      expression (`Backend.json_set`);
- [ ] a catalog that answers each of `CatalogQueries` in one statement;
- [ ] a driver whose errors can be told apart (`Driver.error`), and a URL scheme
      (`backends.SCHEMES`, `Driver.parse_url`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from msgspec import Struct, field
from sqlalchemy import Column, Select, Table
from sqlalchemy.engine import URL, Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from tui.store.target import DbTarget


def escape_like(text: str) -> str:
    """`text` as a literal part of a LIKE pattern escaped with a backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Catalog(Struct, frozen=True):
    """What a migration must know of a database before it changes anything.

    `tables`: every table of the schema the service's unqualified names resolve in;
    `columns`: each `remote_agent_*` table's columns; `indexes`: each index of
    `remote_agent_sessions` and `remote_agent_workflow_runs`, mapped to whether it is
    usable (an interrupted concurrent build on PostgreSQL leaves an index that exists
    but is not valid). `schema`: that
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


class CatalogQueries(Struct, frozen=True):
    """The catalog's answers a backend gives as SQL, each one statement; the store runs
    them and reads their rows the same way for every backend (`tui.store.catalog`).

    Where a query names `:t`, it is bound to a table's name. None: the database has no
    such thing to ask about (SQLite has no schemas, no standby, no statement timeout).
    """

    tables: str
    """One column: every table of the schema the service's unqualified names resolve in
    (this tool's and any other's, for `migrate` to judge)."""
    service_columns: str
    """(table, column) for each column of each `remote_agent_*` table: what the service's
    schema has applied to this database tells which version it is."""
    views: str
    """One column: the `remote_agent_*` names that are views, not tables: readable
    perhaps, but nothing a migration can add a column or an index to."""
    session_indexes: str
    """(name, usable) for each index of `remote_agent_sessions` and of
    `remote_agent_workflow_runs`, the tables the tool indexes (an interrupted concurrent
    build leaves one that exists but is not usable)."""
    index_names: str
    """One column: the usable indexes of the table `:t`."""
    column_shapes: str
    """(name, declared type, NOT NULL, filled) for each column of this tool's table `:t`
    in the service's schema: filled says the database fills the column when an INSERT
    leaves it out (a default, an identity, SQLite's rowid)."""
    tool_table: str
    """One row, or none where this tool's table `:t` does not exist: whether this
    connection's role may insert into it."""
    standby: str | None = None
    """One value: whether the server is a read-only replica that replays another's
    writes (a hot standby): it lists and counts, and refuses every write."""
    zone: str | None = None
    """One value: the time zone the service's `NOW()` writes its zone-less timestamps
    (started_at, ended_at) in; None where they are UTC text."""
    schema: str | None = None
    """One value, or no row: the schema the service's tables are in, where the database
    has several."""
    elsewhere: str | None = None
    """(table, schema) for each `remote_agent_*` table that a schema on the search path
    other than the service's holds, in path order: what a migration must not copy."""
    timeout: str | None = None
    """One row (value, source, role, database) of the statement timeout this connection
    has; its value "0" where it is off."""
    opening: str | None = None
    """The answers of `service_columns`, `index_names` for `:sessions`, `tool_table` and
    `column_shapes` for `:audit`, in one statement: rows (kind, a, b, c, d) where kind is
    "c" (table, column), "i" (index name), "t" (the tool's table exists, writable) or "s"
    (one column's shape); None where the store asks them one by one."""
    damage: str | None = None
    """Rows of one column reading "ok" alone where the storage is sound (SQLite's
    quick_check): anything else says what is wrong with it."""


class Traits(Struct, frozen=True):
    """What a backend is, as data rather than methods: the store's shared code reads it.

    Writes: `write_pause_s`, seconds to wait between two write transactions of one end,
    so that writes the service queued behind the first get the lock before the next takes
    it; `write_options`, the execution options of a connection whose next transaction
    holds the write lock from its first statement (no other writer slips in between our
    read and write); `bulk_load_sql`, run on the bare driver connection, outside any
    transaction, before the demo fills a database this tool has just created.

    Reads: `snapshot_options`, the execution options that make every statement of the
    next transaction see the same data; `background_sql`, run in a transaction whose
    heavy reads are background work for the server; `index_join_sql`, run in a
    transaction whose joins must probe indexes row by row (few outer rows against a
    large joined table); `branches_sql`, run in a transaction that reads one statement of
    many small branches (`sql_counts.per_bucket`); `value_plans_sql`, run in a
    transaction whose statements must be planned for the values each run binds, never
    once for any value (an owner: a plan made for a common one walks the index for a rare
    one); `cancel_sql`, which cancels the
    statements of this tool's own reading connections named by `:ids`
    (`Backend.reader_id`) and gives how many it cancelled, None where nothing can
    (SQLite's wait is bounded by its busy timeout).

    The planner: `nulls_first_desc`, whether a descending order puts NULLs first (the
    keyset pages read the NULL keys as a segment of their own, before or after the
    others); `pin_null_order`, whether a query over rows whose leading index column is
    NULL must also order by it for the planner to read that index.

    Types: `id_type`, `json_type`, the types of the service's ids and JSON columns;
    `uuid_ids`, whether ids are UUIDs (any case, dashes optional, as typed) rather than
    free text; `nullable_ids`, whether a primary key may hold NULL (SQLite's TEXT PRIMARY
    KEY); `json_text`, whether JSON is bound as text (else as the object);
    `timestamp_types`, the type of the service's timestamps without and with a time zone;
    `timestamp_format`, the strftime format of a timestamp stored as UTC text, None where
    a timestamp column takes datetimes.

    Migrations: `batch_alter`, Alembic's `render_as_batch` (a database that cannot ALTER
    much); `migration_lock_sql`, run before the first revision on the migration's
    connection, for the whole connection: concurrent migrations take turns and DDL does
    not queue behind the live service's transactions; `audit_types`, the declared types
    the audit table's columns of each kind (`id`, `text`, `time`:
    `audit_shape.AUDIT_COLUMNS`) may have for an end's INSERT to fit.

    `driver_dialect`: the SQLAlchemy dialect that compiles for the bare driver (`warm_gen`).
    """

    write_pause_s: float
    batch_alter: bool
    audit_types: Mapping[str, frozenset[str]]
    id_type: TypeEngine[Any]
    json_type: TypeEngine[Any]
    timestamp_types: tuple[TypeEngine[Any], TypeEngine[Any]]
    driver_dialect: Dialect
    uuid_ids: bool = False
    nullable_ids: bool = False
    json_text: bool = True
    timestamp_format: str | None = None
    nulls_first_desc: bool = False
    pin_null_order: bool = False
    snapshot_options: Mapping[str, Any] = field(default_factory=dict)
    write_options: Mapping[str, Any] = field(default_factory=dict)
    background_sql: tuple[str, ...] = ()
    index_join_sql: tuple[str, ...] = ()
    branches_sql: tuple[str, ...] = ()
    value_plans_sql: tuple[str, ...] = ()
    cancel_sql: str | None = None
    migration_lock_sql: tuple[str, ...] = ()
    bulk_load_sql: tuple[str, ...] = ()

    def alembic_options(self) -> dict[str, Any]:
        """Options for Alembic's `context.configure`, online and offline alike."""
        return {"render_as_batch": self.batch_alter}

    def bind_timestamp(self, utc: datetime, *, timezone: bool) -> Any:
        """A UTC datetime as this backend stores it in a timestamp column."""
        if self.timestamp_format is not None:
            return utc.strftime(self.timestamp_format)
        return utc if timezone else utc.replace(tzinfo=None)


class Backend(ABC):
    """One database's connections, migrations and the SQL expressions that differ."""

    traits: Traits
    """This database's facts as data (`Traits`)."""
    queries: CatalogQueries
    """This database's catalog, as queries (`CatalogQueries`)."""

    # -- connections -------------------------------------------------------------------

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

    @abstractmethod
    def url(self, target: DbTarget) -> URL:
        """The SQLAlchemy URL of `target`, password included: for connecting, never for
        showing (`DbTarget.display` is for that)."""

    def file_identity(self, target: DbTarget) -> tuple[int, int] | None:
        """What the target's path names now, (device, inode), to notice a file replaced,
        deleted or made unreadable under an open engine; None where the database is no
        file (a server). Raises FileNotFoundError when the path names nothing, and
        PermissionError when this user may not read the file or search a folder on its
        path (its open connections may still read it; no new one can)."""
        return None

    async def reader_id(self, conn: AsyncConnection) -> int | None:
        """What `Traits.cancel_sql` needs to stop this connection's statement from another
        one (PostgreSQL: the backend's pid); None where nothing can."""
        return None

    # -- migrations --------------------------------------------------------------------

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

    def pin_schema_sql(self, catalog: Catalog) -> list[str]:
        """For a DBA's script: what `Traits.migration_lock_sql` does to put the service's
        schema first on the session's search path, for the database `catalog` was read
        from."""
        return []

    # -- reads -------------------------------------------------------------------------

    @abstractmethod
    async def read_columns(self, conn: AsyncConnection, session_id: str) -> dict[str, Any]:
        """Every column the sessions table has *now* for the session `session_id` (a
        service upgrade may add some while the tool runs), by name, metadata as text;
        {} when there is no such session."""

    # -- SQL expressions ---------------------------------------------------------------

    @abstractmethod
    def now(self) -> ColumnElement[Any]:
        """The database clock, as an absolute time (it reads back as an aware UTC datetime)."""

    @abstractmethod
    def absolute(self, col: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        """A zone-less stored timestamp `col`, written in `zone`, as an absolute time.

        For the select list only: WHERE and ORDER BY compare the stored values
        (`stored`), which is what the indexes hold."""

    @abstractmethod
    def stored(self, when: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        """An absolute time (a bind of an aware datetime, or `now()`) as the zone-less
        value the service stores for that instant in `zone`: to compare with the raw
        column, and what an end writes, so both writers agree."""

    @abstractmethod
    def audit_object(self, record_json: str) -> ColumnElement[Any]:
        """The audit record (a JSON object) with `"at"` added: the database clock of the
        end's statement, as ISO-8601 UTC with the precision `stored(now())` keeps, so the
        record and the `ended_at` it wrote read back as the same instant."""

    @abstractmethod
    def as_text(self, col: ColumnElement[Any]) -> ColumnElement[str]:
        """`col` as text, to compare with or match a string."""

    @abstractmethod
    def like(self, col: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """`col` matches the LIKE `pattern` (escaped with a backslash), ignoring case."""

    @abstractmethod
    def seconds_between(
        self, end: ColumnElement[Any], start: ColumnElement[Any]
    ) -> ColumnElement[float]:
        """`end - start` in seconds, fractions kept: a cursor must find the row again."""

    @abstractmethod
    def utc_bucket(self, col: ColumnElement[Any], zone: str, *, hourly: bool) -> ColumnElement[Any]:
        """A stored started_at/ended_at as the UTC day (`YYYY-MM-DD`) or hour
        (`YYYY-MM-DD HH`) it falls in, as text; NULL for a value that is no time."""

    @abstractmethod
    def json_set(
        self, col: ColumnElement[Any], key: str, value: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        """The JSON object in `col` with `key` set to the JSON `value`, computed by the UPDATE
        itself: NULL (or nothing) becomes a new object; a value that is not an object is
        left as it is."""

    def time_shaped(self, col: ColumnElement[Any]) -> ColumnElement[bool] | None:
        """Where started_at/ended_at can hold any text (SQLite), the test that a stored
        value is a time at all, so that a comparison with a time means something; None
        where the column's type allows only times (PostgreSQL)."""
        return None

    # -- the planner -------------------------------------------------------------------

    @abstractmethod
    def unindexed(self, col: Column[Any]) -> ColumnElement[Any]:
        """`col`, in a form the planner will not choose an index for."""

    def read_by_index(self, stmt: Select[Any], table: Table, index: str) -> Select[Any]:
        """`stmt` with `table` read through `index`, where the planner cannot tell that
        it is the cheap way; `stmt` itself where the database has statistics to choose by
        (the caller knows the index exists and that the statement can use it)."""
        return stmt

    def in_small_set(self, col: ColumnElement[Any], ids: Select[Any]) -> ColumnElement[bool]:
        """`col IN (ids)`, where `ids` is a short list read once up front (a user's
        conversations): the rows come from an index on `col`, never from a walk of the
        table testing each row."""
        return col.in_(ids)
