"""The CLI as a test drives it: in-process through click's runner, with no database,
config or cache of the machine's own in reach."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tui.cli.main import cli
from tui.cli.serve import SERVE_URL


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No `DATABASE_URL` and no served database, and `ARCHON_HOME`, the cache and `HOME`
    inside `tmp_path`."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv(SERVE_URL, raising=False)
    monkeypatch.setenv("ARCHON_HOME", str(tmp_path / "archon-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def invoke(
    *args: object, input: str | None = None, env: Mapping[str, str | None] | None = None
) -> Result:
    """One CLI command, in process; an exception other than SystemExit fails the test."""
    return CliRunner().invoke(
        cli, [str(a) for a in args], input=input, env=env, catch_exceptions=False
    )
