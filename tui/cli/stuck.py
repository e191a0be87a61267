"""`stuck`, `reasons` and `info`: what the database holds and how it reads."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

import click

from tui.cli import fleet_output, options, render_facts
from tui.domain.export import dumps
from tui.domain.models import (
    SessionFilter,
    SessionRow,
    SortKey,
)
from tui.domain.stuck import KIND_NAMES, StuckKind, parse_kind
from tui.domain.triggers import Vocabulary

if TYPE_CHECKING:
    from tui.store.store import Store

from tui.cli.common import Globals, run_with_store

StuckFound = tuple[Vocabulary, dict[StuckKind, int | None], dict[StuckKind, str], list[SessionRow]]
"""What `stuck` reads: the vocabulary, the counts, the kinds not detectable, the rows."""

# -- stuck ----------------------------------------------------------------------------------


@click.command(
    short_help="Stuck sessions: counts per kind, or with --list the sessions.",
    epilog=fleet_output.FLEET_HELP,
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(KIND_NAMES),
    help="Only this kind (repeatable; default: every kind).",
)
@click.option("--list", "listed", is_flag=True, help="The sessions, each with kinds and reason.")
@options.format_option("table", "json")
@click.pass_obj
def stuck(g: Globals, kinds: tuple[str, ...], listed: bool, fmt: str) -> None:
    """Active sessions the service left stuck, by kind: idle (quiet longer than
    --stale-after: time alone, nothing known broken), orphaned (deleted conversation),
    duplicate (a newer active session on the same conversation). A kind the service
    version cannot produce is not detectable there and says so. Each kind's suggested
    reason is the one `end --stuck` writes."""
    chosen = [parse_kind(k) for k in dict.fromkeys(kinds)] or list(StuckKind)
    ctx = g.context()

    async def read(store: Store) -> StuckFound:
        from tui.store.operations import pages

        every = await store.stuck_counts()
        counts = {k: every[k] for k in chosen}
        rows: dict[str, SessionRow] = {}
        if listed:
            for kind in chosen:
                if kind in store.undetectable:
                    continue
                async for page in pages(store, SessionFilter(stuck=kind), SortKey.STARTED):
                    rows.update((r.id, rows.get(r.id, r)) for r in page.rows)
        ordered = sorted(
            rows.values(),
            key=lambda r: (r.started_at is not None, r.started_at, r.id),
            reverse=True,
        )
        return store.vocabulary, counts, dict(store.undetectable), ordered

    def payload(found: StuckFound) -> dict[str, Any]:
        vocabulary, counts, undetectable, rows = found
        shown: dict[str, Any] = {
            "version": vocabulary.name,
            "kinds": render_facts.stuck_counts_object(counts, vocabulary, undetectable),
        }
        if listed:
            shown["sessions"] = [
                render_facts.stuck_session_object(r, ctx, vocabulary) for r in rows
            ]
        return shown

    def lines(found: StuckFound) -> list[str]:
        vocabulary, counts, undetectable, rows = found
        said = render_facts.stuck_counts_table(counts, vocabulary, undetectable)
        if listed:
            said += ["", *render_facts.stuck_sessions_table(rows, ctx, vocabulary)]
        return said

    chosen_fleet = fleet_output.fleet(g)
    if chosen_fleet is not None:
        readings = fleet_output.read_all(g, chosen_fleet, read)
        fleet_output.show_grouped(readings, fmt, lines, payload)
        return
    found = run_with_store(g, read)
    if fmt == "json":
        click.echo(dumps(payload(found), indent=2))
        return
    click.echo("\n".join(lines(found)))


# -- reasons ---------------------------------------------------------------------------------


@click.command()
@options.format_option("table", "json")
@click.pass_obj
def reasons(g: Globals, fmt: str) -> None:
    """Every trigger any service version wrote: behaviour, since, until, and whether the
    database's version accepts it for `end --reason` (when a database is found)."""
    vocabulary = _vocabulary(g)
    if fmt == "json":
        payload: dict[str, Any] = {
            "version": vocabulary.name if vocabulary else None,
            "reasons": render_facts.reasons_objects(vocabulary),
        }
        click.echo(dumps(payload, indent=2))
    else:
        columns = shutil.get_terminal_size((render_facts.REASONS_WIDTH, 24)).columns
        click.echo("\n".join(render_facts.reasons_table(vocabulary, columns)))


def _vocabulary(g: Globals) -> Vocabulary | None:
    """The vocabulary of the database the options name; None when there is none."""
    from tui.store.errors import DatabaseNotFound

    try:
        g.target()
    except DatabaseNotFound:
        click.echo("no database found: the whole trigger history, without END?", err=True)
        return None

    async def read(store: Store) -> Vocabulary:
        return store.vocabulary

    return run_with_store(g, read)


# -- info ------------------------------------------------------------------------------------


@click.command(
    short_help="The database, its service version, vocabulary, indexes, counts.",
    epilog=fleet_output.FLEET_HELP,
)
@options.format_option("text", "json")
@click.pass_obj
def info(g: Globals, fmt: str) -> None:
    """The database (password masked), the service version that last opened it and how
    that was detected, the triggers in force, this tool's revision and indexes, and the
    session counts."""
    from tui.store.operations import database_info

    chosen_fleet = fleet_output.fleet(g)
    if chosen_fleet is not None:
        readings = fleet_output.read_all(g, chosen_fleet, database_info)
        fleet_output.show_grouped(readings, fmt, render_facts.info_text, render_facts.info_object)
        return
    found = run_with_store(g, database_info)
    if fmt == "json":
        click.echo(dumps(render_facts.info_object(found), indent=2))
    else:
        click.echo("\n".join(render_facts.info_text(found)))
