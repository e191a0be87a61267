"""What a runs table holds is data: a workflow name with escape sequences or markup, a
status the service never writes, a cost that is not a number, a run without an id.
The CLI shows each as what it is and never lets it act on the terminal."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support.cli_env import TerminalRunner, invoke, isolate
from tests.support.dbs import create_service_db
from tests.support.run_writes import runs_database
from tests.support.sqlite_files import sqlite_file
from tui.cli.main import cli

NAME = "\x1b[31mred\x1b[0m [bold]loud[/] \x07bell"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "no-config.toml"))


def test_strings_from_the_database_are_shown_not_obeyed(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    svc = runs_database(request, db_url, "v0.8")[1]
    odd = svc.create(NAME, svc.conversation(), user_message="line\nbreak\x1b]0;title\x07",
                     metadata={"total_cost_usd": "12.5"})  # fmt: skip
    svc.db.run(f"UPDATE remote_agent_workflow_runs SET status = 'exploded' WHERE id = '{odd}'")

    table = TerminalRunner().invoke(cli, ["--url", svc.db.url, "runs"], catch_exceptions=False)
    assert table.exit_code == 0
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "⚠ exploded" in table.stdout
    shown = TerminalRunner().invoke(
        cli, ["--url", svc.db.url, "runs", "show", odd], catch_exceptions=False
    )
    assert shown.exit_code == 0
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout

    data = json.loads(invoke("--url", svc.db.url, "runs", "--format", "json").stdout)
    [run] = data["runs"]
    assert run["workflow"] == NAME and run["status"] == "exploded"
    assert run["cost_usd"] is None  # a string, not the number the service writes


def test_a_run_without_an_id_is_never_listed(tmp_path: Path) -> None:
    """SQLite's TEXT primary key can hold NULL: such a row cannot be named or paged past."""
    url = f"sqlite:///{tmp_path / 'archon.db'}"
    asyncio.run(create_service_db(url, era="v0.8"))
    with sqlite_file(tmp_path / "archon.db") as conn:
        conn.execute(
            "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
            " VALUES ('c1', 'slack', 'C1')"
        )
        for rid in (None, "r1", "r2"):
            conn.execute(
                "INSERT INTO remote_agent_workflow_runs (id, workflow_name, conversation_id,"
                " user_message, status) VALUES (?, 'plan', 'c1', 'go', 'paused')",
                (rid,),
            )
    first = json.loads(invoke("--url", url, "runs", "--format", "json", "--limit", "1").stdout)
    token = first["next_cursor"]
    second = json.loads(
        invoke("--url", url, "runs", "--format", "json", "--limit", "1", "--cursor", token).stdout
    )
    assert {r["id"] for r in first["runs"] + second["runs"]} == {"r1", "r2"}
    assert second["next_cursor"] is None
    kinds = json.loads(invoke("--url", url, "runs", "stuck", "--format", "json").stdout)["kinds"]
    assert {k["kind"]: k["count"] for k in kinds}["awaiting-approval"] == 2
