"""One workflow run as the dashboard's detail shows it: every field in order, each a safe
text, with a dash for an empty value and for a column the database's version lacks, and
the lines of what surrounds the run (events, node sessions), newest first.

Database strings are data: every value here has been through `safe_text`.
"""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from tui.domain.models import ChainHop
from tui.domain.runs import OPTIONAL_RUN_COLUMNS, NodeSession, RunDetail, RunEvent, RunRow
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso_z, relative
from tui.domain.wording import (
    DASH,
    cost_cell,
    run_status_cell,
    run_stuck_evidence,
    run_stuck_names,
)

NO_EVENTS_TABLE = "no events table in this database"
NO_NODE_SESSIONS_TABLE = "no node sessions table: a service before v0.6.0"
EVENTS_TITLE = "Events (latest, newest first)"
NODES_TITLE = "Node sessions (latest, newest first)"
PARENT_TITLE = "Parent run"
CHILDREN_TITLE = "Sub-runs (oldest first)"
SESSIONS_TITLE = "The conversation's sessions (newest first)"
METADATA_TITLE = "Metadata"
METADATA_NOT_JSON = "not valid JSON: as stored"
SHORT_ID = 12
"""A run's or session's id in a line of the dashboard's links (the CLI prints it whole)."""


def text(value: object) -> str:
    return DASH if value is None or value == "" else safe_text(str(value))


def when(at: datetime | None, now: datetime) -> str:
    return DASH if at is None else f"{iso_z(at)} ({relative(at, now)})"


class RunDetailView(Struct, frozen=True):
    """The run's fields as (name, shown value), and the notes the screen says with them."""

    fields: list[tuple[str, str]]
    missing: list[str]
    """The optional run columns this database's version lacks (shown as a dash)."""
    events: list[str] | None
    """One line per event, newest first; None: the version has no events table."""
    node_sessions: list[str] | None
    metadata_valid: bool

    @property
    def metadata_note(self) -> str | None:
        """What the metadata's title says beside it: not JSON, shown as stored."""
        return None if self.metadata_valid else METADATA_NOT_JSON

    @property
    def missing_note(self) -> str | None:
        if not self.missing:
            return None
        return f"this service version has no {', '.join(self.missing)}: shown as {DASH}"


def run_line(r: RunRow, now: datetime, id_width: int | None = SHORT_ID) -> str:
    """A run in a list of runs (its parent, its sub-runs); `id_width` None: the whole id."""
    return (
        f"{safe_text(r.id[:id_width])}  {run_status_cell(r)}  {text(r.workflow_name)}  "
        f"started {relative(r.started_at, now)}"
    )


def session_line(h: ChainHop, now: datetime, id_width: int | None = SHORT_ID) -> str:
    state = "active" if h.active else "ended"
    return f"{safe_text(h.id[:id_width])}  {state}  started {relative(h.started_at, now)}"


def event_line(e: RunEvent) -> str:
    return f"{iso_z(e.created_at) or DASH}  {text(e.event_type)}  {text(e.step_name)}"


def node_line(n: NodeSession, now: datetime) -> str:
    return (
        f"{text(n.node_id)}  {text(n.provider)}  {text(n.provider_session_id)}  "
        f"updated {relative(n.updated_at, now)}"
    )


def run_detail_view(d: RunDetail, now: datetime) -> RunDetailView:
    r = d.row
    fields: list[tuple[str, str]] = [
        ("id", text(r.id)),
        ("status", run_status_cell(r)),
        ("outcome", text(r.outcome)),
        ("stuck", run_stuck_names(r.stuck)),
        *[(f"  {k.wire}", run_stuck_evidence(r, k, now)) for k in r.stuck],
        ("workflow", text(r.workflow_name)),
        ("started_at", when(r.started_at, now)),
        ("last_activity_at", when(r.last_activity_at, now)),
        ("completed_at", when(r.completed_at, now)),
        ("duration", human_duration(r.duration(now))),
        ("cost", cost_cell(r.cost_usd)),
        ("conversation_id", text(r.conversation_id)),
        ("platform", text(r.platform_type)),
        ("platform_conversation_id", text(r.platform_conversation_id)),
        ("parent_conversation_id", text(d.parent_conversation_id)),
        ("codebase", text(r.codebase_name)),
        ("codebase_id", text(r.codebase_id)),
        ("owner", text(r.owner)),
        ("user_id", text(d.user_id)),
        ("working_path", text(r.working_path)),
        ("output_root", text(d.output_root)),
        ("parent_run_id", text(r.parent_run_id)),
        ("current_step_index", text(d.current_step_index)),
        ("user_message", text(d.user_message)),
        *[(safe_text(k), text(v)) for k, v in sorted(d.extra.items())],
    ]
    missing = sorted(OPTIONAL_RUN_COLUMNS - d.columns)
    events = None if d.events is None else [event_line(e) for e in d.events]
    nodes = None if d.node_sessions is None else [node_line(n, now) for n in d.node_sessions]
    return RunDetailView(fields, missing, events, nodes, d.metadata.valid)
