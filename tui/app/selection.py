"""The list's selection beyond single rows: select-all over the whole view (up to the
cap), select-none, and the check that selected sessions are still in the view.

Its reads run as workers of the screen (groups `select` and `selection`), whose
failure handler reports them; their answers come back as MatchesSelected and
SelectionChecked, which the screen hands here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.message import Message

from tui.app import data
from tui.app.messages import MatchesSelected, SelectionChecked
from tui.domain.models import SessionFilter

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen


class Selection:
    """One list screen's selection: what it reads, marks and says."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def select_all(self) -> None:
        """Select every session of the view, not only the loaded ones, up to the cap."""
        screen = self.screen
        if screen.sessions_app.store is None:
            return
        flt, cap = (
            screen.controller.state.filter(screen.settings.clock()),
            screen.settings.select_cap,
        )
        generation, run = screen.controller.state.generation, screen.sessions_app.inflight
        self._start("select", lambda: data.read_matches(run, screen.store, generation, flt, cap))

    def _start(self, group: str, read: Callable[[], Awaitable[Message]]) -> None:
        """`read` in the screen's worker of `group` (the last one asked wins); the store
        is taken inside it, so a closed one fails there and is reported."""

        async def post() -> None:
            self.screen.post_message(await read())

        self.screen.run_worker(post(), group=group, exclusive=True, exit_on_error=False)

    def matched(self, message: MatchesSelected) -> None:
        screen, state = self.screen, self.screen.controller.state
        if message.generation != state.generation:
            return  # the filter changed meanwhile: that selection would be of another view
        if message.matched > message.cap:
            self.show(state.select_none())
            screen.notify(
                f"{message.matched:,} sessions match, more than the cap of {message.cap:,} "
                "(--select-cap): nothing selected. Narrow the filters first.",
                severity="error",
                timeout=10,
            )
            return
        if not message.rows:
            screen.notify("No session matches: nothing selected", severity="warning")
            return
        state.select_matches(message.rows)
        self.show(len(message.rows))
        ends = screen.key("end")
        screen.notify(f"Selected {len(message.rows):,} sessions that match: {ends} ends them")

    def select_none(self) -> None:
        """Deselect every session at once."""
        count = self.screen.controller.state.select_none()
        self.show(count)
        if count:
            self.screen.notify(f"Deselected {count:,} session{'s' if count > 1 else ''}")

    def toggle(self, sid: str) -> None:
        screen, state = self.screen, self.screen.controller.state
        state.selected ^= {sid}
        row = state.rows.get(sid)
        if row is not None:
            screen.table.update_row(
                row,
                now=screen.settings.clock(),
                stale_after=screen.settings.stale_after,
                selected=sid in state.selected,
            )
        screen.filters.show()

    def show(self, changed: int) -> None:
        """The rows' marks and the filter line after the selection changed wholesale."""
        if not changed:
            return
        screen, state = self.screen, self.screen.controller.state
        now = screen.settings.clock()
        for sid in state.order:
            screen.table.update_row(
                state.rows[sid],
                now=now,
                stale_after=screen.settings.stale_after,
                selected=sid in state.selected,
            )
        screen.filters.show()

    def check(self, generation: int, flt: SessionFilter, ids: frozenset[str]) -> None:
        """Whether the selected sessions `ids` are still in the view (read by id)."""
        screen, run = self.screen, self.screen.sessions_app.inflight
        self._start(
            "selection", lambda: data.read_selection(run, screen.store, generation, flt, ids)
        )

    def checked(self, message: SelectionChecked) -> None:
        if message.generation != self.screen.controller.state.generation:
            return  # a newer question checks again
        dropped = self.screen.controller.state.confirm(message.checked, message.still)
        if dropped:
            # Said once: the sessions are deselected, so no later page announces them.
            self.screen.filters.show()
            self.screen.notify(
                f"{dropped} selected session{'s are' if dropped > 1 else ' is'} not in this "
                "view any more: deselected",
                severity="warning",
            )
