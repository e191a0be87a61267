"""Values as the drivers return them, turned into the domain's types. No SQLAlchemy here.

The column types in `tables.py` call these, and so does the warm first page
(`warm.py`), which reads through the bare drivers before SQLAlchemy is imported:
one decoding for both paths, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tui.domain.models import SessionRow
from tui.domain.stuck import StuckKind

SQLITE_TS_FORMAT = "%Y-%m-%d %H:%M:%S"

LIST_ID_COLUMNS = ("id", "conversation_id", "codebase_id", "parent_session_id")
LIST_TS_COLUMNS = ("started_at", "ended_at", "last_activity_at")


def parse_sqlite_ts(value: str) -> datetime | None:
    """The service writes `datetime('now')`; tolerate ISO variants, never raise."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def utc_datetime(value: Any) -> datetime | None:
    """UTC text (SQLite) or a naive/aware datetime (PostgreSQL) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str):
        return parse_sqlite_ts(value)
    return None


def text_value(value: Any) -> Any:
    """A BLOB where text belongs (SQLite stores whatever it is given) as the text it
    spells, each invalid byte shown as U+FFFD; any other value as it is."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return value


def zone_info(name: str | None) -> tzinfo | None:
    """The service's zone (`Backend.service_zone`) for Python; None when there is none,
    or Python does not know the server's name for it."""
    if name is None:
        return None
    if name.upper() in ("UTC", "GMT", "ETC/UTC", "Z", "ZULU"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None


def text_id(value: Any) -> str | None:
    """Hex TEXT (SQLite) or a UUID (PostgreSQL) as a str."""
    return None if value is None else str(text_value(value))


STUCK_COLUMNS: dict[StuckKind, str] = {
    kind: f"stuck_{kind.name.lower()}" for kind in StuckKind if kind is not StuckKind.IDLE
}
"""The list query's true/false column per kind it finds (`queries.stuck_flags`); `idle`
depends on the clock, so the store adds it at the read (`SessionRow.with_idle`)."""

ROW_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SessionRow) if f.name != "stuck")
"""The list query's column labels: `SessionRow`'s fields, by name, so a field added to the
row is read once the query selects a column of that name (`stuck` is read from
`STUCK_COLUMNS`)."""


def session_row(m: Mapping[Any, Any]) -> SessionRow:
    """A list row from already-decoded column values (`active` as a driver gives it)."""
    values: dict[str, Any] = {name: text_value(m[name]) for name in ROW_FIELDS}
    for name in ("active", "conversation_deleted", "conversation_hidden"):
        values[name] = bool(values[name])
    values["stuck"] = tuple(k for k, col in STUCK_COLUMNS.items() if m.get(col))
    return SessionRow(**values)


def decode_list_row(raw: Mapping[str, Any]) -> SessionRow:
    """A list row from raw driver values: what the column types in `tables.py` do."""
    m = dict(raw)
    for name in LIST_ID_COLUMNS:
        m[name] = text_id(m[name])
    for name in LIST_TS_COLUMNS:
        m[name] = utc_datetime(m[name])
    return session_row(m)
