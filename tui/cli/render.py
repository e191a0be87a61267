"""Turn store models into the CLI's output formats: aligned tables, JSON objects, CSV rows.

Pure functions and writers that return text, no I/O and no SQL. The table's columns and
the session object's fields are `tui.domain.columns`' and the words `tui.domain.wording`'s,
the same the dashboard shows. Every database string that reaches a table or the text
view goes through `safe_text`; JSON is escaped by the encoder (ASCII only); CSV keeps the
raw values for other programs, except that a cell a spreadsheet would run as a formula is
guarded, and on a terminal control characters are made harmless (`CsvStyle`).

The JSON/CSV session shape is a stable interface for scripts: the keys of
`columns.FIELDS`, in that order (`sessions-tui list --help` prints them), new ones only
at the end. ids are whole, timestamps are ISO-8601 UTC (`YYYY-MM-DDTHH:MM:SSZ`) or null,
and `reason_status` is one of `active`, `known`, `unrecognised`, `not-recorded`.
"""

from __future__ import annotations

import base64
import binascii
import json
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tui.domain.audit import (
    AUDIT_KEYS,
    AuditEntry,
    AuditValue,
    audit_export,
    ended_by,
    overwritten,
)
from tui.domain.columns import COLUMNS, Context, conversation_cell, export
from tui.domain.export import DEFAULT_CSV, FORMATS, CsvStyle, SessionWriter, csv_line, dumps
from tui.domain.models import (
    ChainHop,
    Cursor,
    SessionChain,
    SessionDetail,
    SessionRow,
    WorkflowRun,
)
from tui.domain.stuck import StuckKind, suggested, suggestion_for
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso_z, relative
from tui.domain.trends import Trends
from tui.domain.triggers import NEWEST, Trigger, Vocabulary

if TYPE_CHECKING:
    from tui.store.operations import DatabaseInfo
from tui.domain import wording
from tui.domain.wording import (
    ACTIVE,
    DASH,
    ENDED,
    RUNS_TITLE,
    audit_shape_line,
    conversation_marks,
    conversation_state,
    not_detectable_note,
    odd_active,
    odd_explained,
    overwrite_note,
    reason_explained,
    reason_label,
    reason_status,
    run_line,
    status_word,
    stuck_explanation,
    stuck_names,
    unread_time,
)

# -- scalars -------------------------------------------------------------------------------


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _cell_width(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


def _fit(text: str, width: int) -> str:
    """Pad to `width` display cells, or cut with an ellipsis when longer."""
    w = _cell_width(text)
    if w <= width:
        return text + " " * (width - w)
    out: list[str] = []
    used = 0
    for ch in text:
        cw = _char_width(ch)
        if used + cw > width - 1:
            break
        out.append(ch)
        used += cw
    return "".join(out) + "…" + " " * (width - 1 - used)


# -- session rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of an aligned CLI table."""

    title: str
    cap: int | None = None
    """Longest a cell may be before it is cut with an ellipsis (None: as long as needed)."""


TABLE_COLUMNS = (
    *[c for c in COLUMNS if not c.table_last],
    *[c for c in COLUMNS if c.table_last],
)
"""The dashboard's columns, the one shown whole last (the reason)."""


def table_cells(row: SessionRow, ctx: Context) -> list[str]:
    return [column.value(row, ctx) for column in TABLE_COLUMNS]


def sessions_table() -> TableWriter:
    """A table of sessions: the dashboard's headers in capitals, the CLI's caps."""
    return TableWriter([Column(c.header.upper(), c.width.table) for c in TABLE_COLUMNS])


class TableWriter:
    """Aligned columns for a stream of pages: widths come from the first page.

    Later pages keep those widths, so the output can be printed as it arrives; a
    longer cell is cut with an ellipsis (JSON and CSV always carry the whole value).
    The last column (the reason) is never padded or cut.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.widths: list[int] | None = None

    def _measure(self, rows: list[list[str]]) -> list[int]:
        widths = []
        for i, col in enumerate(self.columns):
            w = max([_cell_width(col.title)] + [_cell_width(r[i]) for r in rows])
            if col.cap is not None:
                w = min(w, max(col.cap, _cell_width(col.title)))
            widths.append(w)
        return widths

    def _line(self, cells: Sequence[str]) -> str:
        assert self.widths is not None
        parts = [_fit(c, w) for c, w in zip(cells[:-1], self.widths[:-1], strict=True)]
        return "  ".join([*parts, cells[-1]]).rstrip()

    def lines(self, rows: Iterable[list[str]]) -> list[str]:
        """The lines for one page: the header first when this is the first page."""
        batch = list(rows)
        out: list[str] = []
        if self.widths is None:
            self.widths = self._measure(batch)
            out.append(self._line([c.title for c in self.columns]))
        out.extend(self._line(r) for r in batch)
        return out


class ListWriter:
    """`list`'s output in one format, page by page, so a long listing prints as it arrives:
    JSON and CSV are `tui.domain.export`'s writer (the dashboard's export writes files
    with it), the table is this module's.

    Each method returns the text to print as it is (it ends with a newline when not empty).
    """

    def __init__(
        self, fmt: str, sort: str, ctx: Context, csv_style: CsvStyle = DEFAULT_CSV
    ) -> None:
        self.fmt, self.sort, self.ctx, self.csv_style = fmt, sort, ctx, csv_style
        self.table = sessions_table()
        self.data = SessionWriter(fmt, ctx, csv_style) if fmt in FORMATS else None
        self.written = 0

    def start(self) -> str:
        return self.data.start() if self.data is not None else ""

    def page(self, rows: Sequence[SessionRow]) -> str:
        self.written += len(rows)
        if self.data is not None:
            return self.data.page(rows)
        if not rows:
            return ""
        return "\n".join(self.table.lines(table_cells(row, self.ctx) for row in rows)) + "\n"

    def finish(self, next_cursor: Cursor | None) -> str:
        """The JSON's closing with the cursor to continue from (None: nothing more)."""
        if self.data is None:
            return ""
        token = None if next_cursor is None else encode_cursor(next_cursor, self.sort)
        return self.data.finish(token)

    def note(self, more: bool) -> str | None:
        """What the table says on stderr about rows it does not show."""
        if self.fmt != "table":
            return None
        if self.written == 0:
            return "no sessions match"
        if more:
            return (
                f"… showing the first {self.written}; more match "
                "(raise --limit, or --limit 0 for all)"
            )
        return None


