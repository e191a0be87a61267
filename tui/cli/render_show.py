"""`show`: one session's detail as text and as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tui.domain.columns import Context, export
from tui.domain.detail_view import detail_view
from tui.domain.models import (
    ChainHop,
    SessionChain,
    SessionDetail,
    WorkflowRun,
)
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso_z, relative
from tui.domain.wording import (
    ACTIVE,
    DASH,
    ENDED,
    RUNS_TITLE,
    odd_active,
    reason_label,
    reason_status,
    run_line,
)

# -- show --------------------------------------------------------------------------------------


def hop_object(hop: ChainHop) -> dict[str, Any]:
    return {
        "id": hop.id,
        "active": None if hop.odd else hop.active,
        "reason_status": reason_status(hop.active, hop.ended_reason, hop.odd),
        "ended_reason": hop.ended_reason,
        "started_at": iso_z(hop.started_at),
        "ended_at": iso_z(hop.ended_at),
        "transition_reason": hop.transition_reason,
        "parent_session_id": hop.parent_session_id,
    }


def detail_object(detail: SessionDetail, chain: SessionChain, ctx: Context) -> dict[str, Any]:
    """`show --format json`: the session, its conversation, codebase, metadata and chain."""
    view = detail_view(detail, chain, ctx.now, ctx.stale_after)
    session: dict[str, Any] = {
        **export(detail.row, ctx),
        "assistant_session_id": detail.assistant_session_id,
    }
    record = view.ended_by
    return {
        "session": session,
        "ended_by": None
        if record is None
        else {
            "actor": record.actor,
            "version": record.version,
            "reason": record.reason,
            "at": iso_z(record.at),
        },
        "overwritten": view.overwritten,
        "conversation": dict(detail.conversation),
        "codebase": dict(detail.codebase),
        "extra": dict(detail.extra),
        "metadata": detail.metadata.plain,
        "metadata_valid": detail.metadata.valid,
        "chain": [{**hop_object(h), "current": h.id == detail.row.id} for h in chain.hops],
        "chain_truncated": chain.truncated,
        "children": [hop_object(h) for h in chain.children],
        "workflow_runs": None
        if detail.workflow_runs is None
        else [run_object(r) for r in detail.workflow_runs],
        "codebase_of": view.codebase_of,
    }


def run_object(run: WorkflowRun) -> dict[str, Any]:
    return {
        "workflow_name": run.workflow_name,
        "status": run.status,
        "started_at": iso_z(run.started_at),
        "last_activity_at": iso_z(run.last_activity_at),
    }


def kv_lines(pairs: Sequence[tuple[str, str]], indent: str = "  ") -> list[str]:
    if not pairs:
        return [f"{indent}{DASH}"]
    width = max(len(k) for k, _ in pairs)
    return [f"{indent}{k.ljust(width)}  {v}".rstrip() for k, v in pairs]


def _when(when: datetime | None, now: datetime) -> str:
    if when is None:
        return DASH
    return f"{iso_z(when)} ({relative(when, now)})"


def _raw_value(value: Any) -> str:
    if value is None:
        return "null"
    return safe_text(value)


def _hop_line(hop: ChainHop, now: datetime, marker: str) -> str:
    ended = DASH if hop.active or hop.odd else relative(hop.ended_at, now)
    status = ACTIVE if hop.active else ENDED
    if hop.active_value is not None:
        status = odd_active(hop.active_value)
    return (
        f"{marker} {safe_text(hop.id)}  {status:<6}  "
        f"started {relative(hop.started_at, now)}  ended {ended}  "
        f"via {safe_text(hop.transition_reason) or DASH}  "
        f"ended_reason {reason_label(hop.reason)}"
    )


def detail_text(detail: SessionDetail, chain: SessionChain, ctx: Context) -> list[str]:
    """`show`'s text view: every field, made safe for the terminal."""
    view = detail_view(detail, chain, ctx.now, ctx.stale_after)
    row, now = view.row, ctx.now
    out = [f"Session {safe_text(row.id)}"]
    out += kv_lines(
        [
            ("status", view.status),
            ("stuck", view.stuck_text),
            ("started_at", view.started_stored or _when(row.started_at, now)),
            ("ended_at", _when(row.ended_at, now)),
            ("duration", human_duration(row.duration(now))),
            ("ended_reason", view.ended_reason),
            ("transition_reason", safe_text(row.transition_reason) or DASH),
            ("parent_session_id", safe_text(row.parent_session_id) or DASH),
            ("assistant", safe_text(row.ai_assistant_type) or DASH),
            ("assistant_session_id", safe_text(detail.assistant_session_id) or DASH),
            ("conversation_id", safe_text(row.conversation_id) or DASH),
            ("owner", safe_text(row.owner) or DASH),
            ("codebase_id", safe_text(row.codebase_id) or DASH),
        ]
    )
    if view.overwritten is not None:
        out.append(f"  ⚠ {view.overwritten}")
    out += ["", view.conversation_title]
    out += kv_lines([(safe_text(k), _raw_value(v)) for k, v in detail.conversation.items()])
    out += ["", view.codebase_title]
    out += kv_lines([(safe_text(k), _raw_value(v)) for k, v in detail.codebase.items()])
    if detail.workflow_runs is not None:
        out += ["", RUNS_TITLE]
        out += [f"  {run_line(r, now)}" for r in detail.workflow_runs] or [f"  {DASH}"]
    if detail.extra:
        out += ["", "Other columns"]
        out += kv_lines([(safe_text(k), _raw_value(v)) for k, v in detail.extra.items()])
    meta = detail.metadata
    out += ["", "Metadata" if view.metadata_note is None else f"Metadata ({view.metadata_note})"]
    out += ["  " + line for line in safe_text(meta.pretty(), keep_newlines=True).split("\n")]
    out += ["", "Chain (oldest → newest)"]
    if chain.truncated:
        out.append("  … older sessions not shown (chain too long or cyclic)")
    for hop in chain.hops:
        if hop.id == row.id:
            out.append(_hop_line(hop, now, " *") + "  ← this session")
        else:
            out.append(_hop_line(hop, now, "  "))
    out += ["", "Children"]
    if chain.children:
        out += [_hop_line(h, now, "  ") for h in chain.children]
    else:
        out.append(f"  {DASH}")
    return out
