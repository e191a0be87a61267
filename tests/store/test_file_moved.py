"""`Store.check_file`, asked first by every end: a write goes to the file the path names
when the store opened, or nowhere. A server has no file: nothing to check. A symlink
on the path (the file's own name, or a folder) swapped to another file counts as the
file replaced."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tests.support.swaps import LAYOUTS, swappable
from tui.domain.models import Ended, SessionFilter, Status
from tui.store.errors import FileMoved
from tui.store.store import open_store
from tui.store.target import DbTarget, sqlite_target


async def test_an_unchanged_database_passes(service_db: DbTarget) -> None:
    store = await open_store(service_db)
    try:
        assert store.file_changed() is None
        store.check_file()
    finally:
        await store.close()


async def test_an_end_after_the_file_was_replaced_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "archon.db"
    target = await create_service_db(f"sqlite:///{path}", sessions=20)
    store = await open_store(target)
    try:
        ended = await store.list_sessions(SessionFilter(status=Status.ENDED), limit=1)
        with sqlite_file(path) as conn:
            sid = ended.rows[0].id
            conn.execute("UPDATE remote_agent_sessions SET active = 1 WHERE id = ?", (sid,))
        copy = tmp_path / "copy.db"
        with sqlite_file(path) as conn, sqlite_file(copy) as target:
            conn.backup(target)
        os.link(path, tmp_path / "old.db")
        os.replace(copy, path)
        assert "replaced" in (store.file_changed() or "")
        with pytest.raises(FileMoved, match="nothing was written"):
            await store.end_sessions([sid], "reset-requested", "t@ci")
        os.remove(path)
        assert "deleted" in (store.file_changed() or "")
    finally:
        await store.close()
    with sqlite_file(tmp_path / "old.db") as conn:
        assert conn.execute(
            "SELECT active FROM remote_agent_sessions WHERE id = ?", (sid,)
        ).fetchone() == (1,)


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_a_swapped_symlink_is_a_replaced_file_and_an_end_writes_nothing(
    tmp_path: Path, layout: str
) -> None:
    """The path is not resolved once at open: after a symlink on it is swapped it names
    the other file, and an end through the old store goes nowhere and says so."""
    swap = await swappable(tmp_path, layout)
    store = await open_store(sqlite_target(swap.path))
    try:
        assert store.file_changed() is None
        swap.swap()
        assert store.file_changed() == f"{swap.path} was replaced by another file"
        with pytest.raises(FileMoved, match="nothing was written to it: reopen"):
            await store.end_sessions([swap.sid], "reset-requested", "t@ci")
    finally:
        await store.close()
    assert swap.row(swap.first) == swap.row(swap.second) == (1, None), "nothing written"
    store = await open_store(sqlite_target(swap.path))
    try:
        (outcome,) = await store.end_sessions([swap.sid], "reset-requested", "t@ci")
    finally:
        await store.close()
    assert outcome == Ended(swap.sid, "reset-requested")
    assert swap.row(swap.second) == (0, "reset-requested"), "reopened: the file at the path"
    assert swap.row(swap.first) == (1, None)


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_a_symlink_swapped_during_an_end_writes_nothing(tmp_path: Path, layout: str) -> None:
    """Swapped after the end's first check, before it holds the write lock: the check
    made again under the lock refuses, and neither file is written."""
    swap = await swappable(tmp_path, layout)
    store = await open_store(sqlite_target(swap.path))
    try:
        ending = asyncio.create_task(store.end_sessions([swap.sid], "reset-requested", "t@ci"))
        await asyncio.sleep(0)  # the task's first step: the first check, then the driver
        assert not ending.done()
        swap.swap()
        with pytest.raises(FileMoved, match="replaced by another file; nothing was written"):
            await ending
    finally:
        await store.close()
    assert swap.row(swap.first) == swap.row(swap.second) == (1, None)
