"""`--help`: an option several commands share reads the same in each of them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tui.cli.main import cli

SHARED = {
    "--csv-raw": ("list", "audit", "trends"),
    "--platform": ("list", "trends"),
    "--codebase": ("list", "trends"),
    "--user": ("list", "trends"),
    **{
        name: ("runs", "trends")  # the runs' filters (`cli/run_options.py`)
        for name in ("--status", "--workflow", "--owner", "--since", "--search", "--conversation")
    },
}


def option_help(command: str) -> dict[str, str]:
    """Each option of `sessions-tui COMMAND --help` and its description, wrapping undone."""
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    options = result.output.split("Options:\n", 1)[1]
    entries: dict[str, str] = {}
    name = ""
    for line in options.splitlines():
        if line.startswith("  -"):  # an option's first line: names, metavar, description
            head, _, description = line.strip().partition("  ")
            name = [word for word in head.replace(",", " ").split() if word.startswith("-")][-1]
            entries[name] = description.strip()
        elif name:  # a wrapped description goes on
            entries[name] = f"{entries[name]} {line.strip()}".strip()
    return entries


@pytest.mark.parametrize("option", sorted(SHARED))
def test_a_shared_option_says_the_same_in_every_command(option: str) -> None:
    said = {command: option_help(command)[option] for command in SHARED[option]}
    assert len(set(said.values())) == 1, said
    assert all(said.values()), said
