"""Issue 17's smaller CLI defects: usage errors exit 2, a misspelt reason gets a
suggestion, `reasons` fits the terminal, and the demo has one default size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import cli_env
from tui.store.demo_size import DEMO_SESSIONS
from tui.store.target import DbTarget


def invoke(*args: object, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = cli_env.invoke(*args, env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://ops:s3cret@db/archon", "unsupported database 'mysql'"),
        ("garbage", "not a database URL"),
    ],
)
def test_a_url_the_tool_cannot_use_is_a_usage_error(url: str, said: str) -> None:
    code, _out, err = invoke("--url", url, "list")
    assert code == 2, err
    assert said in err and "--url" in err
    assert "s3cret" not in err
    assert "Traceback" not in err


def test_a_misspelt_reason_is_refused_with_the_nearest_one(
    service_db: DbTarget, empty_db_url: str
) -> None:
    args = ["--url", empty_db_url]
    code, out, err = invoke(*args, "list", "--reason", "reset-requsted")
    assert code == 2, out + err
    assert "unknown reason 'reset-requsted'; did you mean reset-requested?" in err
    assert out == ""
    # Spelled with `=`, it is the stored value exactly: no match, not an error.
    code, out, err = invoke(*args, "list", "--reason", "=reset-requsted", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["sessions"] == []
    # A value far from every trigger is a stored value like any other.
    code, out, err = invoke(*args, "list", "--reason", "session-expired", "--format", "json")
    assert code == 0, err


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_reasons_wraps_to_the_terminal_width(columns: int, tmp_path: Path) -> None:
    env = {"COLUMNS": str(columns), "ARCHON_HOME": str(tmp_path), "DATABASE_URL": ""}
    code, out, _ = invoke("reasons", env=env)
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns, max(lines, key=len)
    assert "worktree-removed" in out and "unrecognised" in out


def test_demo_and_demo_db_build_the_same_number_of_sessions(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    code, out, err = invoke("--demo", "info", "--format", "json", env=env)
    assert code == 0, err
    assert f"({DEMO_SESSIONS} sessions)" in err
    counts = json.loads(out)["sessions"]
    assert counts["active"] + counts["ended"] == DEMO_SESSIONS
    code, out, err = invoke("demo-db", tmp_path / "demo.db", env=env)
    assert code == 0, err
    assert out.splitlines()[1].split() == ["sessions", str(DEMO_SESSIONS)], out
