"""A list's selection as plain data: the rows picked, and the rows select-all read that
the list has not loaded. Every selectable list holds one (`ListState` is one); the
screen's `Selection` is its only writer besides the list's own handlers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from msgspec import Struct, field


class Keyed(Protocol):
    """A row the selection can hold: known by its id."""

    @property
    def id(self) -> str: ...


class Picks(Struct):
    """The selected ids, and the rows of those the loaded rows may not hold."""

    selected: set[str] = field(default_factory=set)
    matched: dict[str, Any] = field(default_factory=dict)
    """Selected rows the window does not hold (select all takes the whole view): kept
    while the database says the view holds them (`confirm`)."""

    def select_matches(self, rows: Sequence[Keyed]) -> None:
        """Select every row of the view (select all), beyond the loaded window too."""
        self.matched = {r.id: r for r in rows}
        self.selected = set(self.matched)

    def unshown(self, loaded: Iterable[str]) -> frozenset[str]:
        """Selected rows the `loaded` ones do not show: whether the view still holds
        them is the database's to say (`confirm`), never the window's."""
        return frozenset(self.selected - set(loaded))

    def confirm(self, checked: frozenset[str], still: Sequence[Keyed]) -> int:
        """`checked` (unconfirmed selected rows) asked against the view: `still` are
        those it holds. The others are deselected; returns how many."""
        kept = {r.id: r for r in still}
        gone = (checked & self.selected) - set(kept)
        self.selected -= gone
        self.matched = {key: row for key, row in kept.items() if key in self.selected}
        return len(gone)

    def select_none(self) -> int:
        """Deselect everything; returns how many were selected."""
        count = len(self.selected)
        self.selected.clear()
        self.matched = {}
        return count
