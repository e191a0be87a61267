"""Every word the tool says about a session's status, its reason and an end, in one place.

The dashboard (its table, reason panel and toasts) and the CLI (its table, `show`, `end`)
take their words from here, so the two cannot drift: a medium adds only its styles and
markers (the dashboard's colours, its `●` and selection `✓`). Every database string that
reaches a word here is made terminal-safe with `safe_text`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tui.domain.audit import Overwritten
from tui.domain.models import RECENT_RUNS, AlreadyEnded, Ended, EndOutcome, SessionRow, WorkflowRun
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso_z, relative
from tui.domain.triggers import BY_WIRE, NotRecorded, Reason, Trigger, UnrecognisedReason

DASH = "—"
"""An absent value, and the reason of a session that has not ended."""
NOT_RECORDED = "not recorded"
"""The reason of a session that ended before the service stored reasons (migration 016)."""
UNRECOGNISED_MARK = "⚠ "
"""Put before a stored reason this version does not know, so it is never read as a known one."""
ANY_UNRECOGNISED = "any unrecognised"
"""The reason panel's entry for every value this version does not know (`unrecognised`)."""
STILL_ACTIVE = "still active"
DELETED_MARK = "✗"
"""Put before a conversation the service soft-deleted (`deleted_at` set)."""
HIDDEN_MARK = "◌"
"""Put before a conversation the service hides (`hidden`)."""
NO_OWNERS = "this database has no users (a service before v0.4.0)"
"""Why no session has an owner, said when one is asked for."""
DELETED = "deleted"
HIDDEN = "hidden"
SHORT_ID = 8
"""Characters of an id where a whole one would not fit: the table's id column, the toasts."""

ACTIVE = "active"
STALE = "stale"
ENDED = "ended"


def short_id(session_id: str) -> str:
    return safe_text(session_id[:SHORT_ID])


# -- conversation ------------------------------------------------------------------------------


def conversation_marks(row: SessionRow) -> str:
    """`✗` deleted, `◌` hidden, both when both, "" otherwise.

    They mark the conversation, not the session: deleting a conversation does not end
    its active session, so the status column keeps saying what the session is.
    """
    return (DELETED_MARK if row.conversation_deleted else "") + (
        HIDDEN_MARK if row.conversation_hidden else ""
    )


def conversation_state(row: SessionRow) -> str | None:
    """ "deleted", "hidden", "deleted, hidden", or None: the words for `show` and the detail."""
    words = [
        w
        for w, on in ((DELETED, row.conversation_deleted), (HIDDEN, row.conversation_hidden))
        if on
    ]
    return ", ".join(words) or None


RUNS_TITLE = f"Workflow runs (latest {RECENT_RUNS}, newest first)"


def run_line(run: WorkflowRun, now: datetime) -> str:
    """One workflow run of the conversation: name, status, when it started, last activity."""
    return (
        f"{safe_text(run.workflow_name) or DASH}  {safe_text(run.status) or DASH}  "
        f"started {relative(run.started_at, now)}  "
        f"last activity {relative(run.last_activity_at, now)}"
    )


# -- status ------------------------------------------------------------------------------------


def status_word(row: SessionRow, now: datetime, stale_after: timedelta) -> str:
    """`stale` for an active session quiet longer than `stale_after`, else `active` or `ended`."""
    if not row.active:
        return ENDED
    return STALE if row.is_stale(now, stale_after) else ACTIVE


# -- reasons -----------------------------------------------------------------------------------


def reason_label(reason: Reason | None) -> str:
    """A reason in a table cell or a panel: the trigger, `not recorded`, a marked unknown
    value as stored, or a dash while the session is active (None)."""
    if reason is None:
        return DASH
    if isinstance(reason, NotRecorded):
        return NOT_RECORDED
    if isinstance(reason, UnrecognisedReason):
        return UNRECOGNISED_MARK + safe_text(reason.raw)
    return reason.wire


def reason_status(active: bool, raw: str | None) -> str:
    """The reason's kind for scripts (JSON, CSV): active, known, unrecognised or not-recorded."""
    if active:
        return "active"
    if raw is None:
        return "not-recorded"
    return "known" if raw in BY_WIRE else "unrecognised"


