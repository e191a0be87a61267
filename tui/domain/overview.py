"""One overview row's state: what a deployment's last readings say, and how old its
numbers are. No Textual here: the screen draws what these decide."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from msgspec import Struct

from tui.domain.snapshot import Headline, Snapshot
from tui.domain.timefmt import relative

AMBER_AFTER = 2
"""Refresh intervals after which a deployment's numbers are drawn amber (aged)."""
RED_AFTER = 5
"""Refresh intervals after which they are drawn red (old)."""


class Age(Enum):
    FRESH = "fresh"
    AGED = "aged"
    OLD = "old"


def age_of(seconds: float, every: float) -> Age:
    """How old numbers read `seconds` ago look when they are read every `every` seconds."""
    if seconds > RED_AFTER * every:
        return Age.OLD
    if seconds > AMBER_AFTER * every:
        return Age.AGED
    return Age.FRESH


class DeploymentRow(Struct):
    """A deployment's row: its last headline and last complete numbers, and its last
    answer if that failed. A reading answers twice: its `Headline` first (`headed`),
    then the whole `Snapshot` or an error (`took`); until the costlier counts of a
    first reading come they are unknown (`counting`), never 0, and a later reading's
    headline keeps the last complete numbers beside it until its own come."""

    snapshot: Snapshot | None = None
    """The last complete reading's numbers."""
    headline: Headline | None = None
    """The last good reading's version and active count."""
    good_at: datetime | None = None
    """When the last good numbers came (the dashboard's clock)."""
    error: str | None = None
    """The last reading's one line, when it failed (a later good one clears it)."""
    answers: int = 0
    """Readings finished so far, good or not."""
    counting: bool = False
    """Its headline is in and its costlier counts are being read."""

    def headed(self, headline: Headline, now: datetime) -> None:
        self.headline, self.good_at = headline, now
        self.error = None
        self.counting = True

    def took(self, snapshot: Snapshot | None, error: str | None, now: datetime) -> None:
        self.answers += 1
        self.error = error
        self.counting = False
        if snapshot is not None:
            self.snapshot, self.headline, self.good_at = snapshot, snapshot.headline, now

    @property
    def state(self) -> str:
        """live, waiting (no answer yet) or disconnected (the last answer failed)."""
        if self.error is not None:
            return "disconnected"
        return "live" if self.headline is not None else "waiting"

    def read_ago(self, now: datetime) -> str:
        """When its numbers were read, as "12 s ago"; "never" before the first."""
        if self.good_at is None:
            return "never"
        return relative(self.good_at, now)

    def age(self, now: datetime, every: float) -> Age:
        if self.good_at is None:
            return Age.FRESH
        return age_of((now - self.good_at).total_seconds(), every)
