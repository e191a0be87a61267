"""The PostgreSQL backend: the service's server, through asyncpg.

Ids are UUID, metadata JSONB. TIMESTAMP WITH TIME ZONE columns are absolute;
started_at and ended_at are TIMESTAMP (no zone), written by the service's `NOW()` in
its connection's zone (`service_zone`): read and written here in that zone.
Only PostgreSQL users import this module, and with it SQLAlchemy's postgresql dialect.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect, Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import ColumnElement, TextClause
from sqlalchemy.types import TypeEngine

from tui.domain.models import Cursor
from tui.store.backends.base import Backend, Catalog, Traits
from tui.store.backends.postgresql_driver import (
    SERVICE_SCHEMA_SQL,
    SERVICE_ZONE_SQL,
    connect_options,
)
from tui.store.backends.postgresql_errors import is_lock_timeout
from tui.store.target import DbTarget

MIGRATION_LOCK_TIMEOUT = "500ms"
"""How long one migration statement may queue for a lock on the live service's tables.

An ALTER TABLE waiting for its ACCESS EXCLUSIVE lock makes every later query on the table
queue behind it, so this bounds how long a service read or write can wait for us; a
concurrent index build waiting for the service's transactions to finish blocks no one,
but shares the bound. A statement that times out is retried (`LOCK_ATTEMPTS`).
"""

LOCK_ATTEMPTS = 5
"""Tries per statement that hits the lock timeout, `LOCK_RETRY_PAUSE_S` doubling between
them (0.25, 0.5, 1, 2 s): a service transaction a few seconds long is waited out; a
longer one fails the run cleanly, keeping what was done."""

LOCK_RETRY_PAUSE_S = 0.25

MIGRATION_LOCK_KEY = "sessions-tui migrate"
"""Two `sessions-tui migrate` runs against one PostgreSQL database take turns on this key."""


PIN_SCHEMA_SQL = (
    "SELECT set_config('search_path', quote_ident(n.nspname) || ', '"
    " || current_setting('search_path'), false)"
    f" FROM pg_catalog.pg_namespace AS n WHERE n.oid = {SERVICE_SCHEMA_SQL}"
)
"""Put the service's schema first on this session's search path (nothing when there is
none): an unqualified CREATE goes there, and Alembic's version table with it."""


def pin_schema_sql(schema: str) -> str:
    """`PIN_SCHEMA_SQL` for a DBA's script, with the schema read beforehand."""
    quoted = '"' + schema.replace('"', '""') + '"'
    literal = quoted.replace("'", "''")
    path = f"'{literal}, ' || current_setting('search_path')"
    return f"SELECT set_config('search_path', {path}, false)"


