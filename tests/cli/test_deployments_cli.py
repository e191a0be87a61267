"""Named deployments from the command line: `-d NAME` opens the database the config file
names for it, as `--db`/`--url` would; a read-only deployment refuses writes; a name,
a variable or a choice the tool cannot use is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli_env import invoke, isolate
from tui.store.target import DbTarget


def where(target: DbTarget) -> tuple[str, str]:
    """The deployment's table line that names `target`, and the value for its variable."""
    if target.kind == "sqlite":
        assert target.path is not None
        return f'db = "{target.path}"', ""
    return 'url_env = "ONE_DATABASE_URL"', target.secret_url()


@pytest.fixture
def configured(
    service_db: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, DbTarget]:
    isolate(tmp_path, monkeypatch)
    line, url = where(service_db)
    if url:
        monkeypatch.setenv("ONE_DATABASE_URL", url)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[deployments.one]\n{line}\ntitle = "One (staging)"\n'
        f'\n[deployments.ro]\n{line}\nread_only = true\ncolour = "red"\n'
        '\n[deployments.unset]\nurl_env = "NOBODY_SET_THIS_URL"\n'
    )
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(config))
    return config, service_db


def database_args(target: DbTarget) -> list[str]:
    if target.kind == "sqlite":
        return ["--db", str(target.path)]
    return ["--url", target.secret_url()]


def test_a_deployment_reads_the_database_it_names(configured: tuple[Path, DbTarget]) -> None:
    _, target = configured
    by_name = invoke("-d", "one", "list", "--format", "json", "--limit", "50")
    by_flag = invoke(*database_args(target), "list", "--format", "json", "--limit", "50")
    assert by_name.exit_code == 0, by_name.output
    rows = json.loads(by_name.stdout)
    assert list(rows) == ["sessions", "next_cursor"] and len(rows["sessions"]) == 50
    ids = [row["id"] for row in rows["sessions"]]
    assert ids == [row["id"] for row in json.loads(by_flag.stdout)["sessions"]]
    # The same name twice is one deployment, not two.
    twice = invoke("-d", "one", "-d", "one", "list", "--format", "json", "--limit", "50")
    assert twice.exit_code == 0
    assert [row["id"] for row in json.loads(twice.stdout)["sessions"]] == ids


def test_a_read_only_deployment_refuses_to_end(configured: tuple[Path, DbTarget]) -> None:
    listed = invoke("-d", "ro", "list", "--format", "json", "--status", "active")
    sid = json.loads(listed.stdout)["sessions"][0]["id"]
    refused = invoke("-d", "ro", "end", sid, "--reason", "reset-requested", "--yes")
    assert refused.exit_code == 1 and "read-only" in refused.stderr
    shown = json.loads(invoke("-d", "one", "show", sid, "--format", "json").stdout)
    assert shown["session"]["active"] is True


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-d", "nope", "list"], "-d nope: no such deployment (known: one, ro, unset)"),
        (["-d", "one", "-d", "ro", "list"], "2 deployments are chosen (give one -d NAME)"),
        (["--all", "list"], "3 deployments are chosen (give one -d NAME)"),
        (["-d", "unset", "list"], "deployment unset: $NOBODY_SET_THIS_URL is not set"),
        (["-d", "one", "--db", "x.db", "list"], "give them without --db, --url, --demo"),
        (["-d", "one", "--all", "list"], "give either -d NAME or --all, not both"),
    ],
)
def test_a_choice_the_tool_cannot_use_is_one_line(
    configured: tuple[Path, DbTarget], args: list[str], said: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert "Traceback" not in result.output


def test_without_deployments_the_database_is_resolved_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path, monkeypatch)
    config = tmp_path / "config.toml"
    config.write_text("refresh = 2\n")
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(config))
    result = invoke("--all", "list")
    assert result.exit_code == 2
    assert "--all: the config file declares no deployments" in result.stderr
    missing = invoke("list")
    assert missing.exit_code == 1 and "archon-home" in missing.stderr
