"""The list's counts: the reasons' (and the header's whole-table totals) and the stuck
kinds' asked of their panels after each new window (each counts in its own worker),
and the one-off hint when a large database lacks the tool's indexes.

`ListController` decides whether the last counts still hold (a reason-only change);
this object reads or reuses them and shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.app.list_controller import Counted, FacetsAsk
from tui.app.messages import CountsWanted, FacetsLoaded, ReasonsWanted
from tui.app.outcomes import INDEX_HINT_SESSIONS, index_hint

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen


class ListCounts:
    """One list screen's counts: asked after each new window, read, shown."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.controller = screen.controller
        self._index_hint_shown = False

    def ask(self, generation: int, *, fresh_data: bool) -> None:
        """The counts a new window wants: the stuck panel's, and the reasons' (asked of
        the reason panel, or the last ones reused). Reused counts are shown with the
        rows; reads start once the rows are painted, as after an end (starting them
        first delayed a PostgreSQL status change's rows by a frame)."""
        screen = self.screen
        ask = self.controller.facets_ask(generation, fresh_data=fresh_data)
        wanted = CountsWanted(
            generation,
            ask.flt,
            fresh_data=ask.fresh_data,
            recount=ask.stuck_recount,
            window=ask.window,
        )
        screen.call_after_refresh(screen.stuck_panel.post_message, wanted)
        if ask.reuse is not None:
            self.show_counts(ask.reuse)
        else:
            screen.call_after_refresh(self.count, ask)

    def count(self, ask: FacetsAsk) -> None:
        """The reason panel counts in its own worker; the answer comes back here."""
        wanted = ReasonsWanted(ask.generation, ask.flt, ask.totals, ask.recount, ask.window)
        self.screen.reason_panel.post_message(wanted)

    def took(self, message: FacetsLoaded) -> None:
        counted = self.controller.take_facets(
            message.generation, message.base, message.facets, message.totals, message.window
        )
        if counted is not None:
            self.show_counts(counted)
            self.screen.reason_panel.want_sparks(message.base)

    def after_end(self) -> None:
        """The counts after an end, once the rows are painted (on a big table their scan
        would delay them): every reason and the totals, and the stuck kinds at once."""
        screen, generation = self.screen, self.controller.state.generation
        flt, window = self.controller.filter(), self.controller.counts_window()
        ask = FacetsAsk(generation, flt, False, False, None, True, False, window)
        screen.call_after_refresh(self.count, ask)
        wanted = CountsWanted(generation, flt, after_end=True, window=window)
        screen.call_after_refresh(screen.stuck_panel.post_message, wanted)

    def show_counts(self, counted: Counted) -> None:
        """The reason panel's counts, and the header's when the totals were read."""
        self.screen.reason_panel.show_facets(counted.facets)
        counts = self.controller.header_counts(counted)
        if counted.totals is not None and counts is not None:
            self._hint_indexes(counted.totals.total)
            self.screen.status_bar.set_counts(counts, counted.facets.window)

    def _hint_indexes(self, sessions: int) -> None:
        """Once: say why a large database without the tool's indexes is slow, and the fix."""
        store = self.screen.sessions_app.store
        if self._index_hint_shown or store is None or sessions < INDEX_HINT_SESSIONS:
            return
        missing = store.missing_indexes
        if missing:
            self._index_hint_shown = True
            self.screen.notify(
                index_hint(missing, standby=store.standby),
                title="Slow on this database",
                severity="warning",
                timeout=30,
            )
