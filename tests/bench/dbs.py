"""Benchmark databases: demo SQLite files cached under tests/bench/.cache, PostgreSQL on demand.

Every database starts as the service's own schema of today (`SERVICE_ERA`, users
included), gets this tool's migrations, and is filled by the project's demo generator
with a fixed seed and anchor, so the same size always means the same rows (owners too).
SQLite files are cached by name (size, seed, anchor and ``tui.__version__``); PostgreSQL
databases live in a throwaway server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.store.target import DbTarget

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent.parent
CACHE_DIR = BENCH_DIR / ".cache"
RESULTS_DIR = BENCH_DIR / "results"

ANCHOR = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
"""The demo's "now": fixed so a cached file and a rebuilt one hold the same rows."""
SEED = 7


def _schema_key() -> str:
    """The migration head plus a hash of the generator and table definitions.

    tui.__version__ alone does not change when a migration (say, a new index) or the
    generator changes during development; a stale cached file would then be measured
    with the wrong schema. Any such change makes a new file name, so a rebuild.
    """
    import hashlib

    import tests.support.service_schema
    import tui.store.demo
    import tui.store.tables
    from tui.store.migrate import head_revision

    digest = hashlib.sha256()
    for module in (tui.store.demo, tui.store.tables, tests.support.service_schema):
        digest.update(Path(module.__file__ or "").read_bytes())
    return f"{head_revision()}-{digest.hexdigest()[:8]}"


def sqlite_path(n_sessions: int) -> Path:
    from tui import __version__

    stamp = ANCHOR.strftime("%Y%m%dT%H%M")
    return CACHE_DIR / f"demo-{__version__}-n{n_sessions}-s{SEED}-{stamp}-{_schema_key()}.db"


def ensure_sqlite(n_sessions: int, log=print) -> tuple[Path, float | None]:
    """The cached demo file for this size; (path, build seconds or None if it was cached)."""
    path = sqlite_path(n_sessions)
    if path.exists():
        return path, None
    # Older builds of the same size (another version, schema or generator) are only disk.
    for stale in CACHE_DIR.glob(f"demo-*-n{n_sessions}-*.db"):
        log(f"  removing stale cache {stale.name}")
        stale.unlink()
    log(f"  building {path.name} ({n_sessions:,} sessions) …")
    took = built_whole(path, lambda tmp: _build_sqlite(tmp, n_sessions), log)
    return path, took


