"""The dashboard over several deployments: which ones it shows, and its start.

The overview opens when more than one deployment is chosen: `--all`, several `-d`, or
none of `-d`, `--all`, `--db`, `--url`, `--demo` given while the config file declares
two or more. With one declared and nothing given, the database is resolved as always
(`--db`, `--url`, the environment); `-d NAME` opens that one's sessions list.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from tui.cli.common import Globals
    from tui.deployments import Deployment

UNUSED = "(several deployments)"
"""The source named by the overview's own settings, whose database is never opened."""


def overview_deployments(g: Globals) -> list[Deployment]:
    """The deployments the dashboard's overview shows; [] for one database."""
    chosen = g.deployments()
    if chosen or g.db is not None or g.url is not None or g.demo:
        return chosen
    known = g.config.deployments if g.config is not None else {}
    return list(known.values()) if len(known) > 1 else []


def launch_overview(g: Globals, deployments: list[Deployment], **given: Any) -> None:
    """Start the overview; each deployment is read within the `deployment_timeout`
    setting, with the dashboard's other settings (`given` wins, as in
    `Globals.dashboard_settings`)."""
    from tui.store.target import DbTarget

    settings = g.dashboard_settings(DbTarget(kind="sqlite", source=UNUSED), **given)
    try:
        from tui.app.fleet_app import run_fleet
        from tui.fleet import ReadOptions
    except ImportError as exc:
        raise click.ClickException(f"the dashboard cannot start: {exc}") from None
    options = ReadOptions(
        within=g.value("deployment_timeout"),
        stale_after=settings.stale_after,
        run_quiet_after=settings.setting("run_quiet_after"),
        statement_timeout=settings.statement_timeout or None,
    )
    code = run_fleet(settings, deployments, options)
    if code:
        sys.exit(code)
