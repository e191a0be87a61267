"""Trends: a measure per UTC day (or hour) and per group, over a window.

The machinery is the subject's declaration (`TrendSplit`, what the counts are split by,
and `TrendMeasure`, what a number is); the sessions' trends (ended sessions) are one
declaration of it, the workflow runs' (`tui.domain.run_trends`) another.

The buckets follow the tool's one zone rule: every time is shown in UTC, so a day is a
UTC day (00:00 to 24:00 UTC) and an hour a UTC hour, on every backend and whatever
zone a PostgreSQL server stores its times in (the store compares each stored time with
a bucket's UTC bounds in the column's own form, or converts it to UTC first, so a
daylight-saving change moves nothing). A window of N days is the last N UTC days,
today included (today is partial); a window of `HOURLY_MAX_DAYS` or fewer is counted
per hour, the last 24·N hours, this one included.

For sessions: a session counts once, in the bucket of its `ended_at`, when it has ended
(`active` false, the `ended` status) and its end time falls in the window. Groups are the stored
values as they are: a reason no trigger list knows is counted as itself (marked
unrecognised when shown), NULL as `not recorded` (a reason) or `—` (no platform,
codebase or owner).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from msgspec import Struct, field

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


class TrendSplit(Protocol):
    """What a trend's numbers are split by, and how a stored group value reads."""

    @property
    def value(self) -> str:
        """The split's name (`--by`, the JSON's `by`, the table's heading)."""
        ...

    @property
    def null_token(self) -> str | None:
        """What a stored NULL counts as (None: it stays None, shown as a dash)."""
        ...

    @property
    def known(self) -> frozenset[str] | None:
        """The values some service version writes: any other is unrecognised (counted
        as itself, marked when shown); None: every value is shown as stored, unmarked."""
        ...


class GroupBy(Struct, frozen=True):
    """A split declared by its rules alone (`TrendSplit`)."""

    value: str
    null_token: str | None = None
    known: frozenset[str] | None = None


class TrendMeasure(Struct, frozen=True):
    """What a trend's numbers are. Every number is an integer: a count, or an amount in
    `1/scale` of its unit (spend: millionths of a dollar), so every sum is exact and the
    chart stacks an amount as it stacks a count. An amount of 0 is none recorded (a
    service writes a cost only above 0): null in JSON and CSV, a dash in a table."""

    name: str
    """The measure in a sentence and in CSV (`ended`, `runs`, `spend_usd`)."""
    heading: str
    """The table's column (`ENDED`, `RUNS`, `SPEND (USD)`)."""
    in_all: str
    """What the total is, after it (`ended in all`, `spent in all`)."""
    scale: int = 1
    unit: str = ""
    """The amount's unit sign, shown before it (`$`); empty for a count."""
    nothing: str = ""
    """An amount's total when none is recorded, in words (`no spend recorded`)."""

    @property
    def is_amount(self) -> bool:
        return self.scale != 1

    def plain(self, n: int) -> int | float | None:
        """The number for JSON and CSV: the count, or the amount in its unit (None: none)."""
        if not self.is_amount:
            return n
        return round(n / self.scale, 6) if n else None

    def shown(self, n: int) -> str:
        """The number for a table: `1234`, or `$12.35` (`—`: none recorded)."""
        if not self.is_amount:
            return str(n)
        return f"{self.unit}{n / self.scale:,.2f}" if n else "—"

    def total_line(self, n: int) -> str:
        """The total in words: `1234 ended in all`, `$12.35 spent in all`."""
        if self.is_amount and not n:
            return self.nothing
        return f"{self.shown(n)} {self.in_all}"

    def amount(self, value: float | int | None) -> int:
        """A stored number (a count, or a sum in the unit) as this measure's integer."""
        if value is None:
            return 0
        return int(value) if not self.is_amount else round(float(value) * self.scale)


ENDED = TrendMeasure("ended", "ENDED", "ended in all")
"""The sessions' measure: ended sessions."""


class TrendBy(enum.StrEnum):
    """What the sessions' counts are split by (the chart stacks reasons; the CLI takes any)."""

    REASON = "reason"
    PLATFORM = "platform"
    CODEBASE = "codebase"
    OWNER = "owner"

    @property
    def null_token(self) -> str | None:
        """A session with no reason recorded counts as `not recorded`."""
        return NOT_RECORDED_TOKEN if self is TrendBy.REASON else None

    @property
    def known(self) -> frozenset[str] | None:
        return _KNOWN_REASONS if self is TrendBy.REASON else None


_KNOWN_REASONS = frozenset(KNOWN_REASONS)


class TrendWindow(Struct, frozen=True):
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


def group_token(by: TrendSplit, value: str | None) -> str | None:
    """A stored group value as the counts key it (a NULL reason is `not recorded`)."""
    return by.null_token if value is None else value


def is_unrecognised(by: TrendSplit, key: str | None) -> bool:
    """A value no service version this tool knows wrote (a reason, a run's status)."""
    known = by.known
    return known is not None and key is not None and key != by.null_token and key not in known


def reason_filter_token(key: str | None) -> str:
    """The reason filter that selects exactly the sessions of this group."""
    if key is None or key == NOT_RECORDED_TOKEN:
        return NOT_RECORDED_TOKEN
    return key


class Trends(Struct, frozen=True):
    """The measure per (bucket key, group) over `window`, split `by`; absent pairs are 0
    (the sessions': ended sessions)."""

    window: TrendWindow
    by: TrendSplit
    counts: Mapping[tuple[str, str | None], int] = field(default_factory=dict)
    measure: TrendMeasure = ENDED

    @classmethod
    def from_rows(
        cls,
        window: TrendWindow,
        by: TrendSplit,
        rows: Iterable[tuple[str | None, str | None, int]],
        measure: TrendMeasure = ENDED,
    ) -> Trends:
        """From the store's (bucket key, stored group value, number) rows; a row whose
        time is no time (bucket None) or lies outside the buckets is left out."""
        keys = {window.key(b) for b in window.buckets()}
        counts: dict[tuple[str, str | None], int] = {}
        for bucket, value, n in rows:
            if bucket is None or bucket not in keys or not n:
                continue
            k = (bucket, group_token(by, value))
            counts[k] = counts.get(k, 0) + int(n)
        return cls(window, by, counts, measure)

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