class PostgresqlBackend(Backend):
    traits = Traits(
        # None needed: a batch locks its own rows only, and a service write to one of
        # them waits for that batch's commit, which wakes it at once.
        write_pause_s=0.0,
        batch_alter=False,
        audit_types={
            "id": frozenset({"bigint", "integer"}),
            "text": frozenset({"text", "character varying"}),
            "time": frozenset({"timestamp with time zone"}),
        },
        id_type=postgresql.UUID(as_uuid=False),
        json_type=postgresql.JSONB(),
    )

    def make_engine(
        self,
        target: DbTarget,
        *,
        read_only: bool,
        create: bool,
        lock_wait_ms: int,
        statement_timeout_ms: int | None = None,
    ) -> AsyncEngine:
        """Named, in the server's default zone, read-only when asked (`server_settings`),
        a 10 s connect timeout and a small pool, the URL's libpq parameters honoured as
        libpq would (`connect_options`). Locks wait as the server is configured, but no
        statement runs longer than `statement_timeout_ms` when it is given (unless the
        URL's `options` set a statement_timeout of their own: the URL wins)."""
        settings = {"statement_timeout": str(statement_timeout_ms)} if statement_timeout_ms else {}
        connect_args = connect_options(target, read_only=read_only, timeout=10, settings=settings)
        return create_async_engine(
            self.url(target),
            pool_pre_ping=True,
            pool_size=3,
            max_overflow=2,
            connect_args=connect_args,
        )

    def url(self, target: DbTarget) -> sa.engine.URL:
        return sa.engine.URL.create(
            "postgresql+asyncpg",
            username=target.username,
            password=target.password,
            host=target.host,
            port=target.port,
            database=target.database,
        )

    async def reader_id(self, conn: AsyncConnection) -> int | None:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        pid = driver.get_server_pid() if driver is not None else None
        return int(pid) if pid is not None else None

    async def cancel_readers(self, conn: AsyncConnection, ids: list[int]) -> int:
        """`pg_cancel_backend` on this tool's own reading connections, by pid: never
        another client's, never a write (the Store passes only its reads)."""
        result = await conn.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE pg_cancel_backend(pid))"
                " FROM unnest(CAST(:ids AS integer[])) AS pid"
            ),
            {"ids": ids},
        )
        return int(result.scalar_one())

    async def snapshot(self, conn: AsyncConnection) -> None:
        """READ COMMITTED, the default, takes a new snapshot per statement."""
        await conn.execution_options(isolation_level="REPEATABLE READ")

    async def background(self, conn: AsyncConnection) -> None:
        """One core: PostgreSQL would otherwise run a full count with parallel workers,
        taking every core of the server from the service (and, on a shared host, from
        this tool's own screen) for a figure that is never urgent. Only this
        transaction is affected."""
        await conn.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))

    async def joins_by_index(self, conn: AsyncConnection) -> None:
        """No hash or merge join in this transaction: for the stuck counts the planner
        costs a pass over every conversation below one primary-key probe per active
        session, and the probes are the cheaper."""
        await conn.execute(sa.text("SET LOCAL enable_hashjoin = off"))
        await conn.execute(sa.text("SET LOCAL enable_mergejoin = off"))

    async def for_writes(self, conn: AsyncConnection) -> AsyncConnection:
        """As it is: the UPDATE locks its row, and a second writer waits for it."""
        return conn

    def lock_for_migration(self, conn: Connection) -> None:
        """Session-wide, not per transaction: the revisions commit one by one and the
        index builds run outside any transaction. The schema the service's tables are in
        goes first on this session's search path (`PIN_SCHEMA_SQL`), so every object a
        revision creates without a schema lands next to them."""
        conn.exec_driver_sql(f"SELECT pg_advisory_lock(hashtext('{MIGRATION_LOCK_KEY}'))")
        conn.exec_driver_sql(f"SET lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'")
        conn.exec_driver_sql(PIN_SCHEMA_SQL)

    def service_schema(self, conn: Connection) -> str | None:
        """`SERVICE_SCHEMA_SQL`'s name; None when the search path names no schema that
        exists."""
        sql = f"SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = {SERVICE_SCHEMA_SQL}"
        found = conn.exec_driver_sql(sql).first()
        return None if found is None else str(found[0])

    def tables_elsewhere(self, conn: Connection) -> dict[str, tuple[str, ...]]:
        """From the catalog, over `current_schemas(false)` (the path's schemas that exist
        and this role may use), in path order."""
        sql = (
            "SELECT t.relname, n.nspname"
            " FROM unnest(current_schemas(false)) WITH ORDINALITY AS p(name, pos)"
            " JOIN pg_catalog.pg_namespace AS n ON n.nspname = p.name"
            " JOIN pg_catalog.pg_class AS t ON t.relnamespace = n.oid"
            f" WHERE n.oid IS DISTINCT FROM {SERVICE_SCHEMA_SQL}"
            " AND t.relkind IN ('r', 'p', 'v', 'm', 'f')"
            " AND t.relname LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
            " ORDER BY t.relname, p.pos"
        )
        found: dict[str, tuple[str, ...]] = {}
        for table, schema in conn.exec_driver_sql(sql):
            found[str(table)] = (*found.get(str(table), ()), str(schema))
        return found

    def pin_schema_sql(self, catalog: Catalog) -> list[str]:
        return [] if catalog.schema is None else [pin_schema_sql(catalog.schema)]

    def tables_sql(self) -> TextClause:
        """Tables and partitioned tables of the schema the service's tables are in
        (`SERVICE_SCHEMA_SQL`)."""
        return sa.text(
            "SELECT relname FROM pg_catalog.pg_class"
            f" WHERE relnamespace = {SERVICE_SCHEMA_SQL} AND relkind IN ('r', 'p')"
        )

    def session_indexes(self, conn: Connection) -> dict[str, bool]:
        """Usable is `pg_index.indisvalid`: false for what an interrupted concurrent
        build left behind."""
        return {
            str(name): bool(valid)
            for name, valid in conn.exec_driver_sql(
                "SELECT i.relname, x.indisvalid FROM pg_catalog.pg_index AS x"
                " JOIN pg_catalog.pg_class AS i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = to_regclass('remote_agent_sessions')"
            )
        }

    def add_column(self, conn: Connection, table: str, column: str, comment: str) -> None:
        """Read the catalog first: ALTER TABLE takes an ACCESS EXCLUSIVE lock even when
        the column exists (IF NOT EXISTS is checked under the lock), queueing every
        service query behind it. The comment is set only where there is none, under a
        lock that does not block reads or writes."""
        sql = sa.text(
            "SELECT col_description(a.attrelid, a.attnum) FROM pg_catalog.pg_attribute AS a"
            " WHERE a.attrelid = to_regclass(:t) AND a.attname = :c AND NOT a.attisdropped"
        )
        found = conn.execute(sql, {"t": table, "c": column}).fetchall()
        if not found:
            add = f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} TEXT"
            _retry_on_lock_timeout(lambda: conn.exec_driver_sql(add))
        if not found or found[0][0] is None:
            _retry_on_lock_timeout(
                lambda: conn.exec_driver_sql(_comment_sql(table, column, comment))
            )

    def add_column_sql(self, catalog: Catalog, table: str, column: str, comment: str) -> list[str]:
        if catalog.has_column(table, column):
            return []
        return [
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} TEXT",
            _comment_sql(table, column, comment),
        ]

    def create_index(
        self, conn: Connection, name: str, table: str, columns: str, where: str | None = None
    ) -> None:
        """CREATE INDEX CONCURRENTLY: the service reads and writes on while it builds.
        An index an interrupted build left invalid (pg_index.indisvalid) is dropped and
        built again; a valid one is kept. Each try re-reads the catalog, since a try that
        timed out waiting for the service's transactions leaves such an invalid index."""
        sql = sa.text(
            "SELECT indisvalid FROM pg_catalog.pg_index WHERE indexrelid = to_regclass(:n)"
        )

        def build() -> None:
            row = conn.execute(sql, {"n": name}).first()
            catalog = Catalog(indexes={} if row is None else {name: bool(row[0])})
            for statement in self.create_index_sql(catalog, name, table, columns, where):
                conn.exec_driver_sql(statement)

        _retry_on_lock_timeout(build)

    def create_index_sql(
        self, catalog: Catalog, name: str, table: str, columns: str, where: str | None = None
    ) -> list[str]:
        valid = catalog.indexes.get(name)
        if valid:
            return []
        partial = f" WHERE {where}" if where else ""
        create = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({columns}){partial}"
        if valid is None:
            return [create]
        return [f"DROP INDEX CONCURRENTLY IF EXISTS {name}", create]

    def migration_notice(self, sessions: int, indexes: int) -> str | None:
        """None: the indexes are built concurrently and the ALTER, if any, waits at most
        the lock timeout, so there is nothing to agree to."""
        return None

    async def prepare_bulk_load(self, conn: AsyncConnection) -> None:
        """Nothing to do: the server's settings are the DBA's."""

    def driver_dialect(self) -> Dialect:
        from sqlalchemy.dialects.postgresql import asyncpg

        return asyncpg.dialect()  # type: ignore[no-untyped-call]

    def service_columns_sql(self) -> TextClause:
        """The tables of the schema the service's unqualified names resolve in
        (`SERVICE_SCHEMA_SQL`). From the catalog, not information_schema, which hides what the
        role may not read: a role without privileges must hear so, not "no tables"."""
        return sa.text(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_class AS c"
            " JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid"
            f" WHERE c.relnamespace = {SERVICE_SCHEMA_SQL}"
            " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
            " AND c.relname LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
        )

    def service_views(self, conn: Connection) -> set[str]:
        """Views and materialized views of the service's schema (`SERVICE_SCHEMA_SQL`)."""
        sql = sa.text(
            "SELECT c.relname FROM pg_catalog.pg_class AS c"
            f" WHERE c.relnamespace = {SERVICE_SCHEMA_SQL}"
            " AND c.relkind IN ('v', 'm') AND c.relname LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
        )
        return {str(r[0]) for r in conn.execute(sql)}

    def is_standby(self, conn: Connection) -> bool:
        """A hot standby is in recovery for as long as it replays its primary's WAL;
        `pg_is_in_recovery()` is open to every role."""
        return bool(conn.execute(sa.text("SELECT pg_is_in_recovery()")).scalar_one())

    def timeout_setting(self, conn: Connection) -> tuple[str, str, str, str] | None:
        """`pg_settings` is readable by every role (its `source` column included)."""
        row = conn.exec_driver_sql(
            "SELECT current_setting('statement_timeout'), source, current_user,"
            " current_database() FROM pg_catalog.pg_settings WHERE name = 'statement_timeout'"
        ).first()
        if row is None or row[0] == "0":
            return None
        return str(row[0]), str(row[1]), str(row[2]), str(row[3])

    def service_zone(self, conn: Connection) -> str | None:
        """`SERVICE_ZONE_SQL`: the zone the service's own connections get."""
        return str(conn.exec_driver_sql(SERVICE_ZONE_SQL).scalar_one())

    def tool_table(self, conn: Connection, table: str) -> tuple[bool, bool]:
        """From the catalog, in the schema the unqualified name resolves in; a role
        without INSERT on it (a read-only role) reads it but cannot keep a record."""
        sql = sa.text(
            "SELECT has_table_privilege(c.oid, 'INSERT') FROM pg_catalog.pg_class AS c"
            f" WHERE c.relnamespace = {SERVICE_SCHEMA_SQL} AND c.relname = :t"
            " AND c.relkind IN ('r', 'p')"
        )
        found = conn.execute(sql, {"t": table}).first()
        return found is not None, bool(found is not None and found[0])

    def column_shapes(self, conn: Connection, table: str) -> dict[str, tuple[str, bool, bool]]:
        sql = sa.text(
            "SELECT a.attname, format_type(a.atttypid, NULL), a.attnotnull,"
            " a.atthasdef OR a.attidentity <> ''"
            " FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_class AS c"
            " ON c.oid = a.attrelid"
            f" WHERE c.relnamespace = {SERVICE_SCHEMA_SQL} AND c.relname = :t"
            " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
        )
        return {
            str(name): (str(kind), bool(notnull), bool(dflt))
            for name, kind, notnull, dflt in conn.execute(sql, {"t": table})
        }

    def index_names(self, conn: Connection, table: str) -> set[str]:
        """The usable ones, from pg_index (cheaper than the inspector's get_indexes): an
        index an interrupted concurrent build left invalid is not read by the planner,
        so it counts as missing (and `migrate` rebuilds it)."""
        sql = sa.text(
            "SELECT i.relname FROM pg_catalog.pg_index AS x"
            " JOIN pg_catalog.pg_class AS i ON i.oid = x.indexrelid"
            " JOIN pg_catalog.pg_class AS t ON t.oid = x.indrelid"
            f" WHERE t.relnamespace = {SERVICE_SCHEMA_SQL} AND t.relname = :t"
            " AND x.indisvalid"
        )
        return {str(r[0]) for r in conn.execute(sql, {"t": table})}

    def timestamp_type(self, *, timezone: bool) -> TypeEngine[Any]:
        return postgresql.TIMESTAMP(timezone=timezone)

    def bind_timestamp(self, utc: datetime, *, timezone: bool) -> Any:
        return utc if timezone else utc.replace(tzinfo=None)

    def demo_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Ids as UUID text, metadata as the object JSONB takes."""
        out = []
        for row in rows:
            fixed = dict(row)
            for key in ("id", "conversation_id", "codebase_id", "parent_session_id", "user_id"):
                if fixed.get(key):
                    fixed[key] = str(uuid.UUID(fixed[key]))
            if "metadata" in fixed:
                fixed["metadata"] = json.loads(fixed["metadata"])
            out.append(fixed)
        return out

    def now(self) -> ColumnElement[Any]:
        return sa.func.now()

    def session_columns(self, session_id: str) -> tuple[TextClause, dict[str, Any]]:
        """The row as one JSONB object without its metadata, and the metadata as text:
        the driver decodes JSONB itself, and a document nested past Python's recursion
        limit (PostgreSQL takes it) failed the whole read. `Metadata.decode` judges it."""
        stmt = sa.text(
            "SELECT to_jsonb(s) - 'metadata' AS row, CAST(s.metadata AS TEXT) AS metadata"
            " FROM remote_agent_sessions AS s WHERE s.id = CAST(:id AS uuid)"
        )
        return stmt, {"id": session_id}

    def columns_of(self, row: Row[Any]) -> dict[str, Any]:
        columns = row._mapping["row"]
        if isinstance(columns, str):  # a connection without SQLAlchemy's JSONB codec
            columns = json.loads(columns)
        return {**columns, "metadata": row._mapping["metadata"]}

    def stored_now(self, zone: str) -> ColumnElement[Any]:
        """`NOW()` assigned to a TIMESTAMP column is the wall clock in the session's zone."""
        return sa.func.now().op("AT TIME ZONE")(_zone(zone))

    def absolute(self, col: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        return sa.type_coerce(
            col.op("AT TIME ZONE")(_zone(zone)), postgresql.TIMESTAMP(timezone=True)
        )

    def stored(self, when: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        return sa.type_coerce(
            sa.cast(when, postgresql.TIMESTAMP(timezone=True)).op("AT TIME ZONE")(_zone(zone)),
            postgresql.TIMESTAMP(),
        )

    def audit_object(self, record_json: str) -> ColumnElement[Any]:
        """Microseconds, as `now()` and so ended_at keep them."""
        at = sa.func.to_char(
            sa.func.now().op("AT TIME ZONE")(sa.literal("UTC")),
            sa.literal('YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        )
        record = sa.cast(sa.literal(record_json), postgresql.JSONB)
        return record.op("||")(sa.func.jsonb_build_object(sa.literal("at"), at))

    def as_text(self, col: ColumnElement[Any]) -> ColumnElement[str]:
        return sa.cast(col, sa.Text)

    def like(self, col: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        return self.as_text(col).ilike(pattern, escape="\\")

    def id_contains(self, col: ColumnElement[Any], text: str) -> ColumnElement[bool]:
        """UUIDs: their hex digits, dashes ignored on both sides; anything but hex digits
        and dashes is in no UUID."""
        digits = text.replace("-", "").lower()
        if not digits or not all(ch in "0123456789abcdef" for ch in digits):
            return sa.false()
        bare = sa.func.replace(self.as_text(col), "-", "")
        return bare.like(f"%{digits}%")

    def raw_timestamp(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.type_coerce(col, sa.DateTime())

    def seconds_between(
        self, end: ColumnElement[Any], start: ColumnElement[Any]
    ) -> ColumnElement[float]:
        """Float, not extract()'s Integer. Both ends of one kind (stored or absolute)."""
        span = end - start
        return sa.cast(sa.extract("epoch", span), sa.Float())

    def unindexed(self, col: Column[Any]) -> ColumnElement[Any]:
        """The column itself: PostgreSQL has statistics and chooses well (and has no
        unary + for booleans or text)."""
        return col

    def in_small_set(self, col: ColumnElement[Any], ids: sa.Select[Any]) -> ColumnElement[bool]:
        """`col = ANY(ARRAY(ids))`: the array is an InitPlan computed once, and the index
        on `col` takes it as its condition. As `col IN (ids)` the planner took the list
        for thousands of rows and walked the started_at index with a semi-join, reading
        every session for a user who has none."""
        return col == sa.any_(sa.func.array(ids.scalar_subquery()))

    def null_pinning_order(self, col: ColumnElement[Any]) -> list[ColumnElement[Any]]:
        """PostgreSQL does not treat `col IS NULL` as pinning the column: without this it
        walks the started_at index with a filter, and pre-016 rows (reason NULL) are
        the oldest. A constant column changes no order."""
        return [col.desc()]

    def utc_bucket(self, col: ColumnElement[Any], zone: str, *, hourly: bool) -> ColumnElement[Any]:
        """The stored wall time read in the service's zone, then as UTC wall time, then
        cut: `to_char` of a TIMESTAMP, which no session zone changes. In UTC the stored
        value is cut as it is (what an index holds)."""
        utc = col if zone == "UTC" else self.absolute(col, zone).op("AT TIME ZONE")("UTC")
        return sa.func.to_char(utc, "YYYY-MM-DD HH24" if hourly else "YYYY-MM-DD")

    def segment_after(self, cursor: Cursor) -> Cursor | None:
        """DESC puts NULLs first in PostgreSQL: the dated rows follow them."""
        if cursor.key is not None:
            return None
        return Cursor(key=0, id="", as_of=cursor.as_of, segment_top=True)

    def valid_id(self, value: str) -> bool:
        """A UUID column refuses anything else with an error."""
        try:
            uuid.UUID(value)
        except ValueError:
            return False
        return True

    def id_prefix(self, col: ColumnElement[Any], prefix: str) -> ColumnElement[bool] | None:
        """Between the prefix padded with 0s and with fs, in UUID text: any case (a UUID
        is one value whatever case it is typed in)."""
        hexdigits = prefix.replace("-", "").lower()
        if not all(ch in "0123456789abcdef" for ch in hexdigits) or len(hexdigits) > 32:
            return None
        lo, hi = hexdigits.ljust(32, "0"), hexdigits.ljust(32, "f")
        return sa.and_(col >= _uuid_text(lo), col <= _uuid_text(hi))

    def json_set(
        self, col: ColumnElement[Any], key: str, value: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        patch = sa.func.jsonb_build_object(key, value)
        return sa.case(
            (col.is_(None), patch),
            (sa.func.jsonb_typeof(col) == "object", col.op("||")(patch)),
            else_=col,
        )


def _comment_sql(table: str, column: str, comment: str) -> str:
    quoted = comment.replace("'", "''")
    return f"COMMENT ON COLUMN {table}.{column} IS '{quoted}'"


def _retry_on_lock_timeout(step: Callable[[], object]) -> None:
    """Run `step` (on an autocommitting connection) until it does not hit the lock
    timeout: at most `LOCK_ATTEMPTS` tries, the pause doubling from `LOCK_RETRY_PAUSE_S`;
    any other error, or the last timeout, is raised. Each try runs `step` from its start,
    so it must be safe to run again (`create_index` re-reads the catalog in each)."""
    for attempt in range(LOCK_ATTEMPTS):
        try:
            step()
            return
        except DBAPIError as exc:
            if not is_lock_timeout(exc) or attempt == LOCK_ATTEMPTS - 1:
                raise
        time.sleep(LOCK_RETRY_PAUSE_S * 2**attempt)


def _zone(zone: str) -> ColumnElement[str]:
    """The zone as a bound value: a name from the server, never spliced into SQL."""
    return sa.literal(zone, sa.Text())


def _uuid_text(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


BACKEND = PostgresqlBackend()
