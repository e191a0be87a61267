"""SQLite failures said by their true cause, in one line, exit 1, nothing changed.

SQLite's own words misled: a truncated copy read as "not a SQLite database (database
disk image is malformed)"; a `-shm` this user cannot write, and a file system mounted
read-only, as "the database is open read-only (attempt to write a readonly
database)" when nobody had asked for read-only; a WAL-mode file on a read-only mount
as "cannot open the file (unable to open database file)", though it was there and
readable. SQLite only: a server has no file.

The `-shm` case runs the CLI as a process that file modes apply to
(`tests.support.unprivileged`: root without its override of them); the read-only
mount is a real read-only bind mount in a mount namespace of the command's own
(`tests.support.read_only_mount`)."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.dbs import create_service_db
from tests.support.read_only_mount import run_on_read_only_mount
from tests.support.unprivileged import run_unprivileged
from tui.cli.main import cli

END = ["end", "--reason", "reset-requested", "--yes"]


def _service_file(path: Path, journal: str = "delete") -> str:
    """A service database at `path` in `journal` mode; the id of a session active in it."""
    asyncio.run(create_service_db(f"sqlite:///{path}", sessions=40))
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(f"PRAGMA journal_mode = {journal}")
        sid = str(conn.execute("SELECT id FROM remote_agent_sessions LIMIT 1").fetchone()[0])
        conn.execute(
            "UPDATE remote_agent_sessions SET active = 1, ended_at = NULL, ended_reason = NULL "
            "WHERE id = ?",
            (sid,),
        )
    return sid


def _active(path: Path, sid: str) -> int:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT active FROM remote_agent_sessions WHERE id = ?", (sid,))
        return int(row.fetchone()[0])


@pytest.mark.parametrize(
    ("cut", "said"),
    [
        ("pages", "bytes where its header says"),
        ("mid-page", "bytes where its header says"),
        ("header", "bytes, shorter than SQLite's 100-byte header"),
    ],
)
def test_a_truncated_file_is_said_to_be_truncated(tmp_path: Path, cut: str, said: str) -> None:
    path = tmp_path / "archon.db"
    sid = _service_file(path)
    whole = path.read_bytes()
    keep = {"pages": 4096 * 3, "mid-page": len(whole) // 2 + 123, "header": 40}[cut]
    path.write_bytes(whole[:keep])
    commands = [["list"], ["show", sid], ["end", sid, *END[1:]], ["info"], ["migrate", "--yes"]]
    for args in commands:
        result = CliRunner().invoke(cli, ["--db", str(path), *args])
        assert result.exit_code == 1, (args, result.output)
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: {path} is truncated ({keep:,} {said}"), (args, line)
        assert line.endswith("or salvage its rows with `sqlite3 FILE .recover`"), line
    assert path.read_bytes() == whole[:keep], "nothing written"


def test_a_shm_this_user_cannot_write_is_named(tmp_path: Path) -> None:
    """The service (here: this test, as the file's owner) holds the WAL-mode file open;
    its -shm is read-only to the user running the tool. Reading works; an end is
    refused naming the -shm, not "opened read-only"."""
    path = tmp_path / "archon.db"
    sid = _service_file(path, "wal")
    service = sqlite3.connect(path)
    try:
        service.execute("CREATE TABLE IF NOT EXISTS service_writes (x)")
        service.execute("INSERT INTO service_writes VALUES (1)")
        service.commit()
        shm = Path(f"{path}-shm")
        shm.chmod(0o444)
        listed = run_unprivileged(["-m", "tui", "--db", str(path), "list", "--limit", "1"])
        assert listed.returncode == 0, listed.stderr
        ended = run_unprivileged(["-m", "tui", "--db", str(path), "end", sid, *END[1:]])
        shm.chmod(0o644)
    finally:
        service.close()
    assert ended.returncode == 1, ended.stderr
    (line,) = ended.stderr.splitlines()
    assert line == (
        f"Error: {path}: this user cannot write {shm} (its WAL index), which SQLite writes "
        "with every change: give this user write access to it, or run as its owner"
    )
    assert _active(path, sid) == 1, "nothing ended"


def test_a_file_this_user_cannot_write_is_named(tmp_path: Path) -> None:
    path = tmp_path / "archon.db"
    sid = _service_file(path)
    path.chmod(0o444)
    ended = run_unprivileged(["-m", "tui", "--db", str(path), "end", sid, *END[1:]])
    assert ended.returncode == 1, ended.stderr
    assert ended.stderr.splitlines() == [
        f"Error: {path} cannot be written by this user: give this user write access to it, "
        "or run as its owner"
    ]
    assert _active(path, sid) == 1


def test_a_wal_file_on_a_read_only_mount_is_named(tmp_path: Path) -> None:
    """Closed cleanly, a WAL-mode file has no -shm; on a read-only file system SQLite
    cannot create one, and cannot open the file even to read."""
    folder = tmp_path / "data"
    folder.mkdir()
    sid = _service_file(folder / "archon.db", "wal")
    assert sorted(p.name for p in folder.iterdir()) == ["archon.db"]
    for args in (["--read-only", "list"], ["end", sid, *END[1:]]):
        done = run_on_read_only_mount(folder, ["-m", "tui", "--db", "{ro}/archon.db", *args])
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr.splitlines() == [
            f"Error: {tmp_path}/data-ro/archon.db is in WAL mode on a read-only file system: "
            "SQLite cannot create its -shm and -wal files beside it; mount it read-write, or "
            "copy it to a writable folder"
        ], args
    assert _active(folder / "archon.db", sid) == 1


def test_an_end_on_a_read_only_mount_is_named(tmp_path: Path) -> None:
    """A rollback-journal file on a read-only file system reads; an end is refused
    naming the file system, not "opened read-only"."""
    folder = tmp_path / "data"
    folder.mkdir()
    sid = _service_file(folder / "archon.db")
    argv = ["-m", "tui", "--db", "{ro}/archon.db"]
    listed = run_on_read_only_mount(folder, [*argv, "list", "--limit", "1"])
    assert listed.returncode == 0, listed.stderr
    ended = run_on_read_only_mount(folder, [*argv, "end", sid, *END[1:]])
    assert ended.returncode == 1, ended.stderr
    assert ended.stderr.splitlines() == [
        f"Error: {tmp_path}/data-ro/archon.db is on a read-only file system: nothing can be "
        "written to it; mount it read-write to end sessions or migrate"
    ]
    assert _active(folder / "archon.db", sid) == 1
