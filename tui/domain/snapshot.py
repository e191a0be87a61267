"""One deployment's state in numbers, read at one moment: what the overview's row, the
`check` plugin and the `metrics` exporter all show, so the three never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from msgspec import Struct

from tui.domain.run_stuck import RunStuckKind
from tui.domain.stuck import StuckKind

RECENT = timedelta(hours=24)
"""How far back "recent ends" reach."""


class Headline(Struct, frozen=True):
    """What a deployment's reading says first, cheaply: its service version and its
    active count. The overview draws a row's state, version and active count from it
    before the rest of its `Snapshot` is known."""

    version: str
    """The service version the tool detected (its vocabulary's name)."""
    active: int
    read_at: datetime
    """When it was read (UTC, the tool's clock)."""
    seconds: float
    """How long it took."""


class Snapshot(Struct, frozen=True):
    """The counts of one database. A stuck kind the service version cannot produce is
    None (not detectable), never 0; without a runs table every run count is absent
    (`has_runs` False). Reasons and statuses are as stored; a None reason is an end
    whose reason was not recorded."""

    version: str
    """The service version the tool detected (its vocabulary's name)."""
    active: int
    ended: int
    stuck: Mapping[StuckKind, int | None]
    has_runs: bool
    stuck_runs: Mapping[RunStuckKind, int | None]
    runs_by_status: Mapping[str | None, int]
    ended_recently: Mapping[str | None, int]
    """Sessions that ended in the last `RECENT`, by stored reason."""
    read_at: datetime
    """When the read finished (UTC, the tool's clock)."""
    seconds: float
    """How long the read took."""

    @property
    def headline(self) -> Headline:
        return Headline(self.version, self.active, self.read_at, self.seconds)

    def top_reasons(self, n: int = 3) -> list[tuple[str | None, int]]:
        """The `n` reasons with the most recent ends, the largest first (ties by name,
        not recorded last)."""
        ranked = sorted(
            self.ended_recently.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or "")
        )
        return ranked[:n]

    @property
    def stuck_total(self) -> int:
        """Active sessions in any detectable kind, counted once per kind."""
        return sum(n for n in self.stuck.values() if n)

    @property
    def stuck_runs_total(self) -> int:
        return sum(n for n in self.stuck_runs.values() if n)
