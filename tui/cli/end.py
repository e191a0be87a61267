"""`end`: end sessions by id or by stuck kind, with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui.cli import options, output
from tui.domain.models import (
    Ended,
    EndOutcome,
    NotFound,
    OddActive,
    SessionFilter,
)
from tui.domain.stuck import KIND_NAMES, parse_kind, suggested
from tui.domain.text import safe_text
from tui.domain.triggers import InvalidEndReason
from tui.domain.wording import (
    no_audit_note,
    no_suggestion,
    not_detectable_note,
    outcome_line,
    plan_line,
)

if TYPE_CHECKING:
    from tui.store.operations import EndPlan
    from tui.store.store import Store

from tui.cli.common import Globals, run_with_store
from tui.cli.confirm import confirm_or_exit, dry_run_exit

DEFAULT_END_CAP = 1000
"""How many sessions `end --stuck` ends at most unless `--cap` says otherwise: a kind
wider than expected is refused with its count before anything is planned."""


# -- end -------------------------------------------------------------------------------------


@click.command()
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
    help="End every session of this stuck kind (`stuck` counts them) instead of IDs.",
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
    every session of one stuck kind.

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
        dry_run_exit(ctx, planned.all_would_end)
    if planned.to_end and not yes:
        confirm_or_exit(ctx, f"End {planned.to_end} session(s) with reason {planned.trigger.wire}?")

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
