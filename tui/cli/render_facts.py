"""`reasons`, `info` and `stuck`: the database's vocabulary, state and stuck sessions,
as tables and JSON."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tui.domain import wording
from tui.domain.columns import Context, conversation_cell, export
from tui.domain.models import (
    SessionRow,
)
from tui.domain.stuck import StuckKind, suggested, suggestion_for
from tui.domain.text import safe_text
from tui.domain.timefmt import relative
from tui.domain.triggers import NEWEST, Trigger, Vocabulary

if TYPE_CHECKING:
    from tui.store.operations import DatabaseInfo
from tui.cli.render import cell_width, fit
from tui.domain.wording import (
    DASH,
    audit_shape_line,
    not_detectable_note,
    stuck_explanation,
    stuck_names,
)


def sessions_line(info: DatabaseInfo) -> str:
    """`info`'s counts; rows whose `active` the service never writes are counted apart."""
    line = f"{info.active:,} active, {info.ended:,} ended"
    if info.odd:
        line += f", {info.odd:,} odd ({wording.ODD_MEANING})"
    if info.without_id:
        line += f"; {wording.without_id(info.without_id)}"
    return line


# -- reasons -----------------------------------------------------------------------------------


REASONS_WIDTH = 100
"""The `reasons` table's width when the terminal's is unknown (a pipe, a file)."""
MIN_REASONS_WIDTH = 60
"""Narrower than this, the descriptions would wrap a word a line: the lines run over."""


def reasons_objects(vocabulary: Vocabulary | None) -> list[dict[str, Any]]:
    """Every value any service version wrote; `end_accepts` is None without a database."""
    in_force = vocabulary or NEWEST
    return [
        {
            "reason": t.wire,
            "behaviour": t.behaviour.value,
            "since": t.since.key,
            "until": t.until.key if t.until else None,
            "in_force": t in in_force.triggers,
            "end_accepts": None if vocabulary is None else t in vocabulary.deactivating,
            "description": t.description,
        }
        for t in Trigger
    ]


def reasons_table(vocabulary: Vocabulary | None, width: int = REASONS_WIDTH) -> list[str]:
    """The whole history, one trigger a row, every line wrapped to `width` (the
    terminal's; descriptions under their column); with a database, whether its version's
    `end --reason` accepts each one."""
    width = max(width, MIN_REASONS_WIDTH)
    titles = ["REASON", "BEHAVIOUR", "SINCE", "UNTIL"] + (["END?"] if vocabulary else [])
    rows = []
    for t in Trigger:
        cells = [t.wire, t.behaviour.value, t.since.key, t.until.key if t.until else DASH]
        if vocabulary is not None:
            cells.append("yes" if t in vocabulary.deactivating else "no")
        rows.append(cells)
    widths = [max(cell_width(c) for c in col) for col in zip(titles, *rows, strict=True)]
    indent = sum(widths) + 2 * len(widths)
    below = width - indent < 30  # too narrow beside the table: under each row instead
    if below:
        indent = 4
    wrap = width - indent

    def line(cells: list[str], description: str) -> list[str]:
        head = "  ".join(fit(c, w) for c, w in zip(cells, widths, strict=True)) + "  "
        parts = textwrap.wrap(description, wrap) or [""]
        if below:
            return [head.rstrip(), *(" " * indent + part for part in parts)]
        return [(head + parts[0]).rstrip(), *(" " * indent + part for part in parts[1:])]

    lines = line(titles, "DESCRIPTION")
    for t, cells in zip(Trigger, rows, strict=True):
        lines += line(cells, t.description)
    shown = vocabulary or NEWEST
    valid = ", ".join(t.wire for t in shown.deactivating)
    lines.append("")
    if vocabulary is None:
        lines += textwrap.wrap(
            "No database: `sessions-tui end --reason R` accepts the deactivating triggers of "
            f"the database's service version; the newest this tool knows, {shown.name}: "
            f"{valid}.",
            width,
        )
    else:
        lines += textwrap.wrap(
            f"`sessions-tui end --reason R` accepts the deactivating ones of {shown.name}: "
            f"{valid}.",
            width,
        )
    lines += textwrap.wrap(
        "`list --reason` also accepts any stored value, plus `not-recorded` (ended before "
        "the service recorded reasons) and `unrecognised` (values this version does not know).",
        width,
    )
    return lines


