"""One database as its screens use it (`screens.base.Connection`), and the connection's life.

A `DatabaseLink` holds a database's settings, its store and its in-flight set, and runs
the connection's life: the warm first page through the bare driver, then the open,
retried while it may pass; the probe after a retryable failure, until the database
answers; the reopen when the file at the path changed; the close at the App's exit.
The single-database App has one (`app.AppLink`); the overview's App one a deployment
(`deployment_link.DeploymentLink`).

Its workers run on the App, in groups named after the link (`open`, or
`open@<deployment>` for a deployment's), so one link's open or probe never cancels
another's; each worker says its own failure. Connection events go to the link's list
(`screen`), the base of its screen stack.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from time import perf_counter
from typing import TYPE_CHECKING, Any

from textual.notifications import SeverityLevel

from tui.app import data
from tui.app.keys import key_of
from tui.app.messages import (
    Disconnected,
    FileMoved,
    OpenFailed,
    Reconnected,
    StoreOpened,
    WarmMissed,
)
from tui.domain.text import safe_text
from tui.store.errors import FileUnreadable, StoreError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from textual.app import App
    from textual.message import Message
    from textual.message_pump import MessagePump
    from textual.timer import Timer

    from tui.app.screens.main import MainScreen
    from tui.domain.models import Page
    from tui.settings import Settings
    from tui.store.store import Store

PROBE_EVERY = 2.0
"""Seconds between probes of a lost database, and half the wait before an open is retried."""
CANCEL_TIMEOUT = 1.0
"""How long quitting waits for the server to take a cancel request."""
CLOSE_TIMEOUT = 6.0
"""Longer than SQLite's busy timeout (5 s): a query waiting on a lock ends before we close."""


