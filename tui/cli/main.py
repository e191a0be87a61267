"""The command line: `sessions-tui [--db PATH | --url URL] [--read-only] [--demo] COMMAND`.

A thin layer over the store (no SQL here). With no command it opens the dashboard.
Exit codes: 0 success; 1 a session not found / already ended, any database error, or a
stdout that cannot be written (`Error: <message>` on stderr, never a traceback or a
password); 2 usage errors; 3 an end written whose report stdout could not take
(`output.REPORT_LOST`).

Nothing heavy is imported at module level: Textual only when the dashboard starts,
SQLAlchemy and the store only when a command needs the database.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import sys
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import click
from click.core import ParameterSource

from tui import TOOL_NAME, __version__
from tui.cli import list_query, options, output, render
from tui.cli import serve as serve_mod
from tui.config import (
    DEFAULTS,
    ENV,
    MIN_REFRESH,
    Config,
    ConfigError,
    InForce,
    check_theme,
    load_config,
)
from tui.domain.columns import FIELD_KEYS, SORTABLE, Context, sort_name
from tui.domain.export import CsvStyle, dumps
from tui.domain.models import (
    Cursor,
    Ended,
    EndOutcome,
    NotFound,
    OddActive,
    SessionChain,
    SessionDetail,
    SessionFilter,
    SessionRow,
    SortKey,
    Status,
    misspelt_reason,
)
from tui.domain.stuck import KIND_NAMES, StuckKind, parse_kind, suggested
from tui.domain.text import safe_text
from tui.domain.timefmt import parse_duration, utcnow
from tui.domain.trends import MAX_DAYS, TrendBy, Trends
from tui.domain.triggers import InvalidEndReason, Vocabulary
from tui.domain.wording import (
    NO_OWNERS,
    NOT_RECORDED,
    no_audit_note,
    no_suggestion,
    not_detectable_note,
    outcome_line,
    plan_line,
    trends_empty,
    trends_title,
    without_id,
)
from tui.store.demo_size import DEMO_SEED, DEMO_SESSIONS

if TYPE_CHECKING:
    from tui.settings import Settings
    from tui.store.operations import EndPlan
    from tui.store.store import Store
    from tui.store.target import DbTarget

T = TypeVar("T")

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
DEFAULT_END_CAP = 1000
"""How many sessions `end --stuck` ends at most unless `--cap` says otherwise: a kind
wider than expected is refused with its count before anything is planned."""


# -- plumbing --------------------------------------------------------------------------------


@dataclass
class Globals:
    """The global options, and the database target resolved on first use.

    Resolution is lazy so that commands which need no database (`reasons`, `demo-db`)
    work without one, and `end` validates its reason before any database is touched.
    """

    db: Path | None = None
    url: str | None = None
    read_only: bool = False
    demo: bool = False
    stale_after: timedelta = timedelta(hours=24)
    refresh: float = DEFAULTS.refresh
    select_cap: int = 1000
    resolved: DbTarget | None = field(default=None, repr=False)
    config: Config | None = field(default=None, repr=False)
    in_force: dict[str, InForce] = field(default_factory=dict, repr=False)

    def target(self) -> DbTarget:
        if self.resolved is None:
            if self.demo:
                from tui.store.target import sqlite_target

                self.resolved = sqlite_target(ensure_demo_db(), "--demo")
            else:
                from tui.store.errors import BadTarget
                from tui.store.target import resolve_target

                try:
                    self.resolved = resolve_target(self.db, self.url)
                except BadTarget as exc:
                    # A URL the tool cannot use is a usage error (exit 2), as the README says.
                    raise click.UsageError(self.scrub(str(exc))) from None
        return self.resolved

    def dashboard_settings(self, target: DbTarget, **given: Any) -> Settings:
        """The dashboard's settings from the global options and the config file; `given`
        (read_only, actor, …) wins. Read-only, no config file to remember a theme in."""
        from tui.settings import Settings

        config = self.config or load_config()
        fields: dict[str, Any] = {
            "target": target,
            "read_only": self.read_only,
            "refresh_seconds": self.refresh,
            "stale_after": self.stale_after,
            "select_cap": self.select_cap,
            "page_size": config.page_size or DEFAULTS.page_size,
            "statement_timeout": (
                DEFAULTS.statement_timeout
                if config.statement_timeout is None
                else config.statement_timeout
            ),
            "search_window": config.search_window or DEFAULTS.search_window,
            "theme": config.theme,
            "keys": config.keys,
            "config_path": config.path,
        }
        fields |= given
        if fields["read_only"]:  # a read-only dashboard writes nothing, the config included
            fields["config_path"] = None
        return Settings(**fields)

    def context(self) -> Context:
        """What a cell needs besides its row, taken once per command."""
        return Context(now=utcnow(), stale_after=self.stale_after)

    def scrub(self, text: str) -> str:
        """Mask every password this process knows of, even from a URL that failed to parse."""
        from tui.store.target import mask_password

        if self.resolved is not None:
            text = self.resolved.scrub(text)
        for raw in (self.url, os.environ.get("DATABASE_URL")):
            if not raw:
                continue
            try:
                password = urlsplit(raw.strip()).password
            except ValueError:
                password = None
            text = mask_password(text, password)
        return text


def ensure_demo_db() -> Path:
    """The cached demo database, built on first use (one line on stderr while building)."""
    import tui.settings as settings_mod
    from tui.store.demo import write_demo_db
    from tui.store.errors import StoreError

    n = DEMO_SESSIONS
    path = settings_mod.demo_path(n)
    if not path.is_file():
        click.echo(f"building the demo database ({n} sessions) at {path} …", err=True)
        try:
            asyncio.run(write_demo_db(path, n_sessions=n))
        except StoreError:
            if not path.is_file():
                raise
            # Another process built it at the same moment: use theirs.
    return path


class _Group(click.Group):
    """Turns every StoreError, and a stdout that cannot be written (`output`), into
    `Error: <message>` on stderr and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except output.OutputFailed as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            from tui.store.errors import StoreError

            if not isinstance(exc, StoreError):
                raise
            g = ctx.find_object(Globals)
            message = str(exc) if g is None else g.scrub(str(exc))
            raise click.ClickException(safe_text(message)) from None


