"""The Store on real databases: one test body per behaviour, run on SQLite and PostgreSQL.

Expected values never come from the store itself: the tests read the database with a
plain SQLAlchemy engine of their own (`Db`), compute filters, orders and counts in
Python, and compare. Rows are inserted through SQLAlchemy Core on `tui.store.tables`.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from tests.support.dbs import ANCHOR, create_service_db, sa_url
from tests.support.pgserver import LIMITED_PASSWORD, LIMITED_USER, PASSWORD, PgServer
from tests.support.sql_log import sql_log
from tui.domain.models import (
    NOT_RECORDED_TOKEN,
    UNRECOGNISED_TOKEN,
    AlreadyEnded,
    Counts,
    Ended,
    NotFound,
    SessionFilter,
    SessionRow,
    SortKey,
    Status,
)
from tui.domain.triggers import (
    KNOWN_REASONS,
    NOT_RECORDED,
    InvalidEndReason,
    Trigger,
    UnrecognisedReason,
    parse_reason,
)
from tui.store.errors import (
    AmbiguousId,
    AuthFailed,
    ConnectionFailed,
    DatabaseLocked,
    DatabaseNotFound,
    PermissionDenied,
    ReadOnly,
    SchemaError,
    SchemaTooOld,
    StoreError,
    UnknownSession,
)
from tui.store.store import Store, default_actor, open_store
from tui.store.tables import codebases, conversations, sessions
from tui.store.target import DbTarget, sqlite_target, url_target

TABLES = ("remote_agent_codebases", "remote_agent_conversations", "remote_agent_sessions")
T0 = datetime(2026, 2, 10, 9, 0, 0, tzinfo=UTC)
SQLITE_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
HOSTILE_TITLE = "[bold red]x[/] \x1b[31mred\x1b[0m\nsecond line\r\nthird"
HOSTILE_REASON = "\x1b]0;pwned\x07"


# -- independent access to a test database ----------------------------------------------------


def _ts(value: Any) -> datetime | None:
    """A raw timestamp (SQLite text, PostgreSQL naive/aware datetime) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Raw:
    """One session as the database has it, joined in Python with its conversation/codebase."""

    id: str
    conversation_id: str | None
    codebase_id: str | None
    ai_assistant_type: str | None
    active: bool
    started_at: datetime | None
    ended_at: datetime | None
    ended_reason: str | None
    platform_type: str | None
    platform_conversation_id: str | None
    title: str | None
    codebase_name: str | None


