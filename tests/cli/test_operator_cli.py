"""What a new operator trips over on the command line (issue 25), on real databases."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner

from tests.support.odd_rows import cli_args, table_snapshot
from tui.cli.main import cli
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
