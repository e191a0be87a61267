"""The selection of a declared list (`ListView.select`): the sessions list's `Selection`
over a `PagedListScreen`'s rows, its marks and its filter line.

The view says how its rows are read for the selection (`ViewSelect`); the keys are
view actions under the sessions list's binding ids (`select`, `select-all`,
`select-none`), so `[keys]` moves them on both lists.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from msgspec import Struct

from tui.app.messages import MatchesSelected, SelectionChecked
from tui.app.picks import Picks
from tui.app.selection import PickWords, Selection

if TYPE_CHECKING:
    from tui.app.screens.paged import PagedListScreen
    from tui.store.store import Store

R = TypeVar("R")
F = TypeVar("F")


class ViewSelect(Struct, Generic[R, F], frozen=True):
    """How a view's rows are selected: its words, and its two reads."""

    words: PickWords
    matches: Callable[[Store, F, int], Coroutine[Any, Any, tuple[list[R], int | None]]]
    """(store, the view's filter, cap) -> every row of the view when it holds at most
    `cap`, else no row and how many it holds (None: more than the cap, not counted)."""
    still: Callable[[Store, F, frozenset[str]], Coroutine[Any, Any, Sequence[R]]]
    """(store, the view's filter, ids) -> those of the ids the view holds."""
    column: str
    """The column whose cell marks a selected row (✓, reversed), as the sessions
    list's status cell does."""


class ListSelection(Selection):
    """A `PagedListScreen`'s selection: its `picks`, its table's marks."""

    screen: PagedListScreen[Any, Any, Any]

    def __init__(self, screen: PagedListScreen[Any, Any, Any]) -> None:
        super().__init__(screen)
        select = screen.view.select
        if select is None:
            raise ValueError(f"the view {screen.view.name!r} declares no selection")
        self.select: ViewSelect[Any, Any] = select
        self.words = select.words

    @property
    def picks(self) -> Picks:
        return self.screen.picks

    @property
    def generation(self) -> int:
        return self.screen.window.generation

    async def read_matches(self, generation: int, cap: int) -> MatchesSelected:
        screen = self.screen
        read = self.select.matches(screen.store, screen.asked, cap)
        rows, matched = await screen.sessions_app.inflight.run(read)
        return MatchesSelected(generation, rows, matched, cap)

    async def read_still(self, generation: int, ids: frozenset[str]) -> SelectionChecked:
        screen = self.screen
        read = self.select.still(screen.store, screen.asked, ids)
        return SelectionChecked(generation, ids, await screen.sessions_app.inflight.run(read))

    def shown_ids(self) -> Iterable[str]:
        return list(self.screen.rows)

    def mark(self, ids: Iterable[str]) -> None:
        rows = self.screen.rows
        self.screen.list_cells.redraw([rows[key] for key in ids if key in rows])

    def said(self) -> None:
        self.screen.say_filters()

    # -- the keys ------------------------------------------------------------------------

    def toggle_here(self) -> None:
        """Select or deselect the highlighted row, then move down one."""
        screen = self.screen
        row = screen.current
        if row is None:
            return
        self.toggle(screen.view.key(row))
        screen.table.move_cursor(row=screen.table.cursor_row + 1)

    def chosen(self) -> list[str]:
        """The selection in list order (those not loaded after, by id), else the
        highlighted row's id."""
        selected, rows = self.picks.selected, self.screen.rows
        if selected:
            shown = [key for key in rows if key in selected]
            return shown + sorted(selected - set(shown))
        row = self.screen.current
        return [self.screen.view.key(row)] if row is not None else []

    def drop(self, keys: Iterable[str]) -> None:
        """These rows deselected (they were acted on)."""
        gone = self.picks.selected & set(keys)
        if gone:
            self.picks.selected -= gone
            self.picks.matched = {k: r for k, r in self.picks.matched.items() if k not in gone}
            self.said()


# -- what the view's keys run (`view_action`) ---------------------------------------------


def toggle(screen: PagedListScreen[Any, Any, Any]) -> None:
    if screen.selection is not None:
        screen.selection.toggle_here()


def select_all(screen: PagedListScreen[Any, Any, Any]) -> None:
    if screen.selection is not None:
        screen.selection.select_all()


def select_none(screen: PagedListScreen[Any, Any, Any]) -> None:
    if screen.selection is not None:
        screen.selection.select_none()