AUDIT_TABLE_KEYS = (
    "at",
    "actor",
    "outcome",
    "reason",
    "session_id",
    "owner",
    "kinds",
    "found_reason",
)
"""The audit table's columns in the terminal: the rest is in JSON and CSV."""


class AuditWriter:
    """`audit`'s output in one format, page by page, like `ListWriter`."""

    def __init__(self, fmt: str, csv_style: CsvStyle = DEFAULT_CSV) -> None:
        self.fmt, self.csv_style = fmt, csv_style
        self.table = TableWriter([Column(k.upper(), 36) for k in AUDIT_TABLE_KEYS])
        self.written = 0

    def start(self) -> str:
        if self.fmt == "json":
            return '{"audit": ['
        if self.fmt == "csv":
            return csv_line(AUDIT_KEYS, self.csv_style)
        return ""

    def page(self, entries: Sequence[AuditEntry]) -> str:
        first = self.written == 0
        self.written += len(entries)
        if self.fmt == "json":
            objects = [dumps(audit_export(e)) for e in entries]
            return ("\n" if first else ",\n") + ",\n".join(objects) if objects else ""
        if self.fmt == "csv":
            return "".join(
                csv_line(list(audit_export(e).values()), self.csv_style) for e in entries
            )
        if not entries:
            return ""
        rows = [
            [safe_text(str(v)) if v not in (None, "") else "—" for v in _pick(e)] for e in entries
        ]
        return "\n".join(self.table.lines(rows)) + "\n"

    def finish(self) -> str:
        return "\n]}\n" if self.fmt == "json" else ""


def _pick(entry: AuditEntry) -> list[AuditValue]:
    exported = audit_export(entry)
    return [exported[k] for k in AUDIT_TABLE_KEYS]


# -- cursors ---------------------------------------------------------------------------------


class BadCursor(ValueError):
    pass


