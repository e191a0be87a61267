"""`runs show` and `runs stuck` as text and JSON: pure functions, no I/O and no SQL.

Every database string that reaches a line goes through `safe_text`; JSON is escaped by
the encoder. The keys are a stable interface (tests/cli/test_key_order.py pins them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tui.cli.render import Column, TableWriter
from tui.cli.render_show import hop_object, kv_lines
from tui.domain.models import ChainHop
from tui.domain.run_columns import RUN_COLUMNS, run_cells, run_export
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import NodeSession, RunDetail, RunEvent, RunRow
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso_z, relative
from tui.domain.wording import (
    DASH,
    QUIET_GUESS,
    cost_cell,
    run_not_detectable_note,
    run_status_cell,
    run_stuck_evidence,
    run_stuck_names,
)

RUN_DETAIL_KEYS = (
    "run",
    "user_message",
    "current_step_index",
    "parent_conversation_id",
    "output_root",
    "user_id",
    "metadata",
    "metadata_valid",
    "extra",
    "columns_missing",
    "parent",
    "children",
    "sessions",
    "events",
    "node_sessions",
)
EVENT_KEYS = ("id", "event_type", "step_index", "step_name", "created_at", "event_order", "data")
NODE_SESSION_KEYS = (
    "workflow_name",
    "node_id",
    "scope_key",
    "provider",
    "provider_session_id",
    "last_run_id",
    "created_at",
    "updated_at",
)
RUN_STUCK_KEYS = ("kind", "count", "explanation", "suggestion", "not_detectable")


def runs_table() -> TableWriter:
    return TableWriter([Column(c.header.upper(), c.cap) for c in RUN_COLUMNS])


def table_rows(rows: list[RunRow], now: datetime) -> list[list[str]]:
    return [run_cells(r, now) for r in rows]


def _event_object(e: RunEvent) -> dict[str, Any]:
    values = {
        "id": e.id,
        "event_type": e.event_type,
        "step_index": e.step_index,
        "step_name": e.step_name,
        "created_at": iso_z(e.created_at),
        "event_order": e.event_order,
        "data": e.data.plain,
    }
    return {k: values[k] for k in EVENT_KEYS}


def _node_object(n: NodeSession) -> dict[str, Any]:
    values = {
        "workflow_name": n.workflow_name,
        "node_id": n.node_id,
        "scope_key": n.scope_key,
        "provider": n.provider,
        "provider_session_id": n.provider_session_id,
        "last_run_id": n.last_run_id,
        "created_at": iso_z(n.created_at),
        "updated_at": iso_z(n.updated_at),
    }
    return {k: values[k] for k in NODE_SESSION_KEYS}


def detail_object(d: RunDetail, now: datetime, missing: list[str]) -> dict[str, Any]:
    """`runs show --format json`; `missing`, the run columns this version lacks (null in
    `run`). `events` and `node_sessions` are null where the version has no such table."""
    values: dict[str, Any] = {
        "run": run_export(d.row, now),
        "user_message": d.user_message,
        "current_step_index": d.current_step_index,
        "parent_conversation_id": d.parent_conversation_id,
        "output_root": d.output_root,
        "user_id": d.user_id,
        "metadata": d.metadata.plain,
        "metadata_valid": d.metadata.valid,
        "extra": d.extra,
        "columns_missing": missing,
        "parent": None if d.parent is None else run_export(d.parent, now),
        "children": [run_export(c, now) for c in d.children],
        "sessions": [hop_object(h) for h in d.sessions],
        "events": None if d.events is None else [_event_object(e) for e in d.events],
        "node_sessions": None
        if d.node_sessions is None
        else [_node_object(n) for n in d.node_sessions],
    }
    return {k: values[k] for k in RUN_DETAIL_KEYS}


def _when(at: datetime | None, now: datetime) -> str:
    return DASH if at is None else f"{iso_z(at)} ({relative(at, now)})"


def _text(value: Any) -> str:
    return DASH if value is None or value == "" else safe_text(str(value))


def _run_line(r: RunRow, now: datetime) -> str:
    return (
        f"  {safe_text(r.id)}  {run_status_cell(r)}  {_text(r.workflow_name)}  "
        f"started {relative(r.started_at, now)}"
    )


def _session_line(h: ChainHop, now: datetime) -> str:
    state = "active" if h.active else "ended"
    return f"  {safe_text(h.id)}  {state}  started {relative(h.started_at, now)}"


def detail_text(d: RunDetail, now: datetime, missing: list[str]) -> list[str]:
    """`runs show`'s text view: every field, made safe for the terminal."""
    r = d.row
    out = [f"Workflow run {safe_text(r.id)}"]
    out += kv_lines(
        [
            ("status", run_status_cell(r)),
            ("outcome", _text(r.outcome)),
            ("stuck", run_stuck_names(r.stuck)),
            *[(f"  {k.wire}", run_stuck_evidence(r, k, now)) for k in r.stuck],
            ("workflow", _text(r.workflow_name)),
            ("started_at", _when(r.started_at, now)),
            ("last_activity_at", _when(r.last_activity_at, now)),
            ("completed_at", _when(r.completed_at, now)),
            ("duration", human_duration(r.duration(now))),
            ("cost", cost_cell(r.cost_usd)),
            ("conversation_id", _text(r.conversation_id)),
            ("platform", _text(r.platform_type)),
            ("platform_conversation_id", _text(r.platform_conversation_id)),
            ("parent_conversation_id", _text(d.parent_conversation_id)),
            ("codebase", _text(r.codebase_name)),
            ("codebase_id", _text(r.codebase_id)),
            ("owner", _text(r.owner)),
            ("user_id", _text(d.user_id)),
            ("working_path", _text(r.working_path)),
            ("output_root", _text(d.output_root)),
            ("parent_run_id", _text(r.parent_run_id)),
            ("current_step_index", _text(d.current_step_index)),
            ("user_message", _text(d.user_message)),
        ]
    )
    if missing:
        out.append(f"  (this service version has no {', '.join(missing)}: shown as {DASH})")
    if d.extra:
        out += ["", "Other columns"]
        out += kv_lines([(safe_text(k), _text(v)) for k, v in d.extra.items()])
    out += ["", "Metadata" if d.metadata.valid else "Metadata (not valid JSON: as stored)"]
    out += ["  " + line for line in safe_text(d.metadata.pretty(), keep_newlines=True).split("\n")]
    out += ["", "Parent run"]
    out += [_run_line(d.parent, now)] if d.parent else [f"  {DASH}"]
    out += ["", "Sub-runs (oldest first)"]
    out += [_run_line(c, now) for c in d.children] or [f"  {DASH}"]
    out += ["", "The conversation's sessions (newest first)"]
    out += [_session_line(h, now) for h in d.sessions] or [f"  {DASH}"]
    out += ["", "Events (newest first)"]
    if d.events is None:
        out.append("  (no events table in this database)")
    else:
        out += [
            f"  {iso_z(e.created_at) or DASH}  {_text(e.event_type)}  {_text(e.step_name)}"
            for e in d.events
        ] or [f"  {DASH}"]
    out += ["", "Node sessions (newest first)"]
    if d.node_sessions is None:
        out.append("  (no node sessions table: a service before v0.6.0)")
    else:
        out += [
            f"  {_text(n.node_id)}  {_text(n.provider)}  {_text(n.provider_session_id)}"
            f"  updated {relative(n.updated_at, now)}"
            for n in d.node_sessions
        ] or [f"  {DASH}"]
    return out


