"""A SQLite file this user may not read (chmod 000, or its folder made untraversable):
`list`, `show`, `end`, `info`, `migrate` each say so in one line (the path, what to
do), exit 1, and change nothing. SQLite only: a server has no file.

Root reads any file, so the CLI runs in a process that file modes apply to
(`tests.support.unprivileged`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tests.support.unprivileged import run_unprivileged


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite_file(path) as conn:
        return sorted(conn.execute("SELECT * FROM remote_agent_sessions").fetchall(), key=repr)


@pytest.mark.parametrize("what", ["file", "folder"])
async def test_an_unreadable_file_is_one_line_and_exit_1(tmp_path: Path, what: str) -> None:
    path = tmp_path / "service" / "archon.db"
    path.parent.mkdir()
    await create_service_db(f"sqlite:///{path}", sessions=20)
    with sqlite_file(path) as conn:
        sid = str(conn.execute("SELECT id FROM remote_agent_sessions LIMIT 1").fetchone()[0])
        conn.execute("UPDATE remote_agent_sessions SET active = 1 WHERE id = ?", (sid,))
    before = _rows(path)
    blocked, mode = (path, 0o644) if what == "file" else (path.parent, 0o755)
    commands = [["list"], ["show", sid], ["end", sid, "--reason", "reset-requested", "--yes"]]
    if what == "file":  # the same check: once is enough for these two
        commands += [["info"], ["migrate", "--yes"]]
    blocked.chmod(0)
    try:
        done = {
            args[0]: run_unprivileged(["-m", "tui", "--db", str(path), *args]) for args in commands
        }
    finally:
        blocked.chmod(mode)
    for name, result in done.items():
        said = result.stderr.strip()
        assert result.returncode == 1, (name, result.stderr)
        assert said == (
            f"Error: {path} cannot be read (permission denied): give this user read access "
            "to it and its folder, or run as its owner"
        ), name
        assert result.stdout == "", name
    assert _rows(path) == before, "nothing written"
