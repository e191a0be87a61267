"""The list's side of the connection: what its link tells the main screen about the
database (opened, failed, moved, lost, back; no warm first page), the header's live
state, the refresh timer and the pause.

The connection itself (opening, probing) is the link's (`link.DatabaseLink`); this
object reacts on the list's behalf and starts no read of its own but the one-off
count of sessions without an id (worker group `unnamed`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message
from textual.timer import Timer

from tui.app.messages import (
    Disconnected,
    FileMoved,
    OpenFailed,
    Reconnected,
    StoreOpened,
    WarmMissed,
)
from tui.domain import wording

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen
    from tui.store.store import Store


class ListConnection:
    """One list screen's reactions to the connection, and its live header."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.refresh_timer: Timer | None = None

    def told(self, message: Message) -> None:
        """A connection event from the link."""
        screen = self.screen
        if isinstance(message, StoreOpened):
            self.opened(message.store)
        elif isinstance(message, OpenFailed):
            screen.status_bar.set_live(f"✖ cannot open: {message.error}", "bold red")
        elif isinstance(message, Disconnected):
            self.show_live()
        elif isinstance(message, FileMoved):
            self.file_moved(message.why)
        elif isinstance(message, Reconnected):
            self.show_live()
            if message.reread:
                screen.reads.refresh_all()
        elif isinstance(message, WarmMissed):
            screen.sessions_app.open_store()  # which will say why, if anything

    def opened(self, store: Store) -> None:
        screen, controller = self.screen, self.screen.controller
        screen.vocabulary = store.vocabulary
        screen.reason_panel.set_vocabulary(store.vocabulary)
        screen.reason_panel.sync(controller.state.reasons)
        screen.status_bar.set_service(store.detection.version)
        screen.status_bar.set_end_blocked(store.can_end)
        self.show_live()
        if controller.warm_answers():
            # The warm first page is on screen and still answers the question: count it.
            screen.counts.ask(controller.state.generation, fresh_data=True)
        else:
            screen.reads.requery()
        self.say_unnamed(store)
        seconds = screen.settings.refresh_seconds
        if seconds > 0 and self.refresh_timer is None:
            self.refresh_timer = screen.set_interval(
                seconds, screen.reads.tick, pause=controller.state.paused
            )

    def say_unnamed(self, store: Store) -> None:
        """Sessions with a NULL id are never in the table: one warning says how many."""
        screen = self.screen

        async def count() -> None:
            n = await screen.sessions_app.inflight.run(store.sessions_without_id())
            if n:
                screen.notify(wording.without_id(n), severity="warning", timeout=30)

        screen.run_worker(count(), group="unnamed", exit_on_error=False)

    def file_moved(self, why: str) -> None:
        """Said in the header, which names the path already: repeated, a long path
        pushed what happened past the edge."""
        screen = self.screen
        path = screen.settings.target.display()
        if why.startswith(path):
            why = "the database file" + why[len(path) :]
        screen.status_bar.set_live(f"✖ {why} — reopening the path", "bold red")
        screen.controller.warm_generation = None  # the old file's rows: re-read at reopen

    def show_live(self) -> None:
        """The header's live state: disconnected, waiting, off, paused or live."""
        screen = self.screen
        said, style = screen.controller.live_line(
            connected=screen.sessions_app.connected,
            refresh_seconds=screen.settings.refresh_seconds,
        )
        screen.status_bar.set_live(said, style)

    def restyle(self) -> None:
        """The theme's kind changed: draw the rows, the panel and the header again."""
        self.screen.table.restyle()
        self.screen.reason_panel.relabel()
        self.show_live()

    def toggle_pause(self) -> None:
        screen, state = self.screen, self.screen.controller.state
        if screen.settings.refresh_seconds <= 0:
            screen.notify(
                f"Auto-refresh is off (--refresh 0): {screen.key('refresh')} refreshes now"
            )
            return
        state.paused = not state.paused
        if self.refresh_timer is not None:
            (self.refresh_timer.pause if state.paused else self.refresh_timer.resume)()
        self.show_live()
