"""`runs cancel`: cancel workflow runs with the service's own statement.

Self-contained: the `runs` group adds `cancel` as one of its commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui.cli import options, output
from tui.domain.run_cancel import (
    COOPERATIVE_NOTE,
    RunCancelled,
    RunNotFound,
    RunOutcome,
    no_run_audit_line,
    run_outcome_line,
    run_plan_line,
)
from tui.domain.text import safe_text

if TYPE_CHECKING:
    from tui.domain.run_cancel import RunCancelPlan
    from tui.store.store import Store

from tui.cli.common import Globals, run_with_store
from tui.cli.confirm import confirm_or_exit, dry_run_exit


@click.command(short_help="Cancel workflow runs, as the service's own cancel does.")
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.option("--dry-run", is_flag=True, help="Show what would be written; change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--actor",
    metavar="WHO",
    callback=options.actor_callback,
    help="Recorded in the audit row, in printable characters (default: user@host).",
)
@click.pass_context
def cancel(
    ctx: click.Context, ids: tuple[str, ...], dry_run: bool, yes: bool, actor: str | None
) -> None:
    """Cancel workflow runs (IDs may be unique prefixes): status = 'cancelled' and
    completed_at from the database clock, only where the status is not completed or
    cancelled yet (the service's own rule; a failed, pending, running or paused run is
    cancelled).

    The write is cooperative: a live executor stops at its next status check, between
    DAG layers; this tool cannot stop a process. A run finished meanwhile is left exactly
    as it is. Exit 0 when every run was cancelled, 1 when any was not found or already
    finished (with --dry-run: when any would be), 3 when the runs were written but
    standard output could not take the report (the outcomes are said on standard error).
    """
    from tui.store.store import default_actor

    g = ctx.ensure_object(Globals)
    who = actor or default_actor()
    missing: str | None = None
    said: str | None = None  # the audit note said before the confirmation: once a run

    async def plan(store: Store) -> RunCancelPlan:
        nonlocal missing
        missing = store.run_audit_missing
        return await store.plan_cancel_runs(list(ids), who)

    planned = run_with_store(g, plan)
    if dry_run or (planned.to_cancel and not yes):
        for step in planned.steps:
            click.echo(run_plan_line(step, who), err=isinstance(step, RunNotFound))
        if planned.to_cancel:
            click.echo(COOPERATIVE_NOTE)
            if missing is not None:
                click.echo(no_run_audit_line(missing), err=True)
                said = missing
    if dry_run:
        dry_run_exit(ctx, planned.all_would_cancel)
    if planned.to_cancel and not yes:
        confirm_or_exit(
            ctx,
            f"Cancel {planned.to_cancel} workflow run(s)? (cooperative: no process is stopped)",
        )

    from tui.store.run_writes import CancelInterrupted

    async def apply(store: Store) -> tuple[RunOutcome, ...]:
        nonlocal missing
        missing = store.run_audit_missing
        found = [s.id for s in planned.steps if not isinstance(s, RunNotFound)]
        written = await store.cancel_runs(found, planned.actor) if found else []
        by_id = {o.id: o for o in written}
        return tuple(s if isinstance(s, RunNotFound) else by_id[s.id] for s in planned.steps)

    try:
        outcomes = run_with_store(g, apply)
    except CancelInterrupted as stopped:
        for rid in stopped.left:
            click.echo(f"not written {safe_text(rid)}: not cancelled", err=True)
        for rid in stopped.unresolved:
            click.echo(f"unknown {safe_text(rid)}: could not be told", err=True)
        output.report(run_outcome_line(o) for o in stopped.outcomes)
        if missing is not None and missing != said:
            click.echo(no_run_audit_line(missing), err=True)
        raise click.ClickException(safe_text(g.scrub(str(stopped)))) from None
    for outcome in outcomes:
        if isinstance(outcome, RunNotFound):
            click.echo(run_outcome_line(outcome), err=True)
    lost = output.report(run_outcome_line(o) for o in outcomes if not isinstance(o, RunNotFound))
    note = missing if missing != said else None
    if note is not None and any(isinstance(o, RunCancelled) for o in outcomes):
        click.echo(no_run_audit_line(note), err=True)
    if lost is not None:
        raise output.ReportLost(
            f"the cancel was written, but standard output could not take its report ({lost}): "
            "the outcomes are above, on standard error"
        )
    ctx.exit(0 if all(isinstance(o, RunCancelled) for o in outcomes) else 1)