class Db:
    """A test database reached with a plain SQLAlchemy engine (not the store's)."""

    def __init__(self, target: DbTarget, *, has_reason: bool = True) -> None:
        self.target = target
        self.pg = target.kind == "postgresql"
        self.has_reason = has_reason
        url = sa_url(target)
        self.engine: AsyncEngine = create_async_engine(url, poolclass=NullPool)

    async def close(self) -> None:
        await self.engine.dispose()

    # ids and values in each backend's form

    def new_id(self, hex32: str | None = None) -> str:
        """32 hex chars on SQLite, a hyphenated UUID on PostgreSQL."""
        h = hex32 or uuid.uuid4().hex
        assert len(h) == 32
        return str(uuid.UUID(h)) if self.pg else h

    def meta(self, value: Any) -> Any:
        """A metadata value to insert: JSON text on SQLite, a Python value for JSONB."""
        if value is None:
            return sa.null()
        return value if self.pg else json.dumps(value)

    # inserts through SQLAlchemy Core on the tool's table definitions

    async def codebase(self, name: str = "archon", **kw: Any) -> str:
        row = {"id": self.new_id(), "name": name, "default_cwd": f"/srv/{name}"} | kw
        async with self.engine.begin() as conn:
            await conn.execute(sa.insert(codebases).values(**row))
        return str(row["id"])

    async def conversation(self, platform: str = "slack", **kw: Any) -> str:
        row = {
            "id": self.new_id(),
            "platform_type": platform,
            "platform_conversation_id": uuid.uuid4().hex[:12],
        } | kw
        async with self.engine.begin() as conn:
            await conn.execute(sa.insert(conversations).values(**row))
        return str(row["id"])

    def session_row(
        self,
        conversation_id: str,
        *,
        active: bool = True,
        started_at: datetime = T0,
        ended_at: datetime | None = None,
        ended_reason: str | None = None,
        metadata: Any = None,
        raw_metadata: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.new_id(),
            "conversation_id": conversation_id,
            "ai_assistant_type": "claude",
            "active": active,
            "started_at": started_at,
            "ended_at": ended_at,
            "metadata": raw_metadata if raw_metadata is not None else self.meta(metadata),
        } | kw
        if self.has_reason:
            row["ended_reason"] = ended_reason
        else:
            assert ended_reason is None
        return row

    async def session(self, conversation_id: str, **kw: Any) -> str:
        row = self.session_row(conversation_id, **kw)
        async with self.engine.begin() as conn:
            await conn.execute(sa.insert(sessions).values(**row))
        return str(row["id"])

    async def insert_sessions(self, rows: list[dict[str, Any]]) -> None:
        async with self.engine.begin() as conn:
            for row in rows:
                await conn.execute(sa.insert(sessions).values(**row))

    # plain reads and writes

    async def run(self, sql: str, params: dict[str, Any] | None = None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(sa.text(sql), params or {})

    async def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            result = await conn.execute(sa.text(sql), params or {})
            return [dict(r._mapping) for r in result]

    def decoded(self, metadata: Any) -> Any:
        """A raw metadata value as Python: SQLite holds JSON text, the driver decodes JSONB."""
        return metadata if self.pg or metadata is None else json.loads(metadata)

    async def session_raw(self, sid: str) -> dict[str, Any]:
        found = await self.rows("SELECT * FROM remote_agent_sessions WHERE id = :id", {"id": sid})
        assert len(found) == 1, sid
        return found[0]

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every row and column of the service's tables, as the driver returns them."""
        out = {}
        for table in TABLES:
            out[table] = await self.rows(f"SELECT * FROM {table} ORDER BY id")
        if not self.pg:
            # "Unchanged" includes each value's storage class.
            out["types"] = await self.rows(
                "SELECT id, typeof(metadata) AS m, typeof(active) AS a, typeof(ended_at) AS e "
                "FROM remote_agent_sessions ORDER BY id"
            )
        return out

    async def all_sessions(self) -> list[Raw]:
        """Every session joined with its conversation and codebase, computed in Python."""
        reason = "s.ended_reason" if self.has_reason else "NULL AS ended_reason"
        rows = await self.rows(
            "SELECT s.id, s.conversation_id, s.codebase_id, c.codebase_id AS conv_codebase_id, "
            f"s.ai_assistant_type, s.active, s.started_at, s.ended_at, {reason}, "
            "c.platform_type, c.platform_conversation_id, c.title "
            "FROM remote_agent_sessions s "
            "LEFT JOIN remote_agent_conversations c ON c.id = s.conversation_id"
        )
        names = {str(r["id"]): r["name"] for r in await self.rows(f"SELECT * FROM {TABLES[0]}")}
        out = []
        for r in rows:
            cb = r["codebase_id"] or r["conv_codebase_id"]
            out.append(
                Raw(
                    id=str(r["id"]),
                    conversation_id=None
                    if r["conversation_id"] is None
                    else str(r["conversation_id"]),
                    codebase_id=None if cb is None else str(cb),
                    ai_assistant_type=r["ai_assistant_type"],
                    active=bool(r["active"]),
                    started_at=_ts(r["started_at"]),
                    ended_at=_ts(r["ended_at"]),
                    ended_reason=r["ended_reason"],
                    platform_type=r["platform_type"],
                    platform_conversation_id=r["platform_conversation_id"],
                    title=r["title"],
                    codebase_name=None if cb is None else names.get(str(cb)),
                )
            )
        return out


def _matches(r: Raw, flt: SessionFilter) -> bool:
    """The filter semantics, written independently of the store's SQL."""
    if flt.status is Status.ACTIVE and not r.active:
        return False
    if flt.status is Status.ENDED and r.active:
        return False
    if flt.reasons:
        raws = flt.reasons - {NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN}
        hit = r.ended_reason is not None and r.ended_reason in raws
        if NOT_RECORDED_TOKEN in flt.reasons and r.ended_reason is None and not r.active:
            hit = True
        if (
            UNRECOGNISED_TOKEN in flt.reasons
            and r.ended_reason is not None
            and r.ended_reason not in KNOWN_REASONS
        ):
            hit = True
        if not hit:
            return False
    if flt.platform and r.platform_type != flt.platform:
        return False
    if flt.codebase and r.codebase_name != flt.codebase:
        return False
    if flt.assistant and r.ai_assistant_type != flt.assistant:
        return False
    if flt.since is not None and (r.started_at is None or r.started_at < flt.since):
        return False
    if flt.search and flt.search.strip():
        needle = flt.search.strip().lower()
        fields = (r.id, r.conversation_id, r.platform_conversation_id, r.title, r.codebase_name)
        if not any(f is not None and needle in f.lower() for f in fields):
            return False
    return True


def expected_ids(rows: list[Raw], flt: SessionFilter) -> list[str]:
    """Matching ids, newest first (started_at, then id, both descending)."""
    hits = [r for r in rows if _matches(r, flt)]
    hits.sort(key=lambda r: (r.started_at, r.id), reverse=True)
    return [r.id for r in hits]


async def paged_ids(store: Store, flt: SessionFilter, expected: int) -> list[str]:
    """Every id under `flt`, read 3 rows a page by following the cursors."""
    got: list[str] = []
    cursor = None
    for _ in range(expected + 2):
        page = await store.list_sessions(flt, cursor=cursor, limit=3)
        got += [r.id for r in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    return got


def _no_secret(exc: BaseException, *secrets: str) -> None:
    text = str(exc) + repr(exc) + "".join(traceback.format_exception(exc))
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked in {type(exc).__name__}: {exc}"


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def fresh_target(empty_db_url: str) -> DbTarget:
    """The service's schema (post-016), no rows."""
    return asyncio.run(create_service_db(empty_db_url))


@pytest.fixture
async def db(fresh_target: DbTarget) -> AsyncIterator[Db]:
    d = Db(fresh_target)
    yield d
    await d.close()


@pytest.fixture
async def store(fresh_target: DbTarget) -> AsyncIterator[Store]:
    s = await open_store(fresh_target)
    yield s
    await s.close()


@pytest.fixture
def pg_target(pg_database: str) -> DbTarget:
    """A PostgreSQL-only service database, no rows."""
    return asyncio.run(create_service_db(pg_database))


@dataclass
class Shared:
    target: DbTarget
    rows: list[Raw]


async def _build_shared(url: str) -> Shared:
    target = await create_service_db(url, sessions=600)
    d = Db(target)
    try:
        # Titles that prove LIKE wildcards and the escape character are taken literally,
        # each next to a decoy that a wildcard (or a swallowed backslash) would also match.
        for title in (
            "load 50% faster",
            "load 50 times faster",
            "rename to snake_case",
            "rename to snakeXcase",
            r"path C:\temp\new",
            "path C:/temp/new",
        ):
            conv = await d.conversation("web", title=title)
            await d.session(
                conv,
                active=False,
                started_at=ANCHOR - timedelta(days=1),
                ended_at=ANCHOR - timedelta(hours=20),
                ended_reason="cwd-changed",
            )
        rows = await d.all_sessions()
    finally:
        await d.close()
    return Shared(target, rows)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    """600 demo sessions plus a few crafted ones, built once per backend, only ever read."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'archon.db'}"
        yield asyncio.run(_build_shared(url))
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = "shared_" + uuid.uuid4().hex[:12]
    url = server.create_database(name)
    yield asyncio.run(_build_shared(url))
    if server.is_running():
        server.drop_database(name)


@pytest.fixture
async def shared_store(shared: Shared) -> AsyncIterator[Store]:
    s = await open_store(shared.target)
    yield s
    await s.close()


# -- open_store -------------------------------------------------------------------------------


async def test_open_store_on_a_service_database(service_db: DbTarget) -> None:
    d = Db(service_db)
    try:
        raw = await d.rows(
            "SELECT COUNT(*) AS n, SUM(CASE WHEN active THEN 1 ELSE 0 END) AS a "
            "FROM remote_agent_sessions"
        )
    finally:
        await d.close()
    store = await open_store(service_db)
    try:
        assert store.schema.has_ended_reason is True
        assert {"id", "active", "ended_reason", "metadata"} <= store.schema.session_columns
        assert store.read_only is False
        assert store.can_end is None
        await store.ping()
        counts = await store.counts()
        assert counts.active == raw[0]["a"]
        assert counts.active + counts.ended == raw[0]["n"] == 600
        assert counts.filtered == 600
    finally:
        await store.close()


async def test_open_store_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "archon.db"
    junk = b"this is not a SQLite database, just some text\n" * 200
    path.write_bytes(junk)
    with pytest.raises(SchemaError) as info:
        await open_store(sqlite_target(path))
    assert str(path) in str(info.value)
    assert "not a sqlite database" in str(info.value).lower()
    assert path.read_bytes() == junk


async def test_open_store_on_a_missing_file_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "archon.db"
    with pytest.raises(DatabaseNotFound) as info:
        await open_store(sqlite_target(path))
    assert str(path) in str(info.value)
    assert not path.exists()


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "read-write"])
async def test_a_missing_file_is_refused_before_the_driver_starts_its_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_only: bool
) -> None:
    """aiosqlite's failed connect leaves its thread an answer for the event loop, which
    may be closed by then: a file that is not there never gets that far."""
    started: list[str] = []
    start = threading.Thread.start

    def noted(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", noted)
    path = tmp_path / "archon.db"
    with pytest.raises(StoreError) as info:
        await open_store(sqlite_target(path), read_only=read_only)
    assert "unable to open database file" in str(info.value)
    assert not [name for name in started if "_connection_worker_thread" in name], started
    assert not path.exists()


async def test_open_store_without_the_service_tables(backend: str, empty_db_url: str) -> None:
    target = url_target(empty_db_url)
    if backend == "sqlite":
        conn = sqlite3.connect(str(target.path))
        conn.execute("CREATE TABLE unrelated (x INTEGER)")
        conn.commit()
        conn.close()
    with pytest.raises(SchemaError) as info:
        await open_store(target)
    message = str(info.value)
    # Another program's file, or the wrong path: migrate would only refuse it.
    assert "check the path" in message and "sessions-tui --demo" in message
    assert "migrate" not in message
    assert "remote_agent_sessions" in message
    assert target.display() in message


@dataclass
class OldDb:
    db: Db
    store: Store
    ended: str
    active: str


@pytest.fixture
async def old(old_service_db: DbTarget) -> AsyncIterator[OldDb]:
    """A pre-016 database (no ended_reason column) with an ended and an active session."""
    d = Db(old_service_db, has_reason=False)
    conv = await d.conversation("slack", title="old one")
    ended = await d.session(
        conv, active=False, started_at=T0, ended_at=T0 + timedelta(minutes=5), metadata={}
    )
    active = await d.session(
        conv, started_at=T0 + timedelta(minutes=6), parent_session_id=ended, metadata={}
    )
    store = await open_store(old_service_db)
    yield OldDb(d, store, ended, active)
    await store.close()
    await d.close()


async def test_pre_016_database_is_readable(old: OldDb) -> None:
    store = old.store
    assert store.schema.has_ended_reason is False
    assert "ended_reason" not in store.schema.session_columns
    assert store.can_end is not None and "migrate" in store.can_end

    page = await store.list_sessions()
    assert [r.id for r in page.rows] == [old.active, old.ended]
    assert all(r.ended_reason is None for r in page.rows)
    assert page.rows[0].reason is None
    assert page.rows[1].reason is NOT_RECORDED

    def only(*reasons: str) -> SessionFilter:
        return SessionFilter(reasons=frozenset(reasons))

    not_recorded = await store.list_sessions(only(NOT_RECORDED_TOKEN))
    assert [r.id for r in not_recorded.rows] == [old.ended]
    assert (await store.list_sessions(only("cwd-changed"))).rows == []
    assert (await store.list_sessions(only(UNRECOGNISED_TOKEN))).rows == []
    assert await store.counts() == Counts(active=1, ended=1, filtered=2)

    detail = await store.get_session(old.ended)
    assert detail is not None and detail.row.ended_reason is None
    chain = await store.session_chain(old.active)
    assert [h.id for h in chain.hops] == [old.ended, old.active]
    assert chain.hops[0].ended_reason is None


async def test_pre_016_reason_counts(old: OldDb) -> None:
    facets = await old.store.reason_counts()
    assert (facets.not_recorded, facets.active, facets.unrecognised) == (1, 1, {})
    assert sum(facets.known.values()) == 0
    ended_only = await old.store.reason_counts(SessionFilter(status=Status.ENDED))
    assert (ended_only.not_recorded, ended_only.active) == (1, 0)


async def test_pre_016_end_is_refused_before_any_change(old: OldDb) -> None:
    before = await old.db.snapshot()
    with sql_log(old.store) as statements, pytest.raises(SchemaTooOld) as info:
        await old.store.end_sessions([old.active], "cwd-changed", actor="tester")
    assert "migrate" in str(info.value)
    assert statements == []
    assert await old.db.snapshot() == before


async def test_read_only_store_refuses_to_end_and_changes_nothing(
    db: Db, fresh_target: DbTarget
) -> None:
    conv = await db.conversation()
    sid = await db.session(conv, metadata={"k": 1})
    before = await db.snapshot()
    store = await open_store(fresh_target, read_only=True)
    try:
        assert store.read_only is True
        assert store.can_end is not None and "read-only" in store.can_end
        assert [r.id for r in (await store.list_sessions()).rows] == [sid]
        with pytest.raises(ReadOnly) as info:
            await store.end_sessions([sid], "cwd-changed", actor="tester")
        assert fresh_target.display() in str(info.value)
        # The connection itself is read-only too (SQLite mode=ro / PostgreSQL
        # default_transaction_read_only): not only the store's own check.
        with pytest.raises(sa.exc.DBAPIError) as raw_info:
            async with store.engine.connect() as conn:
                await conn.execute(sa.text("UPDATE remote_agent_sessions SET active = NULL"))
                await conn.commit()
        assert "readonly" in str(raw_info.value).lower().replace("-", "")
    finally:
        await store.close()
    assert await db.snapshot() == before


# -- list_sessions ---------------------------------------------------------------------------------


def _by_first_id(rows: list[Raw]) -> SessionFilter:
    return SessionFilter(search=sorted(r.id for r in rows)[len(rows) // 2][:8])


def _by_conversation(rows: list[Raw]) -> SessionFilter:
    return SessionFilter(search=next(r.conversation_id for r in rows if r.title is not None))


def _by_platform_conversation(rows: list[Raw]) -> SessionFilter:
    pcid = next(r.platform_conversation_id for r in rows if r.platform_type == "telegram")
    assert pcid is not None
    return SessionFilter(search=pcid[:7])


def _const(flt: SessionFilter) -> Callable[[list[Raw]], SessionFilter]:
    return lambda _rows: flt


SINCE = ANCHOR - timedelta(days=3)
FILTERS: dict[str, Callable[[list[Raw]], SessionFilter]] = {
    "none": _const(SessionFilter()),
    "active": _const(SessionFilter(status=Status.ACTIVE)),
    "ended": _const(SessionFilter(status=Status.ENDED)),
    "all": _const(SessionFilter(status=Status.ALL)),
    "one-reason": _const(SessionFilter(reasons=frozenset({"reset-requested"}))),
    "several-reasons": _const(
        SessionFilter(reasons=frozenset({"cwd-changed", "repo-removed", "context-reset"}))
    ),
    "not-recorded": _const(SessionFilter(reasons=frozenset({NOT_RECORDED_TOKEN}))),
    "unrecognised": _const(SessionFilter(reasons=frozenset({UNRECOGNISED_TOKEN}))),
    "raw-unrecognised": _const(SessionFilter(reasons=frozenset({"session-expired"}))),
    "tokens-and-reason": _const(
        SessionFilter(
            reasons=frozenset({NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN, "worktree-removed"})
        )
    ),
    "unrecognised-token-and-its-value": _const(
        SessionFilter(reasons=frozenset({UNRECOGNISED_TOKEN, "session-expired"}))
    ),
    "ended-reasons-assistant-since": _const(
        SessionFilter(
            status=Status.ENDED,
            reasons=frozenset({"reset-requested", "conversation-closed", NOT_RECORDED_TOKEN}),
            assistant="claude",
            since=ANCHOR - timedelta(days=20),
        )
    ),
    "platform": _const(SessionFilter(platform="slack")),
    "codebase": _const(SessionFilter(codebase="infra")),
    "assistant": _const(SessionFilter(assistant="codex")),
    "since": _const(SessionFilter(since=SINCE)),
    "since-in-another-zone": _const(
        SessionFilter(since=SINCE.astimezone(timezone(timedelta(hours=-7))))
    ),
    "search-id-prefix": _by_first_id,
    "search-conversation-id": _by_conversation,
    "search-platform-conversation-id": _by_platform_conversation,
    "search-title": _const(SessionFilter(search="memory leak")),
    "search-title-other-case": _const(SessionFilter(search="  MEMORY Leak ")),
    "search-codebase-name": _const(SessionFilter(search="payments")),
    "search-percent-literal": _const(SessionFilter(search="50%")),
    "search-underscore-literal": _const(SessionFilter(search="snake_case")),
    "search-backslash-literal": _const(SessionFilter(search="\\temp")),
    "combined": _const(
        SessionFilter(
            status=Status.ENDED,
            reasons=frozenset({"reset-requested", NOT_RECORDED_TOKEN, "conversation-closed"}),
            platform="slack",
            codebase="archon",
            assistant="claude",
        )
    ),
    "combined-since-search": _const(
        SessionFilter(status=Status.ACTIVE, since=ANCHOR - timedelta(days=20), search="a")
    ),
    "combined-platform-reason": _const(
        SessionFilter(platform="web", reasons=frozenset({"cwd-changed"}), search="faster")
    ),
}
EXPECTED_SIZE = {
    "search-percent-literal": 1,
    "search-underscore-literal": 1,
    "search-backslash-literal": 1,
}


@pytest.mark.parametrize("case", list(FILTERS))
async def test_list_sessions_filters(shared: Shared, shared_store: Store, case: str) -> None:
    flt = FILTERS[case](shared.rows)
    want = expected_ids(shared.rows, flt)
    assert want, f"{case}: the test data must give a non-empty answer"
    assert len(want) < len(shared.rows) or (flt.status is Status.ALL and not flt.reasons)
    if case in EXPECTED_SIZE:
        assert len(want) == EXPECTED_SIZE[case]

    page = await shared_store.list_sessions(flt, limit=10_000)
    assert [r.id for r in page.rows] == want
    assert page.next_cursor is None
    # The store's answer agrees with the database row by row, not only by id.
    raw = {r.id: r for r in shared.rows}
    for row in page.rows:
        r = raw[row.id]
        assert (row.active, row.ended_reason, row.started_at, row.ended_at) == (
            r.active,
            r.ended_reason,
            r.started_at,
            r.ended_at,
        )
        assert (row.platform_type, row.title, row.codebase_name, row.codebase_id) == (
            r.platform_type,
            r.title,
            r.codebase_name,
            r.codebase_id,
        )


@pytest.mark.parametrize("window", [1, 40, 100_000])
@pytest.mark.parametrize("case", [name for name in FILTERS if "search" in name])
async def test_search_pages_are_exact_whichever_try_answers(
    shared: Shared,
    shared_store: Store,
    case: str,
    window: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A search first looks at the newest `window` rows through the join, then everywhere.

    Window 1 always falls through to the second try, 100,000 covers the whole table so
    the first try answers whenever a page is full; 40 mixes both across pages. Every
    page, its order and the cursors between them must come out the same.
    """
    monkeypatch.setattr("tui.store.limits.SEARCH_WINDOW", window)
    flt = FILTERS[case](shared.rows)
    want = expected_ids(shared.rows, flt)
    assert await paged_ids(shared_store, flt, len(want)) == want


@pytest.mark.parametrize(
    "case",
    [
        name
        for name, f in FILTERS.items()
        if "reason" in name or "recorded" in name or "unrecognised" in name
    ],
)
async def test_reason_filters_page_exactly(shared: Shared, shared_store: Store, case: str) -> None:
    """Several reasons are read as one ordered range each and merged (queries.reason_branches):
    pages of 3 must join up to the oracle's order, with nothing repeated or skipped."""
    flt = FILTERS[case](shared.rows)
    want = expected_ids(shared.rows, flt)
    assert await paged_ids(shared_store, flt, len(want)) == want


async def test_list_sessions_default_is_newest_first_in_pages(
    shared: Shared, shared_store: Store
) -> None:
    want = expected_ids(shared.rows, SessionFilter())
    first = await shared_store.list_sessions()
    assert [r.id for r in first.rows] == want[:100]
    assert first.next_cursor is not None
    second = await shared_store.list_sessions(cursor=first.next_cursor)
    assert [r.id for r in second.rows] == want[100:200]
    started = [r.started_at for r in first.rows + second.rows]
    assert all(a is not None and b is not None and a >= b for a, b in pairwise(started))


async def test_list_sessions_codebase_filter_matches_nothing_unknown(shared_store: Store) -> None:
    page = await shared_store.list_sessions(SessionFilter(codebase="no-such-codebase"))
    assert page.rows == [] and page.next_cursor is None
    page = await shared_store.list_sessions(SessionFilter(search="zzz-nothing-has-this"))
    assert page.rows == []


# -- keyset paging -------------------------------------------------------------------------------


def _key(row: SessionRow, sort: SortKey, as_of: datetime) -> Any:
    assert row.started_at is not None
    if sort is SortKey.STARTED:
        return row.started_at
    if sort is SortKey.ENDED:  # an active session has no end: after every ended one
        return row.ended_at or datetime.min.replace(tzinfo=UTC)
    return ((row.ended_at or as_of) - row.started_at).total_seconds()


@pytest.mark.parametrize("sort", list(SortKey), ids=lambda s: s.value)
async def test_keyset_paging_with_ties_walks_every_row_once(
    db: Db, store: Store, sort: SortKey
) -> None:
    conv = await db.conversation("slack", title="ties")
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    rows = []
    for i in range(250):
        started = base + timedelta(minutes=10 * (i % 6))  # 6 distinct starts: ~42 rows each
        active = i % 3 == 0
        ended = None if active else started + timedelta(minutes=5 * (i % 4 + 1))
        rows.append(
            db.session_row(
                conv,
                active=active,
                started_at=started,
                ended_at=ended,
                ended_reason=None if active else "cwd-changed",
                metadata={"i": i},
            )
        )
    await db.insert_sessions(rows)
    inserted = {r["id"] for r in rows}

    seen: list[SessionRow] = []
    page = await store.list_sessions(sort=sort, limit=7)
    as_of = page.next_cursor.as_of if page.next_cursor and page.next_cursor.as_of else base
    pages = 1
    while True:
        assert 0 < len(page.rows) <= 7
        seen.extend(page.rows)
        if page.next_cursor is None:
            break
        assert len(page.rows) == 7
        page = await store.list_sessions(sort=sort, cursor=page.next_cursor, limit=7)
        pages += 1
        assert pages <= 40, "paging does not terminate"

    ids = [r.id for r in seen]
    assert len(ids) == len(set(ids)) == 250, "a row was repeated or missed"
    assert set(ids) == inserted
    assert pages == 36  # 35 full pages of 7 and one of 5
    keys = [_key(r, sort, as_of) for r in seen]
    if sort is SortKey.DURATION:
        # Durations are computed by the database (floats on SQLite): allow a millisecond.
        assert all(a >= b - 1e-3 for a, b in pairwise(keys)), "not largest first"
    else:
        pairs = list(zip(keys, ids, strict=True))
        assert all(a > b for a, b in pairwise(pairs)), "not (key, id) descending"


NULL_START_FILTERS = {
    "none": SessionFilter(),
    "ended": SessionFilter(status=Status.ENDED),
    "two-reasons": SessionFilter(reasons=frozenset({"cwd-changed", "reset-requested"})),
    "search": SessionFilter(search="nulls"),
}


@pytest.mark.parametrize("sort", list(SortKey), ids=lambda s: s.value)
@pytest.mark.parametrize("case", list(NULL_START_FILTERS))
async def test_sessions_without_a_start_time_are_paged_too(
    db: Db, store: Store, sort: SortKey, case: str
) -> None:
    """The service's started_at is nullable. NULL keys sort as one block (last in SQLite,
    first in PostgreSQL) that a keyset comparison never enters: every page size must
    still walk every row once, in the database's order, and agree with the counts."""
    conv = await db.conversation("slack", title="nulls here")
    rows = []
    for i in range(15):
        started = None if i % 4 == 0 else T0 + timedelta(minutes=i)
        ended = i % 3 != 0
        rows.append(
            db.session_row(
                conv,
                active=not ended,
                started_at=started,  # type: ignore[arg-type]
                ended_at=T0 + timedelta(hours=1, minutes=i) if ended else None,
                ended_reason=("cwd-changed", "reset-requested")[i % 2] if ended else None,
            )
        )
    await db.insert_sessions(rows)
    flt = NULL_START_FILTERS[case]
    expected = {str(r["id"]) for r in rows if _matches_raw(r, flt)}
    assert any(r["started_at"] is None and str(r["id"]) in expected for r in rows)
    counts = await store.reason_counts(flt.without_reasons())
    assert counts.matching(flt.reasons) == len(expected)
    for limit in (1, 2, 3, 4, 100):
        seen: list[str] = []
        page = await store.list_sessions(flt, sort, None, limit)
        while True:
            seen.extend(r.id for r in page.rows)
            if page.next_cursor is None:
                break
            assert len(page.rows) == limit
            page = await store.list_sessions(flt, sort, page.next_cursor, limit)
            assert len(seen) <= len(rows), "paging does not terminate"
        assert len(seen) == len(set(seen)), f"limit {limit}: a row came twice"
        assert set(seen) == expected, f"limit {limit}: {len(seen)} of {len(expected)} rows"
        nulls = [
            sid for sid in seen if next(r for r in rows if r["id"] == sid)["started_at"] is None
        ]
        if sort is not SortKey.ENDED:  # the key is NULL exactly where the start is
            block = seen[: len(nulls)] if db.pg else seen[len(seen) - len(nulls) :]
            assert sorted(block) == sorted(nulls), "the NULL starts are not one block"


def _matches_raw(row: dict[str, Any], flt: SessionFilter) -> bool:
    # "nulls" is in every row's conversation title: the search keeps them all.
    if flt.status is Status.ENDED and row["active"]:
        return False
    return not flt.reasons or row.get("ended_reason") in flt.reasons


# -- reason_counts and counts ---------------------------------------------------------------------

FACET_FILTERS = {
    "none": SessionFilter(),
    "platform-ignores-reasons": SessionFilter(
        platform="slack", reasons=frozenset({"reset-requested"})
    ),
    "ended-codebase": SessionFilter(status=Status.ENDED, codebase="archon"),
    "active": SessionFilter(status=Status.ACTIVE),
    "search": SessionFilter(search="fix", reasons=frozenset({UNRECOGNISED_TOKEN})),
    "since-assistant": SessionFilter(since=SINCE, assistant="claude"),
}


@pytest.mark.parametrize("case", list(FACET_FILTERS))
async def test_reason_counts_match_an_independent_count(
    shared: Shared, shared_store: Store, case: str
) -> None:
    flt = FACET_FILTERS[case]
    subset = [r for r in shared.rows if _matches(r, flt.without_reasons())]
    assert subset
    known: Counter[str] = Counter()
    unrecognised: Counter[str] = Counter()
    not_recorded = active = 0
    for r in subset:
        if r.active:
            active += 1
        elif r.ended_reason is None:
            not_recorded += 1
        elif r.ended_reason in KNOWN_REASONS:
            known[r.ended_reason] += 1
        else:
            unrecognised[r.ended_reason] += 1

    facets = await shared_store.reason_counts(flt)
    assert facets.known == {w: known[w] for w in KNOWN_REASONS}
    assert facets.unrecognised == dict(unrecognised)
    assert facets.not_recorded == not_recorded
    assert facets.active == active
    assert facets.total == len(subset)
    # The reason filter itself is ignored.
    assert await shared_store.reason_counts(flt.without_reasons()) == facets
    if case == "none":
        assert not_recorded > 0 and set(unrecognised) == {"session-expired", "model-switched"}


@pytest.mark.parametrize("case", ["none", "ended-codebase", "search", "since-assistant"])
async def test_counts(shared: Shared, shared_store: Store, case: str) -> None:
    flt = FACET_FILTERS[case]
    counts = await shared_store.counts(flt)
    active = sum(r.active for r in shared.rows)
    assert counts.active == active
    assert counts.ended == len(shared.rows) - active
    assert counts.filtered == len(expected_ids(shared.rows, flt))


# -- get_session and resolve_id -----------------------------------------------------------------


async def test_get_session_every_field(db: Db, store: Store) -> None:
    cb = await db.codebase("payments-api", repository_url="https://github.com/example/payments-api")
    conv = await db.conversation(
        "telegram",
        platform_conversation_id="-100123",
        codebase_id=cb,
        cwd="/srv/payments-api",
        title="Fix it — naïve ☃",
        last_activity_at=T0 + timedelta(hours=1),
    )
    parent = await db.session(
        conv,
        active=False,
        started_at=T0 - timedelta(hours=1),
        ended_at=T0,
        ended_reason="reset-requested",
        codebase_id=cb,
        metadata={},
    )
    meta = {"model": "gpt-5-codex", "turns": 3, "nested": {"a": [1, 2]}, "unicode": "日本語"}
    sid = await db.session(
        conv,
        active=False,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=30),
        ended_reason="cwd-changed",
        codebase_id=cb,
        ai_assistant_type="codex",
        assistant_session_id="thread_9",
        parent_session_id=parent,
        transition_reason="reset-requested",
        metadata=meta,
    )
    # A column a newer service version added: shown as it is.
    await db.run("ALTER TABLE remote_agent_sessions ADD COLUMN future_col TEXT")
    await db.run(
        "UPDATE remote_agent_sessions SET future_col = 'later' WHERE id = :id", {"id": sid}
    )

    detail = await store.get_session(sid)
    assert detail is not None
    row = detail.row
    assert row == SessionRow(
        id=sid,
        conversation_id=conv,
        codebase_id=cb,
        ai_assistant_type="codex",
        active=False,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=30),
        ended_reason="cwd-changed",
        transition_reason="reset-requested",
        parent_session_id=parent,
        platform_type="telegram",
        platform_conversation_id="-100123",
        title="Fix it — naïve ☃",
        last_activity_at=T0 + timedelta(hours=1),
        codebase_name="payments-api",
        conversation_codebase_id=cb,
    )
    assert row.reason is Trigger.CWD_CHANGED
    assert detail.assistant_session_id == "thread_9"
    assert detail.metadata.valid is True
    assert detail.metadata.value == meta
    assert detail.conversation["id"] == conv
    assert detail.conversation["platform_type"] == "telegram"
    assert detail.conversation["platform_conversation_id"] == "-100123"
    assert detail.conversation["title"] == "Fix it — naïve ☃"
    assert detail.conversation["cwd"] == "/srv/payments-api"
    assert str(detail.conversation["last_activity_at"]).startswith("2026-02-10 10:00:00")
    assert detail.codebase["id"] == cb
    assert detail.codebase["name"] == "payments-api"
    assert detail.codebase["repository_url"] == "https://github.com/example/payments-api"
    assert detail.extra == {"future_col": "later"}


