"""The App: settings, theme, and the connection's life. The screens own everything else.

Start-up, in order: the main screen asks for the warm first page (the bare driver,
before SQLAlchemy is imported); once its rows are painted the Store opens (SQLAlchemy
imported in a thread); StoreOpened goes to the main screen. A retryable failure
anywhere calls `disconnected`, and a probe runs until the database answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.message_pump import MessagePump
from textual.notifications import SeverityLevel
from textual.theme import Theme
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui.app import data, render
from tui.app.keys import binding_ids, builtin_key, key_of, key_problem
from tui.app.messages import (
    RESULTS,
    Disconnected,
    FileMoved,
    OpenFailed,
    PageLoaded,
    Reconnected,
    StoreOpened,
    WarmMissed,
)
from tui.app.screens.main import MainScreen
from tui.config import remember
from tui.domain.text import safe_text
from tui.settings import Settings
from tui.store.errors import FileUnreadable

if TYPE_CHECKING:
    from concurrent.futures import Future

    from textual.driver import Driver

    from tui.app.screens.base import Connection
    from tui.domain.models import Page
    from tui.store.store import Store

__all__ = ["SessionsApp", "binding_ids", "key_problem", "make_app", "run", "theme_names"]

PROBE_EVERY = 2.0
CANCEL_TIMEOUT = 1.0
"""How long quitting waits for the server to take a cancel request."""
CLOSE_TIMEOUT = 6.0
"""Longer than SQLite's busy timeout (5 s): a query waiting on a lock ends before we close."""


