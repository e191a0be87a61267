"""The CLI as a test drives it: in-process through click's runner, with no database,
config or cache of the machine's own in reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tui.cli.main import cli


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No `DATABASE_URL`, and `ARCHON_HOME`, the cache and `HOME` inside `tmp_path`."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ARCHON_HOME", str(tmp_path / "archon-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def invoke(*args: str) -> Result:
    """One CLI command, in process."""
    return CliRunner().invoke(cli, list(args))
