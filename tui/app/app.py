"""The App: settings, theme, and the database's link. The screens own everything else.

Start-up, in order: the main screen asks its link for the warm first page (the bare
driver, before SQLAlchemy is imported); once its rows are painted the Store opens
(SQLAlchemy imported in a thread); StoreOpened goes to the main screen. A retryable
failure anywhere calls `disconnected`, and a probe runs until the database answers
again (`link.DatabaseLink`).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.theme import Theme

from tui.app import data, render
from tui.app.keys import binding_ids, builtin_key, key_of, key_problem
from tui.app.link import DatabaseLink
from tui.app.messages import RESULTS
from tui.app.screens.main import MainScreen
from tui.config import remember
from tui.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import Future

    from textual.driver import Driver

    from tui.app.screens.base import Connection
    from tui.domain.models import Page
    from tui.store.store import Store

__all__ = ["SessionsApp", "binding_ids", "key_problem", "make_app", "run", "theme_names"]


class SessionsApp(App[None]):
    """Operators' view of remote_agent_sessions: one database, opened once, probed when lost."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "sessions-tui"
    BINDINGS = [Binding("q", "quit", "Quit", id="quit")]
    MAIN_SCREEN: type[MainScreen] = MainScreen
    """The list's class: the benchmark's probes subclass it."""

    def __init__(self, settings: Settings, early: Future[Page | None] | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.link = AppLink(self, settings, early)
        """The database of the single-database dashboard; on the overview, one never
        opened (each deployment has its own)."""
        self._frozen = False
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
        return self.link

    def get_default_screen(self) -> MainScreen:
        screen = self.MAIN_SCREEN(self.link)
        self.link.screen = screen
        return screen

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

    # -- the database ----------------------------------------------------------------

    @property
    def store(self) -> Store | None:
        """The App's database's store (`link.store`), once open."""
        return self.link.store

    @property
    def connected(self) -> bool:
        return self.link.connected

    @property
    def inflight(self) -> data.InFlight:
        return self.link.inflight

    def first_rows_painted(self) -> None:
        """Start-up is over: its garbage (imports, first page) is permanent, so keep it
        out of full collections, which would otherwise pause input each time; and
        SQLAlchemy may be imported now, behind the painted rows."""
        if not self._frozen:
            self._frozen = True
            gc.freeze()
        self.link.open_store()

    async def on_unmount(self) -> None:
        """Stop the workers before closing the pool (`DatabaseLink.close`)."""
        self.workers.cancel_all()
        await self.link.close()


class AppLink(DatabaseLink):
    """The single database's link: the end of start-up is the App's (`first_rows_painted`)."""

    def __init__(
        self, owner: SessionsApp, settings: Settings, early: Future[Page | None] | None
    ) -> None:
        super().__init__(owner, settings, early=early)
        self.owner = owner

    def first_rows_painted(self) -> None:
        self.owner.first_rows_painted()

    def store_opened(self) -> None:
        """SQLAlchemy's import garbage is permanent too."""
        self.owner.call_after_refresh(gc.freeze)


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
