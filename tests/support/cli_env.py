"""The CLI as a test drives it: in-process through click's runner, with no database,
config or cache of the machine's own in reach."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tui.cli.main import cli
from tui.cli.serve import SERVE_VARIABLES


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No `DATABASE_URL` and no served database, and `ARCHON_HOME`, the cache and `HOME`
    inside `tmp_path`."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name in SERVE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCHON_HOME", str(tmp_path / "archon-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


REPO = Path(__file__).resolve().parents[2]


def process_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment for a CLI run as a process of its own: the repository
    importable, no `DATABASE_URL` and no served database, and `ARCHON_HOME`, the cache and
    `HOME` inside `tmp_path` (what `isolate` does in process)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and k not in SERVE_VARIABLES}
    env.update(
        PYTHONPATH=str(REPO),
        ARCHON_HOME=str(tmp_path / "archon-home"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        HOME=str(tmp_path / "home"),
    )
    return env


def invoke(
    *args: object, input: str | None = None, env: Mapping[str, str | None] | None = None
) -> Result:
    """One CLI command, in process; an exception other than SystemExit fails the test."""
    return CliRunner().invoke(
        cli, [str(a) for a in args], input=input, env=env, catch_exceptions=False
    )


class TerminalRunner(CliRunner):
    """click's runner whose standard output says it is a terminal, as an operator's does
    (the CSV guard and colours follow `isatty`)."""

    @contextlib.contextmanager
    def isolation(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with super().isolation(*args, **kwargs) as streams:
            sys.stdout.isatty = lambda: True  # type: ignore[method-assign]
            yield streams