async def test_get_session_codebase_comes_from_the_conversation(db: Db, store: Store) -> None:
    cb = await db.codebase("infra")
    conv = await db.conversation(codebase_id=cb)
    sid = await db.session(conv, metadata=None)
    detail = await store.get_session(sid)
    assert detail is not None
    # The session's own codebase_id is what is stored (NULL); the conversation's is its
    # own field, and the name and the codebase section are the conversation's.
    row = detail.row
    assert (row.codebase_id, row.conversation_codebase_id, row.codebase_name) == (
        None,
        cb,
        "infra",
    )
    assert detail.codebase["name"] == "infra"
    assert detail.metadata.raw is None and detail.metadata.valid is True


async def test_get_session_unknown_or_malformed_id(db: Db, store: Store) -> None:
    conv = await db.conversation()
    await db.session(conv, metadata={})
    assert await store.get_session(db.new_id()) is None
    assert await store.get_session("not-a-uuid") is None
    assert await store.get_session("") is None
    chain = await store.session_chain("not-a-uuid")
    assert chain.hops == [] and chain.children == []


async def test_get_session_invalid_metadata_json_is_returned_raw(tmp_path: Path) -> None:
    """SQLite only: PostgreSQL's JSONB cannot hold invalid JSON."""
    target = await create_service_db(f"sqlite:///{tmp_path / 'archon.db'}")
    d = Db(target)
    try:
        conv = await d.conversation()
        sid = await d.session(conv, raw_metadata='{"model": "claude", broken')
    finally:
        await d.close()
    store = await open_store(target)
    try:
        detail = await store.get_session(sid)
    finally:
        await store.close()
    assert detail is not None
    assert detail.metadata.valid is False
    assert detail.metadata.raw == '{"model": "claude", broken'
    assert detail.metadata.value is None


