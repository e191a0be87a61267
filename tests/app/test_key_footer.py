"""The footer rebuilds its keys when the shown keys change, and only then."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Button

from tui.app.widgets.key_footer import KeyFooter


class TwoButtons(App[None]):
    BINDINGS = [Binding("x", "end", "end"), Binding("r", "refresh", "refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.can_end = True

    def compose(self) -> ComposeResult:
        yield Button("one", id="one")
        yield Button("two", id="two")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "end" and not self.can_end else True

    def action_end(self) -> None:
        self.can_end = False
        self.refresh_bindings()


def _keys(app: App[None]) -> list[Widget]:
    """The footer's key widgets (Textual's `FooterKey`, which it does not export)."""
    return list(app.screen.query("FooterKey"))


async def test_a_focus_move_keeps_the_keys_and_a_changed_key_rebuilds_them() -> None:
    app = TwoButtons()
    async with app.run_test(size=(60, 6)) as pilot:
        await pilot.pause()
        first = _keys(app)
        assert [key.key for key in first] == ["x", "r", "ctrl+p"]  # type: ignore[attr-defined]
        assert not first[0].has_class("-disabled")

        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "two"
        assert _keys(app) == first  # the same widgets: nothing was rebuilt

        await pilot.press("x")
        await pilot.pause()
        rebuilt = _keys(app)
        assert [key.key for key in rebuilt] == ["x", "r", "ctrl+p"]  # type: ignore[attr-defined]
        assert rebuilt[0] is not first[0]
        assert rebuilt[0].has_class("-disabled")  # the key that can no longer run is shown disabled