def _encode_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {"t": "none"}
    if isinstance(value, datetime):
        return {"t": "dt", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {"t": "dec", "v": str(value)}
    if isinstance(value, bool):
        raise TypeError("bool cursor key")
    if isinstance(value, int):
        return {"t": "int", "v": value}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    return {"t": "str", "v": str(value)}


def _decode_value(data: Any) -> Any:
    if not isinstance(data, dict):
        raise BadCursor("malformed cursor")
    kind, raw = data.get("t"), data.get("v")
    if kind == "none":
        return None
    if not isinstance(raw, (str, int)):
        raise BadCursor("malformed cursor")
    try:
        if kind == "dt":
            return datetime.fromisoformat(str(raw))
        if kind == "dec":
            return Decimal(str(raw))
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "str":
            return str(raw)
    except (ValueError, ArithmeticError):
        raise BadCursor("malformed cursor") from None
    raise BadCursor("malformed cursor")


def encode_cursor(cursor: Cursor, sort: str) -> str:
    """An opaque, URL-safe token for `list --cursor` (the sort order is part of it)."""
    payload = {
        "s": sort,
        "k": _encode_value(cursor.key),
        "i": cursor.id,
        "a": _encode_value(cursor.as_of),
    }
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadCursor("not a cursor from `list --format json`") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), str):
        raise BadCursor("not a cursor from `list --format json`")
    if payload.get("s") != sort:
        raise BadCursor(f"this cursor belongs to --sort {payload.get('s')}, not --sort {sort}")
    as_of = _decode_value(payload.get("a"))
    if as_of is not None and not isinstance(as_of, datetime):
        raise BadCursor("malformed cursor")
    return Cursor(key=_decode_value(payload.get("k")), id=payload["i"], as_of=as_of)


# -- show --------------------------------------------------------------------------------------


def sessions_line(info: DatabaseInfo) -> str:
    """`info`'s counts; rows whose `active` the service never writes are counted apart."""
    line = f"{info.active:,} active, {info.ended:,} ended"
    if info.odd:
        line += f", {info.odd:,} odd ({wording.ODD_MEANING})"
    if info.without_id:
        line += f"; {wording.without_id(info.without_id)}"
    return line


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
    session: dict[str, Any] = {
        **export(detail.row, ctx),
        "assistant_session_id": detail.assistant_session_id,
    }
    meta = detail.metadata
    changed = overwritten(detail.row, meta, detail.service_zone)
    record = ended_by(meta)
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
        "overwritten": None if changed is None else overwrite_note(changed),
        "conversation": dict(detail.conversation),
        "codebase": dict(detail.codebase),
        "extra": dict(detail.extra),
        "metadata": meta.plain,
        "metadata_valid": meta.valid,
        "chain": [{**hop_object(h), "current": h.id == detail.row.id} for h in chain.hops],
        "chain_truncated": chain.truncated,
        "children": [hop_object(h) for h in chain.children],
        "workflow_runs": None
        if detail.workflow_runs is None
        else [run_object(r) for r in detail.workflow_runs],
        "codebase_of": (
            "session"
            if detail.row.codebase_id is not None
            else "conversation"
            if detail.row.conversation_codebase_id is not None
            else None
        ),
    }


def run_object(run: WorkflowRun) -> dict[str, Any]:
    return {
        "workflow_name": run.workflow_name,
        "status": run.status,
        "started_at": iso_z(run.started_at),
        "last_activity_at": iso_z(run.last_activity_at),
    }


def _kv_lines(pairs: Sequence[tuple[str, str]], indent: str = "  ") -> list[str]:
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


def _stuck_explained(row: SessionRow, ctx: Context) -> str:
    """Each kind the session is in, with what it means; a dash when none."""
    kinds = row.with_idle(ctx.now, ctx.stale_after).stuck
    return "; ".join(f"{k.wire} ({stuck_explanation(k)})" for k in kinds) or DASH


