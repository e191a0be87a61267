"""The PostgreSQL backend: the service's server, through asyncpg.

Ids are UUID, timestamps TIMESTAMP [WITH TIME ZONE] read in UTC, metadata JSONB.
Only PostgreSQL users import this module, and with it SQLAlchemy's postgresql dialect.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from tui.domain.models import Cursor
from tui.store.backends.base import Backend
from tui.store.backends.postgresql_driver import server_settings
from tui.store.target import DbTarget

MIGRATION_LOCK_TIMEOUT = "10s"
"""How long an ALTER/CREATE INDEX may queue for a lock on the live service's tables.

Without it, a migration stuck behind one long service transaction would make every
later query on the table queue behind *it*: better to fail and let the operator retry.
"""

MIGRATION_LOCK_KEY = "sessions-tui migrate"
"""Two `sessions-tui migrate` runs against one PostgreSQL database take turns on this key."""


class PostgresqlBackend(Backend):
    def make_engine(
        self, target: DbTarget, *, read_only: bool, create: bool, lock_wait_ms: int
    ) -> AsyncEngine:
        """Named, in UTC, read-only when asked (`server_settings`), a 10 s connect
        timeout and a small pool. Locks wait as the server is configured."""
        connect_args: dict[str, Any] = {
            "server_settings": server_settings(read_only=read_only),
            "timeout": 10,
        }
        if target.ssl:
            connect_args["ssl"] = target.ssl
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
            query=dict(target.query),
        )

    async def snapshot(self, conn: AsyncConnection) -> None:
        """READ COMMITTED, the default, takes a new snapshot per statement."""
        await conn.execution_options(isolation_level="REPEATABLE READ")

    async def background(self, conn: AsyncConnection) -> None:
        """One core: PostgreSQL would otherwise run a full count with parallel workers,
        taking every core of the server from the service (and, on a shared host, from
        this tool's own screen) for a figure that is never urgent. Only this
        transaction is affected."""
        await conn.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))

    async def for_writes(self, conn: AsyncConnection) -> AsyncConnection:
        """As it is: the UPDATE locks its row, and a second writer waits for it."""
        return conn

    def lock_for_migration(self, conn: Connection) -> None:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock(hashtext('{MIGRATION_LOCK_KEY}'))")
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'")

    def alembic_options(self) -> dict[str, Any]:
        return {"render_as_batch": False}

    async def prepare_bulk_load(self, conn: AsyncConnection) -> None:
        """Nothing to do: the server's settings are the DBA's."""

    def driver_dialect(self) -> Dialect:
        from sqlalchemy.dialects.postgresql import asyncpg

        return asyncpg.dialect()  # type: ignore[no-untyped-call]

    def service_columns(self, conn: Connection) -> dict[str, set[str]]:
        """The tables of the search path's first schema, where the service's unqualified
        names resolve. From the catalog, not information_schema, which hides what the
        role may not read: a role without privileges must hear so, not "no tables"."""
        sql = sa.text(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_class AS c"
            " JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid"
            " WHERE c.relnamespace = current_schema()::regnamespace"
            " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
            " AND c.relname LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
        )
        found: dict[str, set[str]] = {}
        for table, column in conn.execute(sql):
            found.setdefault(str(table), set()).add(str(column))
        return found

    def index_names(self, conn: Connection, table: str) -> set[str]:
        """pg_indexes: the inspector's get_indexes takes 35 ms."""
        sql = sa.text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = :t"
        )
        return {str(r[0]) for r in conn.execute(sql, {"t": table})}

    def id_type(self) -> TypeEngine[Any]:
        return postgresql.UUID(as_uuid=False)

    def json_type(self) -> TypeEngine[Any]:
        return postgresql.JSONB()

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

    def as_text(self, col: ColumnElement[Any]) -> ColumnElement[str]:
        return sa.cast(col, sa.Text)

    def like(self, col: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        return self.as_text(col).ilike(pattern, escape="\\")

    def raw_timestamp(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.type_coerce(col, sa.DateTime())

    def timestamp_literal(self, text: str) -> ColumnElement[Any]:
        return sa.cast(sa.literal(text), sa.DateTime())

    def lowest_timestamp(self) -> ColumnElement[Any]:
        return sa.cast(sa.literal("-infinity"), sa.DateTime())

    def seconds_between(
        self, end: ColumnElement[Any], start: ColumnElement[Any]
    ) -> ColumnElement[float]:
        """Float, not extract()'s Integer."""
        span = self.raw_timestamp(end) - self.raw_timestamp(start)
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
        walked the started_at index with a filter, and pre-016 rows (reason NULL) are
        the oldest (312 ms on 1M sessions). A constant column changes no order."""
        return [col.desc()]

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
        """Between the prefix padded with 0s and with fs, in UUID text."""
        hexdigits = prefix.replace("-", "")
        if not all(ch in "0123456789abcdef" for ch in hexdigits) or len(hexdigits) > 32:
            return None
        lo, hi = hexdigits.ljust(32, "0"), hexdigits.ljust(32, "f")
        return sa.and_(col >= _uuid_text(lo), col <= _uuid_text(hi))

    def json_set(self, col: ColumnElement[Any], key: str, value_json: str) -> ColumnElement[Any]:
        patch = sa.func.jsonb_build_object(key, sa.cast(sa.literal(value_json), postgresql.JSONB))
        return sa.case(
            (col.is_(None), patch),
            (sa.func.jsonb_typeof(col) == "object", col.op("||")(patch)),
            else_=col,
        )


def _uuid_text(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


BACKEND = PostgresqlBackend()