def reason_in_sentence(raw: str | None) -> str:
    """A stored reason inside a sentence (an already-ended session): as stored, or
    `not recorded`."""
    return NOT_RECORDED if raw is None else safe_text(raw)


def reason_explained(active: bool, raw: str | None) -> str:
    """A reason with what it means, for a view of one session (`show`)."""
    if active:
        return f"{DASH} ({STILL_ACTIVE})"
    if raw is None:
        return f"{NOT_RECORDED} (ended before the service recorded reasons)"
    trigger = BY_WIRE.get(raw)
    if trigger is None:
        return f"{safe_text(raw)} (unrecognised: written by a newer service version)"
    return f"{trigger.wire} — {trigger.description}" + era_suffix(trigger)


def era_suffix(trigger: Trigger) -> str:
    """` (retired in v0.2.13)` / ` (since v0.6.0)` for a trigger not in force from
    migration 016 to today; "" for the others."""
    return f" ({trigger.era_note})" if trigger.era_note else ""


# -- ending ------------------------------------------------------------------------------------


def _shown_id(session_id: str, short: bool) -> str:
    return short_id(session_id) if short else safe_text(session_id)


def outcome_line(outcome: EndOutcome, *, short: bool = False) -> str:
    """What an end did to one session; `short` ids for a toast, whole ones for the CLI.

    Someone else's end is never overwritten: the line gives their time and reason.
    """
    shown = _shown_id(outcome.id, short)
    if isinstance(outcome, Ended):
        return f"ended {shown} ({safe_text(outcome.reason)})"
    if isinstance(outcome, AlreadyEnded):
        return (
            f"already ended {shown} at {iso_z(outcome.ended_at) or 'unknown time'} "
            f"({reason_in_sentence(outcome.ended_reason)}) — nothing was overwritten"
        )
    return f"not found {shown}: no such session"


def plan_line(step: EndOutcome, actor: str) -> str:
    """What an end *would* do to one session, given the outcome it is expected to have:
    `Ended` means it is active now and would be ended with `step.reason`."""
    if isinstance(step, Ended):
        return (
            f"would end {safe_text(step.id)} (currently active): active=false, "
            f"ended_reason={safe_text(step.reason)}, ended_at=<database clock at commit>, "
            f"metadata.endedBy.actor={safe_text(actor)}"
        )
    if isinstance(step, AlreadyEnded):
        return (
            f"{safe_text(step.id)} is already ended at {iso_z(step.ended_at) or 'unknown time'} "
            f"({reason_in_sentence(step.ended_reason)}) — would be left unchanged"
        )
    return outcome_line(step)


def ended_summary(ended: int, total: int) -> str:
    return f"ended {ended} of {total} sessions"


def overwrite_note(o: Overwritten) -> str:
    """What the operator reads when the stored end is not the one this tool wrote, e.g.
    "ended by oncall@laptop as conversation-closed; the service recorded reset-requested
    1s later". "The service" because it is the other writer of these columns."""
    mine = f"ended by {safe_text(o.record.actor)} as {safe_text(o.record.reason) or DASH}"
    if o.stored_at is None:
        if o.stored_reason is None:
            return f"{mine}; the row is active again"
        return f"{mine}; the service recorded {safe_text(o.stored_reason)} with no end time"
    same = o.stored_reason == o.record.reason
    what = "the same reason" if same else reason_in_sentence(o.stored_reason)
    return f"{mine}; the service recorded {what} {_offset(o.stored_at, o.record.at)}"


def _offset(stored: datetime, mine: datetime | None) -> str:
    if mine is None or stored == mine:
        return "at the same time"
    delta = stored - mine
    if delta < timedelta(0):
        return f"{_span(-delta)} earlier"
    return f"{_span(delta)} later"


def _span(delta: timedelta) -> str:
    """ "<1s" for a sub-second race (PostgreSQL keeps microseconds), else whole units."""
    return "<1s" if delta < timedelta(seconds=1) else human_duration(delta)
