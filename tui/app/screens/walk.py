"""The way a detail screen walks between records (a session's hops and parent, a run's
parent and sub-runs): a link shows another record on the same screen, and back comes
back through the records shown before it, then leaves the screen."""

from __future__ import annotations


class Walk:
    """The records shown before the one shown now, the last on top."""

    def __init__(self) -> None:
        self.before: list[str] = []

    def forward(self, shown: str, to: str) -> str:
        """A link from `shown` to `to` (itself: no step); returns the record to show."""
        if to != shown:
            self.before.append(shown)
        return to

    def back(self) -> str | None:
        """The record shown before, None when back leaves the screen."""
        return self.before.pop() if self.before else None
