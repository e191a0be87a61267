"""A dialog's text field gets the characters typed the moment the dialog appears."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.screen import Screen
from textual.widgets import Input


def hand_to_field(screen: Screen[Any], field: Input, event: events.Key) -> None:
    """A character that reaches `screen` itself while `field` has the focus goes into
    `field`. The app hands keys to a screen from the moment it is pushed; a key read
    before the screen had composed found nothing focused and came to the screen, not to
    the field (which takes every character it is given). A key another widget has, with
    that widget focused, stays that widget's."""
    if event.is_printable and event.character and screen.focused is field:
        event.stop()
        event.prevent_default()
        field.insert_text_at_cursor(event.character)
