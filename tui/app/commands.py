"""Command-palette entries (ctrl+p): whatever the screen the palette was opened on offers.

A screen's commands are its bindings (one command per described binding, running the
same action, so the palette and the keys cannot drift) plus values it can filter on
(sorts, and the reasons of the store's vocabulary). The App adds Textual's own
system commands (themes, quit, screenshot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from msgspec import Struct
from textual.command import DiscoveryHit, Hit, Hits, Provider


class Command(Struct, frozen=True):
    """A palette command: its name, what it runs and the line of help it shows."""

    name: str
    run: Callable[[], object]
    help: str


@runtime_checkable
class OffersCommands(Protocol):
    def palette_commands(self) -> list[Command]: ...


class ScreenCommands(Provider):
    """The calling screen's commands, in the order it lists them."""

    def _commands(self) -> list[Command]:
        screen = self.screen
        return screen.palette_commands() if isinstance(screen, OffersCommands) else []

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, help=command.help)
