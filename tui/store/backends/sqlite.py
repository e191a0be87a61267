"""The SQLite backend: the service's file, opened through aiosqlite.

Ids are hex TEXT, timestamps UTC text as `datetime('now')` writes them, metadata JSON
text. SQLite has no statistics unless someone ran ANALYZE, so a few expressions
steer its planner by hand (`unindexed`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from tui.domain.models import Cursor
from tui.store.backends.base import Backend
from tui.store.codec import SQLITE_TS_FORMAT
from tui.store.target import DbTarget


class SqliteBackend(Backend):
    def make_engine(
        self, target: DbTarget, *, read_only: bool, create: bool, lock_wait_ms: int
    ) -> AsyncEngine:
        """mode=ro/rw/rwc by the flags, the busy timeout, foreign keys, and transactions
        SQLAlchemy begins itself (see `_own_transactions`)."""
        mode = "ro" if read_only else ("rwc" if create else "rw")
        url = sa.engine.URL.create(
            "sqlite+aiosqlite",
            database=f"file:{target.path}?mode={mode}",
            query={"uri": "true"},
        )
        engine = create_async_engine(url, connect_args={"timeout": lock_wait_ms / 1000})
        _own_transactions(engine, read_only, lock_wait_ms)
        return engine

    def url(self, target: DbTarget) -> sa.engine.URL:
        """The plain file URL; `make_engine` opens it as a URI with the mode it needs."""
        return sa.engine.URL.create("sqlite+aiosqlite", database=str(target.path))

    async def snapshot(self, conn: AsyncConnection) -> None:
        """Nothing to do: a SQLite transaction reads one snapshot (see `_own_transactions`)."""

    async def background(self, conn: AsyncConnection) -> None:
        """Nothing to do: SQLite runs in this process, on one thread."""

    async def for_writes(self, conn: AsyncConnection) -> AsyncConnection:
        return await conn.execution_options(begin_immediate=True)

    def lock_for_migration(self, conn: Connection) -> None:
        """Nothing more to do: the migration's BEGIN IMMEDIATE (`for_writes`) already
        holds the one write lock, waiting for it at most the busy timeout."""

    def alembic_options(self) -> dict[str, Any]:
        """SQLite cannot ALTER much: batch mode copes if an op.* helper is ever used."""
        return {"render_as_batch": True}

    async def prepare_bulk_load(self, conn: AsyncConnection) -> None:
        """WAL like the service uses, and no fsync while filling it. Run outside
        SQLAlchemy's transaction: journal_mode cannot change inside one."""
        raw: Any = (await conn.get_raw_connection()).driver_connection
        await raw.execute("PRAGMA journal_mode = WAL")
        await raw.execute("PRAGMA synchronous = OFF")

    def driver_dialect(self) -> Dialect:
        """aiosqlite's paramstyle, qmark, as `sqlite_driver` passes the parameters."""
        from sqlalchemy.dialects import sqlite

        return sqlite.dialect(paramstyle="qmark")

    def service_columns(self, conn: Connection) -> dict[str, set[str]]:
        sql = sa.text(
            "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p"
            " WHERE m.type = 'table' AND m.name LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
        )
        found: dict[str, set[str]] = {}
        for table, column in conn.execute(sql):
            found.setdefault(str(table), set()).add(str(column))
        return found

    def index_names(self, conn: Connection, table: str) -> set[str]:
        sql = sa.text("SELECT name FROM pragma_index_list(:t)")
        return {str(r[0]) for r in conn.execute(sql, {"t": table})}

    def id_type(self) -> TypeEngine[Any]:
        return sa.Text()

    def json_type(self) -> TypeEngine[Any]:
        return sa.Text()

    def timestamp_type(self, *, timezone: bool) -> TypeEngine[Any]:
        return sa.Text()

    def bind_timestamp(self, utc: datetime, *, timezone: bool) -> Any:
        return utc.strftime(SQLITE_TS_FORMAT)

    def demo_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return rows

    def now(self) -> ColumnElement[Any]:
        return sa.func.datetime("now")

    def as_text(self, col: ColumnElement[Any]) -> ColumnElement[str]:
        return col

    def like(self, col: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """SQLite's LIKE already ignores (ASCII) case."""
        return col.like(pattern, escape="\\")

    def raw_timestamp(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.type_coerce(col, sa.Text())

    def timestamp_literal(self, text: str) -> ColumnElement[Any]:
        return sa.literal(text)

    def lowest_timestamp(self) -> ColumnElement[Any]:
        return sa.literal("", sa.Text())

    def seconds_between(
        self, end: ColumnElement[Any], start: ColumnElement[Any]
    ) -> ColumnElement[float]:
        return sa.type_coerce(
            (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0, sa.Float()
        )

    def unindexed(self, col: Column[Any]) -> ColumnElement[Any]:
        """The column behind a unary +, which SQLite's planner will not use an index for:
        on a file nobody ANALYZEd it otherwise picks indexes that read far more rows."""
        return sa.literal_column(f"+{col.table.name}.{col.name}", col.type)

    def in_small_set(self, col: ColumnElement[Any], ids: sa.Select[Any]) -> ColumnElement[bool]:
        """A plain IN: SQLite computes the list once and seeks `col`'s index per entry."""
        return col.in_(ids)

    def null_pinning_order(self, col: ColumnElement[Any]) -> list[ColumnElement[Any]]:
        """None needed: SQLite reads the index that starts with `col` once the other
        columns are `unindexed`."""
        return []

    def segment_after(self, cursor: Cursor) -> Cursor | None:
        """DESC puts NULLs last in SQLite: they follow every dated row."""
        if cursor.key is None:
            return None
        return Cursor(key=None, id="", as_of=cursor.as_of, segment_top=True)

    def valid_id(self, value: str) -> bool:
        """Ids are free TEXT."""
        return True

    def id_prefix(self, col: ColumnElement[Any], prefix: str) -> ColumnElement[bool] | None:
        return sa.and_(col >= prefix, col < prefix + "\U0010ffff")

    def json_set(self, col: ColumnElement[Any], key: str, value_json: str) -> ColumnElement[Any]:
        """Stored as text: blank text counts as no object, and json_set keeps the rest."""
        raw = sa.type_coerce(col, sa.Text())
        value = sa.func.json(sa.literal(value_json))
        return sa.case(
            (sa.or_(raw.is_(None), sa.func.trim(raw) == ""), sa.func.json_object(key, value)),
            (
                sa.and_(sa.func.json_valid(raw) == 1, sa.func.json_type(raw) == "object"),
                sa.func.json_set(raw, f"$.{key}", value),
            ),
            else_=raw,
        )


def _own_transactions(engine: AsyncEngine, read_only: bool, busy_timeout_ms: int) -> None:
    """Let SQLAlchemy, not the driver, own transactions, so writes can BEGIN IMMEDIATE
    (`for_writes`) and every read transaction is one snapshot.

    The journal mode is left as the file has it: this tool does not own the file.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cur.execute("PRAGMA foreign_keys = ON")
        if read_only:
            cur.execute("PRAGMA query_only = ON")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("begin_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


BACKEND = SqliteBackend()
