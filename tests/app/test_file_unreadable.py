"""The SQLite file made unreadable under a running dashboard (chmod 000, or its folder
made untraversable): the header stops saying live and says the file cannot be read
(the path, what to do), an end writes nothing, and the dashboard is live again once
the file is readable. SQLite only: a server has no file.

Root reads any file, so the dashboard runs in a process that file modes apply to
(`tests.support.unprivileged`), driven by `tests.support.unreadable_dashboard`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tests.support.unprivileged import run_unprivileged


def _one_active(path: Path, journal: str) -> str:
    """The newest session, made active (the demo's 60 may all have ended)."""
    with sqlite_file(path) as conn:
        conn.execute(f"PRAGMA journal_mode={journal}")
        sid = str(
            conn.execute(
                "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC LIMIT 1"
            ).fetchone()[0]
        )
        conn.execute(
            "UPDATE remote_agent_sessions SET active = 1, ended_at = NULL, ended_reason = NULL "
            "WHERE id = ?",
            (sid,),
        )
    return sid


@pytest.mark.parametrize(("what", "journal"), [("file", "wal"), ("folder", "delete")])
async def test_unreadable_is_said_nothing_is_ended_and_readable_again_is_live(
    tmp_path: Path, what: str, journal: str
) -> None:
    path = tmp_path / "service" / "archon.db"
    path.parent.mkdir()
    await create_service_db(f"sqlite:///{path}", sessions=60)
    sid, out = _one_active(path, journal), tmp_path / "seen.json"
    done = run_unprivileged(
        ["-m", "tests.support.unreadable_dashboard", str(path), sid, what, str(out)]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(out.read_text())
    assert "● live" in seen["header_before"]
    for header in (seen["header_unreadable"], seen["header_still"]):
        assert "● live" not in header
        # The header names the path once (its first part), then what happened to it.
        assert f"{path.name}  ·  " in header
        assert "the database file cannot be read (permission denied)" in header
        assert "\n" not in header.strip()  # one line, cut to the width: the toast has it all
    assert seen["rows_kept"] == seen["rows_before"], "the table keeps what it shows"
    toasts = seen["toasts"]
    advice = "give this user read access to it and its folder"
    assert any(f"{path} cannot be read" in t and advice in t for t in toasts), "the toast says all"
    assert not any("was deleted" in t or "was replaced" in t for t in toasts)
    assert seen["row_after_refused_end"] == [1, None], "nothing written while unreadable"
    assert "● live" in seen["header_recovered"]
    assert any(t.startswith(f"ended {sid[:8]} (reset-requested)") for t in toasts)
    with sqlite_file(path) as conn:
        stored = conn.execute(
            "SELECT active, ended_reason FROM remote_agent_sessions WHERE id = ?", (sid,)
        ).fetchone()
    assert stored == (0, "reset-requested"), "the end after recovery is in the file"
