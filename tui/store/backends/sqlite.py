"""The SQLite backend: the service's file, opened through aiosqlite.

Ids are hex TEXT, timestamps UTC text as `datetime('now')` writes them, metadata JSON
text. SQLite has no statistics unless someone ran ANALYZE, so a few expressions
steer its planner by hand (`unindexed`).
"""

from __future__ import annotations

import errno
import os
import time
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Column, event
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Alias
from sqlalchemy.sql.visitors import InternalTraversal

from tui.store.backends.base import Backend, Catalog, CatalogQueries, Traits
from tui.store.backends.sqlite_driver import DRIVER, decode_text, file_uri
from tui.store.backends.sqlite_fold import FOLD_LIKE, like_skeleton, plain_like_suffices
from tui.store.backends.sqlite_fold import register as register_fold_like
from tui.store.catalog import index_names, read_catalog
from tui.store.codec import SQLITE_TS_FORMAT
from tui.store.target import DbTarget

INDEX_ROWS_PER_SECOND = 230_000
"""How fast SQLite builds one of the tool's indexes, in sessions per second: the median of
the six, measured by tests/bench/migrate_load.py (tests/bench/README.md). The
question `migrate` asks estimates from it: an estimate, which another machine moves."""

LOCK_HANDOVER_S = 0.15
"""The pause after each index: longer than SQLite's longest busy-handler sleep (100 ms)."""

SERVICE_BUSY_TIMEOUT_S = 5
"""How long the service's writes wait for a lock before failing with "database is locked"."""

INDEX_BUILD_THREADS = 2
"""Helper threads SQLite's sorter may use while `migrate` builds an index (`PRAGMA threads`):
the sort is most of a build's CPU and is what holds the write lock. The index is the same,
the lock is held less long for the same CPU (tests/bench/README.md)."""


_SQLITE_TEXT = frozenset({"text", "varchar", "character varying", "clob", "char", "nvarchar"})


