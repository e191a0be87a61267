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

from tui.domain.models import SessionRow
from tui.domain.stuck import StuckKind

SQLITE_TS_FORMAT = "%Y-%m-%d %H:%M:%S"

LIST_ID_COLUMNS = (
    "id",
    "conversation_id",
    "codebase_id",
    "parent_session_id",
    "conversation_codebase_id",
)
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
    """The service's zone (`catalog.service_zone`) for Python; None when there is none,
    or Python does not know the server's name for it."""
    if name is None:
        return None
    if name.upper() in ("UTC", "GMT", "ETC/UTC", "Z", "ZULU"):
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # its import reads sysconfig

    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None


def text_id(value: Any) -> str | None:
    """Hex TEXT (SQLite) or a UUID (PostgreSQL) as a str."""
    return None if value is None else str(text_value(value))


STUCK_COLUMNS: dict[StuckKind, str] = {
    kind: f"stuck_{kind.name.lower()}" for kind in StuckKind if not kind.record.by_clock
}
"""The list query's true/false column per kind it finds (`sql_stuck.stuck_flags`); a
kind found by the clock (`idle`) is added at the read (`SessionRow.with_idle`)."""
DUPLICATE_COLUMN = STUCK_COLUMNS[StuckKind.DUPLICATE]
"""NULL where the list read no `duplicate` mark (`queries.marks_duplicates`)."""

ODD_SPELLING_MAX = 40
"""Characters of an odd `active` value shown; a longer one is cut with an ellipsis."""


def active_state(raw: Any) -> tuple[bool | None, str | None]:
    """The rule for `active`, one for every read: only the values the service writes
    mean something. 1 (SQLite's true; 1.0 compares equal in SQL too) or PostgreSQL's
    true is active, 0 or false is ended: `(True, None)`, `(False, None)`. Anything else
    SQLite can hold (2, -1, 'yes', 'true', 0.5, X'01') and NULL is odd: `(None, spelling)`,
    the stored value as SQL would write it. The SQL filters say the same: `active = 1`
    and `active = 0` (`= true`/`= false` on PostgreSQL) match no odd value."""
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return raw == 1, None
    return None, spell_value(raw)


def spell_value(raw: Any) -> str:
    """A stored value as SQL would write it: 2, 0.5, 'yes', X'01', NULL (cut when long)."""
    if raw is None:
        text = "NULL"
    elif isinstance(raw, (bytes, bytearray, memoryview)):
        text = "X'" + bytes(raw)[: ODD_SPELLING_MAX // 2].hex().upper() + "'"
    elif isinstance(raw, str):
        text = "'" + raw.replace("'", "''") + "'"
    else:
        text = repr(raw)
    return text if len(text) <= ODD_SPELLING_MAX else text[: ODD_SPELLING_MAX - 1] + "…"


DERIVED_FIELDS = frozenset({"active_value", "stuck"})
"""`SessionRow` fields computed from other columns (`active_state`, `STUCK_COLUMNS`),
not read by name."""
ROW_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(SessionRow) if f.name not in DERIVED_FIELDS
)
"""The list query's column labels: `SessionRow`'s fields, by name, so a field added to the
row is read once the query selects a column of that name (`stuck` is read from
`STUCK_COLUMNS`)."""


def session_row(m: Mapping[Any, Any]) -> SessionRow:
    """A list row from already-decoded column values (`active` as the driver stored it)."""
    values: dict[str, Any] = {name: text_value(m[name]) for name in ROW_FIELDS}
    state, odd = active_state(m["active"])
    values["active"], values["active_value"] = bool(state), odd
    for name in ("conversation_deleted", "conversation_hidden"):
        values[name] = bool(values[name])
    stored = values["started_at_text"]  # the raw column; a time is already `started_at`
    unread = stored is not None and values["started_at"] is None
    values["started_at_text"] = str(stored) if unread else None
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
