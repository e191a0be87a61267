"""What a new operator trips over on the command line (issue 25), on real databases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.app_helpers import app_for, main_screen, ready, settle
from tests.support.dbs import create_service_db
from tests.support.odd_rows import cli_args, fetch, table_snapshot
from tui.cli.main import cli
from tui.domain.triggers import KNOWN_REASONS
from tui.store.target import DbTarget

ERROR_PATHS = {
    "end an unknown id": ["end", "nothere", "--reason", "reset-requested", "--yes"],
    "plan to end an unknown id": ["end", "nothere", "--reason", "reset-requested", "--dry-run"],
    "end with no trigger": ["end", "nothere", "--reason", "bogus", "--yes"],
    "show an unknown id": ["show", "nothere"],
    "list from a bad cursor": ["list", "--cursor", "garbage"],
    "list since garbage": ["list", "--since", "garbage"],
    "trends over no days": ["trends", "--days", "0"],
    "stuck of no kind": ["stuck", "--kind", "bogus"],
    "audit since garbage": ["audit", "--since", "garbage"],
    "info in no format": ["info", "--format", "bogus"],
}


@pytest.mark.parametrize("args", ERROR_PATHS.values(), ids=ERROR_PATHS.keys())
def test_errors_go_to_stderr(service_db: DbTarget, args: list[str]) -> None:
    """Every command's error is a line on stderr: stdout carries no error (a dry run's
    stdout is its plan), and nothing is written."""
    before = asyncio.run(table_snapshot(service_db))
    result = CliRunner().invoke(cli, [*cli_args(service_db), *args])
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip(), "the error is on stderr"
    assert "nothere" not in result.stdout and "rror" not in result.stdout, result.stdout
    if "--dry-run" in args:
        assert result.stdout == "dry run: nothing changed\n"
    else:
        assert result.stdout == ""
    assert asyncio.run(table_snapshot(service_db)) == before


def listed(target: DbTarget, *args: str) -> list[str]:
    result = CliRunner().invoke(
        cli, [*cli_args(target), "list", *args, "--limit", "0", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return [s["id"] for s in json.loads(result.stdout)["sessions"]]


@pytest.mark.parametrize(
    ("word", "nearest"),
    [
        ("RESET-REQUESTED", "reset-requested"),
        ("closed", "conversation-closed"),
        ("reset", "reset-requested, context-reset"),
        ("bogus", None),
    ],
)
def test_a_reason_no_era_knows_and_no_row_stores_is_refused(
    service_db: DbTarget, word: str, nearest: str | None
) -> None:
    """`list --reason` refuses (exit 2) a value that is no trigger of any service
    version and is not stored here, with the nearest reasons; it used to answer
    "no sessions match" with exit 0."""
    result = CliRunner().invoke(cli, [*cli_args(service_db), "list", "--reason", word])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert f"unknown reason {word!r}" in result.stderr
    if nearest is None:
        assert "nearest" not in result.stderr
    else:
        assert f"nearest: {nearest} (" in result.stderr


def test_a_stored_unknown_reason_is_accepted(service_db: DbTarget) -> None:
    """A value no era knows but this database stores lists the sessions that store it."""
    rows = asyncio.run(
        fetch(
            service_db,
            "SELECT CAST(id AS TEXT), ended_reason FROM remote_agent_sessions "
            "WHERE ended_reason IS NOT NULL",
        )
    )
    unknown = sorted({str(r[1]) for r in rows} - set(KNOWN_REASONS))
    assert unknown, "the demo rows store values no era knows"
    expected = {str(r[0]) for r in rows if r[1] == unknown[0]}
    assert set(listed(service_db, "--reason", unknown[0])) == expected


SEARCH = "platform:slack reason:reset"


def test_list_search_speaks_the_dashboards_search_language(service_db: DbTarget) -> None:
    """`list --search` copied from the dashboard's search box: the tokens filter (each the
    start of the value, any case), they are not searched for as text."""
    rows = asyncio.run(
        fetch(
            service_db,
            "SELECT CAST(s.id AS TEXT) FROM remote_agent_sessions s "
            "JOIN remote_agent_conversations c ON c.id = s.conversation_id "
            "WHERE lower(c.platform_type) LIKE 'slack%' AND lower(s.ended_reason) LIKE 'reset%'",
        )
    )
    expected = {str(r[0]) for r in rows}
    assert expected
    assert set(listed(service_db, "--search", SEARCH)) == expected
    assert set(listed(service_db, "--search", "PLATFORM:Sl reason:RESET")) == expected
    # The option and the token are one filter; disagreeing, they are refused.
    assert set(listed(service_db, "--search", "reason:reset", "--platform", "slack")) == expected
    clash = CliRunner().invoke(
        cli, [*cli_args(service_db), "list", "--search", SEARCH, "--platform", "web"]
    )
    assert clash.exit_code == 2 and "disagree" in clash.stderr


async def test_the_dashboard_and_the_cli_answer_one_search_alike(service_db: DbTarget) -> None:
    """The same search typed in the dashboard's box lists the same sessions as the CLI."""
    app = app_for(service_db)
    async with app.run_test(size=(170, 45)) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("slash", *SEARCH, "enter")
        await settle(pilot)
        shown = list(main.table.ids)
    assert shown
    cli_ids = await asyncio.to_thread(listed, service_db, "--search", SEARCH)
    assert shown == cli_ids[: len(shown)]


def _long_path(tmp_path: Path) -> Path:
    folder = tmp_path / ("operator-" + "deep" * 10) / ("nested-" + "folder" * 8)
    folder.mkdir(parents=True)
    return folder / "archon-service-database.db"


def test_info_prints_a_long_database_path_whole_on_its_own_line(tmp_path: Path) -> None:
    """A path wrapped mid-name cannot be copied: `info` gives it a line of its own."""
    path = _long_path(tmp_path)
    target = asyncio.run(create_service_db(f"sqlite:///{path}", sessions=5))
    result = CliRunner().invoke(cli, [*cli_args(target), "info"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert str(path) in lines, result.stdout
    assert lines[lines.index(str(path)) - 1] == "database"
