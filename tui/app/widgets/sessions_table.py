"""The sessions table: a window onto the database, never the whole table."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tui.app.render import COLUMNS, row_cells
from tui.domain.models import SessionRow

NEAR_END = 20
"""Rows left below the cursor when the next keyset page is asked for."""


class SessionsTable(DataTable[Text]):
    """Shows the loaded pages and asks for the next one as the cursor or scroll nears the end."""

    BINDINGS = [
        Binding("space", "toggle_select", "Select", id="select"),
    ]

    class NearEnd(Message):
        """The cursor or the scroll position is close to the last loaded row."""

    class ToggleSelect(Message):
        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._filling = False

    def on_mount(self) -> None:
        for col in COLUMNS:
            self.add_column(col.label, width=col.width, key=col.key)

    @property
    def current_id(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return None if key.value is None else str(key.value)

    def show(
        self,
        rows: list[SessionRow],
        *,
        now: datetime,
        stale_after: timedelta,
        selected: set[str],
        append: bool,
        keep_position: bool,
    ) -> None:
        """Put rows on screen: appended below, or replacing the window (keeping the cursor row)."""
        if append:
            self._add(rows, now, stale_after, selected)
            return
        keep_id = self.current_id if keep_position else None
        keep_row = self.cursor_row
        scroll_y = self.scroll_y
        self.clear()
        self._add(rows, now, stale_after, selected)
        if not keep_position:
            self.move_cursor(row=0, animate=False)
            self.scroll_to(y=0, animate=False)
            return
        target = keep_row
        if keep_id is not None:
            try:
                target = self.get_row_index(keep_id)
            except Exception:  # the row left the window: stay at the same height
                target = min(keep_row, max(self.row_count - 1, 0))
        self.move_cursor(row=target, animate=False, scroll=False)
        self.scroll_to(y=scroll_y, animate=False)

    def _add(
        self, rows: list[SessionRow], now: datetime, stale_after: timedelta, selected: set[str]
    ) -> None:
        # Adding rows moves the cursor's bounds: that is not the operator nearing the end.
        self._filling = True
        try:
            for row in rows:
                if row.id in self.rows:
                    continue
                self.add_row(*row_cells(row, now, stale_after, row.id in selected), key=row.id)
        finally:
            self._filling = False

    def update_row(
        self, row: SessionRow, *, now: datetime, stale_after: timedelta, selected: bool
    ) -> None:
        """Refresh one row in place after an end or a selection change."""
        if row.id not in self.rows:
            return
        for col, cell in zip(COLUMNS, row_cells(row, now, stale_after, selected), strict=True):
            self.update_cell(row.id, col.key, cell)

    def action_toggle_select(self) -> None:
        current = self.current_id
        if current is not None:
            self.post_message(self.ToggleSelect(current))
            if self.cursor_row < self.row_count - 1:
                self.move_cursor(row=self.cursor_row + 1)

    def watch_cursor_coordinate(self, old: object, new: object) -> None:
        super().watch_cursor_coordinate(old, new)  # type: ignore[arg-type]
        if not self._filling and self.row_count and self.cursor_row >= self.row_count - NEAR_END:
            self.post_message(self.NearEnd())

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        near = self.max_scroll_y > 0 and new >= self.max_scroll_y - NEAR_END
        if not self._filling and self.row_count and new > old and near:
            self.post_message(self.NearEnd())
