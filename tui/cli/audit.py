"""`audit`: the ends this tool wrote."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from tui.cli import options, render
from tui.domain.export import CsvStyle

if TYPE_CHECKING:
    from tui.store.store import Store

from tui.cli.common import Globals, run_with_store

# -- audit -----------------------------------------------------------------------------------


@click.command(short_help="The ends this tool wrote, newest first (kept after retention).")
@options.when_option("--since", "Written within this long (2h, 7d) or since an ISO-8601 time.")
@click.option("--actor", metavar="WHO", help="Only the ends this actor wrote (exactly).")
@options.format_option("table", "json", "csv")
@options.limit_option("rows")
@options.csv_raw_option
@click.pass_obj
def audit(
    g: Globals, since: datetime | None, actor: str | None, fmt: str, limit: int, csv_raw: bool
) -> None:
    """The audit table: one row per session an end settled (`ended`, or `already-ended`
    when someone ended it first), and per run a `runs cancel` settled (target `run`:
    `cancelled` or `already-finished`), kept after the service deletes the session or
    run. JSON is {"audit": [...]} with the keys of `AUDIT_FIELDS`; CSV has them as its
    header."""
    writer = render.AuditWriter(fmt, CsvStyle(guard=not csv_raw, terminal=sys.stdout.isatty()))

    async def stream(store: Store) -> None:
        cursor = None
        remaining = limit or None
        click.echo(writer.start(), nl=False)
        while remaining is None or remaining > 0:
            size = 200 if remaining is None else min(200, remaining)
            page = await store.audit_entries(
                since=since, actor=actor or None, cursor=cursor, limit=size
            )
            click.echo(writer.page(page.entries), nl=False)
            if remaining is not None:
                remaining -= len(page.entries)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        click.echo(writer.finish(), nl=False)

    run_with_store(g, stream)
    if fmt == "table" and writer.written == 0:
        click.echo("no audit rows match", err=True)