def detail_text(detail: SessionDetail, chain: SessionChain, ctx: Context) -> list[str]:
    """`show`'s text view: every field, made safe for the terminal."""
    row, now = detail.row, ctx.now
    out = [f"Session {safe_text(row.id)}"]
    out += _kv_lines(
        [
            ("status", status_word(row, now, ctx.stale_after)),
            ("stuck", _stuck_explained(row, ctx)),
            (
                "started_at",
                _when(row.started_at, now)
                if row.started_at_text is None
                else f"{unread_time(row.started_at_text)} (stored text, not a time)",
            ),
            ("ended_at", _when(row.ended_at, now)),
            ("duration", human_duration(row.duration(now))),
            (
                "ended_reason",
                odd_explained(row.active_value)
                if row.active_value is not None
                else reason_explained(row.active, row.ended_reason),
            ),
            ("transition_reason", safe_text(row.transition_reason) or DASH),
            ("parent_session_id", safe_text(row.parent_session_id) or DASH),
            ("assistant", safe_text(row.ai_assistant_type) or DASH),
            ("assistant_session_id", safe_text(detail.assistant_session_id) or DASH),
            ("conversation_id", safe_text(row.conversation_id) or DASH),
            ("owner", safe_text(row.owner) or DASH),
            ("codebase_id", safe_text(row.codebase_id) or DASH),
        ]
    )
    changed = overwritten(row, detail.metadata, detail.service_zone)
    if changed is not None:
        out.append(f"  ⚠ {overwrite_note(changed)}")
    state = conversation_state(row)
    marks = conversation_marks(row)
    out += ["", f"Conversation ({marks} {state})" if state else "Conversation"]
    out += _kv_lines([(safe_text(k), _raw_value(v)) for k, v in detail.conversation.items()])
    out += ["", wording.codebase_title(row)]
    out += _kv_lines([(safe_text(k), _raw_value(v)) for k, v in detail.codebase.items()])
    if detail.workflow_runs is not None:
        out += ["", RUNS_TITLE]
        out += [f"  {run_line(r, now)}" for r in detail.workflow_runs] or [f"  {DASH}"]
    if detail.extra:
        out += ["", "Other columns"]
        out += _kv_lines([(safe_text(k), _raw_value(v)) for k, v in detail.extra.items()])
    meta = detail.metadata
    if not meta.valid:
        out += ["", "Metadata (not valid JSON; shown as stored)"]
    elif meta.too_deep:
        out += ["", f"Metadata (nested deeper than {meta.MAX_DEPTH} levels; shown as stored)"]
    else:
        out += ["", "Metadata"]
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
    widths = [max(_cell_width(c) for c in col) for col in zip(titles, *rows, strict=True)]
    indent = sum(widths) + 2 * len(widths)
    below = width - indent < 30  # too narrow beside the table: under each row instead
    if below:
        indent = 4
    wrap = width - indent

    def line(cells: list[str], description: str) -> list[str]:
        head = "  ".join(_fit(c, w) for c, w in zip(cells, widths, strict=True)) + "  "
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


__all__ = [
    "BadCursor",
    "ListWriter",
    "TableWriter",
    "decode_cursor",
    "detail_object",
    "detail_text",
    "dumps",
    "encode_cursor",
    "info_object",
    "info_text",
    "reasons_objects",
    "reasons_table",
    "sessions_table",
    "table_cells",
]


# -- stuck -------------------------------------------------------------------------------------


def _aligned(titles: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell; the last one is printed whole."""
    widths = [max(_cell_width(c) for c in col) for col in zip(titles, *rows, strict=True)]
    out = []
    for cells in [titles, *rows]:
        padded = [c + " " * (w - _cell_width(c)) for c, w in zip(cells[:-1], widths, strict=False)]
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
    return _aligned(["KIND", "COUNT", "SUGGESTED", "MEANING"], rows)


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
    return _aligned(["ID", "STUCK", "SUGGESTED", "STARTED", "CONVERSATION"], body)


# -- trends ----------------------------------------------------------------------------------


def trends_object(t: Trends) -> dict[str, Any]:
    """`trends --format json`: the window, every bucket (oldest first) and, per group
    (largest total first), its total and its count in each bucket."""
    w = t.window
    return {
        "by": t.by.value,
        "unit": "hour" if w.hourly else "day",
        "days": w.days,
        "start": iso_z(w.start),
        "end": iso_z(w.end),
        "total": t.total,
        "buckets": [iso_z(b) for b in w.buckets()],
        "groups": [
            {
                "group": g,
                "status": wording.trend_group_status(t.by, g),
                "total": t.group_total(g),
                "counts": t.series(g),
            }
            for g in t.groups()
        ],
    }


TRENDS_CSV_KEYS = ("bucket", "group", "status", "count")


def trends_csv(t: Trends, style: CsvStyle = DEFAULT_CSV) -> str:
    """One line per (bucket, group) with a count, oldest bucket first: what a
    spreadsheet pivots. Groups as stored (a reason's NULL as `<not recorded>`)."""
    lines = [csv_line(TRENDS_CSV_KEYS, style)]
    for bucket, group, n in t.rows():
        status = wording.trend_group_status(t.by, group)
        lines.append(csv_line([iso_z(bucket), group, status, n], style))
    return "".join(lines)


def trends_table(t: Trends) -> list[str]:
    """Per bucket with an end, each group's count (largest first), then the totals."""
    w = t.window
    unit = "HOUR (UTC)" if w.hourly else "DAY (UTC)"
    table = TableWriter([Column(unit), Column(t.by.value.upper(), 40), Column("ENDED")])
    rows = [
        [w.label(bucket), wording.trend_group_label(t.by, g), str(n)] for bucket, g, n in t.rows()
    ]
    out = table.lines(rows)
    totals = TableWriter([Column(t.by.value.upper(), 40), Column("ENDED")])
    out += [
        "",
        *totals.lines(
            [[wording.trend_group_label(t.by, g), str(t.group_total(g))] for g in t.groups()]
        ),
    ]
    out.append(f"{t.total} ended in all")
    return out
