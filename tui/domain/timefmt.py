"""Times as operators read them: UTC in, "3h ago" out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_SINCE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION_SECONDS = 100 * 366 * 86400


def utcnow() -> datetime:
    return datetime.now(UTC)


class DurationTooLong(ValueError):
    """A well-formed duration that datetime arithmetic cannot hold."""


def parse_duration(text: str) -> timedelta:
    """Parse "90s", "15m", "2h", "3d", "1w"; raise ValueError with a usable message."""
    match = _SINCE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30m, 2h, 3d or 1w")
    seconds = int(match.group(1)) * _UNIT[match.group(2)]
    if seconds > MAX_DURATION_SECONDS:  # timedelta and datetime arithmetic would overflow
        raise DurationTooLong(f"{text!r} is longer than 100 years")
    return timedelta(seconds=seconds)


def human_duration(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        h, m = divmod(seconds // 60, 60)
        return f"{h}h{m:02d}m" if m else f"{h}h"
    d, h = divmod(seconds // 3600, 24)
    return f"{d}d{h}h" if h else f"{d}d"


def coarse(delta: timedelta) -> str:
    """One unit only ("3h", "2d"): relative times are read at a glance, not computed with.

    At most two digits from a day on (99d, then 14w to 99w, then years), so "… ago" fits
    the table's seven cells at any age."""
    seconds = int(delta.total_seconds())
    days = seconds // 86400
    if days >= 7 * 100:
        return f"{days // 365}y"
    if days >= 100:
        return f"{days // 7}w"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def relative(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "—"
    delta = now - when
    if delta.total_seconds() < 0:
        return "in " + coarse(-delta)
    return coarse(delta) + " ago"


def iso(when: datetime | None) -> str | None:
    """The service's own text form, UTC: `YYYY-MM-DD HH:MM:SS`."""
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_z(when: datetime | None) -> str | None:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC (a naive time is taken as UTC), or None: the form of
    every time the CLI prints and exports, and of the end outcomes on both screens."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
