"""The end dialogs on a small terminal: the picker's list and hint, and the
confirmation's Cancel and End, are always on screen, the writes scrolling above them.
On the deterministic demo (84 active sessions), as the snapshots are; nothing is ended."""

from __future__ import annotations

import pytest
from textual.widget import Widget
from textual.widgets import Button, Input, OptionList

from tests.support import scenes
from tests.support.app_helpers import screen_lines, wait_until
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen

CASES = [((80, 24), 1), ((80, 24), 50), ((80, 26), 5), ((80, 30), 48)]


@pytest.fixture(autouse=True)
def _demo() -> None:
    scenes.demo_db()


def shown(widget: Widget, size: tuple[int, int]) -> bool:
    """Inside the screen and inside its dialog's frame (not clipped away), and what the
    screen draws at its middle (not covered)."""
    region = widget.region
    width, height = size
    inside = region.x >= 0 and region.y >= 0 and region.right <= width
    inside = inside and region.bottom <= height and region.area > 0
    dialog = widget.screen.query_one("#dialog")
    inside = inside and dialog.content_region.contains_region(region)
    middle = (region.x + region.width // 2, region.y + region.height // 2)
    return inside and widget.screen.get_widget_at(*middle)[0] is widget


@pytest.mark.parametrize(("size", "count"), CASES, ids=lambda c: str(c))
async def test_the_picker_then_the_confirmation_keep_their_controls_on_screen(
    size: tuple[int, int], count: int
) -> None:
    """The picker keeps its input, list and hint on screen; enter: the confirmation's
    Cancel and End are on screen, and tab reaches a visible End."""
    app = scenes.scene_app()
    async with app.run_test(size=size) as pilot:
        await scenes.end_of(count, confirm=False)(pilot)
        picker = app.screen
        assert isinstance(picker, EndReasonScreen)
        hint = picker.query(".dialog-hint").last()
        for widget in (picker.query_one(Input), picker.query_one(OptionList), hint):
            assert shown(widget, size), widget

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirm")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmEndScreen)
        cancel = screen.query_one("#cancel", Button)
        end = screen.query_one("#confirm", Button)
        assert shown(cancel, size) and shown(end, size), (cancel.region, end.region)
        text = "\n".join(screen_lines(app))
        assert "Cancel" in text and f"End {count} session" in text
        assert app.focused is cancel
        await pilot.press("tab")
        assert app.focused is end and shown(end, size)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmEndScreen)


@pytest.mark.parametrize("size", [(80, 24), (80, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_reason_can_be_highlighted_in_sight(size: tuple[int, int]) -> None:
    """Nothing typed, every reason listed: the list scrolls inside the dialog, so the
    highlighted reason that enter would take is on screen, down to the last one."""
    app = scenes.scene_app()
    async with app.run_test(size=size) as pilot:
        await scenes.end_of(1, confirm=False, typed="")(pilot)
        screen = app.screen
        assert isinstance(screen, EndReasonScreen)
        options = screen.query_one(OptionList)
        await pilot.press("down")  # into the list
        for _ in range(options.option_count - 1):
            await pilot.press("down")
        await pilot.pause()
        assert options.highlighted == options.option_count - 1
        assert shown(options, size) and shown(screen.query(".dialog-hint").last(), size)
        last = options.get_option_at_index(options.option_count - 1).id
        assert last is not None and any(last in line for line in screen_lines(app))
        await pilot.press("escape")
