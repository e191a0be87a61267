"""Every word the tool says about a session's status, its reason and an end, in one place.

The dashboard (its table, reason panel and toasts) and the CLI (its table, `show`, `end`)
take their words from here, so the two cannot drift: a medium adds only its styles and
markers (the dashboard's colours, its `●` and selection `✓`). Every database string that
reaches a word here is made terminal-safe with `safe_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tui.domain.models import (
    RECENT_RUNS,
    AlreadyEnded,
    Ended,
    EndOutcome,
    OddActive,
    SessionRow,
)
from tui.domain.stuck import NOT_DETECTABLE, StuckKind
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso_z, relative
from tui.domain.trends import TrendSplit, is_unrecognised
from tui.domain.triggers import (
    BY_WIRE,
    NotRecorded,
    Reason,
    Trigger,
    UnrecognisedReason,
)

if TYPE_CHECKING:
    from tui.domain.audit import Overwritten
    from tui.domain.run_stuck import RunStuckKind
    from tui.domain.runs import RunRow
    from tui.domain.session_detail import WorkflowRun

# -- refused writes ------------------------------------------------------------------------

END_SESSIONS = "end sessions"
CANCEL_RUNS = "cancel runs"
"""The writes a read-only dashboard refuses, as each refusal names the one refused."""

Refusal = Callable[[str], str]
"""Why a write is refused, said for the action refused (`END_SESSIONS`, `CANCEL_RUNS`)."""


def served_read_only(action: str) -> str:
    """A served read-only dashboard's refusal of `action`, and how to serve it writable."""
    return f"served read-only: run `sessions-tui serve --write --actor WHO` to {action}"


def deployment_read_only(label: str, name: str) -> Refusal:
    """A deployment marked read-only in the config file refuses `action` in its own words."""

    def refusal(action: str) -> str:
        why = f"read_only = true in [deployments.{name}]"
        return f"{label} is read-only ({why}): this dashboard does not {action} there"

    return refusal


def standby_refusal(action: str) -> str:
    """A hot standby's refusal of `action`, and where the operator can do it."""
    return f"read-only standby (hot standby): {action} on the primary"


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
STUCK = "stuck"
"""The status of an active session of at least one stuck kind (`idle` among them); the
stuck column names the kinds."""
ENDED = "ended"
ODD = UNRECOGNISED_MARK + "odd"
"""The status of a row whose `active` holds a value the service never writes."""
ODD_MEANING = (
    "the service writes 1 or 0; counted neither active nor ended, never ended by this tool"
)


def short_id(session_id: str) -> str:
    return safe_text(session_id[:SHORT_ID])


def without_id(n: int) -> str:
    """The one line said where sessions with a NULL id exist (list, info, dashboard)."""
    noun = "session" if n == 1 else "sessions"
    return f"{n:,} {noun} without an id: cannot be shown or ended"


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
    """`stuck` for an active session of any stuck kind (`idle`: quiet longer than
    `stale_after`), else `active`, `ended`, or `⚠ odd` for an `active` value the service
    never writes."""
    if row.odd:
        return ODD
    if not row.active:
        return ENDED
    return STUCK if row.with_idle(now, stale_after).stuck else ACTIVE


# -- stuck -------------------------------------------------------------------------------------

STUCK_EXPLANATIONS: dict[StuckKind, str] = {k: k.explanation for k in StuckKind}
"""One line per kind, for the operator: what the service left behind."""


def stuck_explanation(kind: StuckKind) -> str:
    return STUCK_EXPLANATIONS[kind]


def stuck_names(kinds: tuple[StuckKind, ...]) -> str:
    """A row's kinds in a cell: `orphaned,idle`; a dash when it is in none."""
    return ",".join(k.wire for k in kinds) or DASH


def counted_in(window: int) -> str:
    """Counts taken over a search's window only (a question the operator typed: free
    text, `user:`): the reason panel says which sessions they cover."""
    return f"counts in the newest {window:,}"


def kinds_counted(found: int, kinds: int, window: int | None) -> str:
    """The stuck panel's line: how many kinds have a session, and where counted."""
    said = f"{found} of {kinds} kinds"
    return said if window is None else f"{said} · newest {window:,}"


def filtered_in(filtered: int, window: int | None) -> str:
    """The header's filtered count; under a search's window, the window's."""
    said = f"filtered {filtered:,}"
    return said if window is None else f"{said} in the newest {window:,}"


NO_OLDER = "No search to continue: it has looked at every session"
"""`n` (search older) with nothing left: the search and its counts cover every session."""


def no_suggestion(kind: StuckKind, vocabulary_name: str) -> str:
    """Why `end --stuck` needs `--reason` for this kind here."""
    return (
        f"no suggested reason for {kind.wire} on {vocabulary_name} "
        f"({kind.suggestion.wire} is not one of its triggers): give one with --reason"
    )


