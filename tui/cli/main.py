"""The command line: `sessions-tui [--db PATH | --url URL] [--read-only] [--demo] COMMAND`.

A thin layer over the store (no SQL here). With no command it opens the dashboard.
Exit codes: 0 success; 1 a session not found / already ended, any database error, or a
stdout that cannot be written (`Error: <message>` on stderr, never a traceback or a
password); 2 usage errors; 3 an end written whose report stdout could not take
(`output.REPORT_LOST`). A command reading several deployments exits 1 when one could
not be read (`fleet_output`); `check` exits with its plugin state, 0 to 3 (`check`).

Nothing heavy is imported at module level: Textual only when the dashboard starts,
SQLAlchemy and the store only when a command needs the database.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from tui import TOOL_NAME, __version__
from tui.cli import (
    audit,
    check,
    common,
    config_cmd,
    end,
    metrics,
    output,
    runs,
    schema,
    serve_cmd,
    sessions,
    stuck,
    trends,
)
from tui.cli import serve as serve_mod
from tui.cli.common import (
    CONTEXT_SETTINGS,
    CliGroup,
    ConfigProblem,
    Globals,
    check_for_dashboard,
    from_command_line,
)
from tui.config import SETTINGS, ConfigError, load_config, setting, settings_in_force

F = TypeVar("F", bound=Callable[..., Any])


def _setting_value(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A setting given on the command line, checked by its declaration's reader."""
    if isinstance(value, float) and math.isnan(value):  # NaN passes FloatRange
        raise click.BadParameter("not a number")
    assert param.name is not None
    try:
        return setting(param.name).read(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def setting_options(fn: F) -> F:
    """One global option per declared setting that has a flag, in declaration order."""
    for declared in reversed(SETTINGS):
        flag = declared.flag
        if flag is None:
            continue
        click_type: Any = None
        if flag.low is not None or flag.high is not None:
            ranged = click.FloatRange if declared.value_type is float else click.IntRange
            click_type = ranged(min=flag.low, max=flag.high)
        fn = click.option(
            flag.name,
            declared.key,
            type=click_type,
            callback=_setting_value,
            default=declared.default,
            show_default=True,
            metavar=flag.metavar,
            help=flag.help,
        )(fn)
    return fn


# -- root ------------------------------------------------------------------------------------


@click.group(
    cls=CliGroup,
    invoke_without_command=True,
    context_settings=CONTEXT_SETTINGS,
    epilog=(
        "Database: --db/--url, else $DATABASE_URL (postgresql://…), else "
        "$ARCHON_HOME/archon.db, else ~/.archon/archon.db."
    ),
)
@click.option(
    "--db",
    # Not readable=True: an unreadable file is the database's error (exit 1, one line
    # naming what to do, `errors.unreadable`), not a usage error.
    type=click.Path(dir_okay=False, readable=False, path_type=Path),
    metavar="PATH",
    help="SQLite database file of the service.",
)
@click.option("--url", metavar="URL", help="Database URL, e.g. postgresql://user:pass@host/db.")
@click.option(
    "-d",
    "--deployment",
    "deployment_names",
    multiple=True,
    metavar="NAME",
    help="A deployment named in the config file ([deployments.NAME]); repeatable.",
)
@click.option(
    "--all",
    "all_deployments",
    is_flag=True,
    help="Every deployment the config file names.",
)
@click.option("--read-only", is_flag=True, help="Open the database read-only (no `end`).")
@click.option(
    "--demo",
    is_flag=True,
    help="Use a generated demo database (built and cached on first use).",
)
@setting_options
@click.option(
    "--select-cap",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    metavar="N",
    help="The dashboard's select-all takes at most N sessions; a wider filter selects none.",
)
@click.version_option(__version__, "--version", prog_name=TOOL_NAME)
@click.pass_context
def cli(
    ctx: click.Context,
    /,
    db: Path | None,
    url: str | None,
    deployment_names: tuple[str, ...],
    all_deployments: bool,
    read_only: bool,
    demo: bool,
    select_cap: int,
    **given: Any,
) -> None:
    """Inspect and end the coding-agent service's sessions.

    With no COMMAND, opens the dashboard. Defaults come from the config file
    (`sessions-tui config` says where it is and what is in force).
    """
    if demo and (db is not None or url is not None):
        raise click.UsageError("--demo cannot be combined with --db or --url")
    if db is not None and url is not None:
        raise click.UsageError("give either --db or --url, not both")
    if (deployment_names or all_deployments) and (db is not None or url is not None or demo):
        raise click.UsageError("-d/--all choose deployments: give them without --db, --url, --demo")
    if deployment_names and all_deployments:
        raise click.UsageError("give either -d NAME or --all, not both")
    try:
        config = load_config()
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    g = Globals(
        db=db,
        url=url,
        read_only=read_only,
        demo=demo,
        select_cap=select_cap,
        deployment_names=tuple(dict.fromkeys(deployment_names)),
        all_deployments=all_deployments,
    )
    g.config = config
    on_line = {key: value for key, value in given.items() if from_command_line(ctx, key)}
    g.in_force = settings_in_force(config, on_line)
    ctx.obj = g
    if ctx.invoked_subcommand not in (None, "serve", serve_mod.CHILD_COMMAND):
        output.guard_stdout()  # the dashboards write to the terminal, not through it
    if ctx.invoked_subcommand is None:
        check_for_dashboard(config)
        from tui.cli.fleet_dashboard import launch_overview, overview_deployments

        several = overview_deployments(g)
        if len(several) > 1:
            launch_overview(g, several)
        else:
            common.launch_dashboard(g.dashboard_settings(g.target()))


for command in (
    sessions.list_cmd,
    sessions.show,
    end.end,
    audit.audit,
    trends.trends,
    stuck.stuck,
    stuck.reasons,
    stuck.info,
    runs.runs,
    metrics.metrics,
    schema.migrate,
    schema.demo_db,
    serve_cmd.serve,
    serve_cmd.served_app,
    config_cmd.config_cmd,
    check.check,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (`sessions-tui`, `python -m tui`)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name=TOOL_NAME)
