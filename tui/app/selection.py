"""A list's selection beyond single rows: select-all over the whole view (up to the
cap), select-none, a row toggled, and the check that selected rows are still in the
view. The sessions list and the runs list share it: `Selection` holds the rule and the
words, a subclass says how its list reads, marks and shows.

Its reads run as workers of the screen (groups `select` and `selection`), whose
failure handler reports them; their answers come back as MatchesSelected and
SelectionChecked, which the screen hands here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from textual.message import Message

from tui.app import data
from tui.app.messages import MatchesSelected, SelectionChecked
from tui.app.picks import Picks
from tui.domain.models import SessionFilter

if TYPE_CHECKING:
    from tui.app.screens.base import SessionsScreen
    from tui.app.screens.main import MainScreen


class PickWords(Struct, frozen=True):
    """How a list's selection is said: its rows' noun and what its act key does."""

    noun: str
    """One row: `session`, `workflow run` (plural: with an s)."""
    act: str
    """The binding id of the key that acts on the selection."""
    verb: str
    """What that key does to them: `ends`, `cancels`."""

    def count(self, n: int) -> str:
        return f"{n:,} {self.noun}{'s' if n != 1 else ''}"


class Selection:
    """One list screen's selection: what it reads, marks and says. A subclass gives
    `picks`, `generation`, the two reads, the marks and the state line."""

    words: PickWords

    def __init__(self, screen: SessionsScreen) -> None:
        self.screen = screen

    # -- what a list gives ---------------------------------------------------------------

    @property
    def picks(self) -> Picks:
        raise NotImplementedError

    @property
    def generation(self) -> int:
        """The list's question now: an answer to another one is dropped."""
        raise NotImplementedError

    def read_matches(self, generation: int, cap: int) -> Awaitable[MatchesSelected]:
        """Every row of the view when it holds at most `cap`, else none."""
        raise NotImplementedError

    def read_still(self, generation: int, ids: frozenset[str]) -> Awaitable[SelectionChecked]:
        """Those of `ids` the view holds, read by id."""
        raise NotImplementedError

    def mark(self, ids: Iterable[str]) -> None:
        """The rows of `ids` the list shows, drawn marked or not."""
        raise NotImplementedError

    def said(self) -> None:
        """The line that says the selection, after it changed."""
        raise NotImplementedError

    def shown_ids(self) -> Iterable[str]:
        """The rows the list shows now."""
        raise NotImplementedError

    # -- the rule --------------------------------------------------------------------------

    def select_all(self) -> None:
        """Select every row of the view, not only the loaded ones, up to the cap."""
        if self.screen.sessions_app.store is None:
            return
        generation, cap = self.generation, self.screen.settings.select_cap
        self._start("select", lambda: self.read_matches(generation, cap))

    def _start(self, group: str, read: Callable[[], Awaitable[Message]]) -> None:
        """`read` in the screen's worker of `group` (the last one asked wins); the store
        is taken inside it, so a closed one fails there and is reported."""

        async def post() -> None:
            self.screen.post_message(await read())

        self.screen.run_worker(post(), group=group, exclusive=True, exit_on_error=False)

    def matched(self, message: MatchesSelected) -> None:
        screen, picks, words = self.screen, self.picks, self.words
        if message.generation != self.generation:
            return  # the filter changed meanwhile: that selection would be of another view
        if message.matched is None or message.matched > message.cap:
            self.show(picks.select_none())
            many = (
                f"More than {message.cap:,}" if message.matched is None else f"{message.matched:,}"
            )
            screen.notify(
                f"{many} {words.noun}s match, more than the cap of {message.cap:,} "
                "(--select-cap): nothing selected. Narrow the filters first.",
                severity="error",
                timeout=10,
            )
            return
        if not message.rows:
            screen.notify(f"No {words.noun} matches: nothing selected", severity="warning")
            return
        picks.select_matches(message.rows)
        self.show(len(message.rows))
        acts = screen.key(words.act)
        screen.notify(
            f"Selected {len(message.rows):,} {words.noun}s that match: {acts} {words.verb} them"
        )

    def select_none(self) -> None:
        """Deselect every row at once."""
        count = self.picks.select_none()
        self.show(count)
        if count:
            self.screen.notify(f"Deselected {self.words.count(count)}")

    def toggle(self, key: str) -> None:
        self.picks.selected ^= {key}
        self.mark([key])
        self.said()

    def show(self, changed: int) -> None:
        """The rows' marks and the state line after the selection changed wholesale."""
        if not changed:
            return
        self.mark(self.shown_ids())
        self.said()

    def check(self, generation: int, ids: frozenset[str]) -> None:
        """Whether the selected rows `ids` are still in the view (read by id)."""
        self._start("selection", lambda: self.read_still(generation, ids))

    def checked(self, message: SelectionChecked) -> None:
        if message.generation != self.generation:
            return  # a newer question checks again
        dropped = self.picks.confirm(message.checked, message.still)
        if dropped:
            # Said once: the rows are deselected, so no later page announces them.
            self.said()
            noun = self.words.noun
            self.screen.notify(
                f"{dropped} selected {noun}{'s are' if dropped > 1 else ' is'} not in this "
                "view any more: deselected",
                severity="warning",
            )


class SessionSelection(Selection):
    """The sessions list's: its `ListState`, its table's marks, its filter line."""

    words = PickWords("session", "end", "ends")
    screen: MainScreen

    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)

    @property
    def picks(self) -> Picks:
        return self.screen.controller.state

    @property
    def generation(self) -> int:
        return self.screen.controller.state.generation

    def _filter(self) -> SessionFilter:
        return self.screen.controller.state.filter(self.screen.settings.clock())

    def read_matches(self, generation: int, cap: int) -> Awaitable[MatchesSelected]:
        screen, flt = self.screen, self._filter()
        return data.read_matches(screen.sessions_app.inflight, screen.store, generation, flt, cap)

    def read_still(self, generation: int, ids: frozenset[str]) -> Awaitable[SelectionChecked]:
        screen, flt = self.screen, self._filter()
        return data.read_selection(screen.sessions_app.inflight, screen.store, generation, flt, ids)

    def shown_ids(self) -> Iterable[str]:
        return self.screen.controller.state.order

    def mark(self, ids: Iterable[str]) -> None:
        screen, state = self.screen, self.screen.controller.state
        now = screen.settings.clock()
        for key in ids:
            row: Any = state.rows.get(key)
            if row is not None:
                screen.table.update_row(
                    row,
                    now=now,
                    stale_after=screen.settings.stale_after,
                    selected=key in state.selected,
                )

    def said(self) -> None:
        self.screen.filters.show()
