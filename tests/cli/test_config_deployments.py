"""`sessions-tui config` and the deployments: each one listed with where its database
comes from (never a password), and one warning line when a file that holds a password
may be read by group or others. `check`'s thresholds in the file are listed, refused
with one line when wrong, and kept when the tool writes the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli_env import invoke, isolate
from tui.config import load_config, remember

WITH_PASSWORD = (
    '[deployments.acme]\nurl = "postgresql://archon:s3cret-pw@db.acme.example/archon"\n'
    'title = "Acme (production)"\nread_only = true\ncolour = "red"\n'
    '\n[deployments.beta]\nurl_env = "BETA_DATABASE_URL"\n'
    '\n[deployments.local]\ndb = "/srv/local/archon.db"\ncolour = "#ff8800"\n'
    "\n[check.warning]\nidle = 5\nquiet = 1\n\n[check.critical]\nidle = 20\n"
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path, monkeypatch)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(path))
    return path


def deployment_rows(out: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("deployments ("))
    rows = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        rows.append(line.split("  "))
    return [[cell.strip() for cell in row if cell.strip()] for row in rows]


def test_each_deployment_is_listed_without_its_password(config: Path) -> None:
    config.write_text(WITH_PASSWORD)
    config.chmod(0o600)
    result = invoke("config")
    assert result.exit_code == 0, result.output
    assert deployment_rows(result.stdout) == [
        ["acme", "Acme (production)", "postgresql://archon:***@db.acme.example/archon",
         "read-only", "red"],
        ["beta", "-", "$BETA_DATABASE_URL", "read-write", "-"],
        ["local", "-", "/srv/local/archon.db", "read-write", "#ff8800"],
    ]  # fmt: skip
    assert "check warning  idle > 5, quiet > 1" in result.stdout.splitlines()
    assert "check critical  idle > 20" in result.stdout.splitlines()
    assert "s3cret-pw" not in result.output
    assert result.stderr == ""


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False)])
def test_a_password_readable_by_others_is_one_warning(
    config: Path, mode: int, warned: bool
) -> None:
    config.write_text(WITH_PASSWORD)
    os.chmod(config, mode)
    result = invoke("config")
    assert result.exit_code == 0, result.output
    if not warned:
        assert result.stderr == ""
        return
    (line,) = result.stderr.splitlines()
    assert line == (
        f"warning: {config} holds a password (deployments.acme.url) and group or others can "
        f"read it (mode {mode:o}): chmod 600 {config}, or move the URL to an environment "
        "variable (url_env)"
    )


def test_no_password_in_the_file_no_warning(config: Path) -> None:
    config.write_text(
        '[deployments.beta]\nurl_env = "BETA_DATABASE_URL"\n'
        '\n[deployments.nopw]\nurl = "postgresql://archon@db.example/archon"\n'
    )
    config.chmod(0o644)
    result = invoke("config")
    assert result.exit_code == 0 and result.stderr == ""
    none = invoke("config", env={"SESSIONS_TUI_CONFIG": str(config.with_name("none.toml"))})
    assert "deployments  none" in none.stdout


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[check.warning]\nidle = -1\n", "check.warning.idle: must be a whole number"),
        ("[check.warning]\nidle = true\n", "check.warning.idle: must be a whole number"),
        ("[check.warning]\nsleepy = 1\n", "check.warning.sleepy: unknown kind 'sleepy'"),
        ("[check]\nwarning = 3\n", "check.warning: must be a table"),
        ("[check]\nok.idle = 3\n", "check.ok: unknown key (known: warning, critical)"),
        ("check = 1\n", "check: must be a table"),
    ],
)
def test_bad_thresholds_are_one_line(config: Path, text: str, said: str) -> None:
    config.write_text(text)
    result = invoke("config")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {config}: {said}")


def test_the_thresholds_are_kept_when_the_tool_writes_the_file(config: Path) -> None:
    config.write_text(WITH_PASSWORD)
    before = load_config(config)
    remember(config, "theme", "textual-light")
    after = load_config(config)
    assert after.theme == "textual-light"
    assert after.check == before.check and after.check is not None
    assert dict(after.check.warning) == {"idle": 5, "quiet": 1}
    assert after.deployments == before.deployments
