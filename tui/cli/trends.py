"""`trends`: ended sessions over time; with `--runs`, workflow runs and their spend."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import click

from tui.cli import fleet_output, options, render_trends, run_options
from tui.domain.export import CsvStyle, dumps
from tui.domain.models import (
    SessionFilter,
)
from tui.domain.run_trends import RunTrendBy, RunTrends
from tui.domain.runs import RunFilter
from tui.domain.text import safe_text
from tui.domain.trends import MAX_DAYS, TrendBy, Trends
from tui.domain.wording import (
    NO_RUN_OUTCOME,
    NO_RUNS_TABLE,
    RUN_SPEND_TITLE,
    RUN_TRENDS_WHAT,
    trends_empty,
    trends_title,
)

if TYPE_CHECKING:
    from tui.fleet import Reading
    from tui.store.store import Store

from tui.cli.common import Globals, run_with_store

T = TypeVar("T")
RUN_STARTED = "workflow run started"
"""What the runs' empty window says did not happen."""

# -- trends ---------------------------------------------------------------------------------


@click.command(
    short_help="Why sessions end over time: ended sessions per day and reason.",
    epilog=fleet_output.FLEET_HELP + " CSV then starts each line with the deployment's name.",
)
@click.option(
    "--runs",
    "runs",
    is_flag=True,
    help="Workflow runs instead: runs started per day by status (or --by outcome), and "
    "the recorded spend (metadata.total_cost_usd) per day by workflow.",
)
@click.option(
    "--days",
    type=click.IntRange(1, MAX_DAYS),
    default=30,
    show_default=True,
    help="The last N UTC days, today included (2 or fewer: per hour).",
)
@click.option(
    "--by",
    type=click.Choice([*(b.value for b in TrendBy), *(b.value for b in RunTrendBy)]),
    help="Split the counts by the reason (the default), the platform, the codebase or "
    "the owner; with --runs by the status (the default) or the outcome.",
)
@options.platform_option
@options.codebase_option
@options.user_option
@run_options.status_option
@run_options.workflow_option
@run_options.owner_option
@run_options.since_option
@run_options.search_option
@run_options.conversation_option
@options.format_option("table", "json", "csv")
@options.csv_raw_option
@click.pass_obj
def trends(
    g: Globals,
    runs: bool,
    days: int,
    by: str | None,
    platform: str | None,
    codebase: str | None,
    user: str | None,
    statuses: tuple[str, ...],
    workflow: str | None,
    owner: str | None,
    since: datetime | None,
    search: str | None,
    conversation: str | None,
    fmt: str,
    csv_raw: bool,
) -> None:
    """Ended sessions per UTC day (per hour for 2 days or fewer) over the last --days,
    split --by. A session counts in the day its ended_at falls in; an unrecognised reason
    counts as itself, NULL as `not recorded`. JSON: {by, unit, days, start, end, total,
    buckets: [...], groups: [{group, status, total, counts: [per bucket]}]}; CSV: one
    line per bucket and group with a count (bucket, group, status, count).

    With --runs: runs per UTC day by the day their started_at falls in, split by status
    or outcome (where the version has it), and per workflow the spend of the top-level
    runs with a recorded metadata.total_cost_usd (a sub-run's cost is in its parent's),
    with the runs that have one and those that have none (not recorded, not 0). JSON:
    {by, unit, days, start, end, buckets, runs, spend_usd, runs_with_cost,
    runs_without_cost, runs_table}, each series {by, total, groups}; CSV: series, bucket,
    group, status, value. The runs' filters are those of `sessions-tui runs` (--user is
    --owner); a run counts where --since and the window both hold."""
    run_only = (statuses, workflow, owner, since, search, conversation)
    if runs:
        if platform:
            raise click.UsageError("--platform does not apply to --runs")
        if by is not None and by not in {b.value for b in RunTrendBy}:
            raise click.BadParameter(f"{by!r} splits sessions, not runs", param_hint="'--by'")
        if user and owner:
            raise click.UsageError("--user and --owner both name the runs' owner: give one")
        owner = owner or (user.strip() if user and user.strip() else None)
        asked = run_options.run_filter(
            statuses, workflow, codebase or None, owner, since, search, conversation
        )
        _run_trends(g, days, RunTrendBy(by or RunTrendBy.STATUS), asked, fmt, csv_raw)
        return
    for name, value in zip(run_options.RUN_ONLY, run_only, strict=True):
        if value:
            raise click.UsageError(f"{name} filters workflow runs: add --runs")
    if by is not None and by not in {b.value for b in TrendBy}:
        raise click.BadParameter(f"{by!r} splits runs: add --runs", param_hint="'--by'")
    split = TrendBy(by or TrendBy.REASON)
    flt = SessionFilter(
        platform=platform or None,
        codebase=codebase or None,
        user=user.strip() if user and user.strip() else None,
    )

    async def read(store: Store) -> Trends:
        return await store.trends(flt, days, split)

    chosen_fleet = fleet_output.fleet(g)
    if chosen_fleet is not None:
        readings = fleet_output.read_all(g, chosen_fleet, read)
        if fmt == "csv":
            _fleet_csv(readings, render_trends.fleet_trends_csv, csv_raw)
            return
        fleet_output.show_grouped(
            readings,
            fmt,
            lambda t: trends_lines(t, days),
            render_trends.trends_object,
        )
        return
    found = run_with_store(g, read)
    if fmt == "json":
        click.echo(dumps(render_trends.trends_object(found), indent=2))
    elif fmt == "csv":
        style = CsvStyle(guard=not csv_raw, terminal=sys.stdout.isatty())
        click.echo(render_trends.trends_csv(found, style), nl=False, color=True)
    elif found.total == 0:
        click.echo(trends_empty(days), err=True)
    else:
        click.echo("\n".join(trends_lines(found, days)))