async def test_resolve_id(db: Db, store: Store) -> None:
    conv = await db.conversation()
    a = await db.session(conv, id=db.new_id("abcdef01" + uuid.uuid4().hex[8:]), metadata={})
    b = await db.session(conv, id=db.new_id("abcdef02" + uuid.uuid4().hex[8:]), metadata={})
    c = await db.session(conv, id=db.new_id("12345678" + uuid.uuid4().hex[8:]), metadata={})

    assert await store.resolve_id("abcdef01") == a
    assert await store.resolve_id("ABCDEF02") == b
    assert await store.resolve_id(" 1234 ") == c
    assert await store.resolve_id(a) == a
    assert await store.resolve_id(b.upper()) == b
    with pytest.raises(AmbiguousId) as info:
        await store.resolve_id("abcdef0")
    assert "abcdef0" in str(info.value)
    with pytest.raises(AmbiguousId):
        await store.resolve_id("abc")
    for unknown in ("fedcba9", "0000", "xyz", ""):
        with pytest.raises(UnknownSession):
            await store.resolve_id(unknown)


# -- session_chain ---------------------------------------------------------------------------------


async def test_session_chain_four_hops_and_children(db: Db, store: Store) -> None:
    conv = await db.conversation()
    steps = [
        ("first-message", "reset-requested"),
        ("reset-requested", "cwd-changed"),
        ("cwd-changed", "plan-to-execute"),
        ("plan-to-execute", None),
    ]
    ids: list[str] = []
    for n, (transition, ended_reason) in enumerate(steps):
        start = T0 + timedelta(hours=n)
        ids.append(
            await db.session(
                conv,
                active=ended_reason is None,
                started_at=start,
                ended_at=None if ended_reason is None else start + timedelta(minutes=50),
                ended_reason=ended_reason,
                parent_session_id=ids[-1] if ids else None,
                transition_reason=transition,
                metadata={},
            )
        )
    sibling = await db.session(
        conv,
        active=False,
        started_at=T0 + timedelta(hours=5),
        ended_at=T0 + timedelta(hours=6),
        ended_reason="session-expired",
        parent_session_id=ids[1],
        transition_reason="reset-requested",
        metadata={},
    )

    chain = await store.session_chain(ids[3])
    assert chain.truncated is False
    assert [h.id for h in chain.hops] == ids
    assert [(h.transition_reason, h.ended_reason) for h in chain.hops] == steps
    assert [h.active for h in chain.hops] == [False, False, False, True]
    assert [h.parent_session_id for h in chain.hops] == [None, *ids[:3]]
    assert chain.hops[2].reason is Trigger.PLAN_TO_EXECUTE
    assert chain.hops[3].reason is None
    assert chain.children == []

    middle = await store.session_chain(ids[1])
    assert [h.id for h in middle.hops] == ids[:2]
    assert [h.id for h in middle.children] == [ids[2], sibling]
    assert middle.children[1].reason == UnrecognisedReason("session-expired")

    alone = await store.session_chain(db.new_id())
    assert alone.hops == [] and alone.children == []


