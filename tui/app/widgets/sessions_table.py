"""The sessions table: a window onto the database that draws only the rows on screen.

Textual's DataTable renders every visible cell through Rich on each repaint, which
took ~80 ms of a ~95 ms filter change here. This widget uses the Line API (as
toolong does): each row is turned into segments once, when it arrives, and a
repaint only crops and styles the strips of the visible lines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.app.render import row_cells
from tui.domain.columns import COLUMNS, PAD, SORTABLE, Placed, conversation_label, fit
from tui.domain.models import SessionRow, SortKey
from tui.domain.text import safe_text

NEAR_END = 20
"""Rows left below the cursor when the next keyset page is asked for."""
COLUMN_KEYS = [c.key for c in COLUMNS]
DIM = Style(dim=True)
FULL_WIDTH = sum(c.width.screen + 2 * PAD for c in COLUMNS)
"""Every column at its own width: the layout until the table knows its size."""


def row_width(layout: tuple[Placed, ...]) -> int:
    return sum(placed.width + 2 * PAD for placed in layout)


def _cells_to_segments(cells: list[Text], layout: tuple[Placed, ...]) -> list[Segment]:
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


class SessionsTable(ScrollView, can_focus=True):
    """Rows of sessions with a cursor, a fixed header, selection marks and mouse support."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "toggle_select",
            "Select",
            id="select",
            tooltip="Select or deselect the row, then move down one (u deselects all)",
        ),
        Binding("enter", "open", "Open detail", show=False, id="open"),
        Binding("up", "cursor_up", "Up", show=False, id="row-up"),
        Binding("k", "cursor_up", "Up", show=False, id="row-up-k"),
        Binding("down", "cursor_down", "Down", show=False, id="row-down"),
        Binding("j", "cursor_down", "Down", show=False, id="row-down-j"),
        Binding("pageup", "page_up", "Page up", show=False, id="page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="page-down"),
        Binding("ctrl+u", "half_page_up", "Half a page up", show=False, id="half-page-up"),
        Binding("ctrl+d", "half_page_down", "Half a page down", show=False, id="half-page-down"),
        Binding(
            "home",
            "first",
            "First session",
            show=False,
            id="row-first",
            tooltip="The top of the filtered list, not only of the rows loaded",
        ),
        Binding("g", "first", "First session", show=False, id="row-first-g"),
        Binding(
            "end",
            "last",
            "Last session",
            show=False,
            id="row-last",
            tooltip="The bottom of the filtered list, read from its other end",
        ),
        Binding("G", "last", "Last session", show=False, id="row-last-g"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sessions-table--header",
        "sessions-table--cursor",
        "sessions-table--even",
    }

    DEFAULT_CSS = """
    SessionsTable {
        background: $surface;
        color: $foreground;
    }
    SessionsTable > .sessions-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    SessionsTable > .sessions-table--cursor {
        background: $block-cursor-blurred-background;
    }
    SessionsTable:focus > .sessions-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    SessionsTable > .sessions-table--even {
        background: $surface-lighten-1 30%;
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class NearEnd(Message):
        """The cursor or the scroll position is close to the last loaded row."""

    class NearStart(Message):
        """The cursor or the scroll position is close to the first loaded row, going up."""

    class HeaderClicked(Message):
        """A click on a column's header: its owner sorts by it, or says why not."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    class Jump(Message):
        """g/G, Home/End with rows beyond the window at that end: its owner reads them."""

        def __init__(self, to_end: bool) -> None:
            super().__init__()
            self.to_end = to_end

    class ToggleSelect(Message):
        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    class Opened(Message):
        """Enter or a double click on a row."""

        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._ids: list[str] = []
        self._index: dict[str, int] = {}
        self._rows: list[SessionRow] = []
        self._marked: list[bool] = []
        self._drawn: dict[int, tuple[list[Text], list[Segment]]] = {}
        """Cells and segments per row index, made the first time the row is shown."""
        self._styled: dict[int, Strip] = {}
        """Rows off the cursor, full width and styled, until their row or the styles change."""
        self._line_styles: tuple[Style, Style, Style] | None = None
        """Base, cursor and even-row styles, looked up once per repaint."""
        self._now: datetime | None = None
        self._stale_after = timedelta(hours=24)
        self._filling = False
        self.wide = False
        """Every column, the table scrolling sideways (the wide mode's key)."""
        self.stale = False
        """The rows answer an earlier question than the filter line's: drawn dim."""
        self._fitted_to: tuple[int, bool] | None = None
        self.columns_layout: tuple[Placed, ...] = fit(FULL_WIDTH)
        """The columns shown and their widths: `fit` to the table's width, again on resize."""
        self._sorted: tuple[str, bool] | None = ("started", False)
        """The sorted column's key and whether ascending: the header's arrow."""
        self.more_above = False
        """Rows of the list above the first loaded one (its owner says, after G)."""
        self.more_below = False
        """Rows of the list below the last loaded one (another keyset page)."""

    # -- data ---------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    @property
    def current_id(self) -> str | None:
        return self._ids[self.cursor_row] if self._ids else None

    def get_row_index(self, session_id: str) -> int:
        return self._index[session_id]

    def cell_text(self, row: int, column: str) -> str:
        """What a cell shows, as plain text (for tests and the screen reader in us all)."""
        return self._draw(row)[0][COLUMN_KEYS.index(column)].plain

    def _draw(self, index: int) -> tuple[list[Text], list[Segment]]:
        drawn = self._drawn.get(index)
        if drawn is None:
            now = self._now or datetime.now().astimezone()
            cells = row_cells(self._rows[index], now, self._stale_after, self._marked[index])
            drawn = self._drawn[index] = (cells, _cells_to_segments(cells, self.columns_layout))
        return drawn

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns on screen, left to right."""
        return [placed.column.key for placed in self.columns_layout]

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self._styled = {}
            self.refresh()

    def restyle(self) -> None:
        """Draw every row again: their colours come from the theme's palette."""
        self._drawn, self._styled = {}, {}
        self.refresh()

    def set_wide(self, wide: bool) -> None:
        self.wide = wide
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Lay the columns out for the width the table has; rows are redrawn only when
        the layout changes (a resize, the wide mode, a scrollbar appearing)."""
        width = self.scrollable_content_region.width
        if width <= 0 or self._fitted_to == (width, self.wide):
            return
        self._fitted_to = (width, self.wide)
        layout = fit(width, wide=self.wide)
        if layout == self.columns_layout:
            return
        self.columns_layout = layout
        self._drawn, self._styled = {}, {}
        self.virtual_size = Size(row_width(layout), len(self._ids) + 1)
        self.refresh()

    def show(
        self,
        rows: list[SessionRow],
        *,
        now: datetime,
        stale_after: timedelta,
        selected: set[str],
        append: bool,
        keep_position: bool,
        prepend: bool = False,
        at_end: bool = False,
    ) -> None:
        """Put rows on screen: appended below, prepended above (the cursor stays on its
        row), or replacing the window (keeping the cursor row, or on the last row with
        `at_end`)."""
        keep_id = self.current_id if keep_position else None
        keep_row, scroll_y = self.cursor_row, self.scroll_y
        added = self._prepend(rows, selected) if prepend else 0
        if not append and not prepend:
            self._ids, self._index, self._rows, self._marked = [], {}, [], []
            self._drawn, self._styled = {}, {}
        self._now, self._stale_after = now, stale_after
        for row in [] if prepend else rows:
            if row.id in self._index:
                continue
            self._index[row.id] = len(self._ids)
            self._ids.append(row.id)
            self._rows.append(row)
            self._marked.append(row.id in selected)
        self.virtual_size = Size(row_width(self.columns_layout), len(self._ids) + 1)
        # Adding rows moves the cursor's bounds: that is not the operator nearing the end.
        self._filling = True
        try:
            if append:
                pass
            elif prepend:
                self.cursor_row = self._clamp(keep_row + added)
                self.scroll_to(y=scroll_y + added, animate=False, immediate=True)
            elif at_end:
                self.cursor_row = self._clamp(self.row_count - 1)
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
                self._scroll_to_cursor()
            elif keep_position:
                target = self._index.get(keep_id, keep_row) if keep_id else keep_row
                self.cursor_row = self._clamp(target)
                self.scroll_to(y=scroll_y, animate=False, immediate=True)
            else:
                self.cursor_row = 0
                self.scroll_to(y=0, animate=False, immediate=True)
        finally:
            self._filling = False
        self.refresh()

    def _prepend(self, rows: list[SessionRow], selected: set[str]) -> int:
        """Rows above the window: every index moves down by their number (returned)."""
        fresh = [r for r in rows if r.id not in self._index]
        self._ids = [r.id for r in fresh] + self._ids
        self._rows = fresh + self._rows
        self._marked = [r.id in selected for r in fresh] + self._marked
        self._index = {sid: i for i, sid in enumerate(self._ids)}
        self._drawn, self._styled = {}, {}
        return len(fresh)

    def update_row(
        self, row: SessionRow, *, now: datetime, stale_after: timedelta, selected: bool
    ) -> None:
        """Refresh one row in place after an end or a selection change."""
        index = self._index.get(row.id)
        if index is None:
            return
        self._rows[index], self._marked[index], self._now = row, selected, now
        self._drawn.pop(index, None)
        self._styled.pop(index, None)
        self.refresh_line(index - int(self.scroll_y) + 1)

    # -- cursor -----------------------------------------------------------------------

    def _clamp(self, row: int) -> int:
        return max(0, min(row, self.row_count - 1))

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        self.cursor_row = self._clamp(row)
        if scroll:
            self._scroll_to_cursor()

    @property
    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self._page_rows:
            self.scroll_to(y=self.cursor_row - self._page_rows + 1, animate=False, immediate=True)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh()
        if self._filling or not self.row_count:
            return
        if new >= self.row_count - NEAR_END:
            self.post_message(self.NearEnd())
        if self.more_above and new < old and new < NEAR_END:
            self.post_message(self.NearStart())

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self._filling or not self.row_count:
            return
        near = self.max_scroll_y > 0 and new >= self.max_scroll_y - NEAR_END
        if new > old and near:
            self.post_message(self.NearEnd())
        if self.more_above and new < old and new < NEAR_END:
            self.post_message(self.NearStart())

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._page_rows)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._page_rows)

    def action_half_page_up(self) -> None:
        self._move_half_page(-1)

    def action_half_page_down(self) -> None:
        self._move_half_page(1)

    def _move_half_page(self, sign: int) -> None:
        """ctrl+d/ctrl+u as in less and vim: cursor and view move half a screen together."""
        half = max(1, self._page_rows // 2)
        row = self._clamp(self.cursor_row + sign * half)
        moved = row - self.cursor_row
        self.cursor_row = row
        self.scroll_to(y=self.scroll_y + moved, animate=False, immediate=True)
        self._scroll_to_cursor()

    def action_first(self) -> None:
        """The list's first row: here when loaded, else asked of the owner (`Jump`)."""
        if self.more_above:
            self.post_message(self.Jump(to_end=False))
        else:
            self.move_cursor(row=0)

    def action_last(self) -> None:
        """The list's last row: here when loaded, else asked of the owner (`Jump`)."""
        if self.more_below:
            self.post_message(self.Jump(to_end=True))
        else:
            self.move_cursor(row=self.row_count - 1)

    def action_toggle_select(self) -> None:
        current = self.current_id
        if current is not None:
            self.post_message(self.ToggleSelect(current))
            self.move_cursor(row=self.cursor_row + 1)

    def action_open(self) -> None:
        current = self.current_id
        if current is not None:
            self.post_message(self.Opened(current))

    def set_sort(self, sort: SortKey, ascending: bool) -> None:
        """Put the arrow on the header of the column the list is sorted by."""
        column = next((key for key, s in SORTABLE.items() if s is sort), None)
        self._sorted = None if column is None else (column, ascending)
        self.refresh_line(0)

    def column_at(self, x: int) -> str | None:
        """The column under cell `x` of the content (scrolled), None past the last."""
        x += int(self.scroll_x)
        for placed in self.columns_layout:
            x -= placed.width + 2 * PAD
            if x < 0:
                return placed.column.key
        return None

    def on_click(self, event: events.Click) -> None:
        """A click on a data line moves the cursor there; two open it; one on the header
        asks to sort by its column. Lines count from the content region: the border is
        not a line, and the header line is not a row."""
        offset = event.get_content_offset(self)
        if offset is not None and offset.y == 0:
            column = self.column_at(offset.x)
            if column is not None:
                self.post_message(self.HeaderClicked(column))
            return
        if offset is None or offset.y < 1 or not self._ids:
            return
        row = int(self.scroll_y) + offset.y - 1
        if row < self.row_count:
            self.move_cursor(row=row)
            if event.chain >= 2:
                self.action_open()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """The row under the pointer says its whole conversation title and id in a tooltip:
        the column cuts long titles."""
        offset = event.get_content_offset(self)
        row = None if offset is None or offset.y < 1 else int(self.scroll_y) + offset.y - 1
        inside = row is not None and row < self.row_count
        # Text, not str: a title is data, never markup.
        self.tooltip = Text(self.full_text(row)) if inside and row is not None else None

    def full_text(self, row: int) -> str:
        """A row's conversation label and id, whole and terminal-safe (the tooltip)."""
        session = self._rows[row]
        return f"{conversation_label(session)}\n{safe_text(session.id)}"

    # -- drawing --------------------------------------------------------------------------

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("sessions-table--header")
        layout = self.columns_layout
        labels = "".join(self._header_cell(p.column.key, p.column.header, p.width) for p in layout)
        return Strip([Segment(labels, style)], row_width(layout)).extend_cell_length(width, style)

    def _header_cell(self, key: str, header: str, width: int) -> str:
        """A header with its padding; the sorted column's name is followed by ▼
        (descending) or ▲ (ascending), in the right padding when the name fills it."""
        name = header[:width]
        if self._sorted is not None and self._sorted[0] == key:
            name += "▲" if self._sorted[1] else "▼"
        return " " * PAD + name.ljust(width + PAD)

    def _look_up_styles(self) -> tuple[Style, Style, Style]:
        styles = (
            self.rich_style,
            self.get_component_rich_style("sessions-table--cursor"),
            self.get_component_rich_style("sessions-table--even"),
        )
        if styles != self._line_styles:
            self._line_styles, self._styled = styles, {}
        return styles

    def render_lines(self, crop: Region) -> list[Strip]:
        """Look the styles up once per repaint: `rich_style` walks every ancestor, and
        a repaint of 38 lines spent ~4 ms on it. A changed style (a theme) restyles all."""
        self._look_up_styles()
        self._fit()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base, cursor, even = self._line_styles or self._look_up_styles()
        row_cells_width = row_width(self.columns_layout)
        if y == 0:
            strip = self._header(max(width, row_cells_width))
            return strip.crop(scroll_x, scroll_x + width).apply_style(base)
        index = scroll_y + y - 1
        if index >= self.row_count:
            return Strip.blank(width, base)
        full = max(width, row_cells_width)
        if index == self.cursor_row:
            strip = Strip(self._draw(index)[1], row_cells_width).extend_cell_length(full)
            if self.stale:
                strip = strip.apply_style(DIM)
            return strip.apply_style(cursor).crop(scroll_x, scroll_x + width).apply_style(base)
        styled = self._styled.get(index)
        if styled is None or styled.cell_length != full:
            row = Strip(self._draw(index)[1], row_cells_width).extend_cell_length(full)
            if index % 2:
                row = row.apply_style(even)
            if self.stale:
                row = row.apply_style(DIM)
            styled = self._styled[index] = row.apply_style(base)
        return styled.crop(scroll_x, scroll_x + width)