def trends_lines(found: Trends, days: int) -> list[str]:
    """The title and the table; in a deployment's group, the empty window's line."""
    if found.total == 0:
        return [trends_empty(days)]
    return [trends_title(days, found.window.hourly), *render_trends.trends_table(found)]


def _run_trends(
    g: Globals, days: int, by: RunTrendBy, flt: RunFilter, fmt: str, csv_raw: bool
) -> None:
    """`trends --runs`: the runs' series under `flt`, in the format asked; what the
    database lacks (the runs table, the outcome column) is one note on stderr, never an
    error. Across deployments, grouped as the other commands (`fleet_output`): a table's
    group holds its notes, JSON and CSV name the deployment in front of each note on
    stderr."""

    async def read(store: Store) -> RunTrends:
        return await store.run_trends(flt, days, by)

    chosen_fleet = fleet_output.fleet(g)
    if chosen_fleet is not None:
        readings = fleet_output.read_all(g, chosen_fleet, read)
        if fmt != "table":  # a table's group holds its notes; here each names its own
            for r in readings:
                notes = [] if r.value is None else run_trends_notes(r.value, by)
                for note in notes:
                    click.echo(f"{r.deployment.name}: note: {note}", err=True)
        if fmt == "csv":
            _fleet_csv(readings, render_trends.fleet_run_trends_csv, csv_raw)
            return
        lines = partial(run_trends_lines, days=days, by=by)
        fleet_output.show_grouped(readings, fmt, lines, render_trends.run_trends_object)
        return
    found = run_with_store(g, read)
    for note in run_trends_notes(found, by):
        click.echo(f"note: {note}", err=True)
    if fmt == "json":
        click.echo(dumps(render_trends.run_trends_object(found), indent=2))
    elif fmt == "csv":
        style = CsvStyle(guard=not csv_raw, terminal=sys.stdout.isatty())
        click.echo(render_trends.run_trends_csv(found, style), nl=False, color=True)
    elif found.runs.total:
        click.echo("\n".join(run_trends_table(found, days)))
    elif found.has_table:
        click.echo(trends_empty(days, RUN_STARTED), err=True)


def run_trends_notes(found: RunTrends, by: RunTrendBy) -> list[str]:
    """What the database lacks for the question: the runs table, or the outcome column."""
    if not found.has_table:
        return [NO_RUNS_TABLE]
    if found.runs.by is not by:
        return [NO_RUN_OUTCOME]
    return []


def run_trends_table(found: RunTrends, days: int) -> list[str]:
    """The runs' table, a blank line, then the spend's; nothing without a runs table."""
    if not found.has_table:
        return []
    hourly = found.window.hourly
    return [
        trends_title(days, hourly, RUN_TRENDS_WHAT),
        *render_trends.trends_table(found.runs),
        "",
        trends_title(days, hourly, RUN_SPEND_TITLE),
        *render_trends.trends_table(found.spend, found.costed, found.uncosted),
    ]


def run_trends_lines(found: RunTrends, days: int, by: RunTrendBy) -> list[str]:
    """A deployment's group: its notes, then its tables, or the empty window's line."""
    notes = [f"note: {note}" for note in run_trends_notes(found, by)]
    if found.has_table and not found.runs.total:
        return [*notes, trends_empty(days, RUN_STARTED)]
    return [*notes, *run_trends_table(found, days)]


def _fleet_csv(
    readings: list[Reading[T]],
    render: Callable[[list[tuple[str, T]], CsvStyle], str],
    csv_raw: bool,
) -> None:
    """Several deployments' CSV: one header, each line led by its deployment's name; the
    ones that could not be read on stderr, then the exit code `fleet_output.finish` gives."""
    style = CsvStyle(guard=not csv_raw, terminal=sys.stdout.isatty())
    found_each = [(r.deployment.name, r.value) for r in readings if r.value is not None]
    click.echo(render(found_each, style), nl=False, color=True)
    for r in readings:
        if not r.ok:
            click.echo(f"{r.deployment.name}: {safe_text(r.error or '')}", err=True)
    fleet_output.finish(readings)