class DatabaseLink:
    """One database's connection: what a screen reads through, and its life."""

    def __init__(
        self,
        app: App[None],
        settings: Settings,
        *,
        name: str = "",
        label: str = "",
        early: Future[Page | None] | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.store: Store | None = None
        self.connected = True
        self.inflight = data.InFlight()
        """Every store call of every screen on this link: settled (bounded) before the
        pool closes."""
        self.screen: MainScreen | None = None
        """The link's list (its sessions list), once built: where connection events go."""
        self._name = name
        """Suffixes the link's worker groups (`open@name`); empty: the App's own."""
        self._label = label
        """Titles the link's toasts (a deployment's: the toast outlives a switch of mode)."""
        self._early = early
        """The first page begun before Textual was imported (`warm.start`), used once."""
        self._opening = False
        self._moved: str | None = None
        """Why the open file was left (replaced, deleted): reopening, retried until the
        path opens, the header saying why meanwhile (no toast per retry)."""
        self._probe_timer: Timer | None = None

    @property
    def main_screen(self) -> MainScreen:
        assert self.screen is not None, "the link's list is not built yet"
        return self.screen

    def key_of(self, binding_id: str) -> str:
        """The key of a binding, as `[keys]` left it: what a toast or a hint names."""
        return key_of(binding_id, self.settings.keys)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast, never markup (the App's rule), titled with the link's label if any."""
        if self._label:
            title = f"{self._label}: {title}" if title else self._label
        self.app.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _run(self, work: Coroutine[Any, Any, None], what: str, *, exclusive: bool) -> None:
        group = f"{what}@{self._name}" if self._name else what
        self.app.run_worker(work, group=group, exclusive=exclusive, exit_on_error=False)

    def _tell_main(self, message: Message) -> None:
        if self.app.is_running and self.screen is not None:
            self.screen.post_message(message)

    # -- start-up ------------------------------------------------------------------------

    def warm_first_page(self, reply_to: MessagePump, generation: int) -> None:
        """The rows of the default view, to `reply_to`, before SQLAlchemy is imported;
        `WarmMissed` to it when the bare driver declines (the Store then says why).

        A page `warm.start` has already read is posted at once: a screen that asks
        before it is mounted (the main screen, as it is built) handles it before its
        first frame, which then shows the rows. Otherwise a worker waits for it."""
        early = self._early
        if early is not None and early.done():
            self._early = None
            page = data.warm_loaded(early.result(), generation, perf_counter())
            reply_to.post_message(WarmMissed() if page is None else page)
            return

        async def read() -> None:
            early, self._early = self._early, None
            try:
                page = await data.warm_page(self.settings, generation, early)
            except Exception:  # the warm page declines; the store says why, if anything
                page = None
            reply_to.post_message(WarmMissed() if page is None else page)

        self._run(read(), "warm", exclusive=True)

    def first_rows_painted(self) -> None:
        """The list's first rows are on screen: the Store opens behind them."""
        self.open_store()

    def open_store(self) -> None:
        if not self._opening:
            self._opening = True
            self._open()

    def _open(self) -> None:
        self._run(self._opened(), "open", exclusive=True)

    async def _opened(self) -> None:
        try:
            store = await data.open_database(self.settings)
        except Exception as exc:
            self._open_failed(exc)
            return
        self.store = store
        self._moved = None
        self._tell_main(StoreOpened(store))
        self.store_opened()

    def store_opened(self) -> None:
        """Called after each open, the list told: nothing more here."""

    def _open_failed(self, exc: BaseException) -> None:
        """Retried while it may pass; after a file was left, until the path opens."""
        error = data.as_store_error(exc, self.settings.target)
        said = safe_text(error)  # driver messages can quote stored strings
        if self._moved is not None:
            # Unreadable says it all (the path, what to do); else why the file was left.
            why = said if isinstance(error, FileUnreadable) else f"{self._moved}; {said}"
            self._tell_main(FileMoved(why))
            self.app.set_timer(PROBE_EVERY * 2, self._open)
            return
        self._tell_main(OpenFailed(said))
        self.notify(said, title="Cannot open the database", severity="error", timeout=30)
        if error.retryable:
            self.app.set_timer(PROBE_EVERY * 2, self._open)

    # -- the connection ------------------------------------------------------------------

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
        self._run(self._reopen(store), "open", exclusive=True)
        return False

    async def _reopen(self, old: Store) -> None:
        """Close the old pool first (its connections hold the old file, and in WAL mode
        its -wal and -shm are named by the path), then open what the path names now."""
        await self.inflight.settle(CLOSE_TIMEOUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(old.close(), CLOSE_TIMEOUT)
        await self._opened()

    def disconnected(self) -> None:
        """A store call failed in a way that may pass: say so, and probe until it answers."""
        if self.connected:
            self.connected = False
            self._tell_main(Disconnected())
        if self._probe_timer is None:
            self._probe_timer = self.app.set_interval(PROBE_EVERY, self._probe)

    def store_answered(self) -> None:
        """A store call came through: connected, whatever the probe has seen so far."""
        if not self.connected:
            self.connected = True
            self._tell_main(Reconnected(reread=False))

    def _probe(self) -> None:
        """Reads the sessions table: `SELECT 1` answered through another's SQLite lock."""

        async def probe() -> None:
            if self.store is None:
                return
            try:
                await self.inflight.run(self.store.ping())
            except (StoreError, OSError):
                return  # the next tick asks again
            self._reconnected()

        self._run(probe(), "probe", exclusive=True)

    def _reconnected(self) -> None:
        if self._probe_timer is not None:
            self._probe_timer.stop()
            self._probe_timer = None
        if not self.connected:
            self.connected = True
            self.notify("Reconnected to the database", severity="information")
            self._tell_main(Reconnected())

    def cancel_reads(self) -> None:
        """Ask the server to cancel this link's running reads (the operator's esc)."""

        async def cancel() -> None:
            if self.store is not None:
                with contextlib.suppress(StoreError, OSError):
                    await self.store.cancel_reads()

        self._run(cancel(), "cancel", exclusive=False)

    async def close(self) -> None:
        """At the App's exit, its workers cancelled: running reads cancelled on the
        server (PostgreSQL), so quitting does not wait them out; the rest settled
        (bounded), the pool closed. Never hangs the exit: closing while a query is in
        flight can wait forever on aiosqlite's already-finished thread, and on a timeout
        or a dead connection the OS closes the files."""
        store = self.store
        if store is not None and len(self.inflight):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(store.cancel_reads(), CANCEL_TIMEOUT)
        await self.inflight.settle(CLOSE_TIMEOUT)
        if store is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(store.close(), CLOSE_TIMEOUT)
