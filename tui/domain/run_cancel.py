"""Cancelling workflow runs: the service's own rule, its outcomes, and what they say.

The rule is the service's `cancelWorkflowRun` (packages/core/src/db/workflows.ts, v0.5.0
through v0.9.0): `status = 'cancelled'` and `completed_at` from the database clock, only
where the status is not `completed` or `cancelled` yet. A `failed` run is cancellable
(the service keeps it resumable), as are `pending`, `running` and `paused` ones. Nothing
else of the row is written (no `last_activity_at`, no metadata).

The write is cooperative: the service's executor reads the run's status between DAG
layers (and between loop iterations, and while streaming) and stops when it is no longer
running. Nothing is sent to a process: one still running carries on until its next check,
and one that is gone leaves only the row to change.
"""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from tui.domain.text import safe_text
from tui.domain.timefmt import iso_z

CANCELLED = "cancelled"
"""The status the cancel writes."""
FINISHED = frozenset({"completed", CANCELLED})
"""The statuses the cancel leaves alone (its `status NOT IN (...)`)."""

OUTCOME_CANCELLED = "cancelled"
OUTCOME_ALREADY_FINISHED = "already-finished"
"""A run cancel's audit outcomes: this tool wrote the cancel, or the run was finished."""

TARGET_SESSION = "session"
TARGET_RUN = "run"
"""What an audit row is about (`sessions_tui_audit.target`, migration 0009)."""


def cancellable(status: str | None) -> bool:
    """Whether the rule writes a run with this status: anything but `FINISHED`. A NULL
    status is not (SQL's `NULL NOT IN (...)` is not true)."""
    return status is not None and status not in FINISHED


class RunCancelled(Struct, frozen=True):
    """This cancel wrote the run: it is `cancelled`. `was`: its status before, when read."""

    id: str
    was: str | None = None


class RunFinished(Struct, frozen=True):
    """The run was finished already (or left alone by the rule): nothing was written.
    Its status and completed_at as the database holds them."""

    id: str
    status: str | None
    completed_at: datetime | None


class RunNotFound(Struct, frozen=True):
    """No run has this id."""

    id: str


RunOutcome = RunCancelled | RunFinished | RunNotFound


class RunCancelPlan(Struct, frozen=True):
    """What cancelling the given runs would do, read before anything is written: one
    expected outcome per run, in the order given (each run once). `RunCancelled` with
    `was` set means the run is in that status now and would be cancelled."""

    actor: str
    steps: tuple[RunOutcome, ...]

    @property
    def to_cancel(self) -> int:
        return sum(isinstance(s, RunCancelled) for s in self.steps)

    @property
    def all_would_cancel(self) -> bool:
        return self.to_cancel == len(self.steps)


COOPERATIVE_NOTE = (
    "note: this writes status = 'cancelled' and completed_at to the run's row, the "
    "service's own cancel; it is cooperative: a live executor stops at its next status "
    "check (between DAG layers), and this tool cannot stop a process"
)
"""Said before every cancel is confirmed (and on a dry run): what the write does and
what it cannot do."""


def run_plan_line(step: RunOutcome, actor: str) -> str:
    """What a cancel *would* do to one run."""
    shown = safe_text(step.id)
    if isinstance(step, RunCancelled):
        return (
            f"would cancel {shown} (currently {safe_text(step.was or '?')}): "
            "status=cancelled, completed_at=<database clock at commit>, "
            f"audit actor={safe_text(actor)}"
        )
    if isinstance(step, RunFinished):
        return f"{shown} is {_finished(step)} — would be left unchanged"
    return run_outcome_line(step)


def run_outcome_line(outcome: RunOutcome) -> str:
    """What a cancel did to one run; another writer's finish is never overwritten."""
    shown = safe_text(outcome.id)
    if isinstance(outcome, RunCancelled):
        return f"cancelled {shown}"
    if isinstance(outcome, RunFinished):
        return f"already finished {shown}: {_finished(outcome)} — nothing was overwritten"
    return f"not found {shown}: no such workflow run"


def _finished(step: RunFinished) -> str:
    status = safe_text(step.status) if step.status is not None else "without a status"
    return f"{status} at {iso_z(step.completed_at) or 'unknown time'}"


def cancel_interrupted_line(
    cause: str,
    *,
    unknown: bool,
    cancelled: int,
    finished: int,
    left: int,
    unresolved: int,
) -> str:
    """A cancel that stopped part-way, or whose last commit's answer was lost: what the
    database holds, counted; every run is in one count."""
    if unknown:
        head = (
            "outcome unknown: the connection dropped before the database answered the "
            f"commit ({cause})"
        )
    else:
        head = f"the cancel stopped part-way ({cause})"
    counted = (
        f"{cancelled} cancelled by this cancel, {finished} already finished, {left} not written"
    )
    if unresolved:
        counted += (
            f", {unresolved} could not be told apart (re-read failed, or cancelled without "
            "an audit row to say by whom)"
        )
    return f"{head}; {counted}"


def no_run_audit_line(why: str) -> str:
    """Why a run cancel keeps no audit row, in one line (`why`: what is missing)."""
    return f"note: no audit row is kept for run cancels ({why})"
