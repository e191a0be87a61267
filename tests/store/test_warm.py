"""The warm first page: the default view read through the bare driver, before SQLAlchemy.

It must be the Store's first page exactly (rows and cursor), never write, never raise,
and hand over to the Store without a second query or a lost filter change.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace
from textual.message import Message

from tests.support.app_helpers import NOW, app_for, column_texts, main_screen, ready, settle
from tests.support.dbs import add_legacy_session, create_service_db
from tests.support.odd_rows import execute
from tests.support.sqlite_files import sqlite_file
from tui.app import data
from tui.app.messages import FacetsLoaded, LoadMode, PageLoaded, StoreOpened, WarmMissed
from tui.domain.models import SessionFilter, SessionRow, Status
from tui.domain.stuck import StuckKind
from tui.store import warm, warm_gen
from tui.store.backends.driver import bind
from tui.store.migrate import upgrade
from tui.store.store import open_store
from tui.store.tables import ACTIVE_INDEX, SERVICE_CONVERSATION_INDEXES
from tui.store.target import DbTarget, sqlite_target, url_target
from tui.store.warm import first_page

SIZE = (170, 45)

WARM_SQL: dict[str, Any] = {}
"""The warm statements as the generator writes them: `tui/store/_warm_sql.py` is this
text (the first test checks it)."""
exec(warm_gen.render(), WARM_SQL)


def test_compiled_sql_is_the_stores_statement() -> None:
    """`_warm_sql.py` is what SQLAlchemy compiles from `list_statement` today."""
    on_disk = warm_gen.TARGET.read_text()
    assert on_disk == warm_gen.render(), (
        "tui/store/_warm_sql.py is out of date: run `python3 -m tui.store.warm_gen`"
    )


def unmarked(rows: list[SessionRow]) -> list[SessionRow]:
    return [
        replace(r, stuck=tuple(k for k in r.stuck if k is not StuckKind.DUPLICATE)) for r in rows
    ]


@pytest.mark.parametrize("migrated", [True, False], ids=["migrated", "as-the-service-left-it"])
@pytest.mark.parametrize("limit", [1000, 100, 7])
async def test_warm_page_is_the_stores_first_page(
    service_db: DbTarget, limit: int, migrated: bool
) -> None:
    """The Store's first page exactly; without the tool's active index (0008), the same
    rows without the `duplicate` mark, said to be unmarked."""
    if migrated:
        await upgrade(service_db)
    warm = await first_page(service_db, limit)
    store = await open_store(service_db, read_only=True)
    try:
        page = await store.list_sessions(limit=limit)
        assert warm is not None
        assert warm.duplicates_unknown is not migrated
        if migrated:
            assert warm.rows == page.rows
        else:
            assert warm.rows == unmarked(page.rows)
            if limit == 1000:  # every row: the demo has duplicates, their marks not read
                assert any(StuckKind.DUPLICATE in r.stuck for r in page.rows)
        assert warm.next_cursor == page.next_cursor
        if limit == 1000:  # the whole demo: every kind of row went through the decoding
            assert page.next_cursor is None and len(page.rows) == 600
            reasons = {r.ended_reason for r in page.rows}
            assert None in reasons and "reset-requested" in reasons
            assert {r.active for r in page.rows} == {True, False}
        else:
            assert warm.next_cursor is not None
            # The Store pages on from the warm cursor exactly as from its own.
            assert await store.list_sessions(cursor=warm.next_cursor, limit=limit) == (
                await store.list_sessions(cursor=page.next_cursor, limit=limit)
            )
    finally:
        await store.close()


def test_warm_page_does_not_import_sqlalchemy(service_db: DbTarget, empty_db_url: str) -> None:
    """The point of the warm page: rows without paying for SQLAlchemy's import."""
    code = (
        "import asyncio, sys\n"
        "from tui.store.target import url_target\n"
        "from tui.store.warm import first_page\n"
        f"page = asyncio.run(first_page(url_target({empty_db_url!r}), 5))\n"
        "assert page is not None and len(page.rows) == 5, page\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_app_and_cli_modules_do_not_import_sqlalchemy() -> None:
    """The first frame comes before SQLAlchemy's ~150 ms import: the app layer reaches
    the store's SQL only through the Store it is handed. (An app module importing
    tui.store.tables once cost 1.1x -> 1.4x of the empty app's first frame.)"""
    code = (
        "import sys\n"
        "import tui.cli.main, tui.app.app\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


async def test_warm_page_declines_a_database_from_before_016(old_service_db: DbTarget) -> None:
    await add_legacy_session(old_service_db)
    assert await first_page(old_service_db, 100) is None


async def test_warm_page_declines_what_it_cannot_read_and_writes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "archon.db"
    assert await first_page(sqlite_target(missing), 100) is None
    assert not missing.parent.exists()

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database\x00" * 100)
    assert await first_page(sqlite_target(garbage), 100) is None
    assert garbage.read_bytes() == b"not a database\x00" * 100

    other = tmp_path / "other.db"
    with sqlite_file(other) as conn:
        conn.execute("CREATE TABLE remote_agent_sessions (id TEXT)")
    before = other.read_bytes()
    assert await first_page(sqlite_target(other), 100) is None
    assert other.read_bytes() == before


async def test_warm_page_gives_up_quickly_on_a_locked_file(tmp_path: Path) -> None:
    from tests.support.dbs import create_service_db

    target = await create_service_db(f"sqlite:///{tmp_path}/archon.db", sessions=20)
    blocker = sqlite3.connect(str(target.path))
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        assert await first_page(target, 100, wait=0.2) is None
        assert time.monotonic() - started < 2.0
    finally:
        blocker.rollback()
        blocker.close()
    assert await first_page(target, 100) is not None


async def test_warm_page_declines_an_unreachable_server() -> None:
    with socket_closed_port() as port:
        target = url_target(f"postgresql://nobody:secret@127.0.0.1:{port}/archon")
        started = time.monotonic()
        assert await first_page(target, 100, wait=1.0) is None
        assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("limit", [100, 7, 0])
def test_a_page_begun_before_the_app_is_the_first_page_exactly(
    service_db: DbTarget, limit: int
) -> None:
    """`warm.start`, as the dashboard begins it (PostgreSQL's in a child interpreter,
    SQLite's on a thread): the page `first_page` reads, rows and cursor."""
    begun = warm.start(service_db, limit, now=NOW).result(timeout=30)
    page = asyncio.run(first_page(service_db, limit, now=NOW))
    assert begun is not None and page is not None
    assert begun == page


def test_a_page_begun_before_the_app_declines_an_unreachable_server() -> None:
    with socket_closed_port() as port:
        target = url_target(f"postgresql://nobody:secret@127.0.0.1:{port}/archon")
        assert warm.start(target, 100).result(timeout=30) is None


def test_the_child_reader_answers_nothing_to_a_question_it_cannot_read() -> None:
    """`warm_child` given anything but a pickled question: no page on stdout, a failed
    exit (its stderr is not the dashboard's: `warm.start` discards it)."""
    child = subprocess.run(
        [sys.executable, "-m", "tui.store.warm_child"],
        input=b"not a question",
        capture_output=True,
        timeout=60,
    )
    assert child.returncode != 0
    assert child.stdout == b""


HOOKED = """
import importlib.machinery, json, sys
root = sys.argv[1]
sys.path[:] = [p for p in sys.path if p and p != root and p != "."]
class Finder:  # this tool importable through a hook only, as some editable installs do
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name == "tui" or name.startswith("tui."):
            return importlib.machinery.PathFinder.find_spec(name, path or [root])
        return None
sys.meta_path.insert(0, Finder)
from tui.store import warm
from tui.store.target import url_target
page = warm.start(url_target(sys.argv[2]), 7).result(timeout=60)
print(json.dumps(None if page is None else len(page.rows)))
"""


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_page_begun_where_the_child_cannot_import_this_tool_is_read_on_the_thread(
    service_db: DbTarget,
) -> None:
    """This tool importable only through an import hook (the child starts without
    `site`, so without the hook): the child fails, and the waiting thread reads the
    page instead."""
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-c", HOOKED, root, service_db.secret_url()],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == 7


@contextmanager
def socket_closed_port() -> Iterator[int]:
    """A local port nothing listens on, for as long as the block runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        yield int(sock.getsockname()[1])


# -- in the app -------------------------------------------------------------------------


class Recorder:
    """Every message the app dispatches, in order (run_test's message hook)."""

    def __init__(self) -> None:
        self.seen: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.seen.append(message)

    def of(self, kind: type[Any]) -> list[Any]:
        return [m for m in self.seen if isinstance(m, kind)]


@pytest.mark.parametrize("migrated", [True, False], ids=["migrated", "as-the-service-left-it"])
@pytest.mark.parametrize("early", [False, True], ids=["on-mount", "begun-before-the-app"])
async def test_app_shows_the_warm_page_then_opens_the_store_without_asking_again(
    service_db: DbTarget, early: bool, migrated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same whether the page is read once the screen mounts or was begun before the
    app (as `sessions-tui` does, `warm.start`). Without the tool's active index the warm
    page comes without `duplicate` marks, and the Store's page (marks read by the
    service's index it checked for) replaces it."""
    if migrated:
        await upgrade(service_db)
    record = Recorder()
    read_by_the_app: list[object] = []
    read_now = data.first_page

    async def recorded(*args: Any, **kwargs: Any) -> object:
        read_by_the_app.append(args)
        return await read_now(*args, **kwargs)

    monkeypatch.setattr(data, "first_page", recorded)
    app = app_for(service_db, early=early)
    async with app.run_test(size=SIZE, message_hook=record) as pilot:
        await ready(pilot)
        pages = record.of(PageLoaded)
        assert pages[0].warm, "the first page came through the Store, not the warm path"
        # Begun before the app, the page is taken (at once if read by then, else awaited).
        assert len(read_by_the_app) == (0 if early else 1), "the page begun before was not taken"
        opened = record.seen.index(record.of(StoreOpened)[0])
        assert record.seen.index(pages[0]) < opened
        assert len(pages) == (1 if migrated else 2), "the Store read the first page again"
        assert record.of(FacetsLoaded), "no counts after the warm page"

        store = await open_store(service_db, read_only=True)
        try:
            first = await store.list_sessions(limit=100)
            second = await store.list_sessions(cursor=first.next_cursor, limit=100)
        finally:
            await store.close()
        main = main_screen(app)
        assert list(main.state.order) == [r.id for r in first.rows]
        dup = StuckKind.DUPLICATE
        assert [dup in main.state.rows[i].stuck for i in main.state.order] == [
            dup in r.stuck for r in first.rows
        ]
        assert column_texts(app, "id")[0] == first.rows[0].id[:8]

        # Paging on from the warm cursor goes through the Store and joins up exactly.
        main.table.move_cursor(row=main.table.row_count - 1)
        await settle(pilot)
        assert [p.mode for p in record.of(PageLoaded)][len(pages) :] == [LoadMode.APPEND]
        assert list(main.state.order) == [r.id for r in first.rows + second.rows]


async def test_a_filter_change_before_the_store_opens_is_not_lost(service_db: DbTarget) -> None:
    record = Recorder()
    app = app_for(service_db)

    def hook(message: Message) -> None:
        record(message)
        if isinstance(message, PageLoaded) and message.warm:
            main_screen(app).filters.set_status(
                Status.ENDED
            )  # lands just before the warm page applies

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await ready(pilot)
        store = await open_store(service_db, read_only=True)
        try:
            ended = await store.list_sessions(SessionFilter(status=Status.ENDED), limit=100)
        finally:
            await store.close()
        state = main_screen(app).state
        assert list(state.order) == [r.id for r in ended.rows]
        assert all(not r.active for r in state.rows.values())
        assert [p.warm for p in record.of(PageLoaded)] == [True, False]


@pytest.mark.parametrize("early", [False, True], ids=["on-mount", "begun-before-the-app"])
async def test_app_on_a_database_from_before_016_takes_the_store_path(
    old_service_db: DbTarget, early: bool
) -> None:
    sid = await add_legacy_session(old_service_db)
    record = Recorder()
    app = app_for(old_service_db, early=early)
    async with app.run_test(size=SIZE, message_hook=record) as pilot:
        await ready(pilot)
        assert record.of(WarmMissed)
        assert [p.warm for p in record.of(PageLoaded)] == [False]
        assert list(main_screen(app).state.order) == [sid]


async def test_app_on_todays_schema_shows_owners_from_the_warm_page(empty_db_url: str) -> None:
    """Today's schema (users, v0.4.0 on) is the warm page's first statement: the owners are
    on screen before the Store opens, as the Store would show them."""
    target = await create_service_db(empty_db_url, era="v0.7", sessions=300)
    record = Recorder()
    app = app_for(target)
    async with app.run_test(size=SIZE, message_hook=record) as pilot:
        await ready(pilot)
        pages = record.of(PageLoaded)
        assert pages[0].warm and not record.of(WarmMissed)
        store = await open_store(target, read_only=True, clock=lambda: NOW)  # the app's clock
        try:
            first = await store.list_sessions(limit=100)
        finally:
            await store.close()
        assert pages[0].rows == first.rows
        assert sum(r.owner is not None for r in first.rows) > 50
        shown = [c.strip().rstrip("…") for c in column_texts(app, "owner")]
        assert all((r.owner or "—").startswith(c) for r, c in zip(first.rows, shown, strict=True))


async def _warm_plan(target: DbTarget) -> tuple[str, list[str]]:
    """The statement the warm page runs here (the first of `_warm_sql`'s its database
    accepts, as the driver tries them) and the database's plan for it, one line a node
    (`SCAN newer`, `Seq Scan on remote_agent_sessions newer`)."""
    if target.kind == "sqlite":
        conn = sqlite3.connect(str(target.path))
        try:
            for text, params in WARM_SQL["SQLITE"]:
                try:
                    plan = conn.execute("EXPLAIN QUERY PLAN " + text, bind(params, 100))
                except sqlite3.OperationalError:
                    continue
                return text, [str(row[3]) for row in plan]
        finally:
            conn.close()
        raise AssertionError("no warm statement runs here")
    import asyncpg

    pg = await asyncpg.connect(
        host=target.host,
        port=target.port,
        user=target.username,
        password=target.password,
        database=target.database,
    )
    try:
        # Every index that could serve is taken: a Seq Scan left means none can.
        await pg.execute("SET enable_seqscan = off")
        for text, params in WARM_SQL["POSTGRESQL"]:
            try:
                raw = await pg.fetchval("EXPLAIN (FORMAT JSON) " + text, *bind(params, 100))
            except asyncpg.UndefinedTableError:
                continue
            nodes = [json.loads(raw)[0]["Plan"]]
            lines: list[str] = []
            while nodes:
                node = nodes.pop()
                lines.append(
                    f"{node['Node Type']} on {node.get('Alias', '')}"
                    f" using {node.get('Index Name', '')}"
                )
                nodes += node.get("Plans", [])
            return text, lines
    finally:
        await pg.close()
    raise AssertionError("no warm statement runs here")


@pytest.mark.parametrize("tool_index", [True, False], ids=["tool-index", "no-tool-index"])
async def test_the_warm_page_never_scans_the_table_per_row(
    service_db: DbTarget, tool_index: bool
) -> None:
    """On a database without the service's conversation index, the warm page reads the
    `duplicate` mark through the tool's active index (0008) where it is, and reads no mark
    where it is not: never a table scan for each active row of the page."""
    if tool_index:
        await upgrade(service_db)
    await execute(
        service_db, *(f"DROP INDEX IF EXISTS {ix}" for ix in sorted(SERVICE_CONVERSATION_INDEXES))
    )
    text, plan = await _warm_plan(service_db)
    per_row = [line for line in plan if "newer" in line and ("SCAN" in line or "Seq" in line)]
    assert per_row == [], plan
    if tool_index:
        assert any(ACTIVE_INDEX in line for line in plan), plan
    else:
        assert " newer " not in text, "the mark is read without an index"
        page = await first_page(service_db, 100)
        assert page is not None and page.duplicates_unknown