def run_with_store(g: Globals, fn: Callable[[Store], Coroutine[Any, Any, T]]) -> T:
    """Open the store, run one async job on it, and always close it."""
    from tui.store.store import open_store

    target = g.target()

    async def go() -> T:
        store = await open_store(target, read_only=g.read_only, stale_after=g.stale_after)
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(go())


def launch_dashboard(settings: Settings) -> None:
    """Start the Textual app; imported here so that scripts never load Textual. The first
    page is read meanwhile (`warm.start`): it is on hand when the screen mounts."""
    from tui.store import warm

    early = warm.start(
        settings.target, settings.page_size, stale_after=settings.stale_after, now=settings.clock()
    )
    try:
        from tui.app import run
    except ImportError as exc:
        raise click.ClickException(f"the dashboard cannot start: {exc}") from None
    code = run(settings, early)
    if code:  # a crash is a failure for whoever started the dashboard
        sys.exit(code)


def _refresh_option(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if value != value:  # NaN passes FloatRange
        raise click.BadParameter("not a number")
    if 0 < value < MIN_REFRESH:
        raise click.BadParameter(f"at least {MIN_REFRESH:g} seconds (or 0 to turn it off)")
    return value


class ConfigProblem(click.ClickException):
    """A config file the tool cannot use: one line naming the file and the key, exit 2."""

    exit_code = 2


def _from_command_line(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source is not ParameterSource.DEFAULT


def settings_in_force(
    ctx: click.Context, config: Config, refresh: float, stale_after: str
) -> dict[str, InForce]:
    """Each setting's value and where it came from: the command line, else the file,
    else the default."""

    def pick(name: str, given: object, in_file: object, default: object) -> InForce:
        if _from_command_line(ctx, name):
            return InForce(name, str(given), "command line")
        if in_file is not None:
            return InForce(name, str(in_file), "file")
        return InForce(name, str(default), "default")

    return {
        "refresh": pick("refresh", f"{refresh:g}", _g(config.refresh), _g(DEFAULTS.refresh)),
        "stale_after": pick("stale_after", stale_after, config.stale_after, DEFAULTS.stale_after),
        "theme": pick("theme", None, config.theme, DEFAULTS.theme or "textual-dark"),
        "page_size": pick("page_size", None, config.page_size, DEFAULTS.page_size),
        "statement_timeout": pick(
            "statement_timeout",
            None,
            _g(config.statement_timeout),
            _g(DEFAULTS.statement_timeout),
        ),
        "search_window": pick("search_window", None, config.search_window, DEFAULTS.search_window),
    }


def _g(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def _anchor_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    if value is None:
        return None
    try:
        anchor = options.timestamp(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 timestamp like 2026-01-31T12:00:00Z"
        ) from None
    if not DEMO_ANCHOR_YEARS[0] <= anchor.year <= DEMO_ANCHOR_YEARS[1]:
        low, high = DEMO_ANCHOR_YEARS
        raise click.BadParameter(
            f"the anchor must fall in the years {low} to {high}: the demo's sessions are "
            "spread over the months before it"
        )
    return anchor


DEMO_ANCHOR_YEARS = (1971, 9998)


# -- root ------------------------------------------------------------------------------------


@click.group(
    cls=_Group,
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
@click.option("--read-only", is_flag=True, help="Open the database read-only (no `end`).")
@click.option(
    "--demo",
    is_flag=True,
    help="Use a generated demo database (built and cached on first use).",
)
@click.option(
    "--refresh",
    type=click.FloatRange(min=0, max=86400),
    callback=_refresh_option,
    default=DEFAULTS.refresh,
    show_default=True,
    metavar="SECONDS",
    help=f"Dashboard auto-refresh interval, at least {MIN_REFRESH:g}s; 0 disables it "
    "(default: the config file's, else 5).",
)
@click.option(
    "--stale-after",
    default=DEFAULTS.stale_after,
    show_default=True,
    metavar="DURATION",
    help="An active session quiet this long is idle, a kind of stuck (the dashboard, `list`, "
    "`show`, `stuck`; default: the config file's, else 24h).",
)
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
    db: Path | None,
    url: str | None,
    read_only: bool,
    demo: bool,
    refresh: float,
    stale_after: str,
    select_cap: int,
) -> None:
    """Inspect and end the coding-agent service's sessions.

    With no COMMAND, opens the dashboard. Defaults come from the config file
    (`sessions-tui config` says where it is and what is in force).
    """
    if demo and (db is not None or url is not None):
        raise click.UsageError("--demo cannot be combined with --db or --url")
    if db is not None and url is not None:
        raise click.UsageError("give either --db or --url, not both")
    try:
        config = load_config()
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    if not _from_command_line(ctx, "refresh") and config.refresh is not None:
        refresh = config.refresh
    if not _from_command_line(ctx, "stale_after") and config.stale_after is not None:
        stale_after = config.stale_after
    try:
        stale = parse_duration(stale_after)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param_hint="'--stale-after'") from None
    g = Globals(
        db=db,
        url=url,
        read_only=read_only,
        demo=demo,
        stale_after=stale,
        refresh=refresh,
        select_cap=select_cap,
    )
    g.config = config
    g.in_force = settings_in_force(ctx, config, refresh, stale_after)
    ctx.obj = g
    if ctx.invoked_subcommand not in (None, "serve", serve_mod.CHILD_COMMAND):
        output.guard_stdout()  # the dashboards write to the terminal, not through it
    if ctx.invoked_subcommand is None:
        _check_for_dashboard(config)
        launch_dashboard(g.dashboard_settings(g.target()))


def _check_for_dashboard(config: Config) -> None:
    """The keys and the theme name the dashboard's own ids and themes: checked with them."""
    if not config.keys and config.theme is None:
        return
    try:
        from tui.app.app import key_problem, theme_names
    except ImportError as exc:
        raise click.ClickException(f"the dashboard cannot start: {exc}") from None
    _check_keys_and_theme(config, key_problem, theme_names)


def _check_keys_and_theme(
    config: Config,
    key_problem: Callable[[Mapping[str, str]], str | None],
    themes: Callable[[], set[str]],
) -> None:
    """The dashboard's own check of `[keys]` (ids, shadowed keys) and the theme name:
    what `config` and the dashboard's start both refuse, with exit 2."""
    why = key_problem(config.keys)
    if why is not None:
        raise ConfigProblem(f"{config.path}: {why}")
    try:
        check_theme(config, themes())
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None


# -- list ------------------------------------------------------------------------------------


LIST_HELP = f"""List sessions, newest first.

JSON is `{{"sessions": [...], "next_cursor": null | TOKEN}}`; each session has the keys
{", ".join(FIELD_KEYS)}. reason_status is active, known, unrecognised or not-recorded;
times are ISO-8601 UTC. CSV has the same columns (stuck joined with commas). The table's
status says `stuck` for an active session in any kind of stuck (`idle`: quiet longer than
--stale-after), and its stuck column names the kinds.
"""


@cli.command("list", help=LIST_HELP)
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


@cli.command(short_help="One session: every field, its chain and children.")
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
        click.echo(dumps(render.detail_object(detail, chain, g.context()), indent=2))
    else:
        click.echo("\n".join(render.detail_text(detail, chain, g.context())))


# -- end -------------------------------------------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1, metavar="ID...")
@click.option(
    "--reason",
    metavar="R",
    help="A deactivating trigger of the database's service version (`reasons` lists them); "
    "with --stuck, the kind's suggested reason unless given.",
)
@click.option(
    "--stuck",
    "stuck_kind",
    type=click.Choice(KIND_NAMES),
    help="End every session of this kind of stuck (`stuck` counts them) instead of IDs.",
)
@click.option(
    "--cap",
    type=click.IntRange(min=1),
    default=DEFAULT_END_CAP,
    show_default=True,
    help="With --stuck: refuse when more sessions than this are of the kind.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written; change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--actor",
    metavar="WHO",
    callback=options.actor_callback,
    help="Recorded in metadata.endedBy, in printable characters (default: user@host).",
)
@click.pass_context
def end(
    ctx: click.Context,
    ids: tuple[str, ...],
    reason: str | None,
    stuck_kind: str | None,
    cap: int,
    dry_run: bool,
    yes: bool,
    actor: str | None,
) -> None:
    """End active sessions with a reason (IDs may be unique prefixes), or with --stuck
    every session of one kind of stuck.

    The reason is checked against the database's trigger list before anything is read or
    written. A session that is already ended is left exactly as it is. Exit 0 when every
    session was ended, 1 when any was not found or already ended (with --dry-run: when
    any would be), 3 when the sessions were written but standard output could not take
    the report (the outcomes are said on standard error instead).
    """
    from tui.store import operations
    from tui.store.store import default_actor

    g = ctx.ensure_object(Globals)
    who = actor or default_actor()
    if stuck_kind is None and not ids:
        raise click.UsageError("give the session IDs to end, or --stuck KIND")
    if stuck_kind is not None and ids:
        raise click.UsageError("give either session IDs or --stuck KIND, not both")
    if stuck_kind is None and reason is None:
        raise click.UsageError("--reason is required (`reasons` lists them)")

    async def plan(store: Store) -> EndPlan:
        chosen, given = reason, list(ids)
        if stuck_kind is not None:
            kind = parse_kind(stuck_kind)
            why = store.undetectable.get(kind)
            if why is not None:
                raise click.UsageError(
                    f"{kind.wire} is {not_detectable_note(store.vocabulary.name, why)}:"
                    " nothing to end"
                )
            if chosen is None:
                trigger = suggested(kind, store.vocabulary)
                if trigger is None:
                    raise click.UsageError(no_suggestion(kind, store.vocabulary.name))
                chosen = trigger.wire
            else:  # checked before the sessions are read
                try:
                    store.vocabulary.require_deactivating(chosen)
                except InvalidEndReason as exc:
                    raise click.BadParameter(str(exc), ctx=ctx, param_hint="'--reason'") from None
            given = await operations.ids_of(store, SessionFilter(stuck=kind), cap + 1)
            if len(given) > cap:
                counted = (await store.stuck_counts())[kind]
                raise click.UsageError(
                    f"{counted:,} sessions are {kind.wire}, more than --cap {cap:,}: "
                    "nothing changed; raise --cap to end them all"
                )
            if not given:
                click.echo(f"no session is {kind.wire}: nothing to end")
                ctx.exit(0)
        assert chosen is not None
        try:
            return await operations.plan_end(store, given, chosen, who)
        except InvalidEndReason as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param_hint="'--reason'") from None

    planned = run_with_store(g, plan)
    if dry_run or (planned.to_end and not yes):
        for step in planned.steps:
            click.echo(plan_line(step, who), err=isinstance(step, NotFound))
    if dry_run:
        click.echo("dry run: nothing changed")
        ctx.exit(0 if planned.all_would_end else 1)
    if planned.to_end and not yes:
        try:
            confirmed = click.confirm(
                f"End {planned.to_end} session(s) with reason {planned.trigger.wire}?",
                default=False,
            )
        except click.Abort:
            confirmed = False
            click.echo("", err=True)
        if not confirmed:
            click.echo("aborted, nothing changed", err=True)
            ctx.exit(1)

    from tui.store.errors import EndInterrupted

    kept, table, shape = True, True, None

    async def apply(store: Store) -> tuple[EndOutcome, ...]:
        nonlocal kept, table, shape
        kept, table = store.audit_kept, store.schema.audit_table
        shape = store.schema.audit_problem
        return await operations.apply_end(store, planned)

    try:
        outcomes = run_with_store(g, apply)
    except EndInterrupted as stopped:
        for outcome in stopped.outcomes:
            if failed(outcome):
                click.echo(outcome_line(outcome), err=True)
        for sid in stopped.left_active:
            click.echo(f"not written {safe_text(sid)}: still active", err=True)
        for sid in stopped.unresolved:
            click.echo(f"unknown {safe_text(sid)}: could not be re-read", err=True)
        output.report(outcome_line(o) for o in stopped.outcomes if not failed(o))
        if not kept:
            click.echo(no_audit_note(table, shape=shape), err=True)
        raise click.ClickException(safe_text(g.scrub(str(stopped)))) from None
    for outcome in outcomes:
        if failed(outcome):
            click.echo(outcome_line(outcome), err=True)
    lost = output.report(outcome_line(o) for o in outcomes if not failed(o))
    if not kept and any(isinstance(o, Ended) for o in outcomes):
        click.echo(no_audit_note(table, shape=shape), err=True)
    if lost is not None:
        raise output.ReportLost(
            f"the end was written, but standard output could not take its report ({lost}): "
            "the outcomes are above, on standard error"
        )
    ctx.exit(0 if all(isinstance(o, Ended) for o in outcomes) else 1)


def failed(outcome: EndOutcome) -> bool:
    """An id that names no session, or a session the tool refuses to end: an error line,
    on stderr. Ended and already-ended sessions are the command's report, on stdout."""
    return isinstance(outcome, NotFound | OddActive)


# -- audit -----------------------------------------------------------------------------------


@cli.command(short_help="The ends this tool wrote, newest first (kept after retention).")
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
    when someone ended it first), kept after the service deletes the session. JSON is
    {"audit": [...]} with the keys of `AUDIT_FIELDS`; CSV has them as its header."""
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


# -- trends ---------------------------------------------------------------------------------


@cli.command(short_help="Why sessions end over time: ended sessions per day and reason.")
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

    found = run_with_store(g, read)
    if fmt == "json":
        click.echo(render.dumps(render.trends_object(found), indent=2))
    elif fmt == "csv":
        style = CsvStyle(guard=not csv_raw, terminal=sys.stdout.isatty())
        click.echo(render.trends_csv(found, style), nl=False, color=True)
    elif found.total == 0:
        click.echo(trends_empty(days), err=True)
    else:
        click.echo(trends_title(days, found.window.hourly))
        click.echo("\n".join(render.trends_table(found)))


# -- stuck ----------------------------------------------------------------------------------


@cli.command(short_help="Stuck sessions: counts per kind, or with --list the sessions.")
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

    async def read(
        store: Store,
    ) -> tuple[Vocabulary, dict[StuckKind, int | None], dict[StuckKind, str], list[SessionRow]]:
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

    vocabulary, counts, undetectable, rows = run_with_store(g, read)
    if fmt == "json":
        payload: dict[str, Any] = {
            "version": vocabulary.name,
            "kinds": render.stuck_counts_object(counts, vocabulary, undetectable),
        }
        if listed:
            payload["sessions"] = [render.stuck_session_object(r, ctx, vocabulary) for r in rows]
        click.echo(render.dumps(payload, indent=2))
        return
    click.echo("\n".join(render.stuck_counts_table(counts, vocabulary, undetectable)))
    if listed:
        click.echo("")
        click.echo("\n".join(render.stuck_sessions_table(rows, ctx, vocabulary)))


# -- reasons ---------------------------------------------------------------------------------


@cli.command()
@options.format_option("table", "json")
@click.pass_obj
def reasons(g: Globals, fmt: str) -> None:
    """Every trigger any service version wrote: behaviour, since, until, and whether the
    database's version accepts it for `end --reason` (when a database is found)."""
    vocabulary = _vocabulary(g)
    if fmt == "json":
        payload: dict[str, Any] = {
            "version": vocabulary.name if vocabulary else None,
            "reasons": render.reasons_objects(vocabulary),
        }
        click.echo(dumps(payload, indent=2))
    else:
        columns = shutil.get_terminal_size((render.REASONS_WIDTH, 24)).columns
        click.echo("\n".join(render.reasons_table(vocabulary, columns)))


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