def unread_time(text: str) -> str:
    """A stored time that is no time ('not-a-date', '4102444800'): as stored, marked."""
    return UNRECOGNISED_MARK + safe_text(text)


def started_cell(row: SessionRow, now: datetime) -> str:
    """When it started, relative; the stored text, marked, when it is not a time."""
    if row.started_at_text is not None:
        return unread_time(row.started_at_text)
    return relative(row.started_at, now)


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


def odd_active(value: str) -> str:
    """An odd stored `active` in a cell: `⚠ active=2`, `⚠ active='yes'`."""
    return f"{UNRECOGNISED_MARK}active={safe_text(value)}"


def odd_explained(value: str) -> str:
    """An odd stored `active` with what it means, for a view of one session (`show`)."""
    return f"{odd_active(value)} ({ODD_MEANING})"


def reason_status(active: bool, raw: str | None, odd: bool = False) -> str:
    """The reason's kind for scripts (JSON, CSV): active, known, unrecognised,
    not-recorded, or odd-active (`active` holds a value the service never writes)."""
    if odd:
        return "odd-active"
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
    if isinstance(outcome, OddActive):
        return f"not ended {shown}: {odd_refusal(outcome.value)}"
    return f"not found {shown}: no such session"


def odd_refusal(value: str) -> str:
    """Why the tool leaves a row with an odd `active` alone."""
    return (
        f"its active is {safe_text(value)}, not a value the service writes (1 or 0): "
        "whether it is running is unknown, so this tool does not end it"
    )


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
    if isinstance(step, OddActive):
        return f"{safe_text(step.id)} would be left unchanged: {odd_refusal(step.value)}"
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


# -- the audit trail and interrupted ends ------------------------------------------------


AUDIT_SHAPE_FIX = (
    "rename it (ALTER TABLE sessions_tui_audit RENAME TO sessions_tui_audit_old) and run "
    "`sessions-tui migrate`, which makes it again"
)
"""What the operator does about an audit table of another shape: its rows are kept aside."""


def audit_shape_line(problem: str) -> str:
    """An audit table of another shape: what is wrong (`problem`) and what to do."""
    return (
        f"sessions_tui_audit has another shape than this tool writes ({problem}): {AUDIT_SHAPE_FIX}"
    )


def no_audit_note(table_exists: bool, *, ahead: bool = False, shape: str | None = None) -> str:
    """Said once per CLI run or dashboard session when an end kept no audit row (and,
    `ahead`, on the confirmation before it): the table is missing (never migrated), this
    role may not write it, or it has another shape (`shape`: what is wrong)."""
    what = (
        "no audit row will be kept" if ahead else "the end was written, but no audit row was kept"
    )
    if shape is not None:
        return f"note: {what} ({audit_shape_line(shape)})"
    why = (
        "this database role may not write sessions_tui_audit"
        if table_exists
        else "this database has no sessions_tui_audit table"
    )
    return (
        f"note: {what} ({why}): "
        "run `sessions-tui migrate` (as a role that may create and write it) to keep them"
    )


NO_AUDIT_TABLE = (
    "this database has no audit table (sessions_tui_audit): run `sessions-tui migrate` "
    "to add it; ends written before then kept no audit row"
)


def interrupted_line(
    cause: str,
    *,
    unknown: bool,
    ended: int,
    already: int,
    left_active: int,
    unresolved: int,
    odd: int = 0,
) -> str:
    """What the operator reads when an end stopped part-way or its last commit's answer
    was lost: what the database holds, counted, never "nothing was ended"; every session
    is in one count (`left_active` holds those never sent as well as those re-read as
    active). `odd`: rows left alone for an odd `active` (said only when there are some)."""
    if unknown:
        head = (
            "outcome unknown: the connection dropped before the database answered the "
            f"commit ({cause})"
        )
    else:
        head = f"the end stopped part-way ({cause})"
    if unresolved:
        return (
            f"{head}; {ended} ended and {already} already ended for certain, {left_active} "
            f"left active (not written), {unresolved} could not be re-read: check them with "
            "`sessions-tui show ID` or `sessions-tui audit` once the database answers"
        )
    odd_part = f"{odd} with an odd active (left alone), " if odd else ""
    counted = (
        f"{ended} ended by this end, {already} already ended, {odd_part}{left_active} left "
        "active (not written)"
    )
    return f"{head}; re-read from the database: {counted}" if unknown else f"{head}; {counted}"


# -- trends ----------------------------------------------------------------------------------


