"""`runs show` and `runs stuck` as text and JSON: pure functions, no I/O and no SQL.

Every database string that reaches a line goes through `safe_text`; JSON is escaped by
the encoder. The keys are a stable interface (tests/cli/test_key_order.py pins them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tui.cli.render import Column, TableWriter
from tui.cli.render_show import hop_object, kv_lines
from tui.domain import run_detail_view as vm
from tui.domain.run_columns import RUN_COLUMNS, run_cells, run_export
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import NodeSession, RunDetail, RunEvent, RunRow
from tui.domain.text import safe_text
from tui.domain.timefmt import iso_z
from tui.domain.wording import (
    DASH,
    QUIET_GUESS,
    run_not_detectable_note,
    run_status_cell,
    run_stuck_evidence,
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


def detail_object(d: RunDetail, now: datetime) -> dict[str, Any]:
    """`runs show --format json`: `columns_missing` are the run columns this version
    lacks (null in `run`), as the dashboard's detail names them (`run_detail_view`).
    `events` and `node_sessions` are null where the version has no such table."""
    missing = vm.run_detail_view(d, now).missing
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


def detail_text(d: RunDetail, now: datetime) -> list[str]:
    """`runs show`'s text view: the dashboard's run detail (`run_detail_view`), every
    field and section in its order, ids whole and the metadata whole."""
    view = vm.run_detail_view(d, now)
    out = [f"Workflow run {safe_text(d.row.id)}"]
    out += kv_lines(view.fields)
    if view.missing_note is not None:
        out.append(f"  ({view.missing_note})")
    note = view.metadata_note
    out += ["", vm.METADATA_TITLE if note is None else f"{vm.METADATA_TITLE} ({note})"]
    out += ["  " + line for line in safe_text(d.metadata.pretty(), keep_newlines=True).split("\n")]
    out += _section(vm.PARENT_TITLE, [vm.run_line(d.parent, now, None)] if d.parent else [])
    out += _section(vm.CHILDREN_TITLE, [vm.run_line(c, now, None) for c in d.children])
    out += _section(vm.SESSIONS_TITLE, [vm.session_line(h, now, None) for h in d.sessions])
    out += _section(vm.EVENTS_TITLE, view.events, vm.NO_EVENTS_TABLE)
    out += _section(vm.NODES_TITLE, view.node_sessions, vm.NO_NODE_SESSIONS_TABLE)
    return out


def _section(title: str, lines: list[str] | None, absent: str = "") -> list[str]:
    """A titled section after a blank line: its lines, a dash for none, or why the
    version has none (`lines` None)."""
    if lines is None:
        return ["", title, f"  ({absent})"]
    return ["", title, *(["  " + line for line in lines] or [f"  {DASH}"])]


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
        out.append(f"{safe_text(r.id)}  {run_status_cell(r)}  {vm.text(r.workflow_name)}")
        out += [f"  {k.wire}: {run_stuck_evidence(r, k, now)}" for k in r.stuck]
    return out