# -- info --------------------------------------------------------------------------------------


def info_object(info: DatabaseInfo) -> dict[str, Any]:
    d = info.detection
    return {
        "backend": info.backend,
        "database": safe_text(info.database),
        "schema": None if info.schema is None else safe_text(info.schema),
        "shadowed_schemas": [safe_text(s) for s in info.shadowed],
        "service": {
            "version": safe_text(d.version),
            "detected_by": safe_text(d.how),
            "app_version": d.markers.app_version,
            "created_app_version": d.markers.created_app_version,
            "era": d.era.key,
        },
        "vocabulary": {
            "in_force": [t.wire for t in info.vocabulary.triggers],
            "end_accepts": [t.wire for t in info.vocabulary.deactivating],
        },
        "tool": {
            "revision": info.revision,
            "head_revision": info.head_revision,
            "indexes": {ix: ix not in info.missing_indexes for ix in info.indexes},
            "audit_table": {"present": info.audit_table, "problem": info.audit_problem},
        },
        "sessions": {
            "active": info.active,
            "ended": info.ended,
            "odd": info.odd,
            "without_id": info.without_id,
        },
        "stuck": {
            "detectable": [k.wire for k in StuckKind if k not in info.undetectable],
            "not_detectable": {
                k.wire: not_detectable_note(info.vocabulary.name, why)
                for k, why in info.undetectable.items()
            },
        },
    }


def _schema_text(info: DatabaseInfo) -> str:
    """The schema the service's tables are in, and any later on the search path that
    holds a remote_agent_sessions its unqualified names never reach."""
    text = safe_text(info.schema or "")
    if info.shadowed:
        others = ", ".join(safe_text(s) for s in info.shadowed)
        text += (
            f" (first on the search path; {others} also holds remote_agent_sessions, "
            "which this tool and the service's unqualified names do not read)"
        )
    return text


def _audit_state(info: DatabaseInfo) -> str:
    if info.audit_problem is not None:
        return audit_shape_line(info.audit_problem) + "; ends keep no audit row until then"
    if not info.audit_table:
        return "missing: `sessions-tui migrate` adds it"
    return "present"


def info_text(info: DatabaseInfo) -> list[str]:
    d = info.detection
    created = d.markers.created_app_version
    if created is None:
        created_text = "unknown (the database predates remote_agent_schema_version)"
        if not d.markers.schema_version_table:
            created_text = "unknown (no remote_agent_schema_version: before v0.7.0)"
    else:
        created_text = safe_text(created)
    revision = info.revision or "none (never migrated by sessions-tui)"
    at_head = (
        ""
        if info.revision is None
        else (
            "  (up to date)"
            if info.revision == info.head_revision
            else f"  (this tool's newest: {info.head_revision})"
        )
    )
    present = [ix for ix in info.indexes if ix not in info.missing_indexes]
    pairs = [
        ("backend", info.backend),
        ("database", safe_text(info.database)),
        *([("schema", _schema_text(info))] if info.schema is not None else []),
        ("service version", safe_text(d.version)),
        ("detected by", safe_text(d.how)),
        ("created by", created_text),
        ("triggers in force", ", ".join(info.vocabulary.wires) or DASH),
        ("end accepts", ", ".join(t.wire for t in info.vocabulary.deactivating) or DASH),
        ("tool revision", revision + at_head),
        ("tool indexes", f"{len(present)} of {len(info.indexes)} present"),
        ("audit table", _audit_state(info)),
        ("sessions", sessions_line(info)),
        (
            "stuck kinds",
            "; ".join(
                f"{k.wire}: " + not_detectable_note(info.vocabulary.name, info.undetectable[k])
                if k in info.undetectable
                else f"{k.wire}: detectable"
                for k in StuckKind
            ),
        ),
    ]
    width = max(len(k) for k, _ in pairs)
    wrap = max(20, REASONS_WIDTH - width - 2)
    out: list[str] = []
    for key, value in pairs:
        if key == "database" and len(value) > wrap:
            # Whole, on a line of its own: a path cut mid-name cannot be copied.
            out += [key, value]
            continue
        parts = textwrap.wrap(value, wrap, break_on_hyphens=False) or [""]
        out.append(f"{key:<{width}}  {parts[0]}")
        out += [" " * (width + 2) + part for part in parts[1:]]
        if key == "tool indexes":
            for ix in info.indexes:
                mark = "missing" if ix in info.missing_indexes else "present"
                out.append(f"{'':<{width}}    {ix}: {mark}")
            if info.missing_indexes:
                note = "without them filters and counts read the whole table; "
                note += "`sessions-tui migrate` adds them (changing no row)"
                out += [" " * (width + 4) + part for part in textwrap.wrap(note, wrap - 2)]
    return out


