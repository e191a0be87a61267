"""`runs`: the service's workflow runs, one run whole (`runs show`), and the stuck runs
(`runs stuck`). A thin layer over the store; the words are `tui.domain.wording`'s and the
shapes `tui.domain.run_columns`' and `render_runs`'."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click
from msgspec.structs import replace

from tui.cli import fleet_output, options, render, render_runs, run_options, runs_cancel
from tui.cli.common import Globals, run_with_store
from tui.domain.export import CsvStyle, dumps
from tui.domain.models import Cursor
from tui.domain.run_columns import RunWriter
from tui.domain.run_stuck import RUN_KIND_NAMES, RunStuckKind, parse_run_kind
from tui.domain.runs import (
    RUN_PAGE_SIZE,
    RUN_STATUSES,
    RunCursor,
    RunDetail,
    RunFilter,
    RunRow,
)
from tui.domain.timefmt import DurationTooLong, parse_duration, utcnow
from tui.domain.wording import NO_OWNERS, NO_RUNS_TABLE

if TYPE_CHECKING:
    from tui.store.store import Store

RunStuckFound = tuple[dict[RunStuckKind, int | None], dict[RunStuckKind, str], list[RunRow]]
"""What `runs stuck` reads: the counts, the kinds not detectable, the rows."""

CURSOR_ORDER = "runs-started"
"""The order a `runs --cursor` token walks (newest first by start)."""


def _quiet(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except (ValueError, DurationTooLong) as exc:
        raise click.BadParameter(str(exc)) from None


quiet_option = click.option(
    "--quiet-after",
    metavar="DURATION",
    callback=_quiet,
    help="A running run with no recorded activity for longer than this is `quiet` "
    "(a guess: the service records no process that owns a run). Default: the config "
    "file's run_quiet_after, else 30m.",
)


def _quiet_after(ctx: click.Context, given: timedelta | None) -> timedelta:
    """The subcommand's `--quiet-after`, else the group's, else the setting
    `run_quiet_after` (the config file's, else 30 min)."""
    if given is not None:
        return given
    found: timedelta | None = ctx.meta.get("quiet_after")
    if found is not None:
        return found
    g: Globals = ctx.obj
    setting: timedelta = g.value("run_quiet_after")
    return setting


def _config(store: Store, quiet_after: timedelta) -> None:
    store.run_quiet_after = quiet_after


RUNS_HELP = f"""The service's workflow runs, newest first (with a subcommand: one run, or
the stuck ones).

JSON is `{{"runs": [...], "next_cursor": null | TOKEN}}`. A run's keys: id, status,
outcome, workflow, conversation_id, platform, platform_conversation_id, codebase_id,
codebase, owner, started_at, last_activity_at, completed_at, duration_seconds, cost_usd
(metadata.total_cost_usd), parent_run_id, working_path, stuck. A column the service
version lacks (outcome, parent_run_id, working_path, …) is null. CSV has the same columns.
Statuses: {", ".join(RUN_STATUSES)}.
"""


@click.group("runs", invoke_without_command=True, help=RUNS_HELP)
@run_options.status_option
@run_options.workflow_option
@options.codebase_option
@run_options.owner_option
@run_options.since_option
@run_options.search_option
@click.option(
    "--window",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --search: look at no more than N runs (newest first) per page (default "
    "5000); the note says how to widen it or go on.",
)
@run_options.conversation_option
@click.option("--stuck", "stuck_kind", type=click.Choice(RUN_KIND_NAMES), help="Only this kind.")
@quiet_option
@options.limit_option("runs")
@click.option(
    "--cursor",
    "cursor_token",
    metavar="TOKEN",
    help="Continue after the `next_cursor` of a previous JSON listing (same filters).",
)
@options.format_option("table", "json", "csv")
@options.csv_raw_option
@click.pass_context
def runs(
    ctx: click.Context,
    statuses: tuple[str, ...],
    workflow: str | None,
    codebase: str | None,
    owner: str | None,
    since: datetime | None,
    search: str | None,
    window: int | None,
    conversation: str | None,
    stuck_kind: str | None,
    quiet_after: timedelta | None,
    limit: int,
    cursor_token: str | None,
    fmt: str,
    csv_raw: bool,
) -> None:
    if ctx.invoked_subcommand is not None:
        ctx.meta["quiet_after"] = quiet_after
        return
    g: Globals = ctx.obj
    quiet = _quiet_after(ctx, quiet_after)
    start: RunCursor | None = None
    if cursor_token is not None:
        try:
            found = render.decode_cursor(cursor_token, CURSOR_ORDER)
        except render.BadCursor as exc:
            raise click.BadParameter(str(exc), param_hint="--cursor") from None
        start = RunCursor(key=found.key, id=found.id)
    flt = replace(
        run_options.run_filter(statuses, workflow, codebase, owner, since, search, conversation),
        stuck=parse_run_kind(stuck_kind) if stuck_kind else None,
    )
    now = utcnow()
    writer = (
        None if fmt == "table" else RunWriter(fmt, now, CsvStyle(not csv_raw, sys.stdout.isatty()))
    )
    table = render_runs.runs_table()
    facts: dict[str, Any] = {"stopped": None}
    bounded = bool(search and search.strip())

    async def stream(store: Store) -> RunCursor | None:
        _config(store, quiet)
        facts["has_runs"] = store.has_runs
        facts["has_owners"] = store.has_owners
        if writer is not None:
            click.echo(writer.start(), nl=False, color=True)
        cursor, left = start, limit or None
        while True:
            size = RUN_PAGE_SIZE if left is None else min(left, RUN_PAGE_SIZE)
            if bounded:  # a window of runs per page: never the whole table
                page = await store.search_runs(flt, cursor, size, window)
            else:
                page = await store.list_runs(flt, cursor, size)
            _emit(writer, table, page.rows, now)
            if page.resume is not None:
                facts["stopped"] = (page.searched, cursor is None)
                return page.resume
            cursor = page.next_cursor
            if left is not None:
                left -= len(page.rows)
            if cursor is None or (left is not None and left <= 0):
                return cursor

    more = run_with_store(g, stream)
    if writer is not None:
        token = None if more is None else _token(more)
        click.echo(writer.finish(token), nl=False, color=True)
    elif table.widths is None:
        click.echo("\n".join(table.lines([])))
    if not facts["has_runs"]:
        click.echo(f"note: {NO_RUNS_TABLE}", err=True)
    if owner and not facts["has_owners"]:
        click.echo(f"note: {NO_OWNERS}: --owner matches no run", err=True)
    if facts["stopped"] is not None:
        searched, newest = facts["stopped"]
        where = f"the newest {searched:,} runs" if newest else f"{searched:,} more runs"
        go_on = "go on with --cursor and the JSON's next_cursor"
        click.echo(
            f"note: searched {where}: widen with --window {searched * 10}, or {go_on}",
            err=True,
        )
    elif more is not None and writer is None:
        click.echo("note: more runs: raise --limit (0 for all)", err=True)


def _token(cursor: RunCursor) -> str:
    return render.encode_cursor(Cursor(key=cursor.key, id=cursor.id), CURSOR_ORDER)


def _emit(
    writer: RunWriter | None, table: render.TableWriter, rows: list[RunRow], now: datetime
) -> None:
    if writer is not None:
        click.echo(writer.page(rows), nl=False, color=True)
    elif rows:
        click.echo("\n".join(table.lines(render_runs.table_rows(rows, now))))


@runs.command("show")
@click.argument("run_id", metavar="ID")
@options.format_option("text", "json")
@quiet_option
@click.pass_context
def show(ctx: click.Context, run_id: str, fmt: str, quiet_after: timedelta | None) -> None:
    """Every field of one run (ID may be a unique prefix): its metadata, parent and
    sub-runs, its conversation's sessions, and its latest events and node sessions
    (null where the service version has no such table).

    JSON is {"run", "user_message", "current_step_index", "parent_conversation_id",
    "output_root", "user_id", "metadata", "metadata_valid", "extra", "columns_missing",
    "parent", "children", "sessions", "events", "node_sessions"}."""
    from tui.store.errors import UnknownRun

    g: Globals = ctx.obj
    quiet = _quiet_after(ctx, quiet_after)

    async def load(store: Store) -> RunDetail:
        _config(store, quiet)
        full = await store.resolve_run_id(run_id)
        detail = await store.get_run(full)
        if detail is None:
            raise UnknownRun(f"no workflow run with id {run_id!r}")
        return detail

    detail = run_with_store(g, load)
    now = utcnow()
    if fmt == "json":
        click.echo(dumps(render_runs.detail_object(detail, now), indent=2))
    else:
        click.echo("\n".join(render_runs.detail_text(detail, now)))


@runs.command(
    "stuck",
    short_help="Stuck runs: counts per kind, or with --list the runs.",
    epilog=fleet_output.FLEET_HELP,
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(RUN_KIND_NAMES),
    help="Only this kind (repeatable; default: every kind).",
)
@click.option("--list", "listed", is_flag=True, help="The runs, each with what puts it there.")
@options.format_option("table", "json")
@quiet_option
@click.pass_context
def stuck(
    ctx: click.Context,
    kinds: tuple[str, ...],
    listed: bool,
    fmt: str,
    quiet_after: timedelta | None,
) -> None:
    """Runs the service left waiting, by kind: stale-pending (pending past the service's
    own 5 min), quiet (running, no activity past --quiet-after: a guess), awaiting-approval
    (paused at a gate), path-held (running on a path a later run was cancelled on). A
    kind the service version cannot produce is not detectable there and says so."""
    g: Globals = ctx.obj
    quiet = _quiet_after(ctx, quiet_after)
    chosen = [parse_run_kind(k) for k in dict.fromkeys(kinds)] or list(RunStuckKind)

    async def read(store: Store) -> RunStuckFound:
        _config(store, quiet)
        every = await store.run_stuck_counts()
        blind = store.run_undetectable
        rows: dict[str, RunRow] = {}
        if listed:  # every kind in one walk; chosen kinds one walk each
            every_kind = set(chosen) == set(RunStuckKind)
            filters = [None] if every_kind else [RunFilter(stuck=k) for k in chosen]
            for flt in filters:
                if flt is not None and flt.stuck in blind:
                    continue
                cursor: RunCursor | None = None
                while True:
                    page = await store.stuck_runs(flt, RUN_PAGE_SIZE, cursor)
                    rows.update((r.id, r) for r in page.rows)
                    if page.next_cursor is None:
                        break
                    cursor = page.next_cursor
        ordered = sorted(
            rows.values(),
            key=lambda r: (r.started_at is not None, r.started_at, r.id),
            reverse=True,
        )
        return {k: every[k] for k in chosen}, blind, ordered

    def payload(found: RunStuckFound) -> dict[str, Any]:
        counts, blind, rows = found
        shown: dict[str, Any] = {
            "quiet_after_seconds": int(quiet.total_seconds()),
            "kinds": render_runs.stuck_objects(counts, blind),
        }
        if listed:
            shown["runs"] = [render_runs.stuck_run_object(r, now) for r in rows]
        return shown

    def lines(found: RunStuckFound) -> list[str]:
        counts, blind, rows = found
        said = render_runs.stuck_table(counts, blind)
        if listed:
            said += ["", "\n".join(render_runs.stuck_evidence_lines(rows, now)) or "no stuck runs"]
        return said

    chosen_fleet = fleet_output.fleet(g)
    if chosen_fleet is not None:
        now = utcnow()
        readings = fleet_output.read_all(g, chosen_fleet, read)
        fleet_output.show_grouped(readings, fmt, lines, payload)
        return
    found = run_with_store(g, read)
    now = utcnow()
    if fmt == "json":
        click.echo(dumps(payload(found), indent=2))
        return
    click.echo("\n".join(lines(found)))


runs.add_command(runs_cancel.cancel)