def built_whole(
    path: Path, fill: Callable[[Path], None], log: Callable[[str], Any] = print
) -> float:
    """`fill` writes a SQLite file next to `path`; its WAL folded back in (the file is
    self-contained), it is moved into place whole, and what a failed build left is
    removed. No ANALYZE: neither the service nor this tool runs it, so the planner sees
    what it would see in production. The seconds it took."""
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{tmp}{extra}").unlink(missing_ok=True)
        fill(tmp)
        con = sqlite3.connect(tmp)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{tmp}{extra}").unlink(missing_ok=True)
    took = time.perf_counter() - started
    log(f"  built in {took:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
    return took


SERVICE_ERA = "v0.8"
"""The service schema a benchmark database starts from: today's (v0.8 through v0.9), so
it has the users table and conversations.user_id the owner column and filter read, and
the runs' `output_root` the demo's runs are written with."""


def _build_sqlite(path: Path, n_sessions: int) -> None:
    """The service's schema, then this tool's migrations and the demo rows (with owners),
    written at `path` (`built_whole` moves it into place)."""
    from tests.support.service_schema import schema_version_row, service_ddl, statements
    from tui.store.demo import write_demo
    from tui.store.target import sqlite_target

    con = sqlite3.connect(path)
    try:
        for stmt in [
            *statements(service_ddl("sqlite", era=SERVICE_ERA)),
            schema_version_row("0.9.0"),
        ]:
            con.execute(stmt)
        con.commit()
    finally:
        con.close()
    asyncio.run(write_demo(sqlite_target(path), n_sessions=n_sessions, anchor=ANCHOR))


async def _service_schema_pg(url: str) -> None:
    import asyncpg

    from tests.support.service_schema import schema_version_row, service_ddl, statements

    con = await asyncpg.connect(url)
    try:
        for stmt in [
            *statements(service_ddl("postgresql", era=SERVICE_ERA)),
            schema_version_row("0.9.0"),
        ]:
            await con.execute(stmt)
    finally:
        await con.close()


def writable_copy(path: Path, tag: str) -> Path:
    """A private copy for the write tests, so the cached file stays pristine."""
    dest = CACHE_DIR / "scratch" / f"{tag}-{path.name}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    for extra in ("", "-wal", "-shm", "-journal"):
        Path(f"{dest}{extra}").unlink(missing_ok=True)
    shutil.copyfile(path, dest)
    return dest


def drop_copy(path: Path) -> None:
    for extra in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{extra}").unlink(missing_ok=True)


def build_pg(url: str, n_sessions: int, log=print, *, copy: bool = True) -> float:
    """Fill a fresh PostgreSQL database with the same demo rows; return the build seconds.

    With `copy` (the default) the rows are those of the cached SQLite file of the same
    size (`ensure_sqlite`, itself built by the generator), streamed into PostgreSQL with
    COPY (`copy_from_sqlite`): a 1M database in about a minute instead of several
    through the generator's INSERTs. `copy=False` runs the generator on PostgreSQL
    (`write_demo`), which `tests/bench/README.md` checks gives the same rows."""
    from tui.store.demo import write_demo
    from tui.store.target import url_target

    log(f"  building PostgreSQL demo ({n_sessions:,} sessions) …")
    if copy:
        source, _ = ensure_sqlite(n_sessions, log)
        return copy_pg(url, source, log)
    started = time.perf_counter()
    asyncio.run(_service_schema_pg(url))
    asyncio.run(write_demo(url_target(url), n_sessions=n_sessions, anchor=ANCHOR))
    # A live server's autovacuum vacuums and analyses a table within a minute of a bulk
    # load (PostgreSQL 13+ also vacuums after inserts). A benchmark starting seconds later
    # would otherwise see a planner without statistics and no visibility map, so every
    # index-only read of the live reason counts would visit the heap (7.6 vs 1.6 ms at 1M).
    asyncio.run(_vacuum_analyze(url))
    took = time.perf_counter() - started
    log(f"  built in {took:.1f} s")
    return took


def copy_pg(url: str, source: Path, log=print) -> float:
    """A fresh PostgreSQL database holding the rows of the SQLite file `source` (a
    cached demo file, or one made from it): the service's schema, `copy_from_sqlite`,
    then `VACUUM (ANALYZE)` as `build_pg` does; return the seconds."""
    started = time.perf_counter()
    asyncio.run(_service_schema_pg(url))
    asyncio.run(copy_from_sqlite(source, url, log))
    asyncio.run(_vacuum_analyze(url))
    took = time.perf_counter() - started
    log(f"  built in {took:.1f} s")
    return took


COPY_CHUNK = 50_000
"""Rows per COPY: a chunk's CSV is built in memory."""
NULL_TEXT = "\\N"


async def copy_from_sqlite(source: Path, url: str, log=print) -> None:
    """This tool's schema on PostgreSQL (`upgrade`, as `write_demo` starts), then every
    row of the demo tables of `source` by COPY, then the service's own indexes
    (`SERVICE_INDEXES`, as `write_demo` ends). The schema's and migrations' indexes
    other than keys are dropped for the load and created again, as they were defined,
    after it.

    The values go as CSV text and PostgreSQL's own input functions read them: the
    SQLite file's hex ids are valid `uuid` input, its 0/1 valid `boolean`, its JSON text
    valid `jsonb`. Its times are UTC text: the loading session's zone is UTC, and the
    zone-less columns must be the service's wall clock, so the server's own zone (what
    the service's `NOW()` writes in) must be UTC too, else this refuses. Foreign keys
    are not checked while loading (`session_replication_role = replica`): the rows are
    the checked rows of the SQLite file, and any table order works."""
    import csv
    import io

    import asyncpg

    from tui.store.demo import SERVICE_INDEXES
    from tui.store.migrate import upgrade
    from tui.store.store import make_engine
    from tui.store.target import url_target

    target = url_target(url)
    await upgrade(target, create=True)
    con = await asyncpg.connect(url)
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        zone = await con.fetchval("SHOW TimeZone")
        if zone not in ("UTC", "Etc/UTC", "GMT", "Etc/GMT"):
            raise RuntimeError(f"the server's zone is {zone}: copying UTC text needs UTC")
        await con.execute("SET TimeZone = 'UTC'")
        await con.execute("SET session_replication_role = replica")
        pg_columns: dict[str, list[str]] = {}
        for table, column in await con.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ):
            pg_columns.setdefault(table, []).append(column)
        lite_tables = [
            r[0]
            for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] in pg_columns
        ]
        # Indexes other than the keys are built once the rows are in: one sort each,
        # instead of maintained row by row (their definitions are the migrations').
        later = [
            (name, definition)
            for name, definition in await con.fetch(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid)"
                " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid"
                " WHERE t.relnamespace = current_schema()::regnamespace"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
            )
        ]
        for name, _ in later:
            await con.execute(f'DROP INDEX "{name}"')
        for table in lite_tables:
            if await con.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                continue  # written by the schema or `upgrade` (their versions)
            have = {r[1] for r in lite.execute(f'PRAGMA table_info("{table}")')}
            columns = [c for c in pg_columns[table] if c in have]
            cursor = lite.execute(
                "SELECT " + ", ".join(f'"{c}"' for c in columns) + f' FROM "{table}"'
            )
            copied = 0
            while rows := cursor.fetchmany(COPY_CHUNK):
                buf = io.StringIO()
                # NULL as \N (PostgreSQL's CSV would read an empty field as NULL, and
                # Python's csv writes None and '' alike).
                csv.writer(buf, lineterminator="\n").writerows(
                    [NULL_TEXT if v is None else v for v in row] for row in rows
                )
                data = io.BytesIO(buf.getvalue().encode())
                await con.copy_to_table(
                    table, source=data, columns=columns, format="csv", null=NULL_TEXT
                )
                copied += len(rows)
            log(f"    {table}: {copied:,} rows copied")
        await con.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in later:
            await con.execute(definition)
        # A serial or identity column copied explicitly leaves its sequence behind.
        for table, column in await con.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
            " AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')"
        ):
            await con.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f' COALESCE((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
            )
    finally:
        lite.close()
        await con.close()
    engine = make_engine(target, create=True)
    try:
        async with engine.begin() as conn:
            for index in SERVICE_INDEXES:
                await conn.run_sync(lambda c, index=index: index.create(c, checkfirst=True))
    finally:
        await engine.dispose()