@cli.command(short_help="The database, its service version, vocabulary, indexes, counts.")
@options.format_option("text", "json")
@click.pass_obj
def info(g: Globals, fmt: str) -> None:
    """The database (password masked), the service version that last opened it and how
    that was detected, the triggers in force, this tool's revision and indexes, and the
    session counts."""
    from tui.store.operations import database_info

    found = run_with_store(g, database_info)
    if fmt == "json":
        click.echo(dumps(render.info_object(found), indent=2))
    else:
        click.echo("\n".join(render.info_text(found)))


# -- migrate ---------------------------------------------------------------------------------


@cli.command(short_help="Apply pending schema migrations, or print their SQL.")
@click.option("--sql", is_flag=True, help="Print the SQL for a DBA instead of applying it.")
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask before building indexes the service waits for."
)
@click.option(
    "--create-service-schema",
    is_flag=True,
    help="Create the service's tables even though the database holds other tables.",
)
@click.pass_obj
def migrate(g: Globals, sql: bool, yes: bool, create_service_schema: bool) -> None:
    """Apply this tool's pending schema migrations (such as adding ended_reason).

    Safe while the service runs: each change commits on its own. On SQLite the service's
    writes wait while an index is built, so it says how long first and asks (--yes: go).
    """
    from tui.store import migrate as migrations
    from tui.store.errors import StoreError

    if g.read_only and not sql:
        raise click.UsageError("migrate writes to the database: drop --read-only (or use --sql)")
    target = g.target()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        try:
            return asyncio.run(coro)
        except (StoreError, click.ClickException, click.Abort, click.exceptions.Exit):
            raise
        except Exception as exc:
            raise target.error(exc) from None

    if sql:
        text = run(migrations.upgrade_sql(target, create_service_schema=create_service_schema))
        click.echo(text.rstrip("\n"))
        return
    planned = run(migrations.plan(target, create_service_schema=create_service_schema))
    if planned.notice and not yes:
        click.echo(planned.notice, err=True)
        if not sys.stdin.isatty():
            raise click.UsageError("stdin is not a terminal, so no one can answer: pass --yes")
        try:
            confirmed = click.confirm("Go ahead?", default=False, err=True)
        except click.Abort:
            confirmed = False
            click.echo("", err=True)
        if not confirmed:
            click.echo("aborted, nothing changed", err=True)
            raise click.exceptions.Exit(1)
    done = run(migrations.migrate_to_head(target, create_service_schema=create_service_schema))
    if not done.applied and not done.restored:
        click.echo(f"{target.display()}: already up to date")
        return
    for revision in done.applied:
        click.echo(f"applied {revision}")
    for missing in done.restored:
        click.echo(f"restored {missing} (missing although its revision was recorded)")