async def test_session_chain_cycle_terminates(db: Db, store: Store) -> None:
    conv = await db.conversation()
    a = await db.session(conv, metadata={})
    b = await db.session(conv, parent_session_id=a, started_at=T0 + timedelta(hours=1), metadata={})
    await db.run(
        "UPDATE remote_agent_sessions SET parent_session_id = :b WHERE id = :a", {"a": a, "b": b}
    )
    selfish = await db.session(conv, metadata={})
    await db.run(
        "UPDATE remote_agent_sessions SET parent_session_id = id WHERE id = :s", {"s": selfish}
    )

    chain = await asyncio.wait_for(store.session_chain(a), timeout=20)
    assert chain.truncated is True
    ids = [h.id for h in chain.hops]
    assert len(ids) == len(set(ids)) == 2
    assert ids[-1] == a and set(ids) == {a, b}
    assert [h.id for h in chain.children] == [b]

    own = await asyncio.wait_for(store.session_chain(selfish), timeout=20)
    assert own.truncated is True
    assert [h.id for h in own.hops] == [selfish]


# -- end_sessions ---------------------------------------------------------------------------------


async def test_end_session_records_reason_time_and_actor(
    db: Db, fresh_target: DbTarget, request: pytest.FixtureRequest
) -> None:
    if db.pg:
        # The database's own zone is not UTC: ended_at is written as the service's NOW()
        # writes it there, New York wall-clock time.
        server: PgServer = request.getfixturevalue("pg_server")
        server.psql(
            f"ALTER DATABASE \"{sa_url(fresh_target).database}\" SET timezone TO 'America/New_York'"
        )
    conv = await db.conversation()
    meta = {"model": "claude-sonnet-4", "turns": 4, "plan": {"steps": 3, "approved": True}}
    sid = await db.session(conv, metadata=meta)
    other = await db.session(conv, metadata={"untouched": True})
    before_other = await db.session_raw(other)

    store = await open_store(fresh_target)
    try:
        outcomes = await store.end_sessions([sid], "cwd-changed", actor="ops@bastion")
        assert outcomes == [Ended(sid, "cwd-changed")]
        default = await store.end_sessions([other], "repo-removed")
        assert default == [Ended(other, "repo-removed")]
    finally:
        await store.close()

    row = await db.session_raw(sid)
    assert bool(row["active"]) is False and row["active"] in (0, False)
    assert row["ended_reason"] == "cwd-changed"
    if db.pg:
        assert row["ended_at"].tzinfo is None
        ended_at = row["ended_at"].replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    else:
        assert SQLITE_TS.match(row["ended_at"]), row["ended_at"]
        ended_at = _ts(row["ended_at"])
    assert ended_at is not None
    assert abs(ended_at - datetime.now(UTC)) < timedelta(seconds=60)
    stored = db.decoded(row["metadata"])
    assert stored["endedBy"]["actor"] == "ops@bastion"
    assert stored["endedBy"]["tool"] == "sessions-tui"
    assert stored["endedBy"]["reason"] == "cwd-changed"
    # `at` is the very clock ended_at was written with, at the precision it keeps.
    assert datetime.fromisoformat(stored["endedBy"]["at"]) == ended_at
    assert {k: v for k, v in stored.items() if k != "endedBy"} == meta
    # Nothing else of the row moved.
    assert _ts(row["started_at"]) == T0 and str(row["conversation_id"]) == conv

    other_row = await db.session_raw(other)
    assert db.decoded(other_row["metadata"])["endedBy"]["actor"] == default_actor()
    assert db.decoded(other_row["metadata"])["untouched"] is True
    assert other_row["started_at"] == before_other["started_at"]