def trend_group_label(by: TrendSplit, key: str | None) -> str:
    """A trends group as shown: its `not recorded` token in words, an unrecognised value
    marked (a reason as in the reason column), any other value as stored, a dash for none."""
    if key is None:
        return NOT_RECORDED if by.null_token is not None else DASH
    if key == by.null_token:
        return NOT_RECORDED
    if is_unrecognised(by, key):
        return UNRECOGNISED_MARK + safe_text(key)
    return safe_text(key)


def trend_group_status(by: TrendSplit, key: str | None) -> str | None:
    """A group's kind for scripts (known, unrecognised, not-recorded) where the split has
    known values; None where every value is as stored (a platform, a workflow)."""
    if by.known is None:
        return None
    if key is None or key == by.null_token:
        return "not-recorded"
    return "unrecognised" if is_unrecognised(by, key) else "known"


def trends_title(days: int, hourly: bool, what: str = "Ended sessions") -> str:
    """What a trends view counts, in one line."""
    if hourly:
        return f"{what} per hour, the last {days * 24} h (UTC)"
    return f"{what} per day, the last {days} days (UTC)"


def trends_empty(days: int, what: str = "session ended") -> str:
    return f"no {what} in the last {days} days under these filters"


def not_detectable_note(version: str, why: str) -> str:
    """A kind the version in front of the tool cannot produce, said in place of a count."""
    return f"{NOT_DETECTABLE} ({version}: {why})"


def codebase_title(row: SessionRow) -> str:
    """Whose codebase `show` lists: the session's own, else its conversation's."""
    if row.codebase_id is not None:
        return "Codebase (the session's)"
    if row.conversation_codebase_id is not None:
        return "Codebase (the conversation's; the session stores none)"
    return "Codebase (neither the session nor its conversation has one)"


# -- workflow runs -----------------------------------------------------------------------------

RUN_STUCK_TITLE = "Stuck workflow runs"
NO_RUNS_TABLE = "this database has no workflow runs table"
NO_RUN_OUTCOME = (
    "this database's workflow runs have no outcome column (main after v0.9.0): counted by status"
)
RUN_TRENDS_WHAT = "Workflow runs"
"""What `trends --runs` and the runs' trends screen count, in a title."""


def runs_under(filters: str) -> str:
    """What the runs' trends screen counts, under its title: the runs list's filters in
    words (`run_search.describe` of the filter the trends count under), else every run,
    and whose spend is summed."""
    return f"{filters or 'every workflow run'} · spend: top-level runs where a cost is recorded"


RUNS_UNDER = runs_under("")
"""What the runs' trends screen counts under no filter."""
RUN_SPEND_TITLE = "Recorded spend of top-level runs by workflow"
"""Spend's title: a sub-run's cost is in its parent's total (`run_trends`)."""
QUIET_GUESS = "a guess: the service records no process that owns a run"
"""Said with every `quiet` count and row: time alone, never proof that nothing runs it."""


def run_stuck_evidence(row: RunRow, kind: RunStuckKind, now: datetime) -> str:
    """What puts this run in `kind`, from its own columns, in the operator's words: the
    ages, never a verdict ("no activity for 2h", not "dead")."""
    from tui.domain.run_stuck import RunStuckKind  # the runs' words load with the runs

    quiet = row.quiet_for(now)
    match kind:
        case RunStuckKind.STALE_PENDING:
            return f"pending for {human_duration(row.duration(now))}, never started"
        case RunStuckKind.QUIET:
            return f"no activity for {human_duration(quiet)} ({QUIET_GUESS})"
        case RunStuckKind.AWAITING_APPROVAL:
            return f"waiting on approval; last activity {human_duration(quiet)} ago"
        case RunStuckKind.PATH_HELD:
            later = short_id(row.path_lost_by or "")
            return f"holds {safe_text(row.working_path)}; later run {later} there ended cancelled"
    return kind.wire


def run_stuck_names(kinds: tuple[RunStuckKind, ...]) -> str:
    """A run's kinds in a cell: `quiet,path-held`; a dash when it is in none."""
    return ",".join(k.wire for k in kinds) or DASH


def run_status_cell(row: RunRow) -> str:
    """The stored status as stored (safe), marked when the service never writes it."""
    from tui.domain.runs import RUN_STATUSES  # the runs' words load with the runs

    if row.status is None:
        return DASH
    if row.status not in RUN_STATUSES:
        return UNRECOGNISED_MARK + safe_text(row.status)
    return row.status


def cost_cell(cost: float | None) -> str:
    """`metadata.total_cost_usd` in dollars; a dash where none is recorded."""
    return DASH if cost is None else f"${cost:,.2f}"


def run_not_detectable_note(why: str) -> str:
    """A run kind the database cannot produce, said in place of a count."""
    return f"{NOT_DETECTABLE} ({why})"
