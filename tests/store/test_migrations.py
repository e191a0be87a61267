"""The tool's Alembic migrations, on real SQLite files and a real PostgreSQL server.

One body per test, run once per backend (the `backend`/`empty_db_url` fixtures).
The databases are built with the service's own DDL (tests/support/service_schema.py)
and raw drivers (sqlite3, asyncpg), not with anything under test, so the tests
prove the migrations adopt databases this tool did not create without losing a byte.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from tests.support.dbs import create_service_db
from tests.support.pgserver import find_pg_bin
from tests.support.service_schema import service_ddl, statements
from tests.support.sqlite_files import sqlite_file
from tui.domain.models import SessionFilter
from tui.store import queries as q
from tui.store.backends import backend_for
from tui.store.backends import postgresql as postgresql_backend
from tui.store.errors import DatabaseLocked, DatabaseNotFound, PermissionDenied, StoreError
from tui.store.migrate import (
    VERSION_TABLE,
    NotAServiceDatabase,
    current_revision,
    head_revision,
    migrations_dir,
    pending,
    plan,
    revision_ids,
    upgrade,
    upgrade_sql,
)
from tui.store.store import make_engine, open_store
from tui.store.tables import (
    ACTIVE_INDEX,
    ACTIVE_INDEX_COLUMNS,
    AUDIT,
    RUN_INDEXES,
    RUNS_STARTED_COLUMNS,
    RUNS_STATUS_COLUMNS,
    TOOL_INDEXES,
    WORKFLOW_RUNS,
)
from tui.store.target import DbTarget, sqlite_target, url_target

SERVICE_TABLES = ("remote_agent_codebases", "remote_agent_conversations", "remote_agent_sessions")
ALL_REVISIONS = [
    "0001_baseline",
    "0002_ended_reason",
    "0003_filter_indexes",
    "0004_facet_index",
    "0005_live_index",
    "0006_audit_table",
    "0007_ended_index",
    "0008_active_index",
    "0009_audit_target",
    "0010_runs_index",
]
SERVICE_016_COMMENT = (
    "Why this session was deactivated: reset-requested, cwd-changed, conversation-closed, etc."
)
TUI_INDEXES = {
    "ix_sessions_tui_reason_started": ["ended_reason", "started_at", "id"],
    "ix_sessions_tui_active_started": ["active", "started_at", "id"],
    "ix_sessions_tui_started": ["started_at", "id"],
    "ix_sessions_tui_parent": ["parent_session_id"],
    "ix_sessions_tui_facets": ["ended_reason", "active", "started_at"],
    "ix_sessions_tui_live": ["active", "ended_at", "ended_reason"],
    "ix_sessions_tui_ended": ["ended_at", "id"],
    "ix_sessions_tui_active_conv": ["conversation_id", "started_at", "id", "codebase_id", "active"],
}


# -- a database driven by raw drivers, independent of the code under test -----------------


class RawDb:
    """One test database, reached with the plain driver of its backend."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.url = url
        self.target: DbTarget = url_target(url)

    @property
    def path(self) -> Path:
        assert self.target.path is not None
        return self.target.path

    async def execute(self, sql: list[str]) -> None:
        if self.backend == "sqlite":
            with sqlite_file(self.path) as conn:
                for statement in sql:
                    conn.execute(statement)
            conn.close()
            return
        conn = await asyncpg.connect(self.url)
        try:
            for statement in sql:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def script(self, sql: str) -> None:
        """Feed a script to the shell a DBA would use, stopping at the first error:
        `sqlite3 -bail FILE` (Python's executescript where the shell is missing) and
        `psql -v ON_ERROR_STOP=1`, which runs each statement on its own as a file does
        (CREATE INDEX CONCURRENTLY refuses a multi-statement query string)."""
        if self.backend == "sqlite":
            shell = shutil.which("sqlite3")
            if shell is None:
                conn = sqlite3.connect(self.path)
                try:
                    conn.executescript(sql)
                finally:
                    conn.close()
                return
            cmd = [shell, "-bail", str(self.path)]
        else:
            pg_bin = find_pg_bin()
            psql = str(pg_bin / "psql") if pg_bin and (pg_bin / "psql").exists() else "psql"
            cmd = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url, "-f", "-"]
        done = await asyncio.to_thread(
            subprocess.run, cmd, input=sql, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "ERROR" not in done.stderr and "Error" not in done.stderr, done.stderr

    async def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.path)
            try:
                return [tuple(r) for r in conn.execute(sql).fetchall()]
            finally:
                conn.close()
        pg = await asyncpg.connect(self.url)
        try:
            return [tuple(r) for r in await pg.fetch(sql)]
        finally:
            await pg.close()

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of the service's tables, every column, as the driver returns it."""
        out: dict[str, list[dict[str, Any]]] = {}
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.path)
            conn.row_factory = sqlite3.Row
            try:
                for table in SERVICE_TABLES:
                    # typeof() too: "byte for byte" includes the storage class.
                    rows = conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
                    out[table] = [dict(r) for r in rows]
                    types = conn.execute(
                        f"SELECT id, typeof(started_at) FROM {table} ORDER BY id"
                        if table == "remote_agent_sessions"
                        else f"SELECT id, typeof(id) FROM {table} ORDER BY id"
                    ).fetchall()
                    out[table + ":types"] = [dict(zip(("id", "t"), t, strict=True)) for t in types]
            finally:
                conn.close()
            return out
        pg = await asyncpg.connect(self.url)
        try:
            for table in SERVICE_TABLES:
                rows = await pg.fetch(f"SELECT * FROM {table} ORDER BY id")
                out[table] = [dict(r) for r in rows]
        finally:
            await pg.close()
        return out

    async def schema(self) -> dict[str, Any]:
        """Tables, columns, indexes (via sqlalchemy.inspect) and, for SQLite, the journal mode."""

        def _inspect(conn: Connection) -> dict[str, Any]:
            insp = sa.inspect(conn)
            tables: dict[str, Any] = {}
            for table in sorted(insp.get_table_names()):
                tables[table] = {
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                        for c in insp.get_columns(table)
                    ],
                    "indexes": sorted(
                        (i["name"] or "", tuple(map(str, i["column_names"])), bool(i["unique"]))
                        for i in insp.get_indexes(table)
                    ),
                    "pk": insp.get_pk_constraint(table)["constrained_columns"],
                    "fks": sorted(
                        (tuple(fk["constrained_columns"]), fk["referred_table"])
                        for fk in insp.get_foreign_keys(table)
                    ),
                }
            result: dict[str, Any] = {"tables": tables}
            if conn.dialect.name == "sqlite":
                result["journal_mode"] = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            return result

        engine = make_engine(self.target, read_only=True)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(_inspect)
        finally:
            await engine.dispose()

    # -- realistic service data -----------------------------------------------------------

    def _id(self, n: int) -> str:
        """Ids as the service makes them: 32 hex chars (SQLite), a UUID (PostgreSQL)."""
        raw = f"{n:08x}" + "5e55a0c0ffee4b1d9a7e0123456789ab"[8:]
        if self.backend == "sqlite":
            return raw
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"

    def _bool(self, value: bool) -> str:
        if self.backend == "sqlite":
            return "1" if value else "0"
        return "true" if value else "false"

    @staticmethod
    def _lit(value: str | None) -> str:
        return "NULL" if value is None else "'" + value.replace("'", "''") + "'"

    def seed_sql(self, *, with_reason: bool) -> list[str]:
        """A codebase, two conversations, a parent chain of three sessions, odd metadata."""
        i, b, lit = self._id, self._bool, self._lit
        title = lit('Fix the flaky test — naïve ☃ "quoted" it\'s')
        ts = "'2026-02-10 10:05:00+00'" if self.backend == "postgresql" else "'2026-02-10 10:05:00'"
        sql = [
            "INSERT INTO remote_agent_codebases (id, name, repository_url, default_cwd) VALUES "
            f"({lit(i(1))}, 'archon', 'https://github.com/acme/archon', '/home/dev/archon')",
            "INSERT INTO remote_agent_conversations "
            "(id, platform_type, platform_conversation_id, codebase_id, cwd, title, "
            "last_activity_at) VALUES "
            f"({lit(i(10))}, 'telegram', '-100123', {lit(i(1))}, '/home/dev/archon', "
            f"{title}, {ts})",
            "INSERT INTO remote_agent_conversations "
            "(id, platform_type, platform_conversation_id, title) VALUES "
            f"({lit(i(11))}, 'slack', 'C0ABC:1700000000.0001', NULL)",
        ]
        cols = (
            "id, conversation_id, codebase_id, ai_assistant_type, assistant_session_id, active, "
            "metadata, started_at, ended_at, parent_session_id, transition_reason"
        )
        sessions: list[tuple[str | None, ...]] = [
            # id, conv, codebase, assistant, assistant_session, active, metadata, started,
            # ended, parent, transition
            (i(100), i(10), i(1), "claude", "sess-abc", b(False),
             '{"lastCommand": "/reset", "tokens": 1234}',
             "2026-02-10 09:00:00", "2026-02-10 09:30:00", None, "first-message"),
            (i(101), i(10), i(1), "claude", "sess-def", b(False), "{}",
             "2026-02-10 09:30:00", "2026-02-10 10:00:00", i(100), "reset-requested"),
            (i(102), i(10), i(1), "claude", None, b(True),
             '{"note": "naïve ☃", "nested": {"a": [1, 2, 3]}, "unicode": "日本語"}',
             "2026-02-10 10:00:00", None, i(101), "reset-requested"),
            (i(103), i(11), None, "codex", "thread_9", b(False), None,
             "2026-02-09 23:59:59", "2026-02-10 00:00:01", None, None),
        ]  # fmt: skip
        for row in sessions:
            values = ", ".join(
                v if v in (b(True), b(False)) else lit(v)  # booleans are bare literals
                for v in row
            )
            sql.append(f"INSERT INTO remote_agent_sessions ({cols}) VALUES ({values})")
        if with_reason:
            sql.append(
                f"INSERT INTO remote_agent_sessions ({cols}, ended_reason) VALUES "
                f"({lit(i(104))}, {lit(i(11))}, NULL, 'claude', NULL, {b(False)}, '{{}}', "
                "'2026-02-11 08:00:00', '2026-02-11 08:10:00', NULL, NULL, 'cwd-changed')"
            )
        return sql

    async def make_service_db(self, *, ended_reason: bool, wal: bool = False) -> None:
        """The service's schema (before or after its 016) with a few rows in it."""
        if self.backend == "sqlite" and wal:
            conn = sqlite3.connect(self.path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.close()
        await self.execute(statements(service_ddl(self.backend, ended_reason=ended_reason)))
        await self.execute(self.seed_sql(with_reason=ended_reason))


@pytest.fixture
def db(backend: str, empty_db_url: str) -> RawDb:
    return RawDb(backend, empty_db_url)


def _drop_ended_reason(dump: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The dump without the column 0002 adds, which must be NULL on every old row."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, rows in dump.items():
        new_rows = []
        for row in rows:
            row = dict(row)
            if table == "remote_agent_sessions":
                assert row.pop("ended_reason") is None, row
            new_rows.append(row)
        out[table] = new_rows
    return out


def _assert_migrated(schema: dict[str, Any]) -> None:
    tables = schema["tables"]
    assert set(SERVICE_TABLES) <= set(tables)
    assert VERSION_TABLE in tables
    assert "alembic_version" not in tables
    session_cols = [c[0] for c in tables["remote_agent_sessions"]["columns"]]
    assert "ended_reason" in session_cols
    indexes = {name: list(cols) for name, cols, _u in tables["remote_agent_sessions"]["indexes"]}
    for name, cols in TUI_INDEXES.items():
        assert indexes.get(name) == cols, (name, indexes)


# -- the three starting states --------------------------------------------------------------


async def test_upgrade_empty_database(db: RawDb) -> None:
    """(a) An empty file / database gets the whole schema, usable with the service's defaults."""
    if db.backend == "sqlite":
        db.path.touch()  # an empty file is a valid, empty SQLite database
    assert await current_revision(db.target) is None
    assert await pending(db.target) == ALL_REVISIONS

    assert await upgrade(db.target) == ALL_REVISIONS

    first = await db.schema()
    _assert_migrated(first)
    assert await current_revision(db.target) == head_revision() == ALL_REVISIONS[-1]
    assert await pending(db.target) == []
    if db.backend == "sqlite":
        assert first["journal_mode"] == "delete"
    else:
        # gen_random_uuid() is built in since PostgreSQL 13: no pgcrypto needed.
        assert ("pgcrypto",) not in await db.query("SELECT extname FROM pg_extension")

    # The column defaults are the service's: insert the way the service does.
    await db.execute(
        [
            "INSERT INTO remote_agent_codebases (name, default_cwd) VALUES ('x', '/x')",
            "INSERT INTO remote_agent_conversations (platform_type, platform_conversation_id) "
            "VALUES ('cli', 'one')",
            "INSERT INTO remote_agent_sessions (conversation_id, ai_assistant_type) "
            "SELECT id, 'claude' FROM remote_agent_conversations",
        ]
    )
    rows = await db.query("SELECT id, active, metadata, started_at FROM remote_agent_sessions")
    assert len(rows) == 1
    sid, active, metadata, started_at = rows[0]
    assert started_at is not None
    if db.backend == "sqlite":
        assert len(sid) == 32 and int(sid, 16) >= 0
        assert (active, metadata) == (1, "{}")
    else:
        assert len(str(sid)) == 36
        assert (active, metadata) == (True, "{}")

    before = await db.dump()
    assert await upgrade(db.target) == []
    assert await db.schema() == first
    assert await db.dump() == before

    store = await open_store(db.target)
    try:
        assert store.schema.has_ended_reason is True
        assert store.can_end is None
    finally:
        await store.close()


@pytest.mark.parametrize("has_016", [False, True], ids=["pre-016", "post-016"])
async def test_upgrade_service_database(db: RawDb, has_016: bool) -> None:
    """(b)/(c) A service database, before or after its 016: every row kept, byte for byte."""
    await db.make_service_db(ended_reason=has_016, wal=not has_016)
    before_schema = await db.schema()
    before = await db.dump()
    assert len(before["remote_agent_sessions"]) == (5 if has_016 else 4)

    assert await upgrade(db.target) == ALL_REVISIONS

    first = await db.schema()
    _assert_migrated(first)
    after = await db.dump()
    if has_016:
        assert after == before
    else:
        assert _drop_ended_reason(after) == before
    if db.backend == "sqlite":
        assert first["journal_mode"] == before_schema["journal_mode"]
        assert first["journal_mode"] == ("delete" if has_016 else "wal")
    # Nothing of the service's schema was altered beyond the one column and our indexes.
    for table in SERVICE_TABLES:
        old, new = before_schema["tables"][table], first["tables"][table]
        new_cols = [c for c in new["columns"] if has_016 or c[0] != "ended_reason"]
        assert sorted(new_cols) == sorted(old["columns"])
        assert set(new["indexes"]) - set(old["indexes"]) == (
            {(n, tuple(c), False) for n, c in TUI_INDEXES.items()}
            if table == "remote_agent_sessions"
            else set()
        )
        assert new["fks"] == old["fks"] and new["pk"] == old["pk"]
    if db.backend == "postgresql":
        comment = await db.query(
            "SELECT col_description('remote_agent_sessions'::regclass, attnum) "
            "FROM pg_attribute WHERE attrelid = 'remote_agent_sessions'::regclass "
            "AND attname = 'ended_reason'"
        )
        assert comment == [(SERVICE_016_COMMENT,)]

    # A second run: nothing to do, nothing changed.
    assert await pending(db.target) == []
    assert await upgrade(db.target) == []
    assert await db.schema() == first
    assert await db.dump() == after


async def test_fresh_schema_matches_the_service(
    backend: str, empty_db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A database created by our baseline has the service's columns, types and defaults."""
    ours = RawDb(backend, empty_db_url)
    if backend == "sqlite":
        theirs = RawDb(backend, f"sqlite:///{tmp_path / 'service.db'}")
    else:
        theirs = RawDb(backend, str(request.getfixturevalue("pg_database")))
    await upgrade(ours.target, create=True)
    await theirs.execute(statements(service_ddl(backend)))
    a, b = (await ours.schema())["tables"], (await theirs.schema())["tables"]
    for table in SERVICE_TABLES:
        assert sorted(a[table]["columns"]) == sorted(b[table]["columns"]), table
        assert a[table]["pk"] == b[table]["pk"] and a[table]["fks"] == b[table]["fks"]


# -- the store before and after ---------------------------------------------------------------


async def test_open_store_before_and_after_upgrade(db: RawDb) -> None:
    await db.make_service_db(ended_reason=False)
    store = await open_store(db.target)
    try:
        assert store.schema.has_ended_reason is False
        assert store.can_end is not None and "sessions-tui migrate" in store.can_end
        assert store.missing_indexes == TOOL_INDEXES
        page = await store.list_sessions()
        assert len(page.rows) == 4
        assert all(r.ended_reason is None for r in page.rows)
    finally:
        await store.close()

    await upgrade(db.target)

    store = await open_store(db.target)
    try:
        assert store.schema.has_ended_reason is True
        assert store.can_end is None
        assert store.missing_indexes == ()
        # The list is the tool's whole set: nothing prefixed ix_sessions_tui_ is left out.
        ours = {ix for ix in store.schema.session_indexes if ix.startswith("ix_sessions_tui_")}
        assert ours == set(TOOL_INDEXES)
        assert len((await store.list_sessions()).rows) == 4
    finally:
        await store.close()


# -- the DBA's SQL ----------------------------------------------------------------------------


async def test_upgrade_sql_changes_nothing_and_works(db: RawDb) -> None:
    await db.make_service_db(ended_reason=False)
    schema, rows = await db.schema(), await db.dump()

    sql = await upgrade_sql(db.target)

    assert "ended_reason" in sql
    for name in TUI_INDEXES:
        assert name in sql
    assert VERSION_TABLE in sql
    assert "ADD COLUMN" in sql
    assert _created_tables(sql) == {AUDIT}  # the service's tables are there
    if db.backend == "postgresql":
        assert "ADD COLUMN IF NOT EXISTS ended_reason" in sql
        assert "COMMENT ON COLUMN remote_agent_sessions.ended_reason" in sql
        # the service's schema has workflow runs: 0010 indexes them too
        assert sql.count("CREATE INDEX CONCURRENTLY") == len(TUI_INDEXES) + len(RUN_INDEXES)
    assert await db.schema() == schema
    assert await db.dump() == rows
    assert await current_revision(db.target) is None

    # What the DBA runs brings the database to head, as `upgrade` would.
    await db.script(sql)
    assert await current_revision(db.target) == head_revision()
    _assert_migrated(await db.schema())
    assert _drop_ended_reason(await db.dump()) == rows
    assert await upgrade(db.target) == []

    at_head = await upgrade_sql(db.target)
    assert "already at head" in at_head
    assert "CREATE" not in at_head and "ALTER" not in at_head


async def test_upgrade_sql_at_head_writes_what_is_missing(db: RawDb) -> None:
    """The version row says head over a database lacking an index and the audit table
    (dropped by hand): `--sql` writes what makes them, and it runs in the shell as it is,
    leaving the database as `upgrade` would and the version row alone."""
    await db.make_service_db(ended_reason=True)
    assert await upgrade(db.target) == ALL_REVISIONS
    migrated = await db.schema()
    await db.execute(["DROP INDEX ix_sessions_tui_parent", f"DROP TABLE {AUDIT}"])

    sql = await upgrade_sql(db.target)
    assert "already at head" not in sql
    assert _created_tables(sql) == {AUDIT}
    assert "ix_sessions_tui_parent" in sql and "ix_sessions_tui_started" not in sql
    await db.script(sql)
    assert await db.schema() == migrated
    assert await current_revision(db.target) == head_revision()
    assert "already at head" in await upgrade_sql(db.target)


async def test_upgrade_sql_from_current_revision(db: RawDb) -> None:
    """After our baseline only, the SQL starts from there: no version table, no CREATE TABLE
    but the tool's own audit table's."""
    await db.make_service_db(ended_reason=False)
    await _alembic(db.target, "upgrade", "0001_baseline")
    assert await current_revision(db.target) == "0001_baseline"
    assert await pending(db.target) == ALL_REVISIONS[1:]

    sql = await upgrade_sql(db.target)
    assert _created_tables(sql) == {AUDIT}
    assert "ended_reason" in sql and "ix_sessions_tui_parent" in sql
    assert await current_revision(db.target) == "0001_baseline"

    assert await upgrade(db.target) == ALL_REVISIONS[1:]


def _created_tables(sql: str) -> set[str]:
    """The tables a script creates, but the version table."""
    return set(re.findall(r"CREATE TABLE(?: IF NOT EXISTS)? (\w+)", sql)) - {VERSION_TABLE}


async def _second_db(db: RawDb, tmp_path: Path, request: pytest.FixtureRequest) -> RawDb:
    """A second empty database of the same backend."""
    if db.backend == "sqlite":
        return RawDb("sqlite", f"sqlite:///{tmp_path / 'twin.db'}")
    server = request.getfixturevalue("pg_server")
    name = f"t_twin_{uuid.uuid4().hex}"
    url = server.create_database(name)
    request.addfinalizer(lambda: server.drop_database(name))
    return RawDb("postgresql", url)


@pytest.mark.parametrize("era", ["pre-016", "v0.7"])
async def test_upgrade_sql_is_written_for_the_database_in_front(
    db: RawDb, era: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`--sql` holds only what this database lacks, runs in the shell as it is, and leaves
    the database exactly as `upgrade` leaves its twin. One of our indexes was made by hand
    already; on PostgreSQL another is invalid, as an interrupted concurrent build leaves it."""
    twin = await _second_db(db, tmp_path, request)
    for each in (db, twin):
        if era == "pre-016":
            await each.make_service_db(ended_reason=False)
        else:
            await create_service_db(each.url, era=era, sessions=40)
        await each.execute(
            ["CREATE INDEX ix_sessions_tui_parent ON remote_agent_sessions (parent_session_id)"]
        )
        if each.backend == "postgresql":
            await each.execute(
                [
                    "CREATE INDEX ix_sessions_tui_started ON remote_agent_sessions"
                    " (started_at, id)",
                    "UPDATE pg_index SET indisvalid = false"
                    " WHERE indexrelid = 'ix_sessions_tui_started'::regclass",
                ]
            )
    rows = await db.dump()

    sql = await upgrade_sql(db.target)

    assert _created_tables(sql) == {AUDIT}
    assert ("remote_agent_sessions ADD COLUMN" in sql) is (era == "pre-016")
    assert "ix_sessions_tui_parent" not in sql
    if db.backend == "postgresql":
        assert "DROP INDEX CONCURRENTLY IF EXISTS ix_sessions_tui_started" in sql
    await db.script(sql)
    assert await upgrade(twin.target) == ALL_REVISIONS

    assert await current_revision(db.target) == head_revision()
    assert await db.schema() == await twin.schema()
    after = await db.dump()
    assert (_drop_ended_reason(after) if era == "pre-016" else after) == rows
    if db.backend == "postgresql":
        valid = await db.query(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_sessions_tui_started'::regclass"
        )
        assert valid == [(True,)]
    assert "nothing to run" in await upgrade_sql(db.target)
    assert await upgrade(db.target) == []


async def test_plan_says_what_the_service_will_feel(db: RawDb) -> None:
    """SQLite: the sessions, the indexes, the estimate and the wait, before anything
    runs; PostgreSQL builds concurrently, so there is nothing to agree to."""
    await create_service_db(db.url, era="v0.7", sessions=120)
    schema = await db.schema()

    before = await plan(db.target)

    assert await db.schema() == schema
    assert (before.current, before.revisions, before.sessions) == (None, ALL_REVISIONS, 120)
    assert before.indexes == TOOL_INDEXES + RUN_INDEXES  # v0.7 has workflow runs
    if db.backend == "sqlite":
        assert before.notice is not None
        assert f"holds 120 sessions: building {len(before.indexes)} indexes" in before.notice
        assert "the service's writes wait" in before.notice
        assert "busy timeout" not in before.notice  # far from 5 s per index
        at_1m = backend_for("sqlite").migration_notice(1_000_000, 7)
        assert at_1m is not None and "5 s busy timeout" in at_1m  # measured: 2.8-6.7 s each
    else:
        assert before.notice is None
    await upgrade(db.target)
    after = await plan(db.target)
    assert (after.revisions, after.indexes, after.notice) == ([], (), None)


# -- a database that is not the service's -------------------------------------------------------


async def test_other_programs_database_is_refused(db: RawDb) -> None:
    """Tables, none of them the service's: nothing is created unless asked for."""
    await db.execute(["CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)"])
    await db.execute(["INSERT INTO invoices (id, total) VALUES (1, 42)"])
    before = await db.schema()
    for call in (upgrade, upgrade_sql, plan):
        with pytest.raises(NotAServiceDatabase, match=r"invoices.*--create-service-schema"):
            await call(db.target)
    assert await db.schema() == before

    assert await upgrade(db.target, create_service_schema=True) == ALL_REVISIONS
    _assert_migrated(await db.schema())
    assert await db.query("SELECT id, total FROM invoices") == [(1, 42)]
    assert await upgrade(db.target) == []  # now it holds the service's tables


# -- the live service during a migration -----------------------------------------------------


class Service:
    """A writer acting as the service while a migration runs: it rewrites one session's
    metadata to itself (no row changes) as fast as it can, through the plain driver with
    the service's settings, and notes how long each write waited, any failure, and how
    many of the tool's indexes existed when it wrote."""

    def __init__(self, db: RawDb, session_id: Any) -> None:
        self.db, self.session_id = db, session_id
        self.waits: list[float] = []
        self.errors: list[str] = []
        self.indexes_seen: set[int] = set()
        self.done = asyncio.Event()

    SEEN = "SELECT count(*) FROM {catalog} WHERE {name} LIKE 'ix\\_sessions\\_tui\\_%' ESCAPE '\\'"

    def _sqlite(self, stop: threading.Event) -> None:
        conn = sqlite3.connect(self.db.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")  # the service's
        seen = self.SEEN.format(catalog="sqlite_master", name="name")
        while not stop.is_set():
            started = time.perf_counter()
            try:
                conn.execute(
                    "UPDATE remote_agent_sessions SET metadata = metadata WHERE id = ?",
                    (self.session_id,),
                )
                self.waits.append(time.perf_counter() - started)
                self.indexes_seen.add(conn.execute(seen).fetchone()[0])
            except sqlite3.OperationalError as exc:
                self.errors.append(str(exc))
        conn.close()

    async def _postgresql(self, until: asyncio.Task[Any]) -> None:
        conn = await asyncpg.connect(self.db.url)
        seen = self.SEEN.format(catalog="pg_indexes", name="indexname")
        try:
            while not until.done():
                started = time.perf_counter()
                try:
                    await conn.execute(
                        "UPDATE remote_agent_sessions SET metadata = metadata WHERE id = $1",
                        self.session_id,
                    )
                    self.waits.append(time.perf_counter() - started)
                    self.indexes_seen.add(await conn.fetchval(seen))
                except asyncpg.PostgresError as exc:
                    self.errors.append(str(exc))
        finally:
            await conn.close()

    async def during(self, migration: Any) -> Any:
        """Run the coroutine `migration` with the service writing; return its outcome."""
        task = asyncio.ensure_future(migration)
        if self.db.backend == "sqlite":
            stop = threading.Event()
            task.add_done_callback(lambda _t: stop.set())
            await asyncio.gather(
                asyncio.to_thread(self._sqlite, stop), task, return_exceptions=True
            )
        else:
            await asyncio.gather(self._postgresql(task), task, return_exceptions=True)
        return task


async def test_the_service_writes_on_during_migrate(db: RawDb) -> None:
    """Each index in its own short transaction (or none): the service's writes land
    between them, none fails, none waits long, and every row is intact."""
    await create_service_db(db.url, era="v0.7", sessions=3000)
    if db.backend == "sqlite":
        await db.execute(["PRAGMA journal_mode = WAL"])  # as the service opens it
    rows = await db.dump()
    service = Service(db, rows["remote_agent_sessions"][0]["id"])

    task = await service.during(upgrade(db.target))

    assert task.result() == ALL_REVISIONS
    assert service.errors == []
    assert len(service.waits) > 10
    assert max(service.waits) < 1.0
    # It wrote between the index builds (0-6 of them present): each released the lock,
    # and the next waited for the writes that queued (one transaction would show 0 and 6).
    assert len(service.indexes_seen) >= 4, service.indexes_seen
    assert await db.dump() == rows
    _assert_migrated(await db.schema())
    assert await upgrade(db.target) == []


@pytest.mark.postgres
async def test_pg_a_long_service_transaction_times_the_index_out(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service transaction holding a row lock: the concurrent build waits for it only
    up to lock_timeout, a few times, then gives up cleanly; other writes go on meanwhile.
    The invalid index the timed-out build leaves is rebuilt by the next run."""
    monkeypatch.setattr(postgresql_backend, "MIGRATION_LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(postgresql_backend, "LOCK_RETRY_PAUSE_S", 0.01)
    db = RawDb("postgresql", pg_database)
    await create_service_db(db.url, era="v0.7", sessions=300)
    rows = await db.dump()
    held, other = (r["id"] for r in rows["remote_agent_sessions"][:2])
    holder = await asyncpg.connect(db.url)
    transaction = holder.transaction()
    await transaction.start()
    await holder.execute("UPDATE remote_agent_sessions SET metadata = metadata WHERE id = $1", held)
    service = Service(db, other)
    try:
        task = await service.during(upgrade(db.target))
        with pytest.raises(DatabaseLocked, match="busy"):
            task.result()
    finally:
        await transaction.rollback()
        await holder.close()
    assert service.errors == []
    assert max(service.waits) < 1.0
    invalid = await db.query(
        "SELECT c.relname FROM pg_index AS x JOIN pg_class AS c ON c.oid = x.indexrelid"
        " WHERE NOT x.indisvalid"
    )
    assert invalid == [("ix_sessions_tui_reason_started",)]
    assert await current_revision(db.target) == "0002_ended_reason"

    assert await upgrade(db.target) == ALL_REVISIONS[2:]
    assert await db.query("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
    _assert_migrated(await db.schema())
    assert await db.dump() == rows


# -- downgrades keep the service's data -------------------------------------------------------


async def _alembic(target: DbTarget, action: str, revision: str) -> None:
    """Run an Alembic command through our env.py, the way migrate.py does."""

    def _run(conn: Connection) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(migrations_dir()))
        cfg.set_main_option("path_separator", "os")
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)

    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


async def test_downgrade_drops_only_our_indexes(db: RawDb) -> None:
    await db.make_service_db(ended_reason=False)
    rows = await db.dump()
    await upgrade(db.target)
    migrated = await db.dump()

    await _alembic(db.target, "downgrade", "base")

    schema = await db.schema()
    sessions = schema["tables"]["remote_agent_sessions"]
    assert "ended_reason" in [c[0] for c in sessions["columns"]]
    assert not {name for name, _c, _u in sessions["indexes"]} & set(TUI_INDEXES)
    assert await db.dump() == migrated
    assert await current_revision(db.target) is None

    assert await upgrade(db.target) == ALL_REVISIONS
    _assert_migrated(await db.schema())
    assert _drop_ended_reason(await db.dump()) == rows


SESSIONS = "remote_agent_sessions"


async def test_sqlite_indexes_built_with_sorter_threads_are_complete(tmp_path: Path) -> None:
    """`migrate` lets SQLite's sorter use helper threads (`INDEX_BUILD_THREADS`), which run
    only when a sort spills past the page cache: 60,000 sessions in scrambled start order
    make ~4 MB of keys per index, twice the default cache. Every index then holds exactly
    the table's rows (integrity_check compares each index with the table) and answers in
    the order a plain read sorts to."""
    path = tmp_path / "archon.db"
    target = await create_service_db(f"sqlite:///{path}", era="v0.7")
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
        " VALUES ('c1', 'slack', 'C1')"
    )
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)"
        " INSERT INTO remote_agent_sessions (conversation_id, active, started_at, ended_at,"
        " ended_reason, parent_session_id)"
        " SELECT 'c1', i % 2, datetime('2026-01-01', '+' || (i * 7919 % 60000) || ' seconds'),"
        " CASE WHEN i % 2 = 0 THEN datetime('2026-02-01', '+' || i || ' seconds') END,"
        " CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN 'reset-requested' ELSE 'cwd-changed' END,"
        " CASE WHEN i % 5 = 0 THEN 'p' || (i % 997) END FROM n"
    )
    conn.commit()
    conn.close()

    assert await upgrade(target) == ALL_REVISIONS

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        indexes = {r[0] for r in conn.execute("SELECT name FROM pragma_index_list(?)", (SESSIONS,))}
        assert set(TOOL_INDEXES) <= indexes
        by_index = conn.execute(
            f"SELECT rowid FROM {SESSIONS} INDEXED BY ix_sessions_tui_reason_started"
            " WHERE ended_reason IS NOT NULL ORDER BY ended_reason, started_at, id"
        ).fetchall()
        plain = conn.execute(
            f"SELECT rowid FROM {SESSIONS} NOT INDEXED"
            " WHERE ended_reason IS NOT NULL ORDER BY ended_reason, started_at, id"
        ).fetchall()
        assert len(by_index) == 40_000 and by_index == plain
    finally:
        conn.close()


# -- errors -----------------------------------------------------------------------------------


async def test_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "archon.db"
    path.parent.mkdir()
    target = sqlite_target(path)
    for call in (upgrade, pending, current_revision, upgrade_sql):
        with pytest.raises(DatabaseNotFound):
            await call(target)
    assert not path.exists()

    assert await upgrade(target, create=True) == ALL_REVISIONS
    assert path.is_file()
    # Committed for real: a new connection sees it all.
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        version = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    assert set(SERVICE_TABLES) | set(TUI_INDEXES) <= names
    assert version == [(head_revision(),)]
    assert mode == "delete"
    store = await open_store(target)
    try:
        assert store.schema.has_ended_reason is True
        assert (await store.counts()).filtered == 0
    finally:
        await store.close()


def test_revision_ids_and_dir() -> None:
    assert list(revision_ids()) == ALL_REVISIONS
    assert head_revision() == ALL_REVISIONS[-1]
    assert (migrations_dir() / "env.py").is_file()


@pytest.mark.postgres
async def test_wrong_password_never_shown(pg_server: Any) -> None:
    secret = "Wr0ng-s3cret-pw"
    target = url_target(pg_server.url("postgres", password=secret))
    for call in (upgrade, pending, current_revision, upgrade_sql):
        with pytest.raises(StoreError) as info:
            await call(target)
        message = str(info.value)
        assert secret not in message
        assert "authentication failed" in message
        assert "127.0.0.1" in message


@pytest.mark.postgres
async def test_no_privileges_changes_nothing(pg_server: Any, pg_database: str) -> None:
    """A role that may not create anything: a clear error, and no half-migrated database."""
    from tests.support.pgserver import LIMITED_PASSWORD, LIMITED_USER

    dbname = pg_database.rsplit("/", 1)[1]
    target = url_target(pg_server.url(dbname, user=LIMITED_USER, password=LIMITED_PASSWORD))
    with pytest.raises(PermissionDenied) as info:
        await upgrade(target)
    assert LIMITED_PASSWORD not in str(info.value)
    tables = pg_server.psql(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", dbname=dbname
    )
    assert tables == "0"


async def test_unknown_revision_is_refused(db: RawDb) -> None:
    """A database migrated by a newer sessions-tui: say so, change nothing."""
    await db.make_service_db(ended_reason=False)
    await upgrade(db.target)
    await db.execute([f"UPDATE {VERSION_TABLE} SET version_num = '0099_from_the_future'"])
    schema = await db.schema()
    for call in (upgrade, pending, upgrade_sql):
        with pytest.raises(StoreError, match="0099_from_the_future"):
            await call(db.target)
    assert await db.schema() == schema
    assert await current_revision(db.target) == "0099_from_the_future"


async def test_busy_database_fails_cleanly(db: RawDb, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live service holds a lock longer than we wait: give up with a clear message,
    every row intact; what was committed stays, and the next run finishes the rest."""
    await db.make_service_db(ended_reason=False)
    rows = await db.dump()
    monkeypatch.setattr("tui.store.limits.SQLITE_BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(postgresql_backend, "MIGRATION_LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(postgresql_backend, "LOCK_RETRY_PAUSE_S", 0.01)
    if db.backend == "sqlite":
        holder = sqlite3.connect(db.path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE remote_agent_codebases SET name = name")
        try:
            with pytest.raises(DatabaseLocked, match="locked"):
                await upgrade(db.target)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    else:
        holder = await asyncpg.connect(db.url)
        try:
            async with holder.transaction():
                await holder.execute("LOCK TABLE remote_agent_sessions IN ACCESS SHARE MODE")
                with pytest.raises(DatabaseLocked, match="busy"):
                    await upgrade(db.target)
        finally:
            await holder.close()
    assert await db.dump() == rows
    done = await current_revision(db.target)
    assert done in (None, "0001_baseline")  # the ALTER of 0002 is what waited
    assert await upgrade(db.target) == ALL_REVISIONS[ALL_REVISIONS.index(done) + 1 if done else 0 :]
    _assert_migrated(await db.schema())
    assert _drop_ended_reason(await db.dump()) == rows


async def test_the_active_index_is_partial_on_what_the_queries_say(db: RawDb) -> None:
    """0008's index is partial on the queries' own `active = true` (SQLite: `active = 1`),
    the condition under which both planners use a partial index for a query; `migrate
    --sql` writes the same. (Which rows it then holds, odd values included, and that the
    counts read it: tests/store/test_stuck.py, tests/store/test_query_plans.py.)"""
    await create_service_db(db.url, era="v0.7", sessions=40)
    offline = await upgrade_sql(db.target)
    await upgrade(db.target)
    if db.backend == "sqlite":
        found = await db.query(f"SELECT sql FROM sqlite_master WHERE name = '{ACTIVE_INDEX}'")
        assert found[0][0].endswith(") WHERE active = 1"), found
    else:
        found = await db.query(f"SELECT pg_get_indexdef('{ACTIVE_INDEX}'::regclass)")
        assert found[0][0].endswith(") WHERE (active = true)"), found
    backend = backend_for(db.backend)
    statement = q.stuck_counts_statement(
        q.Dialect(backend, True, has_active_index=True), SessionFilter()
    )
    predicate = "active = 1" if db.backend == "sqlite" else "active = true"
    assert f"WHERE remote_agent_sessions.{predicate}" in str(
        statement.compile(dialect=backend.traits.driver_dialect)
    )
    assert f"({ACTIVE_INDEX_COLUMNS}) WHERE {predicate}" in offline


# -- 0009: what an audit row is about ---------------------------------------------------------


async def _audit_rows(db: RawDb) -> list[tuple[Any, ...]]:
    return [
        tuple(str(v) if v is not None else None for v in row)
        for row in await db.query(
            f"SELECT id, end_id, session_id, outcome, reason, actor, kinds FROM {AUDIT} ORDER BY id"
        )
    ]


async def test_0009_adds_the_target_to_an_audit_table_that_has_rows(
    db: RawDb, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An audit table 0006 made, with an end's rows in it: 0009 adds `target` (each
    earlier row reads `session`) and `run_id` (NULL), keeps every row as it was, and a
    second run changes nothing. `migrate --sql` from 0008 writes the same two ALTERs,
    which leave a twin with the same schema; an end written by a tool that does not know
    the column (as before 0009) still lands as a session's row."""
    twin = await _second_db(db, tmp_path, request)
    ended = (
        f"INSERT INTO {AUDIT} (end_id, session_id, outcome, reason, actor, tool_version)"
        " VALUES ('e1', 's1', 'ended', 'reset-requested', 'ada', '0.1')"
    )
    for each in (db, twin):  # at 0008: the audit table as 0006 made it
        await each.make_service_db(ended_reason=True)
        await upgrade(each.target)
        await each.execute(
            [
                f"ALTER TABLE {AUDIT} DROP COLUMN target",
                f"ALTER TABLE {AUDIT} DROP COLUMN run_id",
                f"UPDATE {VERSION_TABLE} SET version_num = '0008_active_index'",
                ended,
            ]
        )
    before = await _audit_rows(db)

    assert await upgrade(db.target) == ["0009_audit_target", "0010_runs_index"]
    rows = await db.query(f"SELECT target, run_id FROM {AUDIT}")
    assert rows == [("session", None)]
    assert await _audit_rows(db) == before
    migrated = await db.schema()
    assert await upgrade(db.target) == []
    assert await db.schema() == migrated

    sql = await upgrade_sql(twin.target)
    assert sql.count(f"ALTER TABLE {AUDIT} ADD COLUMN") == 2
    assert "ADD COLUMN target TEXT NOT NULL DEFAULT 'session'" in sql
    await twin.script(sql)
    assert await current_revision(twin.target) == head_revision()
    assert await twin.schema() == migrated
    await twin.execute([ended.replace("'e1'", "'e2'")])
    assert await twin.query(f"SELECT target, run_id FROM {AUDIT} WHERE end_id = 'e2'") == [
        ("session", None)
    ]


async def test_0009_columns_dropped_by_hand_are_missing_and_made_again(db: RawDb) -> None:
    """At head, an audit table without 0009's columns (as 0006 made it) is what the
    store sees as not keeping run cancels, and what `migrate` makes again."""
    await db.make_service_db(ended_reason=True)
    assert await upgrade(db.target) == ALL_REVISIONS
    migrated = await db.schema()
    await db.execute([f"ALTER TABLE {AUDIT} DROP COLUMN run_id"])
    store = await open_store(db.target)
    try:
        assert store.schema.audit_problem is None and not store.schema.audit_targets
        assert store.run_audit_missing is not None and "run_id" in store.run_audit_missing
    finally:
        await store.close()
    sql = await upgrade_sql(db.target)
    assert "already at head" not in sql and "ADD COLUMN run_id" in sql
    assert "ADD COLUMN target" not in sql
    assert await upgrade(db.target) == []  # at head: the missing column is made again
    assert await db.schema() == migrated


async def test_a_target_column_of_another_type_is_a_shape_problem(db: RawDb) -> None:
    """`target` there, but not text: the audit table's shape is wrong, said as such."""
    await db.make_service_db(ended_reason=True)
    await upgrade(db.target)
    await db.execute(
        [f"ALTER TABLE {AUDIT} DROP COLUMN target", f"ALTER TABLE {AUDIT} ADD COLUMN target BIGINT"]
    )
    store = await open_store(db.target)
    try:
        assert store.schema.audit_problem == "target is bigint"
        assert not store.audit_kept and store.run_audit_missing is not None
    finally:
        await store.close()


# -- 0010: the workflow runs newest first ------------------------------------------------------


async def _index_sql(db: RawDb, name: str) -> str | None:
    if db.backend == "sqlite":
        found = await db.query(f"SELECT sql FROM sqlite_master WHERE name = '{name}'")
    else:
        found = await db.query(f"SELECT pg_get_indexdef(to_regclass('{name}'))")
    return str(found[0][0]) if found and found[0][0] is not None else None


async def test_0010_indexes_the_runs_where_the_table_is_and_restores_them(db: RawDb) -> None:
    """A service database with workflow runs: `migrate --sql` writes both runs indexes
    (the list's order, and by status), `migrate` builds them on the runs table, one
    dropped by hand is what the database lacks and what `migrate` makes again."""
    await create_service_db(db.url, era="v0.8", sessions=10)
    offline = await upgrade_sql(db.target)
    for name, columns in zip(RUN_INDEXES, (RUNS_STARTED_COLUMNS, RUNS_STATUS_COLUMNS), strict=True):
        assert f"{name} ON {WORKFLOW_RUNS} ({columns})" in offline
    assert await upgrade(db.target) == ALL_REVISIONS
    made = {name: await _index_sql(db, name) for name in RUN_INDEXES}
    if db.backend == "sqlite":
        assert made[RUN_INDEXES[0]] is not None
        assert made[RUN_INDEXES[0]].endswith(f"ON {WORKFLOW_RUNS} ({RUNS_STARTED_COLUMNS})")
    else:
        assert f"{WORKFLOW_RUNS} USING btree (started_at DESC, id DESC)" in str(
            made[RUN_INDEXES[0]]
        )
        assert "USING btree (status, started_at DESC, id DESC)" in str(made[RUN_INDEXES[1]])
    migrated = await db.schema()

    await db.execute([f"DROP INDEX {RUN_INDEXES[0]}"])
    sql = await upgrade_sql(db.target)
    assert f"lacks: {RUN_INDEXES[0]}." in sql and RUN_INDEXES[1] not in sql
    assert await upgrade(db.target) == []
    assert await _index_sql(db, RUN_INDEXES[0]) == made[RUN_INDEXES[0]]
    assert await db.schema() == migrated
    assert "already at head" in await upgrade_sql(db.target)


async def test_0010_a_database_without_workflow_runs_migrates_cleanly(db: RawDb) -> None:
    """A database whose service has no runs table: every revision applies, no runs index
    is made or said to be missing, and a second `migrate` (and `--sql`) has nothing to do."""
    await db.make_service_db(ended_reason=True)
    await db.execute(
        ["DROP TABLE IF EXISTS remote_agent_workflow_events", f"DROP TABLE {WORKFLOW_RUNS}"]
    )
    assert RUN_INDEXES[0] not in await upgrade_sql(db.target)
    assert await upgrade(db.target) == ALL_REVISIONS
    for name in RUN_INDEXES:
        assert await _index_sql(db, name) is None
    assert "already at head" in await upgrade_sql(db.target)
    migrated = await db.schema()
    assert await upgrade(db.target) == []
    assert await db.schema() == migrated
    after = await plan(db.target)
    assert (after.revisions, after.indexes) == ([], ())