async def test_end_already_ended_keeps_the_first_values(db: Db, store: Store) -> None:
    conv = await db.conversation()
    first = await db.session(
        conv,
        active=False,
        ended_at=T0 + timedelta(minutes=7),
        ended_reason="repo-removed",
        metadata={"a": 1},
    )
    legacy = await db.session(
        conv, active=False, ended_at=T0 + timedelta(minutes=3), ended_reason=None, metadata={}
    )
    odd = await db.session(
        conv,
        active=False,
        ended_at=T0 + timedelta(minutes=4),
        ended_reason="session-expired",
        metadata=None,
    )
    before = await db.snapshot()
    outcomes = await store.end_sessions([first, legacy, odd], "cwd-changed", actor="tester")
    assert outcomes == [
        AlreadyEnded(first, T0 + timedelta(minutes=7), "repo-removed"),
        AlreadyEnded(legacy, T0 + timedelta(minutes=3), None),
        AlreadyEnded(odd, T0 + timedelta(minutes=4), "session-expired"),
    ]
    assert await db.snapshot() == before
    assert (await db.session_raw(legacy))["ended_reason"] is None


async def test_end_not_found_and_a_mix_in_one_call(db: Db, store: Store) -> None:
    conv = await db.conversation()
    live = await db.session(conv, metadata={})
    done = await db.session(
        conv, active=False, ended_at=T0, ended_reason="context-reset", metadata={}
    )
    missing = db.new_id()
    assert await store.end_sessions([missing], "cwd-changed") == [NotFound(missing)]
    assert await store.end_sessions(["not-a-uuid"], "cwd-changed") == [NotFound("not-a-uuid")]

    outcomes = await store.end_sessions(
        [missing, live, done, "not-a-uuid"], "worktree-removed", actor="tester"
    )
    assert outcomes == [
        NotFound(missing),
        Ended(live, "worktree-removed"),
        AlreadyEnded(done, T0, "context-reset"),
        NotFound("not-a-uuid"),
    ]
    assert (await db.session_raw(live))["ended_reason"] == "worktree-removed"
    assert (await db.session_raw(done))["ended_reason"] == "context-reset"
    assert len(await db.rows("SELECT id FROM remote_agent_sessions")) == 2


