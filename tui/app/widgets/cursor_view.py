"""A scrolling list of lines with a row cursor, under one header line.

What any paged table of the dashboard shares: the cursor and its keys (up, down, a
page, half a page, the first and last row), and the messages that ask its owner for
more rows as the cursor or the scroll position nears either end of the window.
The subclass holds the rows (`window`) and draws them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sized
from contextlib import contextmanager

from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView

NEAR_END = 20
"""Rows left below the cursor when the next keyset page is asked for."""


class CursorView(ScrollView, can_focus=True):
    """A row cursor over `window`, the rows loaded; line 0 is the header."""

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class NearEnd(Message):
        """The cursor or the scroll position is close to the last loaded row."""

    class NearStart(Message):
        """The cursor or the scroll position is close to the first loaded row, going up."""

    class Jump(Message):
        """g/G, Home/End with rows beyond the window at that end: its owner reads them."""

        def __init__(self, to_end: bool) -> None:
            super().__init__()
            self.to_end = to_end

    def __init__(self, window: Sized, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.window = window
        self._filling = False
        self.more_above = False
        """Rows of the list above the first loaded one (its owner says, after G)."""
        self.more_below = False
        """Rows of the list below the last loaded one (another keyset page)."""

    def refresh_now(self) -> None:
        """Hand this view's pending repaint to its screen at once. Textual hands it over
        from the view's own idle handler, which may run after the screen's next frame:
        the rows would then wait for the frame after it (`list_reads.FramesHeld`)."""
        self._check_refresh()  # private: Textual has no public call for it (8.x)

    @property
    def row_count(self) -> int:
        return len(self.window)

    @contextmanager
    def filling(self) -> Iterator[None]:
        """Rows being put in move the cursor's bounds: that is not the operator nearing
        either end, so no message asks for more meanwhile."""
        self._filling = True
        try:
            yield
        finally:
            self._filling = False

    def clamp(self, row: int) -> int:
        return max(0, min(row, self.row_count - 1))

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        self.cursor_row = self.clamp(row)
        if scroll:
            self.scroll_to_cursor()

    @property
    def page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def scroll_to_cursor(self) -> None:
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self.page_rows:
            self.scroll_to(y=self.cursor_row - self.page_rows + 1, animate=False, immediate=True)

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
        self.move_cursor(row=self.cursor_row - self.page_rows)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self.page_rows)

    def action_half_page_up(self) -> None:
        self._move_half_page(-1)

    def action_half_page_down(self) -> None:
        self._move_half_page(1)

    def _move_half_page(self, sign: int) -> None:
        """ctrl+d/ctrl+u as in less and vim: cursor and view move half a screen together."""
        half = max(1, self.page_rows // 2)
        row = self.clamp(self.cursor_row + sign * half)
        moved = row - self.cursor_row
        self.cursor_row = row
        self.scroll_to(y=self.scroll_y + moved, animate=False, immediate=True)
        self.scroll_to_cursor()

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
