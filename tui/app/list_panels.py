"""The list's layout: the side panels (reasons and stuck, together) shown or hidden
(the operator's key, else the width), the wide mode, and focus moving between the
table, the search field and the panels."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen

NARROW = 100
"""Below this many columns the reason panel starts collapsed: the table needs the width."""
SPARKS_WIDTH = 150
"""From this many columns the reason panel is wider and draws each reason's last 14
days beside its count; below, the table keeps the width."""


class ListPanels:
    """One list screen's layout."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.wide = False
        """Every column, the table scrolling sideways; the panels hidden."""
        self.wanted: bool | None = None
        """The operator's choice for the panels (its key); None: by the width."""

    @property
    def shown(self) -> bool:
        if self.wide:
            return False
        if self.wanted is not None:
            return self.wanted
        return self.screen.size.width >= NARROW

    @property
    def sparks_shown(self) -> bool:
        return self.shown and self.screen.size.width >= SPARKS_WIDTH

    def lay_out(self) -> None:
        """The side panels shown or not, and the table's columns fitted to what is left
        (`columns.fit`)."""
        screen = self.screen
        side = screen.query_one("#side")
        shown = self.shown
        if side.display != shown:
            if not shown and (screen.reason_panel.has_focus or screen.stuck_panel.has_focus):
                screen.table.focus()
            side.display = shown
        screen.reason_panel.sparks_room()
        screen.table.set_wide(self.wide)

    def toggle(self, what: str) -> None:
        """`panel`: show or hide the panels; `wide`: the wide mode on or off."""
        if what == "panel":
            self.wide = False
            self.wanted = not self.shown
        else:
            self.wide = not self.wide
        self.lay_out()

    def focus(self, target: str) -> None:
        """The search field, or a panel (shown first when hidden)."""
        screen = self.screen
        if target == "search":
            screen.search_box.focus()
            return
        if not self.shown:
            self.toggle("panel")
        (screen.reason_panel if target == "reasons" else screen.stuck_panel).focus()
