"""`list` and `show`: the sessions, and one session whole."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click
from msgspec.structs import replace

from tui.cli import list_query, options, render, render_show
from tui.domain.columns import FIELD_KEYS, SORTABLE, sort_name
from tui.domain.export import CsvStyle, dumps
from tui.domain.models import (
    Cursor,
    SessionChain,
    SessionDetail,
    SessionFilter,
    SortKey,
    Status,
    misspelt_reason,
)
from tui.domain.wording import (
    NO_OWNERS,
    without_id,
)

if TYPE_CHECKING:
    from tui.store.store import Store

from tui.cli.common import Globals, run_with_store

# -- list ------------------------------------------------------------------------------------


LIST_HELP = f"""List sessions, newest first.

JSON is `{{"sessions": [...], "next_cursor": null | TOKEN}}`; each session has the keys
{", ".join(FIELD_KEYS)}. reason_status is active, known, unrecognised or not-recorded;
times are ISO-8601 UTC. CSV has the same columns (stuck joined with commas). The table's
status says `stuck` for an active session of any stuck kind (`idle`: quiet longer than
--stale-after), and its stuck column names the kinds.
"""


@click.command("list", help=LIST_HELP)
@click.option(
    "--status",
    type=click.Choice([s.value for s in Status]),
    default=Status.ALL.value,
    show_default=True,
)
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    metavar="R",
    help=(
        "Ended with this reason (repeatable, ORed): a trigger, any stored value, "
        "`not-recorded` (NULL, pre-016) or `unrecognised` (every unknown value); "
        "`=VALUE` means the stored value VALUE exactly."
    ),
)
@options.platform_option
@options.codebase_option
@click.option("--assistant", metavar="A", help="Assistant type or its start, any case: codex.")
@options.user_option
@click.option(
    "--search",
    metavar="TEXT",
    help="The dashboard's search: text anywhere in what the table shows (ids, title,"
    " platform, agent, reason, codebase, owner), any case (on SQLite in any script, on"
    " PostgreSQL as the database's LC_CTYPE folds; C: ASCII letters only), plus platform:"
    " codebase: assistant: user: reason: tokens (each the start of the value).",
)
@options.when_option("--since", "Started within this long (2h, 3d, 1w) or since an ISO-8601 time.")
@options.when_option(
    "--ended-since", "Ended within this long (2h, 3d) or at/after an ISO-8601 time."
)
@options.when_option(
    "--ended-until", "Ended before this time (ISO-8601), or more than this long ago (2h, 3d)."
)
@click.option(
    "--sort",
    type=click.Choice([k.value for k in SORTABLE.values()]),
    default=SortKey.STARTED.value,
    show_default=True,
    help="Newest / longest first (by ended, active sessions come last).",
)
@click.option("--asc", "ascending", is_flag=True, help="Oldest / shortest first.")
@options.limit_option("sessions")
@click.option(
    "--cursor",
    "cursor_token",
    metavar="TOKEN",
    help="Continue after the `next_cursor` of a previous JSON listing (same filters and sort).",
)
@options.format_option("table", "json", "csv")
@options.csv_raw_option
@click.pass_obj
def list_cmd(
    g: Globals,
    status: str,
    reasons: tuple[str, ...],
    platform: str | None,
    codebase: str | None,
    assistant: str | None,
    user: str | None,
    search: str | None,
    since: datetime | None,
    ended_since: datetime | None,
    ended_until: datetime | None,
    sort: str,
    ascending: bool,
    limit: int,
    cursor_token: str | None,
    fmt: str,
    csv_raw: bool,
) -> None:
    for word in reasons:
        near = misspelt_reason(word)
        if near is not None:
            raise click.UsageError(
                f"unknown reason {word!r}; did you mean {near}? "
                f"(`--reason ={word}` matches a stored value spelled so)"
            )
    start: Cursor | None = None
    key = SortKey(sort)
    order = sort_name(key, ascending)  # in the cursor token: a cursor walks one order
    if cursor_token is not None:
        try:
            start = render.decode_cursor(cursor_token, order)
        except render.BadCursor as exc:
            raise click.BadParameter(str(exc), param_hint="--cursor") from None
    query = list_query.search_query(search, platform, codebase, assistant, user)
    flt = SessionFilter(
        status=Status(status),
        platform=query.platform,
        codebase=query.codebase,
        assistant=query.assistant,
        since=since,
        search=query.text,
        user=query.user,
        ended_since=ended_since,
        ended_until=ended_until,
    )
    style = CsvStyle(guard=not csv_raw, terminal=sys.stdout.isatty())
    writer = render.ListWriter(fmt, order, g.context(), style)

    owners_known = True
    unnamed = 0

    async def stream(store: Store) -> Cursor | None:
        from tui.store.operations import pages

        nonlocal owners_known, unnamed, flt
        flt = replace(flt, reasons=await list_query.reasons_filter(store, reasons, query))
        owners_known = store.has_owners
        unnamed = await store.sessions_without_id()
        more: Cursor | None = None
        # color=True: click would strip escape sequences from a pipe, and CSV carries the
        # stored values whole there (on a terminal, the writer has made them harmless).
        click.echo(writer.start(), nl=False, color=True)
        async for page in pages(
            store, flt, key, start=start, limit=limit or None, ascending=ascending
        ):
            click.echo(writer.page(page.rows), nl=False, color=True)
            more = page.next_cursor
        click.echo(writer.finish(more), nl=False, color=True)
        return more

    more = run_with_store(g, stream)
    if unnamed:
        click.echo(f"warning: {without_id(unnamed)}", err=True)
    if flt.user and not owners_known:
        click.echo(f"note: {NO_OWNERS}: --user matches no session", err=True)
    note = writer.note(more is not None)
    if note is not None:
        click.echo(note, err=True)


# -- show ------------------------------------------------------------------------------------


@click.command(short_help="One session: every field, its chain and children.")
@click.argument("session_id", metavar="ID")
@options.format_option("text", "json")
@click.pass_obj
def show(g: Globals, session_id: str, fmt: str) -> None:
    """Every field of one session (ID may be a unique prefix), with its chain and children.

    JSON is {"session", "conversation", "codebase", "extra", "metadata", "metadata_valid",
    "chain" (oldest first, `current` marks this session), "chain_truncated", "children",
    "workflow_runs" (the conversation's latest 5, newest first; null without the table)}.
    """
    from tui.store.errors import UnknownSession

    async def load(store: Store) -> tuple[SessionDetail, SessionChain]:
        full = await store.resolve_id(session_id)
        detail = await store.get_session(full)
        if detail is None:
            raise UnknownSession(f"no session with id {session_id!r}")
        return detail, await store.session_chain(full)

    detail, chain = run_with_store(g, load)
    if fmt == "json":
        click.echo(dumps(render_show.detail_object(detail, chain, g.context()), indent=2))
    else:
        click.echo("\n".join(render_show.detail_text(detail, chain, g.context())))
