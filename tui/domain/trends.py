"""Why sessions end, over time: ended sessions per day (or hour) and per group.

The buckets follow the tool's one zone rule: every time is shown in UTC, so a day is a
UTC day (00:00 to 24:00 UTC) and an hour a UTC hour, on every backend and whatever
zone a PostgreSQL server stores its times in (the store converts each stored end to
UTC before bucketing it, so a daylight-saving change moves nothing). A window of N
days is the last N UTC days, today included (today is partial); a window of
`HOURLY_MAX_DAYS` or fewer is counted per hour, the last 24·N hours, this one included.

A session counts once, in the bucket of its `ended_at`, when it has ended (`active`
false, the `ended` status) and its end time falls in the window. Groups are the stored
values as they are: a reason no trigger list knows is counted as itself (marked
unrecognised when shown), NULL as `not recorded` (a reason) or `—` (no platform,
codebase or owner).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tui.domain.models import NOT_RECORDED_TOKEN
from tui.domain.triggers import KNOWN_REASONS

WINDOW_DAYS = (2, 7, 30, 90)
"""The dashboard's windows (2 days: per hour, the last 48 h)."""
HOURLY_MAX_DAYS = 2
MAX_DAYS = 366
"""At most a year: the store counts each bucket in a branch of one UNION ALL, and SQLite
takes at most 500 (SQLITE_MAX_COMPOUND_SELECT)."""
SPARK_DAYS = 14
"""The reason panel's sparklines: the last 14 days."""


class TrendBy(enum.StrEnum):
    """What the counts are split by (the chart stacks reasons; the CLI takes any)."""

    REASON = "reason"
    PLATFORM = "platform"
    CODEBASE = "codebase"
    OWNER = "owner"


@dataclass(frozen=True)
class TrendWindow:
    """The last `days` UTC days up to `now` (per hour when `hourly`)."""

    days: int
    now: datetime

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_DAYS:
            raise ValueError(f"a window of 1 to {MAX_DAYS} days, not {self.days}")
        if self.now.tzinfo is None:
            raise ValueError("now must be an aware time")

    @property
    def hourly(self) -> bool:
        return self.days <= HOURLY_MAX_DAYS

    @property
    def step(self) -> timedelta:
        return timedelta(hours=1) if self.hourly else timedelta(days=1)

    @property
    def count(self) -> int:
        """How many buckets: 24 a day per hour, else one a day."""
        return self.days * 24 if self.hourly else self.days

    @property
    def start(self) -> datetime:
        """The first bucket's start (UTC)."""
        now = self.now.astimezone(UTC)
        if self.hourly:
            top = now.replace(minute=0, second=0, microsecond=0)
        else:
            top = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return top - self.step * (self.count - 1)

    @property
    def end(self) -> datetime:
        """Just after the last bucket (the start of the next hour or UTC day)."""
        return self.start + self.step * self.count

    def buckets(self) -> list[datetime]:
        return [self.start + self.step * i for i in range(self.count)]

    def key(self, bucket: datetime) -> str:
        """A bucket as the store names it: `YYYY-MM-DD`, or `YYYY-MM-DD HH` per hour."""
        return bucket.strftime("%Y-%m-%d %H" if self.hourly else "%Y-%m-%d")

    def label(self, bucket: datetime) -> str:
        """A bucket in words: `2026-11-29`, or `2026-11-29 14:00` per hour (UTC)."""
        return bucket.strftime("%Y-%m-%d %H:00" if self.hourly else "%Y-%m-%d")

    def span(self, bucket: datetime) -> tuple[datetime, datetime]:
        """The bucket's ended_at range, start included, end excluded."""
        return bucket, bucket + self.step

    def spans(self) -> list[tuple[str, datetime, datetime]]:
        """(key, start, end) of every bucket, oldest first: what the store counts."""
        return [(self.key(b), b, b + self.step) for b in self.buckets()]


def group_token(by: TrendBy, value: str | None) -> str | None:
    """A stored group value as the counts key it: a NULL reason is `not recorded`."""
    if by is TrendBy.REASON and value is None:
        return NOT_RECORDED_TOKEN
    return value


def is_unrecognised(by: TrendBy, key: str | None) -> bool:
    """A reason no service version this tool knows wrote."""
    return (
        by is TrendBy.REASON
        and key is not None
        and key != NOT_RECORDED_TOKEN
        and key not in KNOWN_REASONS
    )


def reason_filter_token(key: str | None) -> str:
    """The reason filter that selects exactly the sessions of this group."""
    if key is None or key == NOT_RECORDED_TOKEN:
        return NOT_RECORDED_TOKEN
    return key


@dataclass(frozen=True)
class Trends:
    """Ended sessions per (bucket key, group) over `window`, split `by`; absent pairs are 0."""

    window: TrendWindow
    by: TrendBy
    counts: Mapping[tuple[str, str | None], int] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls, window: TrendWindow, by: TrendBy, rows: Iterable[tuple[str | None, str | None, int]]
    ) -> Trends:
        """From the store's (bucket key, stored group value, count) rows; a row whose end
        time is no time (bucket None) or lies outside the buckets is left out."""
        keys = {window.key(b) for b in window.buckets()}
        counts: dict[tuple[str, str | None], int] = {}
        for bucket, value, n in rows:
            if bucket is None or bucket not in keys or not n:
                continue
            k = (bucket, group_token(by, value))
            counts[k] = counts.get(k, 0) + int(n)
        return cls(window, by, counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def groups(self) -> list[str | None]:
        """Every group with a count, the largest total first (ties by name, None last)."""
        totals: dict[str | None, int] = {}
        for (_, g), n in self.counts.items():
            totals[g] = totals.get(g, 0) + n
        return sorted(totals, key=lambda g: (-totals[g], g is None, g or ""))

    def group_total(self, group: str | None) -> int:
        return sum(n for (_, g), n in self.counts.items() if g == group)

    def series(self, group: str | None) -> list[int]:
        """The group's count in each bucket, oldest first."""
        w = self.window
        return [self.counts.get((w.key(b), group), 0) for b in w.buckets()]

    def bucket_totals(self) -> list[int]:
        w = self.window
        per: dict[str, int] = {}
        for (bucket, _), n in self.counts.items():
            per[bucket] = per.get(bucket, 0) + n
        return [per.get(w.key(b), 0) for b in w.buckets()]

    def rows(self) -> list[tuple[datetime, str | None, int]]:
        """(bucket, group, count) for every non-zero pair, oldest bucket first, groups in
        `groups()` order: what the CLI prints."""
        order = {g: i for i, g in enumerate(self.groups())}
        w = self.window
        out = [
            (b, g, n)
            for b in w.buckets()
            for g in self.groups()
            if (n := self.counts.get((w.key(b), g), 0))
        ]
        out.sort(key=lambda r: (r[0], order[r[1]]))
        return out
