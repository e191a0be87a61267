"""One deployment's connection, for the screens of its mode (its own screen stack).

What the App is to the screens of the single-database dashboard, a `DeploymentLink` is
to the screens of one deployment: its settings (its database, read-only when the
deployment is), its store, its in-flight set, and the connection's life (the warm first
page, the open, retried while it may pass; the probe after a failure; the reopen when
the file at the path changed). Its workers run on the App, in groups named after the
deployment, so one deployment's open or probe never cancels another's; each worker says
its own failure, so the App's own handlers never see them.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.notifications import SeverityLevel
from textual.timer import Timer

from tui.app import data
from tui.app.messages import (
    Disconnected,
    FileMoved,
    OpenFailed,
    Reconnected,
    StoreOpened,
)
from tui.domain.text import safe_text
from tui.store.errors import FileUnreadable, StoreError

if TYPE_CHECKING:
    from textual.app import App
    from textual.message import Message
    from textual.message_pump import MessagePump

    from tui.app.screens.main import MainScreen
    from tui.deployments import Deployment
    from tui.settings import Settings
    from tui.store.store import Store

PROBE_EVERY = 2.0
CLOSE_TIMEOUT = 6.0


def deployment_settings(base: Settings, deployment: Deployment) -> Settings:
    """The dashboard's settings for one deployment: its database; read-only when the
    deployment or the command line says so, refused in the deployment's own words;
    nothing remembered in the config file from its screens."""
    read_only = base.read_only or deployment.read_only
    why = base.read_only_why
    if deployment.read_only:
        why = (
            f"{deployment.label} is read-only "
            f"(read_only = true in [deployments.{deployment.name}]): nothing is ended there"
        )
    return replace(
        base,
        target=deployment.target(),
        read_only=read_only,
        read_only_why=why if read_only else None,
    )


class DeploymentLink:
    """A deployment's database as its mode's screens use it (`screens.base.Connection`)."""

    def __init__(self, app: App[None], deployment: Deployment, settings: Settings) -> None:
        self.app = app
        self.deployment = deployment
        self.settings = settings
        self.store: Store | None = None
        self.connected = True
        self.inflight = data.InFlight()
        self.screen: MainScreen | None = None
        """The mode's base screen (its sessions list), once built."""
        self._opening = False
        self._moved: str | None = None
        self._probe_timer: Timer | None = None

    @property
    def main_screen(self) -> MainScreen:
        assert self.screen is not None, "the deployment's list is not built yet"
        return self.screen

    def key_of(self, binding_id: str) -> str:
        from tui.app.keys import key_of

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
        """A toast about this deployment names it: the toast outlives a switch of mode."""
        title = f"{self.deployment.label}: {title}" if title else self.deployment.label
        self.app.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _group(self, what: str) -> str:
        return f"{what}@{self.deployment.name}"

    def _tell_main(self, message: Message) -> None:
        if self.app.is_running and self.screen is not None:
            self.screen.post_message(message)

    # -- start-up ------------------------------------------------------------------------

    def warm_first_page(self, reply_to: MessagePump, generation: int) -> None:
        """The rows of the default view through the bare driver, then the store."""

        async def read() -> None:
            try:
                page = await data.warm_page(self.settings, generation)
            except Exception:  # the warm page declines; the store says why, if anything
                page = None
            if page is None:
                self.open_store()
            else:
                reply_to.post_message(page)

        self.app.run_worker(read(), group=self._group("warm"), exclusive=True, exit_on_error=False)

    def first_rows_painted(self) -> None:
        self.open_store()

    def open_store(self) -> None:
        if not self._opening:
            self._opening = True
            self._open()

    def _open(self) -> None:
        self.app.run_worker(self._opened(), group=self._group("open"), exit_on_error=False)

    async def _opened(self) -> None:
        try:
            store = await data.open_database(self.settings)
        except Exception as exc:
            self._open_failed(exc)
            return
        self.store = store
        self._moved = None
        self._tell_main(StoreOpened(store))

    def _open_failed(self, exc: BaseException) -> None:
        error = data.as_store_error(exc, self.settings.target)
        said = safe_text(error)  # driver messages can quote stored strings
        if self._moved is not None:
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
        """As the App's: whether the store reads the file at the path; if not, the old
        pool is closed and the path opened afresh, the header saying why."""
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

        async def reopen() -> None:
            await self.inflight.settle(CLOSE_TIMEOUT)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(store.close(), CLOSE_TIMEOUT)
            await self._opened()

        self.app.run_worker(reopen(), group=self._group("open"), exit_on_error=False)
        return False

    def disconnected(self) -> None:
        if self.connected:
            self.connected = False
            self._tell_main(Disconnected())
        if self._probe_timer is None:
            self._probe_timer = self.app.set_interval(PROBE_EVERY, self._probe)

    def store_answered(self) -> None:
        if not self.connected:
            self.connected = True
            self._tell_main(Reconnected(reread=False))

    def _probe(self) -> None:
        async def probe() -> None:
            if self.store is None:
                return
            try:
                await self.inflight.run(self.store.ping())
            except (StoreError, OSError):
                return  # the next tick asks again
            self._reconnected()

        self.app.run_worker(
            probe(), group=self._group("probe"), exclusive=True, exit_on_error=False
        )

    def _reconnected(self) -> None:
        if self._probe_timer is not None:
            self._probe_timer.stop()
            self._probe_timer = None
        if not self.connected:
            self.connected = True
            self.notify("Reconnected to the database", severity="information")
            self._tell_main(Reconnected())

    def cancel_reads(self) -> None:
        async def cancel() -> None:
            if self.store is not None:
                with contextlib.suppress(StoreError, OSError):
                    await self.store.cancel_reads()

        self.app.run_worker(cancel(), group=self._group("cancel"), exit_on_error=False)

    async def close(self, cancel_within: float, close_within: float) -> None:
        """At the App's exit: running reads cancelled on the server, the rest settled
        (bounded), the pool closed; never hangs the exit."""
        store = self.store
        if store is not None and len(self.inflight):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(store.cancel_reads(), cancel_within)
        await self.inflight.settle(close_within)
        if store is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(store.close(), close_within)
