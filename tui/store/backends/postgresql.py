"""The PostgreSQL backend: the service's server, through asyncpg.

Ids are UUID, metadata JSONB. TIMESTAMP WITH TIME ZONE columns are absolute;
started_at and ended_at are TIMESTAMP (no zone), written by the service's `NOW()` in
its connection's zone (`service_zone`): read and written here in that zone.
Only PostgreSQL users import this module, and with it SQLAlchemy's postgresql dialect.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import ColumnElement

from tui.store.backends.base import Backend, Catalog, CatalogQueries, Traits
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
        timestamp_types=(postgresql.TIMESTAMP(), postgresql.TIMESTAMP(timezone=True)),
        driver_dialect=asyncpg_dialect.dialect(),  # type: ignore[no-untyped-call]
        # A UUID column refuses anything else with an error; JSONB takes the object.
        uuid_ids=True,
        json_text=False,
        # DESC puts NULLs first in PostgreSQL: the dated rows follow them. It does not
        # treat `col IS NULL` as pinning the column: without ordering by it, it walks
        # the started_at index with a filter (pre-016 rows, reason NULL, are the oldest).
        nulls_first_desc=True,
        pin_null_order=True,
        # READ COMMITTED, the default, takes a new snapshot per statement.
        snapshot_options={"isolation_level": "REPEATABLE READ"},
        # One core: PostgreSQL would otherwise run a full count with parallel workers,
        # taking every core of the server from the service (and, on a shared host, from
        # this tool's own screen) for a figure that is never urgent. SET LOCAL: only
        # this transaction is affected.
        background_sql=("SET LOCAL max_parallel_workers_per_gather = 0",),
        # No hash or merge join in this transaction: for the stuck counts the planner
        # costs a pass over every conversation below one primary-key probe per active
        # session, and the probes are the cheaper.
        index_join_sql=("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off"),
        # No JIT for a statement of many small branches (a trends window): past
        # jit_above_cost it compiles every branch's expressions, seconds for a statement
        # that runs in tens of milliseconds.
        branches_sql=("SET LOCAL jit = off",),
        # A custom plan on every run for an owner's reads: after five runs PostgreSQL may
        # keep one generic plan for a prepared statement, and the one made while a common
        # owner was read walks the started_at index for a rare one (10k sessions: 30 ms
        # against 5). The setting exists from PostgreSQL 12; before, nothing is set.
        value_plans_sql=(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"
            " WHERE current_setting('server_version_num')::int >= 120000",
        ),
        # `pg_cancel_backend` on this tool's own reading connections, by pid: never
        # another client's, never a write (the Store passes only its reads).
        cancel_sql=(
            "SELECT count(*) FILTER (WHERE pg_cancel_backend(pid))"
            " FROM unnest(CAST(:ids AS integer[])) AS pid"
        ),
        # Session-wide, not per transaction: the revisions commit one by one and the
        # index builds run outside any transaction. The schema the service's tables are
        # in goes first on this session's search path (`PIN_SCHEMA_SQL`), so every
        # object a revision creates without a schema lands next to them.
        migration_lock_sql=(
            f"SELECT pg_advisory_lock(hashtext('{MIGRATION_LOCK_KEY}'))",
            f"SET lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'",
            PIN_SCHEMA_SQL,
        ),
        # The write transaction is as it is: the UPDATE locks its row, and a second
        # writer waits for it. The demo changes no setting: the server's are the DBA's.
    )
    queries = CatalogQueries(
        # Tables and partitioned tables of the schema the service's tables are in
        # (`SERVICE_SCHEMA_SQL`).
        tables=(
            "SELECT relname FROM pg_catalog.pg_class"
            f" WHERE relnamespace = {SERVICE_SCHEMA_SQL} AND relkind IN ('r', 'p')"
        ),
        # From the catalog, not information_schema, which hides what the role may not
        # read: a role without privileges must hear so, not "no tables".
        service_columns=(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_class AS c"
            " JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid"
            f" WHERE c.relnamespace = {SERVICE_SCHEMA_SQL}"
            " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
            " AND c.relname LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
        ),
        # Views and materialized views of the service's schema.
        views=(
            "SELECT c.relname FROM pg_catalog.pg_class AS c"
            f" WHERE c.relnamespace = {SERVICE_SCHEMA_SQL}"
            " AND c.relkind IN ('v', 'm') AND c.relname LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
        ),
        # Usable is `pg_index.indisvalid`: false for what an interrupted concurrent
        # build left behind.
        session_indexes=(
            "SELECT i.relname, x.indisvalid FROM pg_catalog.pg_index AS x"
            " JOIN pg_catalog.pg_class AS i ON i.oid = x.indexrelid"
            " WHERE x.indrelid IN (to_regclass('remote_agent_sessions'),"
            " to_regclass('remote_agent_workflow_runs'))"
        ),
        # The valid ones, from pg_index (cheaper than the inspector's get_indexes): an
        # index an interrupted concurrent build left invalid is not read by the planner,
        # so it counts as missing (and `migrate` rebuilds it).
        index_names=(
            "SELECT i.relname FROM pg_catalog.pg_index AS x"
            " JOIN pg_catalog.pg_class AS i ON i.oid = x.indexrelid"
            " JOIN pg_catalog.pg_class AS t ON t.oid = x.indrelid"
            f" WHERE t.relnamespace = {SERVICE_SCHEMA_SQL} AND t.relname = :t"
            " AND x.indisvalid"
        ),
        column_shapes=(
            "SELECT a.attname, format_type(a.atttypid, NULL), a.attnotnull,"
            " a.atthasdef OR a.attidentity <> ''"
            " FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_class AS c"
            " ON c.oid = a.attrelid"
            f" WHERE c.relnamespace = {SERVICE_SCHEMA_SQL} AND c.relname = :t"
            " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
        ),
        # In the schema the unqualified name resolves in; a role without INSERT on it
        # (a read-only role) reads it but cannot keep a record.
        tool_table=(
            "SELECT has_table_privilege(c.oid, 'INSERT') FROM pg_catalog.pg_class AS c"
            f" WHERE c.relnamespace = {SERVICE_SCHEMA_SQL} AND c.relname = :t"
            " AND c.relkind IN ('r', 'p')"
        ),
        # A hot standby is in recovery for as long as it replays its primary's WAL;
        # `pg_is_in_recovery()` is open to every role.
        standby="SELECT pg_is_in_recovery()",
        # The zone the service's own connections get (`SERVICE_ZONE_SQL`).
        zone=SERVICE_ZONE_SQL,
        schema=f"SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = {SERVICE_SCHEMA_SQL}",
        # Over `current_schemas(false)` (the path's schemas that exist and this role may
        # use), in path order.
        elsewhere=(
            "SELECT t.relname, n.nspname"
            " FROM unnest(current_schemas(false)) WITH ORDINALITY AS p(name, pos)"
            " JOIN pg_catalog.pg_namespace AS n ON n.nspname = p.name"
            " JOIN pg_catalog.pg_class AS t ON t.relnamespace = n.oid"
            f" WHERE n.oid IS DISTINCT FROM {SERVICE_SCHEMA_SQL}"
            " AND t.relkind IN ('r', 'p', 'v', 'm', 'f')"
            " AND t.relname LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
            " ORDER BY t.relname, p.pos"
        ),
        # `pg_settings` is readable by every role (its `source` column included).
        timeout=(
            "SELECT current_setting('statement_timeout'), source, current_user,"
            " current_database() FROM pg_catalog.pg_settings WHERE name = 'statement_timeout'"
        ),
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

    def pin_schema_sql(self, catalog: Catalog) -> list[str]:
        return [] if catalog.schema is None else [pin_schema_sql(catalog.schema)]

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

    async def read_columns(self, conn: AsyncConnection, session_id: str) -> dict[str, Any]:
        """The row as one JSONB object without its metadata, and the metadata as text:
        the driver decodes JSONB itself, and a document nested past Python's recursion
        limit (PostgreSQL takes it) failed the whole read. `Metadata.decode` judges it."""
        stmt = sa.text(
            "SELECT to_jsonb(s) - 'metadata' AS row, CAST(s.metadata AS TEXT) AS metadata"
            " FROM remote_agent_sessions AS s WHERE s.id = CAST(:id AS uuid)"
        )
        found = (await conn.execute(stmt, {"id": session_id})).first()
        if found is None:
            return {}
        columns = found._mapping["row"]
        if isinstance(columns, str):  # a connection without SQLAlchemy's JSONB codec
            columns = json.loads(columns)
        return {**columns, "metadata": found._mapping["metadata"]}

    def now(self) -> ColumnElement[Any]:
        return sa.func.now()

    def absolute(self, col: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        return sa.type_coerce(
            col.op("AT TIME ZONE")(_zone(zone)), postgresql.TIMESTAMP(timezone=True)
        )

    def stored(self, when: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        """`when` AT TIME ZONE the service's: the wall clock there, as `NOW()` assigned
        to a TIMESTAMP column on a connection in that zone is."""
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

    def utc_bucket(self, col: ColumnElement[Any], zone: str, *, hourly: bool) -> ColumnElement[Any]:
        """The stored wall time read in the service's zone, then as UTC wall time, then
        cut: `to_char` of a TIMESTAMP, which no session zone changes. In UTC the stored
        value is cut as it is (what an index holds)."""
        utc = col if zone == "UTC" else self.absolute(col, zone).op("AT TIME ZONE")("UTC")
        return sa.func.to_char(utc, "YYYY-MM-DD HH24" if hourly else "YYYY-MM-DD")

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


BACKEND = PostgresqlBackend()
