"""The rows a table holds (its window onto the list) and their drawn segments.

A plain object: the table widget puts rows in and asks for a row's cells or segments.
Each row is turned into segments once, the first time it is drawn, and again only
when it changes or the columns are laid out anew; a row off the cursor keeps its
styled strip until its row or the styles change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui.app.render import row_cells
from tui.domain.columns import PAD, Column, Placed
from tui.domain.models import SessionRow


def row_width(layout: tuple[Placed[Column], ...]) -> int:
    return sum(placed.width + 2 * PAD for placed in layout)


def cells_to_segments(cells: list[Text], layout: tuple[Placed[Column], ...]) -> list[Segment]:
    """One row as segments: each shown cell cropped (with an ellipsis) or padded to its
    column's width in this layout.

    The gaps between columns are one segment each, so fewer segments are styled per line.
    """
    segments: list[Segment] = []
    gap = " " * PAD
    for placed in layout:
        cell = cells[placed.index]
        segments.append(Segment(gap + gap if segments else gap))
        plain = cell.plain
        width = cell_len(plain)
        fixed = placed.width
        if not cell.spans and width <= fixed:  # most cells: padded in their style
            base = Style.parse(cell.style) if isinstance(cell.style, str) else cell.style
            segments.append(Segment(plain + " " * (fixed - width), base or None))
            continue
        text = cell.copy()
        text.truncate(fixed, overflow="ellipsis", pad=True)
        for start, end, style in _spans(text):
            segments.append(Segment(text.plain[start:end], style))
    segments.append(Segment(gap))
    return segments


def _spans(text: Text) -> list[tuple[int, int, Style | None]]:
    """Non-overlapping (start, end, style) runs of a Text, base style included."""
    plain = text.plain
    base = Style.parse(text.style) if isinstance(text.style, str) else text.style
    if not text.spans:
        return [(0, len(plain), base or None)]
    styles: list[Style] = [base or Style()] * len(plain)
    for span in text.spans:
        style = Style.parse(span.style) if isinstance(span.style, str) else span.style
        for i in range(span.start, min(span.end, len(plain))):
            styles[i] = styles[i] + style
    runs: list[tuple[int, int, Style | None]] = []
    start = 0
    for i in range(1, len(plain) + 1):
        if i == len(plain) or styles[i] != styles[start]:
            runs.append((start, i, styles[start]))
            start = i
    return runs


class RowWindow:
    """The loaded rows in list order, their selection marks, and their drawings."""

    def __init__(self, layout: tuple[Placed[Column], ...]) -> None:
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.rows: list[SessionRow] = []
        self.marked: list[bool] = []
        self.layout = layout
        """The columns shown and their widths (the table fits them to its width)."""
        self.drawn: dict[int, tuple[list[Text], list[Segment]]] = {}
        """Cells and segments per row index, made the first time the row is shown."""
        self.styled: dict[int, Strip] = {}
        """Rows off the cursor, full width and styled, until their row or the styles change."""
        self.now: datetime | None = None
        self.stale_after = timedelta(hours=24)

    def __len__(self) -> int:
        return len(self.ids)

    def forget(self, *, drawings: bool = True) -> None:
        """Draw again: every row (`drawings`), else only the styled strips."""
        if drawings:
            self.drawn = {}
        self.styled = {}

    def draw(self, index: int) -> tuple[list[Text], list[Segment]]:
        """A row's cells and its segments in the layout, made once."""
        drawn = self.drawn.get(index)
        if drawn is None:
            now = self.now or datetime.now().astimezone()
            cells = row_cells(self.rows[index], now, self.stale_after, self.marked[index])
            drawn = self.drawn[index] = (cells, cells_to_segments(cells, self.layout))
        return drawn

    def replace(self) -> None:
        """Empty the window: a new question's rows follow."""
        self.ids, self.index, self.rows, self.marked = [], {}, [], []
        self.forget()

    def append(self, rows: list[SessionRow], selected: set[str]) -> None:
        """Rows below the window (one already held is skipped)."""
        for row in rows:
            if row.id in self.index:
                continue
            self.index[row.id] = len(self.ids)
            self.ids.append(row.id)
            self.rows.append(row)
            self.marked.append(row.id in selected)

    def prepend(self, rows: list[SessionRow], selected: set[str]) -> int:
        """Rows above the window: every index moves down by their number (returned)."""
        fresh = [r for r in rows if r.id not in self.index]
        self.ids = [r.id for r in fresh] + self.ids
        self.rows = fresh + self.rows
        self.marked = [r.id in selected for r in fresh] + self.marked
        self.index = {sid: i for i, sid in enumerate(self.ids)}
        self.forget()
        return len(fresh)

    def update(self, row: SessionRow, selected: bool, now: datetime) -> int | None:
        """One row as it is now; returns its index, None when the window lacks it."""
        index = self.index.get(row.id)
        if index is None:
            return None
        self.rows[index], self.marked[index], self.now = row, selected, now
        self.drawn.pop(index, None)
        self.styled.pop(index, None)
        return index