def stuck_objects(
    counts: dict[RunStuckKind, int | None], blind: dict[RunStuckKind, str]
) -> list[dict[str, Any]]:
    out = []
    for kind, count in counts.items():
        values = {
            "kind": kind.wire,
            "count": count,
            "explanation": kind.explanation,
            "suggestion": kind.record.suggestion,
            "not_detectable": blind.get(kind),
        }
        out.append({k: values[k] for k in RUN_STUCK_KEYS})
    return out


def stuck_table(
    counts: dict[RunStuckKind, int | None], blind: dict[RunStuckKind, str]
) -> list[str]:
    table = TableWriter([Column("KIND", 18), Column("COUNT", 8), Column("EXPLANATION")])
    rows = []
    for kind, count in counts.items():
        why = blind.get(kind)
        shown = DASH if count is None else f"{count:,}"
        text = kind.explanation if why is None else run_not_detectable_note(why)
        rows.append([kind.wire, shown, text])
    lines = table.lines(rows)
    if RunStuckKind.QUIET in counts and RunStuckKind.QUIET not in blind:
        lines.append(f"quiet: {QUIET_GUESS}")
    return lines


def stuck_run_object(r: RunRow, now: datetime) -> dict[str, Any]:
    """`runs stuck --list --format json`: the run's object (`RUN_KEYS`) and, last, what
    puts it in each of its kinds."""
    return {
        **run_export(r, now),
        "evidence": {k.wire: run_stuck_evidence(r, k, now) for k in r.stuck},
    }


def stuck_evidence_lines(rows: list[RunRow], now: datetime) -> list[str]:
    """Each stuck run with what puts it in each of its kinds."""
    out: list[str] = []
    for r in rows:
        out.append(f"{safe_text(r.id)}  {run_status_cell(r)}  {_text(r.workflow_name)}")
        out += [f"  {k.wire}: {run_stuck_evidence(r, k, now)}" for k in r.stuck]
    return out
