"""The sessions and the audit rows in the CLI's output formats (aligned tables, JSON,
CSV), the table machinery the other `render_*` modules share, and `list`'s cursors.

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
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from msgspec import Struct

from tui.domain.audit import (
    AUDIT_KEYS,
    AuditEntry,
    AuditValue,
    audit_export,
)
from tui.domain.columns import COLUMNS, Context
from tui.domain.export import DEFAULT_CSV, FORMATS, CsvStyle, SessionWriter, csv_line, dumps
from tui.domain.models import (
    Cursor,
    SessionRow,
)
from tui.domain.text import safe_text

# -- scalars -------------------------------------------------------------------------------


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_width(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


def fit(text: str, width: int) -> str:
    """Pad to `width` display cells, or cut with an ellipsis when longer."""
    w = cell_width(text)
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


class Column(Struct, frozen=True):
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
            w = max([cell_width(col.title)] + [cell_width(r[i]) for r in rows])
            if col.cap is not None:
                w = min(w, max(col.cap, cell_width(col.title)))
            widths.append(w)
        return widths

    def _line(self, cells: Sequence[str]) -> str:
        assert self.widths is not None
        parts = [fit(c, w) for c, w in zip(cells[:-1], self.widths[:-1], strict=True)]
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
    "target",
    "outcome",
    "reason",
    "session_id",
    "run_id",
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
