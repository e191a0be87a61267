"""The SQLite file replaced or deleted under a running dashboard (a restore from backup,
a move, rm): the refresh tick notices that the path names another file or none (device
and inode), says so in the header and a toast, and reopens; an end goes to the file at
the path, or, when there is none, nowhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.app_helpers import (
    app_for,
    column_texts,
    main_screen,
    notifications,
    ready,
    settle,
    wait_until,
)
from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tui.app.app import SessionsApp
from tui.store.target import sqlite_target

RESTORED = "restored from backup"

pytestmark = pytest.mark.parametrize("journal", ["wal", "delete"])


def _header(app: SessionsApp) -> str:
    return str(main_screen(app).status_bar.render())


def _row(path: Path, sid: str) -> tuple[object, ...]:
    with sqlite_file(path) as conn:
        return tuple(
            conn.execute(
                "SELECT active, ended_reason, ended_at, metadata FROM remote_agent_sessions "
                "WHERE id = ?",
                (sid,),
            ).fetchone()
        )


async def _two_files(tmp_path: Path, journal: str) -> tuple[Path, Path, str]:
    """The open file, and its replacement: a copy with one active session retitled and
    the ten oldest sessions gone, so the rows shown tell which file was read."""
    path, other = tmp_path / "archon.db", tmp_path / "backup.db"
    await create_service_db(f"sqlite:///{path}", sessions=60)
    with sqlite_file(path) as conn:
        conn.execute(f"PRAGMA journal_mode={journal}")
        sid = conn.execute(
            "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC"
        ).fetchone()[0]
        conn.execute(
            "UPDATE remote_agent_sessions SET active = 1, ended_at = NULL, ended_reason = NULL "
            "WHERE id = ?",
            (sid,),
        )
        conn.commit()
        with sqlite_file(other) as copy:
            conn.backup(copy)
    with sqlite_file(other) as conn:
        conn.execute(f"PRAGMA journal_mode={journal}")
        conv = conn.execute(
            "SELECT conversation_id FROM remote_agent_sessions WHERE id = ?", (sid,)
        ).fetchone()[0]
        conn.execute(
            "UPDATE remote_agent_conversations SET title = ? WHERE id = ?", (RESTORED, conv)
        )
        conn.execute(
            "DELETE FROM remote_agent_sessions WHERE id IN (SELECT id FROM "
            "remote_agent_sessions ORDER BY started_at LIMIT 10)"
        )
    return path, other, sid


async def test_a_replaced_file_is_reopened_and_ended_at_the_path(
    tmp_path: Path, journal: str
) -> None:
    path, other, sid = await _two_files(tmp_path, journal)
    kept = tmp_path / "old-inode.db"
    app = app_for(sqlite_target(path), refresh_seconds=0.5)
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot)
        assert main_screen(app).table.row_count == 60
        os.link(path, kept)  # the old file, still readable after the replace
        os.replace(other, path)
        await wait_until(
            pilot,
            lambda: any("was replaced by another file" in n for n in notifications(app)),
            "a toast says replaced",
        )
        await wait_until(
            pilot,
            lambda: main_screen(app).table.row_count == 50 and "live" in _header(app),
            "the rows of the file at the path",
        )
        assert RESTORED in column_texts(app, "conversation")
        before_old = _row(kept, sid)
        main_screen(app).end_flow.end_sessions([sid], "reset-requested", "tester@ci")
        await settle(pilot)
    assert _row(path, sid)[:2] == (0, "reset-requested"), "the end is in the file at the path"
    assert _row(kept, sid) == before_old, "nothing went to the file that was replaced"


async def test_a_deleted_file_is_said_and_nothing_is_ended(tmp_path: Path, journal: str) -> None:
    path, _, sid = await _two_files(tmp_path, journal)
    kept = tmp_path / "old-inode.db"
    app = app_for(sqlite_target(path), refresh_seconds=0.5)
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot)
        os.link(path, kept)
        before = _row(kept, sid)
        os.remove(path)
        await wait_until(pilot, lambda: "was deleted" in _header(app), "the header says deleted")
        assert "● live" not in _header(app)
        main_screen(app).end_flow.end_sessions([sid], "reset-requested", "tester@ci")
        await wait_until(
            pilot,
            lambda: any(n.startswith("Nothing was ended") for n in notifications(app)),
            "the end refused",
        )
        assert "was deleted" in _header(app), "the reopen, failing, keeps saying why"
        assert not path.exists(), "nothing created at the path"
    assert _row(kept, sid) == before, "nothing written to the deleted file"
