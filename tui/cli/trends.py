"""`trends`: ended sessions over time."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from tui.cli import fleet_output, options, render_trends
from tui.domain.export import CsvStyle, dumps
from tui.domain.models import (
    SessionFilter,
)
from tui.domain.text import safe_text
from tui.domain.trends import MAX_DAYS, TrendBy, Trends
from tui.domain.wording import (
    trends_empty,
    trends_title,
)

if TYPE_CHECKING:
    from tui.store.store import Store

from tui.cli.common import Globals, run_with_store

# -- trends ---------------------------------------------------------------------------------


@click.command(
    short_help="Why sessions end over time: ended sessions per day and reason.",
    epilog=fleet_output.FLEET_HELP + " CSV then starts each line with the deployment's name.",
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
    type=click.Choice([b.value for b in TrendBy]),
    default=TrendBy.REASON.value,
    show_default=True,
    help="Split the counts by the reason, the platform, the codebase or the owner.",
)
@options.platform_option
@options.codebase_option
@options.user_option
@options.format_option("table", "json", "csv")
@options.csv_raw_option
@click.pass_obj
def trends(
    g: Globals,
    days: int,
    by: str,
    platform: str | None,
    codebase: str | None,
    user: str | None,
    fmt: str,
    csv_raw: bool,
) -> None:
    """Ended sessions per UTC day (per hour for 2 days or fewer) over the last --days,
    split --by. A session counts in the day its ended_at falls in; an unrecognised reason
    counts as itself, NULL as `not recorded`. JSON: {by, unit, days, start, end, total,
    buckets: [...], groups: [{group, status, total, counts: [per bucket]}]}; CSV: one
    line per bucket and group with a count (bucket, group, status, count)."""
    split = TrendBy(by)
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
            style = CsvStyle(guard=not csv_raw, terminal=sys.stdout.isatty())
            found_each = [(r.deployment.name, r.value) for r in readings if r.value is not None]
            click.echo(render_trends.fleet_trends_csv(found_each, style), nl=False, color=True)
            for r in readings:
                if not r.ok:
                    click.echo(f"{r.deployment.name}: {safe_text(r.error or '')}", err=True)
            fleet_output.finish(readings)
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