# -- demo-db ---------------------------------------------------------------------------------


@cli.command("demo-db", short_help="Write a deterministic demo database to PATH.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--sessions",
    "n_sessions",
    type=click.IntRange(min=1),
    default=DEMO_SESSIONS,
    show_default=True,
)
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True)
@click.option(
    "--anchor",
    metavar="TIMESTAMP",
    callback=_anchor_option,
    help="The generated data's 'now' (ISO-8601, UTC when no zone); default: the current time.",
)
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def demo_db(path: Path, n_sessions: int, seed: int, anchor: datetime | None, force: bool) -> None:
    """Write a deterministic demo database to PATH (same seed and anchor, same rows)."""
    from tui.store.demo import write_demo_db
    from tui.store.errors import StoreError, translate

    try:
        summary = asyncio.run(
            write_demo_db(path, n_sessions=n_sessions, seed=seed, anchor=anchor, force=force)
        )
    except StoreError:
        raise
    except Exception as exc:  # a full disk, a folder that cannot be written: one line
        raise translate(exc, str(path), str) from None
    pairs = [
        ("sessions", summary.sessions, ""),
        ("conversations", summary.conversations, ""),
        ("codebases", summary.codebases, ""),
        ("active", summary.active, ""),
        ("idle", summary.stale, "active, quiet for days"),
        (NOT_RECORDED, summary.legacy, "legacy NULL reasons, from before migration 016"),
        ("unrecognised", summary.unrecognised, "reasons a newer service version writes"),
    ]
    click.echo(f"wrote {safe_text(summary.path)}")
    for label, count, note in pairs:
        click.echo(f"  {label:<14} {count:>8}" + (f"  ({note})" if note else ""))