class SessionsApp(App[None]):
    """Operators' view of remote_agent_sessions: one database, opened once, probed when lost."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "sessions-tui"
    BINDINGS = [Binding("q", "quit", "Quit", id="quit")]

    def __init__(self, settings: Settings, early: Future[Page | None] | None = None) -> None:
        super().__init__()
        self.settings = settings
        self._early = early
        """The first page begun before Textual was imported (`warm.start`), used once."""
        self.store: Store | None = None
        self.connected = True
        self.inflight = data.InFlight()
        """Every store call of every screen: settled (bounded) before the pool closes."""
        self._opening = False
        self._moved: str | None = None
        """Why the open file was left (replaced, deleted): reopening, retried until the
        path opens, the header saying why meanwhile (no toast per retry)."""
        self._frozen = False
        self._probe_timer: Timer | None = None
        if settings.theme:
            self.theme = settings.theme

    def on_mount(self) -> None:
        render.use_palette(self.current_theme.dark)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self.settings.keys:
            self.set_keymap(dict(self.settings.keys))

    def _theme_changed(self, theme: Theme) -> None:
        """Words about sessions take the palette of the theme, dark or light, and
        the operator's choice is remembered in the config file."""
        if render.use_palette(theme.dark) and self.screen_stack:
            self.main_screen.connection.restyle()
        self.remember_theme(theme.name)

    def remember_theme(self, name: str) -> None:
        """In the config file, except when read-only or served (in a browser): those
        write nothing on the machine they run on."""
        path = self.settings.config_path
        if path is None or self.settings.read_only or self.is_web:
            return
        try:
            remember(path, "theme", name)
        except (OSError, ValueError) as exc:
            self.notify(f"The theme was not remembered: {path}: {exc}", severity="warning")

    def key_of(self, binding_id: str) -> str:
        """The key of a binding, as `[keys]` left it: what a toast or a hint names."""
        return key_of(binding_id, self.settings.keys)

    def get_driver_class(self) -> type[Driver]:
        """Textual's choice, except that in a browser tab packets are written whole."""
        chosen = super().get_driver_class()
        from textual.drivers.web_driver import WebDriver

        if chosen is WebDriver:
            from tui.app.web_output import SerialWebDriver

            return SerialWebDriver
        return chosen

    def connection_here(self) -> Connection:
        """The database of the screens built now: with one database, the App's own."""
        return self

    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    @property
    def main_screen(self) -> MainScreen:
        """The list, at the base of the screen stack."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Toasts carry ids, reasons and error text from the database: never markup. Every
        toast comes here, a screen's or a widget's too (Textual's `Widget.notify` passes
        its own `markup=True` default on), so `markup` is not honoured: this is the one
        place the rule is kept."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def action_help_quit(self) -> None:
        """ctrl+c: say how to quit, in plain words (toasts here never parse markup)."""
        where = "from the list" if len(self.screen_stack) > 1 else f"or {builtin_key(App, 'quit')}"
        self.notify(f"Press {self.key_of('quit')} {where} to quit", title="Do you want to quit?")

    def check_message_enabled(self, message: Message) -> bool:
        """A result that lands while the app shuts down has no screen left: drop it."""
        if isinstance(message, RESULTS) and not self.is_running:
            return False
        return super().check_message_enabled(message)

    def _tell_main(self, message: Message) -> None:
        if self.is_running and self.screen_stack:
            self.main_screen.post_message(message)

    # -- start-up --------------------------------------------------------------------

    def warm_first_page(self, reply_to: MessagePump, generation: int) -> None:
        """The rows of the default view, to `reply_to`, before SQLAlchemy is imported.

        A page `warm.start` has already read is posted at once: a screen that asks
        before it is mounted (the main screen, as it is built) handles it before its
        first frame, which then shows the rows. Otherwise a worker waits for it."""
        early = self._early
        if early is not None and early.done():
            self._early = None
            page = data.warm_loaded(early.result(), generation, perf_counter())
            self._warm_answer(reply_to, page)
        else:
            self._read_first_page(reply_to, generation)

    @work(exclusive=True, group="warm", exit_on_error=False)
    async def _read_first_page(self, reply_to: MessagePump, generation: int) -> None:
        early, self._early = self._early, None
        self._warm_answer(reply_to, await data.warm_page(self.settings, generation, early))

    def _warm_answer(self, reply_to: MessagePump, page: PageLoaded | None) -> None:
        if page is None:
            self.post_message(WarmMissed())
        else:
            reply_to.post_message(page)

    @on(WarmMissed)
    def _warm_missed(self) -> None:
        self.open_store()

    def first_rows_painted(self) -> None:
        """Start-up is over: its garbage (imports, first page) is permanent, so keep it
        out of full collections, which would otherwise pause input each time; and
        SQLAlchemy may be imported now, behind the painted rows."""
        if not self._frozen:
            self._frozen = True
            gc.freeze()
        self.open_store()

    def open_store(self) -> None:
        if not self._opening:
            self._opening = True
            self._open()

    @work(exclusive=True, group="open", exit_on_error=False)
    async def _open(self) -> None:
        self.post_message(StoreOpened(await data.open_database(self.settings)))

    @on(StoreOpened)
    def _opened(self, message: StoreOpened) -> None:
        self.store = message.store
        self._moved = None
        self.call_after_refresh(gc.freeze)  # SQLAlchemy's import garbage is permanent too
        self._tell_main(StoreOpened(message.store))

    async def on_unmount(self) -> None:
        """Stop the workers before closing the pool, and never hang the exit on it.

        Closing while a worker's query is in flight can wait forever on aiosqlite's
        already-finished thread.
        Reads queued behind a lock are cancelled on the server first (PostgreSQL), so
        quitting does not wait them out.
        """
        self.workers.cancel_all()
        if self.store is not None and len(self.inflight):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.store.cancel_reads(), CANCEL_TIMEOUT)
        await self.inflight.settle(CLOSE_TIMEOUT)
        if self.store is not None:
            # Leaving anyway: on a timeout or a dead connection the OS closes the files.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.store.close(), CLOSE_TIMEOUT)

    @work(group="cancel", exit_on_error=False)
    async def cancel_reads(self) -> None:
        """Ask the server to cancel this tool's running reads (the operator's esc)."""
        if self.store is not None:
            await self.store.cancel_reads()

    # -- the connection --------------------------------------------------------------

    def check_file(self) -> bool:
        """Whether the store reads the file at the path (always, on a server). If the
        path names another file or none, or this user may no longer read it, nothing
        reads or writes the old one again: the header and a toast say so, the pool is
        disposed and the path opened afresh, retried until it opens (permissions given
        back). Asked on every refresh tick and before every end."""
        store = self.store
        if store is None:
            return False
        why = store.file_changed()
        if why is None:
            return True
        self.store = None
        self._moved = why
        self.notify(f"{why} — reopening the file at the path", severity="warning", timeout=15)
        self._tell_main(FileMoved(why))
        self._reopen(store)
        return False

    @work(exclusive=True, group="open", exit_on_error=False)
    async def _reopen(self, old: Store) -> None:
        """Close the old pool first (its connections hold the old file, and in WAL mode
        its -wal and -shm are named by the path), then open what the path names now."""
        await self.inflight.settle(CLOSE_TIMEOUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(old.close(), CLOSE_TIMEOUT)
        self.post_message(StoreOpened(await data.open_database(self.settings)))

    def disconnected(self) -> None:
        """A store call failed in a way that may pass: say so, and probe until it answers."""
        if self.connected:
            self.connected = False
            self._tell_main(Disconnected())
        if self._probe_timer is None:
            self._probe_timer = self.set_interval(PROBE_EVERY, self._probe)

    def store_answered(self) -> None:
        """A store call came through: connected, whatever the probe has seen so far."""
        if not self.connected:
            self.connected = True
            self._tell_main(Reconnected(reread=False))

    @work(exclusive=True, group="probe", exit_on_error=False)
    async def _probe(self) -> None:
        """Reads the sessions table: `SELECT 1` answered through another's SQLite lock."""
        if self.store is not None:
            await self.inflight.run(self.store.ping())
            self.post_message(Reconnected())

    @on(Reconnected)
    def _reconnected(self) -> None:
        if self._probe_timer is not None:
            self._probe_timer.stop()
            self._probe_timer = None
        if not self.connected:
            self.connected = True
            self.notify("Reconnected to the database", severity="information")
            self._tell_main(Reconnected())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The App's own workers: a failed open is retried while it may pass; a failed
        probe waits for the next one; the warm page never raises (it declines)."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.node is not self:
            return
        error = data.as_store_error(worker.error, self.settings.target)
        if worker.group == "open" and self._moved is not None:  # until a file is back
            said = safe_text(error)
            # Unreadable says it all (the path, what to do); else why the file was left.
            why = said if isinstance(error, FileUnreadable) else f"{self._moved}; {said}"
            self._tell_main(FileMoved(why))
            self.set_timer(PROBE_EVERY * 2, self._open)
        elif worker.group == "open":
            said = safe_text(error)  # driver messages can quote stored strings
            self._tell_main(OpenFailed(said))
            self.notify(said, title="Cannot open the database", severity="error", timeout=30)
            if error.retryable:
                self.set_timer(PROBE_EVERY * 2, self._open)
        elif worker.group == "warm":
            self.open_store()


def theme_names() -> set[str]:
    from textual.theme import BUILTIN_THEMES

    return set(BUILTIN_THEMES)


def make_app(settings: Settings, early: Future[Page | None] | None = None) -> SessionsApp:
    """The one factory the CLI and the tests both use; `early`: the first page already
    being read (`tui.store.warm.start`)."""
    return SessionsApp(settings, early)


def run(settings: Settings, early: Future[Page | None] | None = None) -> int:
    """Run the dashboard; its exit status: 0 after a quit, non-zero after a crash
    (Textual's return code)."""
    app = make_app(settings, early)
    app.run()
    return app.return_code or 0
