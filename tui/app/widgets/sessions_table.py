"""The sessions table: a window onto the database that draws only the rows on screen.

Textual's DataTable renders every visible cell through Rich on each repaint, which
took most of a filter change's time here. This widget uses the Line API (as toolong
does): each row is turned into segments once, when it is first drawn (`RowWindow`),
and a repaint only crops and styles the strips of the visible lines. It renders what
its owner gives it; the cursor and its keys are `CursorView`'s.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from tui.app.widgets.cursor_view import CursorView
from tui.app.widgets.row_window import RowWindow, row_width
from tui.domain.columns import COLUMNS, PAD, SORTABLE, Column, Placed, conversation_label, fit
from tui.domain.models import SessionRow, SortKey
from tui.domain.text import safe_text

COLUMN_KEYS = [c.key for c in COLUMNS]
DIM = Style(dim=True)
FULL_WIDTH = sum(c.width.screen + 2 * PAD for c in COLUMNS)
"""Every column at its own width: the layout until the table knows its size."""


class SessionsTable(CursorView):
    """Rows of sessions with a cursor, a fixed header, selection marks and mouse support."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "toggle_select",
            "Select",
            id="select",
            tooltip="Select or deselect the row, then move down one (Select none: see help)",
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

    class HeaderClicked(Message):
        """A click on a column's header: its owner sorts by it, or says why not."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

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
        window = RowWindow(fit(FULL_WIDTH))
        super().__init__(window, id=id)
        self.window: RowWindow = window
        self._line_styles: tuple[Style, Style, Style] | None = None
        """Base, cursor and even-row styles, looked up once per repaint."""
        self.wide = False
        """Every column, the table scrolling sideways (the wide mode's key)."""
        self.stale = False
        """The rows answer an earlier question than the filter line's: drawn dim."""
        self._fitted_to: tuple[int, bool] | None = None
        self._sorted: tuple[str, bool] | None = ("started", False)
        """The sorted column's key and whether ascending: the header's arrow."""

    # -- data ---------------------------------------------------------------------

    @property
    def columns_layout(self) -> tuple[Placed[Column], ...]:
        """The columns shown and their widths: `fit` to the table's width, again on resize."""
        return self.window.layout

    @property
    def ids(self) -> list[str]:
        return list(self.window.ids)

    @property
    def current_id(self) -> str | None:
        return self.window.ids[self.cursor_row] if self.window.ids else None

    def get_row_index(self, session_id: str) -> int:
        return self.window.index[session_id]

    def cells(self, row: int) -> list[Text]:
        """A row's cells as drawn, in `COLUMNS` order."""
        return self.window.draw(row)[0]

    def cell_text(self, row: int, column: str) -> str:
        """What a cell shows, as plain text (for tests and the screen reader in us all)."""
        return self.cells(row)[COLUMN_KEYS.index(column)].plain

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns on screen, left to right."""
        return [placed.column.key for placed in self.columns_layout]

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self.window.forget(drawings=False)
            self.refresh()

    def restyle(self) -> None:
        """Draw every row again: their colours come from the theme's palette."""
        self.window.forget()
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
        self.window.layout = layout
        self.window.forget()
        self.virtual_size = Size(row_width(layout), self.row_count + 1)
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
        window = self.window
        added = window.prepend(rows, selected) if prepend else 0
        if not append and not prepend:
            window.replace()
        window.now, window.stale_after = now, stale_after
        if not prepend:
            window.append(rows, selected)
        self.virtual_size = Size(row_width(self.columns_layout), self.row_count + 1)
        with self.filling():
            if append:
                pass
            elif prepend:
                self.cursor_row = self.clamp(keep_row + added)
                self.scroll_to(y=scroll_y + added, animate=False, immediate=True)
            elif at_end:
                self.cursor_row = self.clamp(self.row_count - 1)
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
                self.scroll_to_cursor()
            elif keep_position:
                target = window.index.get(keep_id, keep_row) if keep_id else keep_row
                self.cursor_row = self.clamp(target)
                self.scroll_to(y=scroll_y, animate=False, immediate=True)
            else:
                self.cursor_row = 0
                self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def update_row(
        self, row: SessionRow, *, now: datetime, stale_after: timedelta, selected: bool
    ) -> None:
        """Refresh one row in place after an end or a selection change."""
        index = self.window.update(row, selected, now)
        if index is not None:
            self.refresh_line(index - int(self.scroll_y) + 1)

    # -- keys and the mouse -----------------------------------------------------------

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
        """Put the arrow on the header of the column the list is sorted by; the header is
        repainted only when the arrow moved (every new question sets it)."""
        column = next((key for key, s in SORTABLE.items() if s is sort), None)
        sorted_by = None if column is None else (column, ascending)
        if sorted_by != self._sorted:
            self._sorted = sorted_by
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
        if offset is None or offset.y < 1 or not self.row_count:
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
        session = self.window.rows[row]
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
            self._line_styles = styles
            self.window.forget(drawings=False)
        return styles

    def render_lines(self, crop: Region) -> list[Strip]:
        """Look the styles up once per repaint, not per line: `rich_style` walks every
        ancestor. A changed style (a theme) restyles all."""
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
            strip = Strip(self.window.draw(index)[1], row_cells_width).extend_cell_length(full)
            if self.stale:
                strip = strip.apply_style(DIM)
            return strip.apply_style(cursor).crop(scroll_x, scroll_x + width).apply_style(base)
        styled = self.window.styled.get(index)
        if styled is None or styled.cell_length != full:
            row = Strip(self.window.draw(index)[1], row_cells_width).extend_cell_length(full)
            if index % 2:
                row = row.apply_style(even)
            if self.stale:
                row = row.apply_style(DIM)
            styled = self.window.styled[index] = row.apply_style(base)
        return styled.crop(scroll_x, scroll_x + width)
