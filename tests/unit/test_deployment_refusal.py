"""A deployment marked read-only refuses each write in its own words, naming the write."""

from __future__ import annotations

from pathlib import Path

from tui.app.deployment_link import deployment_settings
from tui.deployments import Deployment
from tui.domain.wording import CANCEL_RUNS, END_SESSIONS
from tui.settings import Settings
from tui.store.target import resolve_target


def test_a_read_only_deployment_names_the_end_and_the_cancel_it_refuses(tmp_path: Path) -> None:
    base = Settings(target=resolve_target(db=tmp_path / "unused.db", must_exist=False))
    prod = Deployment("prod", db=tmp_path / "prod.db", read_only=True, title="Production")
    settings = deployment_settings(base, prod)
    why = settings.read_only_why
    assert settings.read_only and callable(why)
    said = "Production is read-only (read_only = true in [deployments.prod]): this dashboard"
    assert why(END_SESSIONS) == f"{said} does not end sessions there"
    assert why(CANCEL_RUNS) == f"{said} does not cancel runs there"


def test_a_writable_deployment_keeps_the_command_lines_rule(tmp_path: Path) -> None:
    base = Settings(target=resolve_target(db=tmp_path / "unused.db", must_exist=False))
    staging = Deployment("staging", db=tmp_path / "staging.db")
    assert deployment_settings(base, staging).read_only_why is None
    refused = deployment_settings(
        Settings(target=base.target, read_only=True, read_only_why="told so"), staging
    )
    assert refused.read_only and refused.read_only_why == "told so"