# -- stuck -------------------------------------------------------------------------------------


def aligned(titles: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell; the last one is printed whole."""
    widths = [max(cell_width(c) for c in col) for col in zip(titles, *rows, strict=True)]
    out = []
    for cells in [titles, *rows]:
        padded = [c + " " * (w - cell_width(c)) for c, w in zip(cells[:-1], widths, strict=False)]
        out.append("  ".join([*padded, cells[-1]]).rstrip())
    return out


def _suggested(kind: StuckKind, vocabulary: Vocabulary) -> str | None:
    trigger = suggested(kind, vocabulary)
    return trigger.wire if trigger else None


def stuck_counts_table(
    counts: dict[StuckKind, int | None],
    vocabulary: Vocabulary,
    undetectable: Mapping[StuckKind, str],
) -> list[str]:
    """One kind a line: its count, the reason `end --stuck` would write, what it means; a
    kind not detectable on this version says so in place of a count."""
    rows = [
        [
            k.wire,
            DASH if n is None else f"{n:,}",
            DASH if n is None else _suggested(k, vocabulary) or DASH,
            (
                not_detectable_note(vocabulary.name, undetectable[k])
                if k in undetectable
                else stuck_explanation(k)
            ),
        ]
        for k, n in counts.items()
    ]
    return aligned(["KIND", "COUNT", "SUGGESTED", "MEANING"], rows)


def stuck_counts_object(
    counts: dict[StuckKind, int | None],
    vocabulary: Vocabulary,
    undetectable: Mapping[StuckKind, str],
) -> list[Any]:
    """Each kind with its count; null count and a `not_detectable` sentence for a kind
    this service version cannot produce."""
    return [
        {
            "kind": k.wire,
            "count": n,
            "suggested_reason": None if n is None else _suggested(k, vocabulary),
            "explanation": stuck_explanation(k),
            "not_detectable": (
                not_detectable_note(vocabulary.name, undetectable[k]) if k in undetectable else None
            ),
        }
        for k, n in counts.items()
    ]


def stuck_session_object(row: SessionRow, ctx: Context, vocabulary: Vocabulary) -> dict[str, Any]:
    """The session as `list --format json` gives it, with the reason `end` would suggest."""
    trigger = suggestion_for(row.with_idle(ctx.now, ctx.stale_after).stuck, vocabulary)
    return {**export(row, ctx), "suggested_reason": trigger.wire if trigger else None}


def stuck_sessions_table(rows: list[SessionRow], ctx: Context, vocabulary: Vocabulary) -> list[str]:
    """Whole ids (what `end` takes), the kinds, the suggested reason, the conversation."""
    body = []
    for row in rows:
        kinds = row.with_idle(ctx.now, ctx.stale_after).stuck
        trigger = suggestion_for(kinds, vocabulary)
        body.append(
            [
                safe_text(row.id),
                stuck_names(kinds),
                trigger.wire if trigger else DASH,
                relative(row.started_at, ctx.now),
                conversation_cell(row),
            ]
        )
    return aligned(["ID", "STUCK", "SUGGESTED", "STARTED", "CONVERSATION"], body)
