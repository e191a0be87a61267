"""Option values and disks that used to end in a traceback: each is one line and an
exit code now, and nothing is left half-written."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import cli_env

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: object) -> tuple[int, str]:
    result = cli_env.invoke(*args)
    return result.exit_code, result.output


@pytest.mark.parametrize("since", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_since_outside_the_calendar_is_a_usage_error(tmp_path: Path, since: str) -> None:
    code, out = invoke("--db", tmp_path / "none.db", "list", "--since", since)
    assert code == 2, out
    assert "outside the years 1 to 9999" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("anchor", ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"])
def test_a_demo_anchor_with_no_room_before_it_is_a_usage_error(tmp_path: Path, anchor: str) -> None:
    path = tmp_path / "demo.db"
    code, out = invoke("demo-db", path, "--sessions", 10, "--anchor", anchor)
    assert code == 2, out
    assert "the anchor must fall in the years 1971 to 9998" in out
    assert not path.exists()


def _without_room(limit: int) -> None:
    """In the child: files may not grow past `limit` bytes, and growing one fails with
    EFBIG instead of killing the process: what a full disk looks like to SQLite."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_demo_db_onto_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    done = subprocess.run(
        [sys.executable, "-m", "tui", "demo-db", str(path), "--sessions", "3000"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: _without_room(200_000),
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: ") and str(path) in line
    assert "is the disk full?" in line
    assert "(sqlite3." not in line, "no driver class names in front of the message"
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no half-written file is left"


def test_driver_class_names_are_not_shown(tmp_path: Path) -> None:
    """A file that is not a database, through SQLAlchemy: its message came wrapped as
    '(sqlite3.DatabaseError) file is not a database'."""
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 100)
    code, out = invoke("--db", bogus, "list")
    assert code == 1, out
    assert "not a SQLite database" in out or "not an Archon" in out, out
    assert "(sqlite3." not in out and "sqlalchemy" not in out.lower(), out