class SqliteBackend(Backend):
    traits = Traits(
        # The service's busy handler retries only every 100 ms once it has waited a
        # while: without a gap the next batch would take the lock straight back.
        write_pause_s=LOCK_HANDOVER_S,
        # SQLite cannot ALTER much: batch mode copes if an op.* helper is ever used.
        batch_alter=True,
        # Text affinity for text and times (UTC text); the rowid for the key.
        audit_types={"id": frozenset({"integer"}), "text": _SQLITE_TEXT, "time": _SQLITE_TEXT},
        id_type=sa.Text(),
        json_type=sa.Text(),
        # The service writes `datetime('now')`: UTC text, in its zone-less columns too.
        timestamp_types=(sa.Text(), sa.Text()),
        timestamp_format=SQLITE_TS_FORMAT,
        # aiosqlite's paramstyle, qmark, as `sqlite_driver` passes the parameters.
        driver_dialect=sqlite_dialect.dialect(paramstyle="qmark"),
        # Ids are free TEXT, and a TEXT PRIMARY KEY may hold NULL.
        nullable_ids=True,
        # DESC puts NULLs last in SQLite: they follow every dated row. SQLite reads the
        # index that starts with a NULL column once the others are `unindexed`.
        nulls_first_desc=False,
        # A SQLite transaction reads one snapshot as it is (see `_own_transactions`);
        # a write transaction begins IMMEDIATE, taking the file's write lock at once.
        write_options={"begin_immediate": True},
        # WAL like the service uses, and no fsync while the demo fills a new file
        # (journal_mode cannot change inside a transaction: run on the bare driver).
        bulk_load_sql=("PRAGMA journal_mode = WAL", "PRAGMA synchronous = OFF"),
        # No migration lock: every transaction of the migration begins IMMEDIATE and
        # every index build is one statement, each waiting for the file's one write
        # lock at most the busy timeout, so two runs take turns.
    )
    queries = CatalogQueries(
        # Every table but SQLite's own (`sqlite_sequence`, `sqlite_stat1`, ...).
        tables=(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        ),
        service_columns=(
            "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p"
            " WHERE m.type = 'table' AND m.name LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
        ),
        views=(
            "SELECT name FROM sqlite_master"
            " WHERE type = 'view' AND name LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
        ),
        # Every index SQLite lists is usable: a build is one statement, done or not.
        session_indexes=(
            "SELECT name, 1 FROM pragma_index_list('remote_agent_sessions') UNION ALL"
            " SELECT name, 1 FROM pragma_index_list('remote_agent_workflow_runs')"
        ),
        index_names="SELECT name FROM pragma_index_list(:t)",
        # An INTEGER PRIMARY KEY is the rowid, which SQLite fills.
        column_shapes=(
            'SELECT name, type, "notnull", dflt_value IS NOT NULL OR (pk > 0 AND lower(trim('
            "CASE WHEN instr(type, '(') > 0 THEN substr(type, 1, instr(type, '(') - 1)"
            " ELSE type END)) = 'integer') FROM pragma_table_info(:t)"
        ),
        # Writable wherever it exists: a file opened read-only never ends anything.
        tool_table="SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :t",
        # The four above that opening a store asks, in one statement (one trip to the
        # driver's thread instead of four).
        opening=(
            "SELECT 'c', m.name, p.name, NULL, NULL"
            " FROM sqlite_master AS m, pragma_table_info(m.name) AS p"
            " WHERE m.type = 'table' AND m.name LIKE 'remote\\_agent\\_%' ESCAPE '\\'"
            " UNION ALL SELECT 'i', name, NULL, NULL, NULL FROM pragma_index_list(:sessions)"
            " UNION ALL SELECT 't', 1, NULL, NULL, NULL FROM sqlite_master"
            " WHERE type = 'table' AND name = :audit"
            " UNION ALL SELECT 's', name, type, \"notnull\", dflt_value IS NOT NULL OR (pk > 0"
            " AND lower(trim(CASE WHEN instr(type, '(') > 0"
            " THEN substr(type, 1, instr(type, '(') - 1)"
            " ELSE type END)) = 'integer') FROM pragma_table_info(:audit)"
        ),
        # `PRAGMA quick_check(1)`: reads every page once (no index cross-check), so a
        # malformed file is named before `migrate` calls it up to date.
        damage="PRAGMA quick_check(1)",
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
        """mode=ro/rw/rwc by the flags, the busy timeout, foreign keys, and transactions
        SQLAlchemy begins itself (see `_own_transactions`). No statement timeout: SQLite
        waits for a lock at most the busy timeout, and reads in this process. The file
        is named by a URI that names it alone (`file_uri`): no other file is opened or
        created whatever characters its path holds."""
        assert target.path is not None
        mode = "ro" if read_only else ("rwc" if create else "rw")
        url = sa.engine.URL.create(
            "sqlite+aiosqlite",
            database=file_uri(target.path, mode),
            query={"uri": "true"},
        )
        engine = create_async_engine(url, connect_args={"timeout": lock_wait_ms / 1000})
        if mode != "rwc":
            _refuse_a_missing_file(engine, target)
        _own_transactions(engine, read_only, lock_wait_ms)
        return engine

    def file_identity(self, target: DbTarget) -> tuple[int, int] | None:
        """The file's (device, inode): a connection keeps the file it opened, whatever
        the path names later (os.replace, a restore, rm, chmod). Readable is asked of
        the kernel (`access`, for this process's user): opening the file here and
        closing it would drop SQLite's POSIX locks on it, held by the pool."""
        assert target.path is not None
        st = os.stat(target.path)
        if not os.access(target.path, os.R_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target.path))
        return st.st_dev, st.st_ino

    def url(self, target: DbTarget) -> sa.engine.URL:
        """The plain file URL; `make_engine` opens it as a URI with the mode it needs."""
        return sa.engine.URL.create("sqlite+aiosqlite", database=str(target.path))

    def add_column(self, conn: Connection, table: str, column: str, comment: str) -> None:
        """SQLite has no ADD COLUMN IF NOT EXISTS (and no column comments): look first."""
        for statement in self.add_column_sql(read_catalog(self, conn), table, column, comment):
            conn.exec_driver_sql(statement)

    def add_column_sql(self, catalog: Catalog, table: str, column: str, comment: str) -> list[str]:
        if catalog.has_column(table, column):
            return []
        return [f"ALTER TABLE {table} ADD COLUMN {column} TEXT"]

    def create_index(
        self, conn: Connection, name: str, table: str, columns: str, where: str | None = None
    ) -> None:
        """One statement in its own transaction: SQLite holds the write lock for this
        index alone. After building one, wait `LOCK_HANDOVER_S` before the next, so the
        service's writes that queued get the lock: their busy handler retries only every
        100 ms, and without the gap we would take the lock straight back, making them
        wait across several indexes. The sort may use `INDEX_BUILD_THREADS` helper threads
        (a setting of this connection, the migration's own)."""
        present = Catalog(indexes=dict.fromkeys(index_names(self, conn, table), True))
        statements = self.create_index_sql(present, name, table, columns, where)
        if statements:
            conn.exec_driver_sql(f"PRAGMA threads = {INDEX_BUILD_THREADS}")
        for statement in statements:
            conn.exec_driver_sql(statement)
        if statements:
            time.sleep(LOCK_HANDOVER_S)

    def create_index_sql(
        self, catalog: Catalog, name: str, table: str, columns: str, where: str | None = None
    ) -> list[str]:
        if name in catalog.indexes:
            return []
        partial = f" WHERE {where}" if where else ""
        return [f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}){partial}"]

    def migration_notice(self, sessions: int, indexes: int) -> str | None:
        """SQLite has one write lock per file: while an index is built, the service's
        writes wait, and fail after its busy timeout."""
        if not sessions or not indexes:
            return None
        each = sessions / INDEX_ROWS_PER_SECOND
        total = each * indexes
        text = (
            f"remote_agent_sessions holds {sessions:,} session{'s' if sessions != 1 else ''}: "
            f"building {indexes} "
            f"index{'es' if indexes != 1 else ''} takes about {_seconds(total)} here, one at a "
            f"time, about {_seconds(each)} each. While each is built the service's writes "
            "wait (its reads go on)."
        )
        if each >= SERVICE_BUSY_TIMEOUT_S * 0.8:
            text += (
                f" That is close to or beyond the service's {SERVICE_BUSY_TIMEOUT_S} s busy "
                "timeout: its writes may fail with 'database is locked'; consider stopping "
                "the service first."
            )
        return text

    async def read_columns(self, conn: AsyncConnection, session_id: str) -> dict[str, Any]:
        """`SELECT *`: the driver hands TEXT over as it is, metadata included."""
        sql = sa.text("SELECT * FROM remote_agent_sessions WHERE id = :id")
        row = (await conn.execute(sql, {"id": session_id})).first()
        return {} if row is None else dict(row._mapping)

    def now(self) -> ColumnElement[Any]:
        """`datetime('now')`, as the service writes it: UTC text, whole seconds."""
        return sa.func.datetime("now")

    def absolute(self, col: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        """UTC text already."""
        return col

    def stored(self, when: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        """The bind's own type writes UTC text, as `now()` does."""
        return when

    def audit_object(self, record_json: str) -> ColumnElement[Any]:
        """Whole seconds, as `datetime('now')` keeps them; SQLite gives every 'now' of
        one statement the same instant."""
        at = sa.func.strftime("%Y-%m-%dT%H:%M:%SZ", "now")
        return sa.func.json_set(sa.func.json(sa.literal(record_json)), "$.at", at)

    def as_text(self, col: ColumnElement[Any]) -> ColumnElement[str]:
        return col

    def like(self, col: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """Any case: an ASCII pattern through SQLite's LIKE (which folds ASCII only), one
        with letters beyond ASCII through `sqlite_fold.FOLD_LIKE` (casefolded), behind a
        LIKE on the characters it can test in C (`like_skeleton`)."""
        if plain_like_suffices(pattern):
            return col.like(pattern, escape="\\")
        folded = sa.Function(FOLD_LIKE, col, sa.literal(pattern), type_=sa.Integer()) == 1
        skeleton = like_skeleton(pattern)
        if skeleton is None:
            return folded
        return sa.and_(col.like(skeleton, escape="\\"), folded)  # C first: fewer calls

    def seconds_between(
        self, end: ColumnElement[Any], start: ColumnElement[Any]
    ) -> ColumnElement[float]:
        return sa.type_coerce(
            (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0, sa.Float()
        )

    def time_shaped(self, col: ColumnElement[Any]) -> ColumnElement[bool] | None:
        """`YYYY-MM-DD…`: the service's `datetime('now')` and ISO text. 'not-a-date'
        sorts above every date as text, and '4102444800' above today's: without this
        both matched any `--since`. Tested on the index entry, after its range."""
        return col.op("GLOB")(sa.literal("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*"))

    def unindexed(self, col: Column[Any]) -> ColumnElement[Any]:
        """The column behind a unary +, which SQLite's planner will not use an index for:
        on a file nobody ANALYZEd it otherwise picks indexes that read far more rows."""
        return sa.literal_column(f"+{col.table.name}.{col.name}", col.type)

    def read_by_index(self, stmt: sa.Select[Any], table: sa.Table, index: str) -> sa.Select[Any]:
        """`table INDEXED BY index`: SQLite without statistics (nobody runs ANALYZE on the
        service's file) takes `active = 1` for ten rows, so it reads them by the service's
        index on `active` and then each table row, even where a partial covering index
        holds exactly those rows and everything the statement reads of them.
        Every reference to `table` in `stmt` is moved onto an alias of the same name that
        compiles to that clause; SQLite refuses the statement if the index is missing."""
        return sql_util.ClauseAdapter(_IndexedBy.of(table, index)).traverse(stmt)

    def in_small_set(self, col: ColumnElement[Any], ids: sa.Select[Any]) -> ColumnElement[bool]:
        """A plain IN: SQLite computes the list once and seeks `col`'s index per entry."""
        return col.in_(ids)

    def utc_bucket(self, col: ColumnElement[Any], zone: str, *, hourly: bool) -> ColumnElement[Any]:
        """UTC text already; strftime reads every form SQLite takes for a time (a `T`,
        fractions, a `Z` or an offset, which it applies) and gives NULL for other text."""
        return sa.func.strftime("%Y-%m-%d %H" if hourly else "%Y-%m-%d", col)

    def json_set(
        self, col: ColumnElement[Any], key: str, value: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        """Stored as text: only NULL becomes a new object; text that is not a JSON
        object (blank, invalid, an array, a string, `null`) stays byte for byte, as on
        PostgreSQL. `value` is JSON (from `json()` or `json_set()`), set as an object."""
        raw = sa.type_coerce(col, sa.Text())
        return sa.case(
            (raw.is_(None), sa.func.json_object(key, value)),
            (
                sa.and_(sa.func.json_valid(raw) == 1, sa.func.json_type(raw) == "object"),
                sa.func.json_set(raw, f"$.{key}", value),
            ),
            else_=raw,
        )


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def _refuse_a_missing_file(engine: AsyncEngine, target: DbTarget) -> None:
    """A file that is not there fails to connect with SQLite's own error, raised before
    the driver starts its connection thread: aiosqlite's failed connect leaves that
    thread a stop to answer on the event loop, which may be closed by then (the answer
    is then an exception on the thread). A mode that may create the file is not asked."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _on_do_connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> None:
        if DRIVER.missing(target):
            import sqlite3

            raise sqlite3.OperationalError("unable to open database file")


def _own_transactions(engine: AsyncEngine, read_only: bool, busy_timeout_ms: int) -> None:
    """Let SQLAlchemy, not the driver, own transactions, so writes can BEGIN IMMEDIATE
    (`Traits.write_options`) and every read transaction is one snapshot. A connection set to
    AUTOCOMMIT gets no BEGIN: every statement commits on its own.

    The journal mode is left as the file has it: this tool does not own the file.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        record.driver_connection.text_factory = decode_text
        dbapi_conn.isolation_level = None
        register_fold_like(dbapi_conn)
        try:
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            cur.execute("PRAGMA foreign_keys = ON")
            if read_only:
                cur.execute("PRAGMA query_only = ON")
            cur.close()
        except Exception:
            # The pool drops a connection whose connect event fails without closing
            # it, and its driver thread would outlive the event loop: close it here.
            dbapi_conn.close()
            raise

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # each statement is its own transaction (the migrations' index builds)
        immediate = options.get("begin_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


BACKEND = SqliteBackend()


class _IndexedBy(Alias):
    """A table under its own name, read `INDEXED BY` an index (`read_by_index`)."""

    inherit_cache = True
    _traverse_internals = [*Alias._traverse_internals, ("index", InternalTraversal.dp_string)]
    index: str

    @classmethod
    def of(cls, table: sa.Table, index: str) -> _IndexedBy:
        alias = cls._construct(table, name=table.name)
        alias.index = index
        return alias


@compiles(_IndexedBy)
def _indexed_by(element: _IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    if kw.get("asfrom") and not kw.get("ashint"):
        table = compiler.preparer.format_table(cast("sa.Table", element.element))
        return f"{table} INDEXED BY {compiler.preparer.quote(element.index)}"
    return str(compiler.visit_alias(element, **kw))  # type: ignore[no-untyped-call]
