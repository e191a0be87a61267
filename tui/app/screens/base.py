"""What the dashboard's full screens share: the typed App, help and palette from bindings.

A screen talks to its database only through `sessions_app`, typed `Connection`: the
store, the settings, the shared in-flight set and the connection calls (`disconnected`,
`store_answered`). With one database that is the App itself; with several deployments
each mode (its own screen stack) has its own, fixed when the screen is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol, cast

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget

from tui.app import keys
from tui.app.commands import Command, ScreenCommands
from tui.app.messages import RESULTS

if TYPE_CHECKING:
    from textual.message_pump import MessagePump
    from textual.notifications import SeverityLevel

    from tui.app.data import InFlight
    from tui.app.screens.main import MainScreen
    from tui.settings import Settings
    from tui.store.store import Store


class Connection(Protocol):
    """One database as a screen uses it: the App's (one database) or a deployment's."""

    settings: Settings
    store: Store | None
    connected: bool
    inflight: InFlight

    @property
    def main_screen(self) -> MainScreen: ...
    def key_of(self, binding_id: str) -> str: ...
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None: ...
    def warm_first_page(self, reply_to: MessagePump, generation: int) -> None: ...
    def first_rows_painted(self) -> None: ...
    def open_store(self) -> None: ...
    def check_file(self) -> bool: ...
    def disconnected(self) -> None: ...
    def store_answered(self) -> None: ...
    def cancel_reads(self) -> object: ...


class HasConnections(Protocol):
    def connection_here(self) -> Connection: ...


def connection_of(node: DOMNode) -> Connection:
    """The connection of the screen `node` is on (a widget's, a modal's)."""
    screen = node.screen
    if isinstance(screen, SessionsScreen):
        return screen.sessions_app
    return cast("HasConnections", node.app).connection_here()


def bindings_of(cls: type[DOMNode], stop: type[DOMNode]) -> list[Binding]:
    """The bindings `cls` declares itself and inherits from classes below `stop`."""
    found: list[Binding] = []
    for klass in reversed(cls.__mro__):
        if isinstance(klass, type) and issubclass(klass, stop) and klass is not stop:
            found.extend(b for b in klass.__dict__.get("BINDINGS", ()) if isinstance(b, Binding))
    return found


class SessionsScreen(Screen[None]):
    """A full screen of the dashboard: its own bindings, help, palette, and workers."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
    ]
    COMMANDS = {ScreenCommands}
    HELP_TITLE: ClassVar[str] = "Keys"
    CHILD_BINDINGS: ClassVar[dict[type[Widget], tuple[str, ...]]] = {}
    """Widgets of this screen whose own bindings help offers too, each with the ids of
    those the palette offers as commands (a table's select and open, not its arrows)."""

    link: Connection | None = None
    """This screen's database; None until first asked (the mode it is pushed in)."""

    @property
    def sessions_app(self) -> Connection:
        if self.link is None:
            self.link = cast("HasConnections", self.app).connection_here()
        return self.link

    @property
    def settings(self) -> Settings:
        return self.sessions_app.settings

    def key(self, binding_id: str) -> str:
        """The key of a binding as a text names it, after `[keys]`."""
        return self.sessions_app.key_of(binding_id)

    @property
    def store(self) -> Store:
        store = self.sessions_app.store
        if store is None:
            raise RuntimeError("the database is not open yet")
        return store

    def check_message_enabled(self, message: Message) -> bool:
        """A result that lands while the app shuts down has no widget left to fill: drop it."""
        if isinstance(message, RESULTS) and not self.app.is_running:
            return False
        return super().check_message_enabled(message)

    # -- keys: help and palette, both from the bindings --------------------------------

    def key_bindings(self) -> list[tuple[DOMNode, Sequence[Binding]]]:
        """Each node whose bindings this screen offers, with those bindings, App first.
        An App key the screen binds itself (q goes back on a pushed screen) is the
        screen's there, so the App's meaning of it is not offered."""
        own = self.live(bindings_of(type(self), Screen))
        taken = {b.key for b in own}
        app_bindings = [
            b for b in self.live(bindings_of(type(self.app), App)) if b.key not in taken
        ]
        children = [(self.query_one(cls), self.live(cls.BINDINGS)) for cls in self.CHILD_BINDINGS]
        return [(self.app, app_bindings), (self, own), *children]

    def live(self, bindings: Sequence[BindingType]) -> list[Binding]:
        """These bindings as `[keys]` left them (what help and the palette show)."""
        keymap = self.sessions_app.settings.keys
        return [keys.live(b, keymap) for b in bindings if isinstance(b, Binding)]

    def action_help(self) -> None:
        from tui.app.screens.help import HelpScreen

        bindings = [b for _node, group in self.key_bindings() for b in group]
        self.app.push_screen(HelpScreen([(self.HELP_TITLE, bindings)]))

    def palette_bindings(self) -> list[tuple[DOMNode, Binding]]:
        """The bindings that are palette commands: the screen's own (the App's quit is
        already one of Textual's system commands)."""
        offered: dict[str, Binding] = {}
        for b in self.live(bindings_of(type(self), Screen)):
            if b.description:
                offered.setdefault(b.action, b)  # one command per action: esc, not q too
        children = [
            (self.query_one(cls), b)
            for cls, ids in self.CHILD_BINDINGS.items()
            for b in self.live(cls.BINDINGS)
            if b.id in ids
        ]
        return [*((self, b) for b in offered.values()), *children]

    def palette_commands(self) -> list[Command]:
        return [self._binding_command(node, b) for node, b in self.palette_bindings()]

    def _binding_command(self, node: DOMNode, binding: Binding) -> Command:
        async def run() -> None:
            if not await self.app.run_action(binding.action, node):
                why = self.disabled_because(binding.action)
                if why:
                    self.notify(why, severity="error")

        key = keys.shown(binding)
        what = binding.tooltip or binding.description
        return Command(binding.description, run, f"{what} ({key})")

    def disabled_because(self, action: str) -> str | None:
        """Why an action shown greyed out does nothing, for the palette and its key to say."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """An action `disabled_because` names a reason for is shown, greyed out."""
        return None if self.disabled_because(action) else True

    def on_key(self, event: events.Key) -> None:
        """The key of an action shown greyed out says why (`disabled_because`) instead of
        doing nothing. A key a focused widget takes (typing in the search) never gets here."""
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled or active.node is not self:
            return
        why = self.disabled_because(active.binding.action)
        if why:
            event.stop()
            self.notify(why, severity="error")
