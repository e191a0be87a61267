"""A deployment's first reading (`KeptStore.first`) says what a Store opened on the
database says: the same service version and active count for every service era, and
the same words for a database it refuses. On SQLite it opens no store to say it, and
reads on the event loop unless the file is locked, when it waits on a reading thread."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.dbs import create_service_db
from tests.support.service_schema import ERAS
from tests.support.sqlite_files import sqlite_file
from tui.deployments import Deployment
from tui.fleet import ReadOptions
from tui.fleet_kept import KeptStore
from tui.store.errors import StoreError
from tui.store.store import make_engine, open_store
from tui.store.target import DbTarget, resolve_target, sqlite_target

OPTIONS = ReadOptions(within=10, stale_after=timedelta(hours=24), run_quiet_after=timedelta(0))


def deployment(target: DbTarget) -> Deployment:
    if target.kind == "sqlite":
        return Deployment("one", db=target.path)
    return Deployment("one", url=target.secret_url())


async def first_and_open(target: DbTarget) -> tuple[object, object, int]:
    """(version, active) by `KeptStore.first`, the same by an opened Store, and how
    many stores `first` opened."""
    kept = KeptStore(deployment(target), OPTIONS)
    try:
        reading = await kept.first()
    finally:
        await kept.shut()
    assert reading.value is not None, reading.error
    store = await open_store(target, read_only=True)
    try:
        opened = (store.vocabulary.name, await store.active_count())
    finally:
        await store.close()
    return (reading.value.version, reading.value.active), opened, kept.opens


@pytest.mark.parametrize("era", ERAS)
def test_the_first_reading_finds_the_version_and_count_an_open_finds(
    empty_db_url: str, era: str
) -> None:
    async def both() -> tuple[object, object, int, str]:
        recorded = era != "pre-016"  # demo rows carry ended_reason
        target = await create_service_db(
            empty_db_url, era=era, ended_reason=recorded, sessions=40 if recorded else 0
        )
        return (*await first_and_open(target), target.kind)

    first, opened, opens, kind = asyncio.run(both())
    assert first == opened
    assert opens == (0 if kind == "sqlite" else 1)


@pytest.mark.parametrize("row", [None, ("0.7.2", "0.8.1")])
def test_the_schema_version_row_decides_alike(
    empty_db_url: str, row: tuple[str, str] | None
) -> None:
    """The service's own version row (or none in its table) reads the same both ways."""

    async def both() -> tuple[object, object, int]:
        target = await create_service_db(empty_db_url, era="v0.8", sessions=5)
        engine = make_engine(target)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text("DELETE FROM remote_agent_schema_version"))
                if row is not None:
                    await conn.execute(
                        sa.text(
                            "INSERT INTO remote_agent_schema_version"
                            " (id, created_app_version, app_version) VALUES (1, :c, :a)"
                        ),
                        {"c": row[0], "a": row[1]},
                    )
        finally:
            await engine.dispose()
        return await first_and_open(target)

    first, opened, _ = asyncio.run(both())
    assert first == opened


def test_a_database_that_is_no_service_one_is_refused_in_the_open_s_words(
    empty_db_url: str,
) -> None:
    async def both() -> tuple[str | None, str]:
        target = resolve_target(url=empty_db_url, must_exist=False)
        engine = make_engine(target, create=True)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text("CREATE TABLE notes (body TEXT)"))
        finally:
            await engine.dispose()
        return await _refusals(target)

    first, opened = asyncio.run(both())
    assert first == opened
    assert "is not an Archon service database" in opened


@pytest.mark.parametrize("content", [None, b"", b"not a database at all, " * 200])
def test_a_file_it_cannot_read_is_said_as_the_open_says_it(
    tmp_path: Path, content: bytes | None
) -> None:
    """A missing file, an empty one, one that is no SQLite file: the first reading's
    error is the open's, word for word."""
    path = tmp_path / "archon.db"
    if content is not None:
        path.write_bytes(content)
    target = sqlite_target(path)

    first, opened = asyncio.run(_refusals(target))
    assert first == opened
    assert str(path) in opened


async def _refusals(target: DbTarget) -> tuple[str | None, str]:
    """What the first reading of `target` says, and what opening a store on it raises."""
    kept = KeptStore(deployment(target), OPTIONS)
    try:
        reading = await kept.first()
    finally:
        await kept.shut()
    try:
        await open_store(target, read_only=True)
    except StoreError as exc:
        return reading.error, target.scrub(str(exc))
    raise AssertionError("the store opened")


def _reading_threads() -> set[int | None]:
    return {t.ident for t in threading.enumerate() if t.name == "sessions-tui-read"}


async def test_a_sqlite_first_reading_is_on_the_loop_and_waits_for_a_lock_off_it(
    tmp_path: Path,
) -> None:
    """An unlocked file is read without a reading thread. A file whose writer holds its
    exclusive lock (a rollback journal, where readers wait for it) is not waited for on
    the event loop: the reading waits on a thread, the loop turns meanwhile, and the
    reading answers once the lock goes, with what an open store reads."""
    db = tmp_path / "archon.db"
    target = await create_service_db(f"sqlite:///{db}", sessions=30)
    with sqlite_file(db) as conn:
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    expected, opened, _ = await first_and_open(target)
    assert expected == opened

    before = _reading_threads()
    assert await first_and_open(target) == (expected, opened, 0)
    assert _reading_threads() == before, "an unlocked file's first reading left the loop"

    writer = sqlite3.connect(db, timeout=0, isolation_level=None)
    kept = KeptStore(deployment(target), OPTIONS)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        reading = asyncio.ensure_future(kept.first())
        await asyncio.sleep(0)  # one turn of the loop: the reading's first step is taken
        assert not reading.done(), "the locked file answered (or failed) on the loop"
        assert _reading_threads() - before, "no reading thread waits for the lock"
        writer.execute("ROLLBACK")
        answer = await reading
    finally:
        writer.close()
        await kept.shut()
    assert answer.value is not None, answer.error
    assert (answer.value.version, answer.value.active) == expected


def _descriptors_on(path: Path) -> int:
    """This process's open file descriptors on `path` (Linux's /proc)."""
    fds = Path("/proc/self/fd")
    found = 0
    for fd in fds.iterdir():
        try:
            found += Path(os.readlink(fd)) == path
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
async def test_the_headline_s_connection_is_closed_when_the_store_opens_and_at_the_end(
    tmp_path: Path,
) -> None:
    """The first reading's connection is not closed before the headline is told (its
    close is no part of a first row): it stays open until the store opens for the rest
    of the reading, and nothing is left open once the deployment is shut, after a first
    reading alone as after a whole one."""
    db = tmp_path / "archon.db"
    target = await create_service_db(f"sqlite:///{db}", sessions=10)
    kept = KeptStore(deployment(target), OPTIONS)
    try:
        first = await kept.first()
        assert first.value is not None, first.error
        assert _descriptors_on(db) == 1
    finally:
        await kept.shut()
    assert _descriptors_on(db) == 0

    alone = await open_store(target, read_only=True)
    try:
        await alone.active_count()
        a_store_s = _descriptors_on(db)  # what an opened store holds once it has read
    finally:
        await alone.close()

    kept = KeptStore(deployment(target), OPTIONS)
    try:
        first = await kept.first()
        assert first.value is not None, first.error
        rest = await kept.read(lambda store: store.active_count())
        assert rest.value == first.value.active and kept.opens == 1
        assert _descriptors_on(db) == a_store_s  # the headline's connection went
    finally:
        await kept.shut()
    assert _descriptors_on(db) == 0
