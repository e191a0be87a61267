"""Cancelling workflow runs from the dashboard, top to bottom: the checks, the plan, the
confirmation, the write, the outcomes in toasts, and the rows read again.

The flow runs in a worker owned by the screen it starts from (the runs list or a run's
detail), so the dialog is awaited there (`push_screen_wait`); popping the screen cancels
the flow, while a store call already sent runs to its end (`InFlight`). The write is the
store's (`Store.cancel_runs`: the service's own `cancelWorkflowRun`, compare-and-set, in
batches, an audit row per run); the words are the CLI's (`tui.domain.run_cancel`).

After the write, every runs list on the screen stack shows the runs as they are now, in
place (the cursor stays), its side panels count again, and the screen the flow started
from is told (`after`): a run's detail reads itself again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.worker import Worker

from tui.app.data import as_store_error
from tui.app.outcomes import Severity
from tui.app.screens.base import SessionsScreen
from tui.app.screens.paged import ListAsked, PagedListScreen
from tui.app.screens.run_cancel import ConfirmCancelRunsScreen
from tui.domain.audit import default_actor
from tui.domain.run_cancel import (
    RunCancelled,
    RunCancelPlan,
    RunFinished,
    RunNotFound,
    RunOutcome,
    no_run_audit_line,
    run_outcome_line,
)
from tui.domain.runs import RunRow
from tui.domain.text import safe_text

RUNS_LIST = "runs"
"""The name of the runs list's view (`runs.RUNS_VIEW`): the lists whose rows a cancel
re-reads."""
MANY = 5
"""From this many outcomes on, one summary toast and the exceptions, not one each."""
DISABLED = "Cancelling runs is disabled"


def start(
    screen: SessionsScreen,
    ids: Sequence[str],
    rows: dict[str, RunRow] | None = None,
    after: Callable[[], object] | None = None,
) -> Worker[None]:
    """The flow (`run`) in `screen`'s `run-cancel` worker: not exclusive, a write in
    flight is never cancelled by the next cancel. `rows`: the runs as the screen shows
    them (their workflow in the dialog); `after`: called once the write is done."""
    return screen.run_worker(
        run(screen, list(ids), rows or {}, after), group="run-cancel", exit_on_error=False
    )


def refusal(screen: SessionsScreen) -> str | None:
    """Why this dashboard cannot cancel runs, in the store's words (one line); None when
    it can."""
    app = screen.sessions_app
    store = app.store
    if store is None:
        return "Nothing was cancelled: no database is open (the header says why)"
    why = store.can_cancel_runs
    return None if why is None else f"{DISABLED}: {why}"


async def run(
    screen: SessionsScreen,
    ids: list[str],
    rows: dict[str, RunRow],
    after: Callable[[], object] | None,
) -> None:
    """The checks, the plan, the confirmation, the write, the toasts and the rows read
    again. Back at the dialog writes nothing; so does a plan with nothing to cancel."""
    app = screen.sessions_app
    if not ids:
        screen.notify("No run to cancel", severity="warning")
        return
    why = refusal(screen)
    if why is None and not app.check_file():
        why = "Nothing was cancelled: the database file changed (the header says how)"
    if why is not None:
        screen.notify(why, severity="error", markup=False)
        return
    store = screen.store
    actor = screen.settings.actor or default_actor()
    try:
        plan = await app.inflight.run(store.plan_cancel_runs(ids, actor))
    except Exception as exc:
        _failed(screen, exc, "Nothing was cancelled: the runs could not be read")
        return
    if not plan.to_cancel:
        _toasts(screen, list(plan.steps))
        return
    from tui.store.store import END_BATCH  # loaded by now: the store is open

    missing = store.run_audit_missing
    note = None if missing is None else no_run_audit_line(missing)
    confirm = ConfirmCancelRunsScreen(plan, rows, audit_note=note, batch_size=END_BATCH)
    if not await screen.app.push_screen_wait(confirm):
        return
    await write(screen, plan, after)


async def write(
    screen: SessionsScreen, plan: RunCancelPlan, after: Callable[[], object] | None = None
) -> None:
    """The confirmed plan written: every run found goes to the store, which cancels
    those it may still cancel and reports the others as the database holds them (a run
    the service finished since the plan is left as it is). Nothing is written when the
    file at the path is no longer the one open."""
    from tui.store.run_writes import CancelInterrupted

    app = screen.sessions_app
    if not app.check_file():
        screen.notify(
            "Nothing was cancelled: the database file changed under the dashboard "
            "(replaced, deleted or made unreadable: the header says which)",
            severity="error",
            timeout=15,
        )
        return
    store = screen.store
    found = [s.id for s in plan.steps if not isinstance(s, RunNotFound)]
    written: dict[str, RunOutcome] = {}
    try:
        done = await app.inflight.run(store.cancel_runs(found, plan.actor))
        written = {o.id: o for o in done}
    except CancelInterrupted as stopped:
        written = {o.id: o for o in stopped.outcomes}
        _toasts(screen, list(stopped.outcomes))
        unsure = [*stopped.left, *stopped.unresolved]
        said = safe_text(str(stopped))
        if unsure:
            said += "; not told: " + ", ".join(safe_text(i) for i in unsure[:MANY])
        screen.notify(said, severity="error", timeout=20, markup=False)
        if stopped.retryable:
            app.disconnected()
    except Exception as exc:
        _failed(screen, exc, "Nothing was cancelled")
        return
    else:
        outcomes = [s if isinstance(s, RunNotFound) else written[s.id] for s in plan.steps]
        _toasts(screen, outcomes)
    missing = store.run_audit_missing
    if missing is not None and any(isinstance(o, RunCancelled) for o in written.values()):
        screen.notify(no_run_audit_line(missing), severity="warning", timeout=15)
    await reread(screen, found)
    if after is not None:
        after()


async def reread(screen: SessionsScreen, ids: Sequence[str]) -> None:
    """The runs as they are now, in every runs list on the stack, in place; their side
    panels count again. A failed read is said: the write stands."""
    app = screen.sessions_app
    try:
        fresh = await app.inflight.run(screen.store.runs_by_id(ids))
    except Exception as exc:
        _failed(screen, exc, "The cancel was written, but the runs could not be read back")
        return
    for shown in screen.app.screen_stack:
        if isinstance(shown, PagedListScreen) and shown.view.name == RUNS_LIST:
            show_rows(shown, fresh)


def show_rows(screen: PagedListScreen[RunRow, object, object], fresh: Sequence[RunRow]) -> None:
    """Each run the list shows, as read now, no longer selected; the list's panels count
    its question again."""
    if screen.selection is not None:
        screen.selection.drop(r.id for r in fresh)
    screen.list_cells.redraw(fresh)
    for panel in screen.query(f"#{screen.view.name}-side > *"):
        panel.post_message(ListAsked(screen.window.generation, screen.asked))


def describe(outcome: RunOutcome) -> tuple[str, Severity]:
    """The CLI's outcome line: a run finished by someone else is a warning, a run not
    found an error."""
    if isinstance(outcome, RunCancelled):
        return run_outcome_line(outcome), "information"
    if isinstance(outcome, RunFinished):
        return run_outcome_line(outcome), "warning"
    return run_outcome_line(outcome), "error"


def _toasts(screen: SessionsScreen, outcomes: list[RunOutcome]) -> None:
    """One toast per run for a few; for many, a count and the runs not cancelled."""
    if len(outcomes) < MANY:
        for outcome in outcomes:
            text, severity = describe(outcome)
            screen.notify(text, severity=severity, timeout=8, markup=False)
        return
    cancelled = sum(isinstance(o, RunCancelled) for o in outcomes)
    screen.notify(f"cancelled {cancelled} of {len(outcomes)} workflow runs", timeout=8)
    others = [describe(o) for o in outcomes if not isinstance(o, RunCancelled)]
    if others:
        worst: Severity = "error" if any(s == "error" for _, s in others) else "warning"
        screen.notify("\n".join(t for t, _ in others), severity=worst, timeout=15, markup=False)


def _failed(screen: SessionsScreen, exc: BaseException, head: str) -> None:
    app = screen.sessions_app
    error = as_store_error(exc, app.settings.target)
    screen.notify(f"{head}: {safe_text(error)}", severity="error", timeout=15, markup=False)
    if error.retryable:
        app.disconnected()