@pytest.mark.parametrize("reason", ["session-expired", "first-message", "plan-to-execute", ""])
async def test_end_invalid_reason_runs_no_sql(db: Db, store: Store, reason: str) -> None:
    conv = await db.conversation()
    sid = await db.session(conv, metadata={})
    before = await db.snapshot()
    with sql_log(store) as statements, pytest.raises(InvalidEndReason) as info:
        await store.end_sessions([sid], reason, actor="tester")
    assert statements == []
    assert "cwd-changed" in str(info.value)
    assert await db.snapshot() == before


async def test_end_null_metadata_becomes_an_object(db: Db, store: Store) -> None:
    conv = await db.conversation()
    sid = await db.session(conv, metadata=None)
    assert (await db.session_raw(sid))["metadata"] is None
    assert await store.end_sessions([sid], "reset-requested", actor="me") == [
        Ended(sid, "reset-requested")
    ]
    stored = db.decoded((await db.session_raw(sid))["metadata"])
    assert set(stored) == {"endedBy"}
    assert stored["endedBy"]["actor"] == "me"
    assert stored["endedBy"]["tool"] == "sessions-tui"


@pytest.mark.parametrize("value", [[1, "two", {"three": 3}], "just a string", 42])
async def test_end_non_object_metadata_is_left_alone(db: Db, store: Store, value: Any) -> None:
    conv = await db.conversation()
    sid = await db.session(conv, metadata=value)
    before = (await db.session_raw(sid))["metadata"]
    assert await store.end_sessions([sid], "context-reset", actor="me") == [
        Ended(sid, "context-reset")
    ]
    row = await db.session_raw(sid)
    assert row["metadata"] == before
    assert db.decoded(row["metadata"]) == value
    assert (bool(row["active"]), row["ended_reason"]) == (False, "context-reset")


@pytest.mark.parametrize("raw", ['{"model": "claude", broken', "not json at all", "{'a': 1}"])
async def test_end_invalid_json_metadata_untouched_sqlite(tmp_path: Path, raw: str) -> None:
    """SQLite only: the text stays byte for byte, the session still ends."""
    target = await create_service_db(f"sqlite:///{tmp_path / 'archon.db'}")
    d = Db(target)
    try:
        conv = await d.conversation()
        sid = await d.session(conv, raw_metadata=raw)
        store = await open_store(target)
        try:
            assert await store.end_sessions([sid], "cwd-changed", actor="me") == [
                Ended(sid, "cwd-changed")
            ]
        finally:
            await store.close()
        row = (
            await d.rows(
                "SELECT metadata, typeof(metadata) AS t, hex(metadata) AS h, active, "
                "ended_reason FROM remote_agent_sessions WHERE id = :id",
                {"id": sid},
            )
        )[0]
    finally:
        await d.close()
    assert row["metadata"] == raw
    assert row["t"] == "text"
    assert row["h"] == raw.encode().hex().upper()
    assert (row["active"], row["ended_reason"]) == (0, "cwd-changed")


# -- races ---------------------------------------------------------------------------------------


async def test_two_stores_race_to_end_the_same_session(db: Db, fresh_target: DbTarget) -> None:
    conv = await db.conversation()
    sid = await db.session(conv, metadata={"k": "v"})
    one = await open_store(fresh_target)
    two = await open_store(fresh_target)
    try:
        results = await asyncio.gather(
            one.end_sessions([sid], "cwd-changed", actor="one"),
            two.end_sessions([sid], "repo-removed", actor="two"),
        )
    finally:
        await one.close()
        await two.close()
    outcomes = [r[0] for r in results]
    ended = [o for o in outcomes if isinstance(o, Ended)]
    already = [o for o in outcomes if isinstance(o, AlreadyEnded)]
    assert len(ended) == 1 and len(already) == 1, outcomes
    winner = ended[0].reason
    row = await db.session_raw(sid)
    assert row["ended_reason"] == winner
    assert already[0].ended_reason == winner
    assert already[0].ended_at == _ts(row["ended_at"])
    actor = db.decoded(row["metadata"])["endedBy"]["actor"]
    assert actor == ("one" if winner == "cwd-changed" else "two")


