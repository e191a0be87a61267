"""`Store.check_file`, asked first by every end: a write goes to the file the path names
when the store opened, or nowhere. A server has no file: nothing to check."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.support.dbs import create_service_db
from tui.domain.models import SessionFilter, Status
from tui.store.errors import FileMoved
from tui.store.store import open_store
from tui.store.target import DbTarget


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
        with sqlite3.connect(path) as conn:
            sid = ended.rows[0].id
            conn.execute("UPDATE remote_agent_sessions SET active = 1 WHERE id = ?", (sid,))
        copy = tmp_path / "copy.db"
        with sqlite3.connect(path) as conn, sqlite3.connect(copy) as target:
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
    with sqlite3.connect(tmp_path / "old.db") as conn:
        assert conn.execute(
            "SELECT active FROM remote_agent_sessions WHERE id = ?", (sid,)
        ).fetchone() == (1,)
