"""Characters typed the moment a dialog with a text field is pushed land in that field,
in the order typed: the end-reason picker's input (enter then picks the reason they
name) and the export's path.

The app hands keys to a screen from the moment it is pushed; one read before the screen
has composed finds nothing focused. The keys are posted as the dialog is made, in the
turn it is pushed: what a fast typist or a loaded machine does, made certain. (The end
and run-cancel confirmations need no such care: their keys, tab, enter, escape, q, act
through bindings, looked up once the dialog has its focus.)
"""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input

from tests.support import scenes
from tests.support.app_helpers import ready, settle, wait_until
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.app.screens.export import ExportScreen

SIZE = (80, 24)


def type_at_push(
    monkeypatch: pytest.MonkeyPatch, app: App[Any], dialog: type[Screen[Any]], keys: list[str]
) -> None:
    """`keys` posted to the app, without a pause, as the flow makes a `dialog` (once).

    The flow pushes the dialog in the same turn: the app reads the keys after the push,
    with the dialog the current screen, in a turn that may come before the dialog's
    first (its compose), as keys arriving from the terminal then would."""
    made = dialog.__init__
    typed: list[bool] = []

    def making(screen: Screen[Any], *args: Any, **kwargs: Any) -> None:
        made(screen, *args, **kwargs)
        if not typed:
            typed.append(True)
            for key in keys:
                app.post_message(events.Key(key, key if len(key) == 1 else None))

    monkeypatch.setattr(dialog, "__init__", making)


@pytest.fixture
def _demo() -> None:
    scenes.demo_db()  # built before the test's event loop runs


@pytest.mark.usefixtures("_demo")
async def test_a_reason_typed_the_moment_the_picker_appears_is_the_one_enter_picks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing is written: the confirmation is cancelled (the demo is shared)."""
    app = scenes.scene_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("1")  # active sessions: the top one can be ended
        await settle(pilot)
        type_at_push(
            monkeypatch, app, EndReasonScreen, list("re")
        )  # reset-requested; "e" alone is another
        await pilot.press("x")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, EndReasonScreen) and bool(app.screen.query(Input)),
            "the picker composed",
        )
        field = app.screen.query_one(Input)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirm")
        confirm = app.screen
        assert isinstance(confirm, ConfirmEndScreen)
        assert field.value == "re"
        assert confirm.trigger.wire == "reset-requested"
        await pilot.press("escape")  # Cancel: nothing is written
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmEndScreen), "cancel")


@pytest.mark.usefixtures("_demo")
async def test_characters_typed_the_moment_the_export_appears_land_in_its_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The path field has the focus from the export's compose (its default selected, so
    what is typed replaces it): no other field of the form is passed on the way, and a
    character read earlier is handed to it. Nothing is written: the export is closed."""
    app = scenes.scene_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        type_at_push(monkeypatch, app, ExportScreen, list("view.csv"))
        await pilot.press("e")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ExportScreen) and bool(app.screen.query(Input)),
            "the export composed",
        )
        path = app.screen.query_one("#export-path", Input)
        await wait_until(pilot, lambda: path.value.endswith(".csv"), "what was typed")
        assert path.value == "view.csv"
        assert app.focused is path
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen), "closed")