# -- serve -----------------------------------------------------------------------------------


class MissingExtra(click.ClickException):
    """An optional part of the tool that is not installed: one line naming its install, exit 2."""

    exit_code = 2


@cli.command(short_help="The dashboard in a browser (textual-serve), read-only by default.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=serve_mod.DEFAULT_PORT,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow --host to be an address other than loopback (plain HTTP: the token only).",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="The address browsers use to reach this server, when it is not http://HOST:PORT.",
)
@click.option(
    "--no-token",
    is_flag=True,
    help="Ask no token (only behind a proxy that authenticates; the origin is still checked).",
)
@click.option(
    "--write",
    is_flag=True,
    help="Let the served dashboard end sessions, each signed by --actor (required with it).",
)
@click.option(
    "--actor",
    metavar="WHO",
    callback=options.actor_callback,
    help="Who every end from the browser is signed by (with --write).",
)
@click.pass_obj
def serve(
    g: Globals,
    host: str,
    port: int,
    allow_remote: bool,
    public_url: str | None,
    no_token: bool,
    write: bool,
    actor: str | None,
) -> None:
    """Serve the dashboard to a browser through textual-serve.

    Each browser tab runs its own dashboard process on this machine. Listens on
    127.0.0.1 unless --allow-remote. Only pages of the served origin holding the
    token printed at start get a dashboard (--no-token: the origin only). Read-only unless
    --write --actor WHO, and then every end is signed by WHO. The database (and its
    password) reaches each dashboard through its environment, never its command line.
    """
    if write and actor is None:
        raise click.UsageError(
            "--write needs --actor WHO: every end from the browser is signed by it"
        )
    if actor is not None and not write:
        raise click.UsageError("--actor signs ends: give it with --write")
    if write and g.read_only:
        raise click.UsageError("--read-only and serve --write contradict each other")
    remote = not serve_mod.is_loopback(host)
    if remote and not allow_remote:
        raise click.UsageError(
            f"{host} is not a loopback address (served over plain HTTP): "
            "add --allow-remote to serve beyond this machine"
        )
    if importlib.util.find_spec("textual_serve") is None:
        raise MissingExtra(f"serve needs textual-serve: {serve_mod.INSTALL_HINT}")
    target = g.target()
    if g.config is not None:
        _check_for_dashboard(g.config)
    spec = serve_mod.child_spec(
        target.secret_url(),
        target.source,
        actor=actor,
        refresh=g.refresh,
        stale_after=g.stale_after,
        select_cap=g.select_cap,
    )
    if remote:
        click.echo(serve_mod.remote_warning(host, port, actor), err=True)
    if no_token:
        click.echo(serve_mod.no_token_warning(host, port), err=True)
    token = None if no_token else serve_mod.new_token()
    mode = "read-only" if actor is None else f"ends signed by {actor}"
    shown = safe_text(target.display())
    page = serve_mod.page_url(host, port, public_url, token)
    click.echo(f"serving {shown} ({mode}) on {page}", err=True)
    try:
        serve_mod.run_server(spec, host=host, port=port, public_url=public_url, token=token)
    except ImportError as exc:
        raise MissingExtra(f"serve needs textual-serve ({exc}): {serve_mod.INSTALL_HINT}") from None
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise click.ClickException(f"cannot listen on {host}:{port}: {why}") from None


