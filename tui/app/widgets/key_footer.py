"""The footer of every screen: Textual's `Footer`, redrawn only when the keys it shows
change.

Textual's footer rebuilds all its keys whenever the screen announces that its bindings
may have changed, which it does on every focus move and screen switch. Most of those
moves leave the shown keys as they were; this footer compares what it would show (each
shown binding's key, its display, description, group, whether it is enabled, and its
tooltip, and the command palette's key) with what it shows, and rebuilds only on a difference.

Each binding's key it builds starts in the footer's own compact state, where Textual's
starts compact and is then bound to the footer's state: two style updates per key on
every rebuild. (The command palette's key is not bound and keeps Textual's default.)
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # Textual builds these; it does not export them

ShownKeys = tuple[tuple[Any, ...], ...]


def shown_keys(screen: Screen[Any]) -> ShownKeys:
    """What a footer on `screen` shows, in its order, as a comparable value."""
    app = screen.app
    return tuple(
        (
            binding.key,
            app.get_key_display(binding),
            binding.action,
            binding.description,
            binding.group,
            enabled,
            tooltip,
        )
        for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
        if binding.show or key == app.COMMAND_PALETTE_BINDING
    )


class KeyFooter(Footer):
    """A `Footer` that skips a rebuild when the keys it would show are the ones shown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: ShownKeys | None = None

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = shown_keys(screen)
            if shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)