@pytest.mark.postgres
async def test_twenty_engines_race_on_postgresql(pg_target: DbTarget) -> None:
    d = Db(pg_target)
    try:
        conv = await d.conversation()
        sid = await d.session(conv, metadata={})
        stores = await asyncio.gather(*(open_store(pg_target) for _ in range(20)))
        reasons = [t.wire for t in stores[0].vocabulary.deactivating]
        try:
            results = await asyncio.gather(
                *(
                    s.end_sessions([sid], reasons[n % len(reasons)], actor=f"racer-{n}")
                    for n, s in enumerate(stores)
                )
            )
        finally:
            await asyncio.gather(*(s.close() for s in stores))
        row = await d.session_raw(sid)
    finally:
        await d.close()
    outcomes = [r[0] for r in results]
    ended = [o for o in outcomes if isinstance(o, Ended)]
    already = [o for o in outcomes if isinstance(o, AlreadyEnded)]
    assert len(ended) == 1 and len(already) == 19, outcomes
    winner_index = outcomes.index(ended[0])
    assert row["ended_reason"] == ended[0].reason == reasons[winner_index % len(reasons)]
    assert {a.ended_reason for a in already} == {ended[0].reason}
    assert {a.ended_at for a in already} == {_ts(row["ended_at"])}
    assert d.decoded(row["metadata"])["endedBy"]["actor"] == f"racer-{winner_index}"


async def test_locked_sqlite_raises_database_locked_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.store.limits.SQLITE_BUSY_TIMEOUT_MS", 200)
    target = await create_service_db(f"sqlite:///{tmp_path / 'archon.db'}")
    d = Db(target)
    try:
        conv = await d.conversation(title="before")
        sid = await d.session(conv, metadata={})
        before = await d.snapshot()

        holder = sqlite3.connect(str(target.path), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            holder.execute("UPDATE remote_agent_conversations SET title = 'held'")
            store = await open_store(target)
            try:
                # Readers are not blocked by a writer.
                assert [r.id for r in (await store.list_sessions()).rows] == [sid]
                started = time.monotonic()
                with pytest.raises(DatabaseLocked) as info:
                    await store.end_sessions([sid], "cwd-changed", actor="me")
                assert time.monotonic() - started < 5
                assert "locked" in str(info.value).lower()
                assert info.value.retryable is True
                holder.execute("ROLLBACK")
                assert await d.snapshot() == before
                # Once the lock is gone, the same call goes through.
                assert await store.end_sessions([sid], "cwd-changed", actor="me") == [
                    Ended(sid, "cwd-changed")
                ]
            finally:
                await store.close()
        finally:
            holder.close()
        assert (await d.session_raw(sid))["ended_reason"] == "cwd-changed"
    finally:
        await d.close()


# -- hostile strings -----------------------------------------------------------------------------


async def test_hostile_strings_are_returned_verbatim(db: Db, store: Store) -> None:
    conv = await db.conversation("slack", title=HOSTILE_TITLE, platform_conversation_id="C\x1b[2J")
    sid = await db.session(
        conv,
        active=False,
        ended_at=T0 + timedelta(minutes=1),
        ended_reason=HOSTILE_REASON,
        transition_reason="[link=file:///etc/passwd]x[/link]",
        metadata={"note": "\x1b[5mblink\u202e"},
    )
    page = await store.list_sessions(SessionFilter(search="second line"))
    assert [r.id for r in page.rows] == [sid]
    row = page.rows[0]
    assert row.title == HOSTILE_TITLE
    assert row.ended_reason == HOSTILE_REASON
    assert row.platform_conversation_id == "C\x1b[2J"
    assert row.transition_reason == "[link=file:///etc/passwd]x[/link]"
    assert row.reason == UnrecognisedReason(HOSTILE_REASON)
    assert parse_reason(row.ended_reason) == UnrecognisedReason(HOSTILE_REASON)

    detail = await store.get_session(sid)
    assert detail is not None
    assert detail.row == row
    assert detail.metadata.value == {"note": "\x1b[5mblink\u202e"}
    assert detail.conversation["title"] == HOSTILE_TITLE

    facets = await store.reason_counts()
    assert facets.unrecognised == {HOSTILE_REASON: 1}
    only = await store.list_sessions(SessionFilter(reasons=frozenset({HOSTILE_REASON})))
    assert [r.id for r in only.rows] == [sid]
    chain = await store.session_chain(sid)
    assert chain.hops[0].ended_reason == HOSTILE_REASON


# -- PostgreSQL errors never leak the password -----------------------------------------------------


@pytest.mark.postgres
async def test_wrong_password_is_auth_failed_without_the_password(
    pg_server: PgServer, pg_target: DbTarget
) -> None:
    database = sa_url(pg_target).database
    assert database
    wrong = "Wr0ng-Secret-Pw-7731"
    target = url_target(pg_server.url(database, password=wrong))
    with pytest.raises(AuthFailed) as info:
        await open_store(target)
    _no_secret(info.value, wrong, PASSWORD)
    assert "postgres@" in str(info.value) and database in str(info.value)


@pytest.mark.postgres
async def test_missing_database_is_named(pg_server: PgServer) -> None:
    target = url_target(pg_server.url("no_such_db_4f2a"))
    with pytest.raises(StoreError) as info:
        await open_store(target)
    assert isinstance(info.value, SchemaError)
    assert "no_such_db_4f2a" in str(info.value)
    assert "does not exist" in str(info.value)
    _no_secret(info.value, PASSWORD)


@pytest.mark.postgres
async def test_limited_role_is_permission_denied(pg_server: PgServer, pg_target: DbTarget) -> None:
    database = sa_url(pg_target).database
    assert database
    target = url_target(pg_server.url(database, LIMITED_USER, LIMITED_PASSWORD))
    with pytest.raises(PermissionDenied) as info:
        store = await open_store(target)
        try:
            await store.list_sessions()
        finally:
            await store.close()
    assert "permission denied" in str(info.value).lower()
    assert f"{LIMITED_USER}@" in str(info.value)
    _no_secret(info.value, LIMITED_PASSWORD, PASSWORD)


@pytest.mark.postgres
async def test_unreachable_server_is_connection_failed() -> None:
    secret = "Unreachable-Pw-9"
    target = url_target(f"postgresql://postgres:{secret}@127.0.0.1:1/archon")
    with pytest.raises(ConnectionFailed) as info:
        await open_store(target)
    assert info.value.retryable is True
    assert "127.0.0.1:1" in str(info.value)
    _no_secret(info.value, secret)


@pytest.mark.postgres
async def test_server_restart_under_an_open_store(pg_server: PgServer, pg_target: DbTarget) -> None:
    d = Db(pg_target)
    try:
        conv = await d.conversation()
        ids = {await d.session(conv, started_at=T0 + timedelta(minutes=n)) for n in range(3)}
    finally:
        await d.close()
    store = await open_store(pg_target)
    try:
        assert {r.id for r in (await store.list_sessions()).rows} == ids
        pg_server.restart()
        try:
            page = await store.list_sessions()
        except ConnectionFailed as exc:
            # Acceptable: a retryable error the first time, naming no password.
            assert exc.retryable is True
            _no_secret(exc, PASSWORD)
            page = await store.list_sessions()
        assert {r.id for r in page.rows} == ids
        assert (await store.list_sessions()).rows == page.rows
    finally:
        await store.close()