@cli.command(serve_mod.CHILD_COMMAND, hidden=True)
@click.pass_obj
def served_app(g: Globals) -> None:
    """The dashboard as `serve` starts it for each browser tab (not for direct use)."""
    from tui.store.errors import BadTarget
    from tui.store.target import url_target

    given = serve_mod.take_child_target(os.environ)
    if given is None:
        raise click.UsageError("this command is started by `sessions-tui serve`")
    if given.actor is not None:
        from tui.domain.audit import BadActor, check_actor

        try:
            check_actor(given.actor)
        except BadActor as exc:
            raise click.UsageError(f"${serve_mod.SERVE_ACTOR}: {exc}") from None
    try:
        target = url_target(given.url, given.source)
    except BadTarget as exc:
        raise click.UsageError(g.scrub(str(exc))) from None
    g.resolved = target
    launch_dashboard(
        g.dashboard_settings(
            target,
            read_only_why=serve_mod.SERVED_READ_ONLY if g.read_only else None,
            actor=given.actor,
            config_path=None,  # served: nothing is written on the serving machine
        )
    )


# -- config ----------------------------------------------------------------------------------


@cli.command("config", short_help="Where the config file is, and every setting in force.")
@click.pass_obj
def config_cmd(g: Globals) -> None:
    """The config file's path, each setting in force and where it came from (the command
    line, the file, the default), and the key bindings with the ids `[keys]` moves."""
    config = g.config
    assert config is not None  # the group read it
    state = "found" if config.exists else "not found: every value is a default"
    how = f"${ENV}" if os.environ.get(ENV) else "the platform's config folder"
    click.echo(f"config file  {config.path}  ({how}; {state})")
    width = max(len(name) for name in g.in_force)
    for setting in g.in_force.values():
        click.echo(f"  {setting.name:<{width}}  {setting.value:<14}  {setting.source}")
    try:
        from tui.app.app import binding_ids, key_problem, theme_names
    except ImportError:
        return
    keys = binding_ids()
    click.echo("keys (binding id = key; [keys] in the file moves them)")
    id_width = max(len(b) for b in keys)
    for binding, key in sorted(keys.items()):
        moved = config.keys.get(binding)
        shown = f"{moved}  (file; default {key})" if moved else key
        click.echo(f"  {binding:<{id_width}}  {shown}")
    _check_keys_and_theme(config, key_problem, theme_names)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (`sessions-tui`, `python -m tui`)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name=TOOL_NAME)