async def _vacuum_analyze(url: str) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        await con.execute("VACUUM (ANALYZE)")
        # A live server's bulk load is long written out; without this, the checkpoint
        # and the kernel's writeback of ~1 GB land in the first measurements (PostgreSQL
        # first rows at 1M: 406 ms in one run, 635 ms [439-779] in the next).
        await con.execute("CHECKPOINT")
    finally:
        await con.close()
    os.sync()


def _service_key() -> str:
    """A hash of what a service database is made of: the era DDL and the demo generator."""
    import hashlib

    import tests.support.service_schema
    import tui.store.demo
    import tui.store.tables

    digest = hashlib.sha256()
    for module in (tests.support.service_schema, tui.store.demo, tui.store.tables):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:8]


def service_sqlite_path(n_sessions: int) -> Path:
    stamp = ANCHOR.strftime("%Y%m%dT%H%M")
    return CACHE_DIR / f"service-v0.7-n{n_sessions}-s{SEED}-{stamp}-{_service_key()}.db"


def ensure_service_sqlite(n_sessions: int, log=print) -> tuple[Path, float | None]:
    """A cached SQLite file as today's service leaves it (no sessions-tui revision or index).

    `migrate` is what is measured on it, so it must not be built by `migrate`: the
    service's own DDL (`tests/support/service_schema.py`, era v0.7) and the demo rows.
    """
    path = service_sqlite_path(n_sessions)
    if path.exists():
        return path, None
    for stale in CACHE_DIR.glob(f"service-*-n{n_sessions}-*.db"):
        log(f"  removing stale cache {stale.name}")
        stale.unlink()
    log(f"  building {path.name} ({n_sessions:,} sessions) …")
    fill = lambda tmp: asyncio.run(_build_service(f"sqlite:///{tmp}", n_sessions))  # noqa: E731
    return path, built_whole(path, fill, log)


def build_service_pg(url: str, n_sessions: int, log=print) -> float:
    """Fill a fresh PostgreSQL database as today's service leaves it; return the seconds."""
    log(f"  building PostgreSQL service database ({n_sessions:,} sessions) …")
    started = time.perf_counter()
    asyncio.run(_build_service(url, n_sessions))
    asyncio.run(_vacuum_analyze(url))
    took = time.perf_counter() - started
    log(f"  built in {took:.1f} s")
    return took


async def _build_service(url: str, n_sessions: int) -> None:
    from tests.support.dbs import create_service_db

    await create_service_db(url, era="v0.7", sessions=n_sessions)


def size_target(
    backend: str,
    n_sessions: int,
    *,
    tag: str,
    server: Any = None,
    pg_urls: list[str] | None = None,
    pg_data: Path | None = None,
    sizes: list[int] | None = None,
) -> tuple[DbTarget, Path | None]:
    """The database a benchmark reads at one size, and the PostgreSQL data folder (None on
    SQLite) for reading the server's CPU time: SQLite's cached demo file; on PostgreSQL the
    `--pg-url` given for that size (the URLs in `sizes` order, `pg_data` their folder), or
    a database `tag`_N built on `server` (a tests.support.pgserver.PgServer)."""
    from tui.store.target import resolve_target, url_target

    if backend == "sqlite":
        path, _ = ensure_sqlite(n_sessions)
        return resolve_target(db=str(path)), None
    if pg_urls:
        assert sizes is not None
        return url_target(pg_urls[sizes.index(n_sessions)]), pg_data
    assert server is not None
    url = server.create_database(f"{tag}_{n_sessions}")
    build_pg(url, n_sessions)
    return url_target(url), server.data_dir
