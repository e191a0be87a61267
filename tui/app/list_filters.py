"""The list's filters as the operator changes them: status, sort, reasons, stuck kind,
search, since, a trends pick; each change is mirrored in the search field and the
panels and asks the list again (`ListReads.requery`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from tui.app.state import EndedSpan
from tui.domain.columns import COLUMNS, INDEXED_SORTS, NOT_SORTABLE, SORTABLE
from tui.domain.models import SortKey, Status
from tui.domain.search import SearchQuery
from tui.domain.stuck import StuckKind

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen
    from tui.app.screens.trends import TrendPick


class ListFilters:
    """One list screen's filters: each operator's change, then the question again."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.state = screen.controller.state
        self._shown: tuple[str, str] | None = None
        """The filter line and the state line on screen: an unchanged line is not drawn
        again (the state line's width follows its text, so a new one lays out the row)."""

    def show(self) -> None:
        """The filter line and the list's state (sort, selection) under the header; each
        only when its text changed."""
        filters, state = self.state.describe_filters(), self.state.describe_state()
        shown = self._shown
        if shown is None or shown[0] != filters:
            self.screen.query_one("#filters", Static).update(filters, layout=False)
        if shown is None or shown[1] != state:
            self.screen.query_one("#list-state", Static).update(state)
        self._shown = (filters, state)

    def set_status(self, status: Status) -> None:
        self.state.status = status
        self.screen.reads.requery()

    def set_sort(self, sort: SortKey, ascending: bool = False) -> None:
        self.state.sort, self.state.ascending = sort, ascending
        self.screen.reads.requery()

    def reverse_sort(self) -> None:
        self.set_sort(self.state.sort, not self.state.ascending)

    def cycle_sort(self) -> None:
        self.state.next_sort()
        self.screen.reads.requery()

    def cycle_since(self) -> None:
        self.state.next_since()
        self.screen.reads.requery()

    def header_clicked(self, column: str) -> None:
        """A header sorts by its column, newest/largest first; a second click reverses."""
        sort = INDEXED_SORTS.get(column)
        if sort is None:
            header = next(c.header for c in COLUMNS if c.key == column)
            also = SORTABLE.get(column)
            where = f" (`list --sort {also.value}` does it)" if also is not None else ""
            self.screen.notify(
                f"Not sortable by {header}: {NOT_SORTABLE}{where}", severity="warning"
            )
        elif sort is self.state.sort:
            self.reverse_sort()
        else:
            self.set_sort(sort)

    def only_reason(self, reason: str) -> None:
        self.state.reasons = frozenset({reason})
        self.screen.reason_panel.sync(self.state.reasons)
        self.screen.reads.requery()

    def reasons_picked(self, reasons: frozenset[str]) -> None:
        """The reason panel's choice."""
        self.state.reasons = reasons
        self.screen.reads.requery()

    def only_stuck(self, kind: StuckKind | None) -> None:
        """Filter the table to one kind of stuck session (None: lift it)."""
        self.state.stuck = kind
        self.screen.stuck_panel.sync(kind)
        self.screen.reads.requery()

    def search(self, value: str, submitted: bool) -> None:
        """The search field's text (after its pause, or on enter: back to the table)."""
        query = SearchQuery.parse(value)
        if query != self.state.search:
            self.state.search = query
            self.screen.reads.requery()
        if submitted:
            self.screen.table.focus()

    def step_back(self) -> None:
        """Esc: leave the search field, else stop a waiting query, else undo one filter
        (see ListState.step_back), so an Esc too many never wipes a view that took
        several keys to build."""
        screen = self.screen
        if screen.search_box.has_focus:
            screen.table.focus()
            return
        if screen.controller.waiting is not None:
            screen.reads.cancel_wait()
            return
        undone = self.state.step_back(
            reasons_first=screen.reason_panel.has_focus, stuck_first=screen.stuck_panel.has_focus
        )
        if undone is not None:
            self.changed()

    def clear(self) -> None:
        if self.state.has_filters:
            self.state.clear_filters()
            self.changed()

    def trend_pick(self, pick: TrendPick) -> None:
        """The sessions a trends bar counted: ended, with that reason, ended in that span.
        The since window and the stuck kind go (they would hide some of them); the
        search and its tokens stay, as they did in the counts."""
        st = self.state
        st.status, st.reasons, st.since, st.stuck = (
            Status.ENDED,
            frozenset({pick.reason}),
            None,
            None,
        )
        st.ended = EndedSpan(pick.start, pick.end, pick.label)
        self.changed()

    def changed(self) -> None:
        """Mirror the state in the search field and the panels, then ask again."""
        screen = self.screen
        if SearchQuery.parse(screen.search_box.value) != self.state.search:
            screen.search_box.clear_quietly()
        screen.reason_panel.sync(self.state.reasons)
        screen.stuck_panel.sync(self.state.stuck)
        screen.reads.requery()
