"""The list's search field: what is typed is applied after a short pause, or at once
on enter; the field keeps its own pause timer."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.timer import Timer
from textual.widgets import Input

SEARCH_DEBOUNCE = 0.25
"""Seconds of no typing before the text typed so far is searched."""


class SearchBox(Input):
    """An Input that hands its text to `apply(text, submitted)`."""

    def __init__(self, apply: Callable[[str, bool], None], *, placeholder: str, id: str) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self.apply = apply
        self._pending: Timer | None = None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.forget_pending()
        value = event.value
        self._pending = self.set_timer(SEARCH_DEBOUNCE, lambda: self.apply(value, False))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.apply(event.value, True)

    def forget_pending(self) -> None:
        """A search typed but not applied yet is not applied."""
        if self._pending is not None:
            self._pending.stop()

    def clear_quietly(self) -> None:
        """Empty the field without searching: the filters were undone elsewhere."""
        self.forget_pending()  # a debounced search must not put it back
        with self.prevent(Input.Changed):
            self.value = ""
