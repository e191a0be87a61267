"""The session list as JSON or CSV: the one writer `list --format json|csv` and the
dashboard's export share, page by page, so a long view streams without being held.

Pure text, no I/O: each method returns what to write (ending with a newline when not
empty). The session object is `columns.FIELDS`, in that order (a stable interface for
scripts). JSON is ASCII-escaped; CSV keeps raw values for other programs, except that a
cell holding a CR or an LF is always quoted, a line of a cell that a spreadsheet would
run as a formula is guarded, and on a terminal control characters are made harmless
(`CsvStyle`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from tui.domain.columns import FIELD_KEYS, Context, export
from tui.domain.models import SessionRow
from tui.domain.text import safe_text

FORMATS = ("csv", "json")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON that is safe on any terminal: every non-ASCII character escaped."""
    return json.dumps(value, ensure_ascii=True, indent=indent, default=str)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A cell a spreadsheet would run as a formula (`=HYPERLINK(…)`) starts with one of these."""
_LINE_FORMULA = re.compile(r"(?:^|(?<=[\r\n]))(?=[" + re.escape("".join(FORMULA_START)) + "])")
"""Where a guard goes: the start of the cell and of every line in it (after a CR or LF)
that starts like a formula; a spreadsheet may read each line of a cell as a row."""


class CsvStyle(Struct, frozen=True):
    """How CSV cells are written. `guard`: a cell, and each line inside a cell, that
    would start a formula gets a leading `'`, as spreadsheets expect (on by default: CSV
    is opened in them; `--csv-raw` turns it off for programs). `terminal`: control
    characters are made harmless, as on every other output, because standard output is a
    terminal and not a file."""

    guard: bool = True
    terminal: bool = False


DEFAULT_CSV = CsvStyle()
"""Guarded, for a file."""


def _csv_cell(value: Any, style: CsvStyle) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # the stuck kinds: names the tool wrote, joined
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        return value
    if style.terminal:
        value = safe_text(value)
    if style.guard:
        value = _LINE_FORMULA.sub("'", value)
    return value


def csv_line(values: Sequence[Any], style: CsvStyle = DEFAULT_CSV) -> str:
    """One CSV record ending with LF. A cell holding a CR or an LF is quoted (the writer
    quotes what holds a character of its line terminator, hence CRLF there)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([_csv_cell(v, style) for v in values])
    return buf.getvalue().removesuffix("\r\n") + "\n"


class SessionWriter:
    """Sessions as `{"sessions": [...], "next_cursor": …}` JSON or as CSV with a header."""

    def __init__(self, fmt: str, ctx: Context, csv_style: CsvStyle = DEFAULT_CSV) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"not an export format: {fmt}")
        self.fmt, self.ctx, self.csv_style = fmt, ctx, csv_style
        self.written = 0

    def start(self) -> str:
        if self.fmt == "json":
            return '{"sessions": ['
        return csv_line(FIELD_KEYS, self.csv_style)

    def page(self, rows: Sequence[SessionRow]) -> str:
        first = self.written == 0
        self.written += len(rows)
        if self.fmt == "json":
            objects = [dumps(export(row, self.ctx)) for row in rows]
            return ("\n" if first else ",\n") + ",\n".join(objects) if objects else ""
        style = self.csv_style
        return "".join(csv_line(list(export(row, self.ctx).values()), style) for row in rows)

    def finish(self, next_cursor: str | None) -> str:
        """JSON's closing, with the token to continue from (None: nothing more)."""
        if self.fmt != "json":
            return ""
        return f'\n], "next_cursor": {dumps(next_cursor)}}}\n'
