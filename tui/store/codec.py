"""Values as the drivers return them, turned into the domain's types. No SQLAlchemy here.

The column types in `tables.py` call these, and so does the warm first page
(`warm.py`), which reads through the bare drivers before SQLAlchemy is imported:
one decoding for both paths, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from itertools import product
from typing import Any

from msgspec.structs import fields

from tui.domain.models import SessionRow, quiet
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


_BOOL_COLUMNS = ("conversation_deleted", "conversation_hidden")
_TIMES: dict[str, datetime | None] = {}
"""Stored timestamp text already parsed (`_time`): a page read again parses nothing."""
_TIMES_KEPT = 8192


def _time(value: Any) -> datetime | None:
    """`utc_datetime`, remembering what each stored text parsed to."""
    if value.__class__ is not str:
        return utc_datetime(value)
    found = _TIMES.get(value, _TIMES)
    if found is _TIMES:
        if len(_TIMES) >= _TIMES_KEPT:
            _TIMES.clear()
        found = _TIMES[value] = parse_sqlite_ts(value)
    return found  # type: ignore[return-value]


@lru_cache(maxsize=64)
def list_row_decoder(
    names: tuple[str, ...],
) -> Callable[[Sequence[Any], datetime, timedelta], SessionRow]:
    """`decode_list_row(row).with_idle(now, threshold)` for rows given by position in
    the column order `names`, as `decode(row, now, threshold)`: the same values, with
    the work per row cut to what the values need. The decoder is written out once per
    column order, one line per field (a `str` taken as it is, a NULL never converted),
    `idle` added before the row is built (`models.quiet`), the row built by position."""
    at = {name: i for i, name in enumerate(names)}
    stuck_at = [at[col] for col in STUCK_COLUMNS.values() if col in at]
    stuck_kinds = [kind for kind, col in STUCK_COLUMNS.items() if col in at]
    lines = ["def decode(row, now, threshold):"]
    args: list[str] = []
    for f in fields(SessionRow):
        name = f.name
        if name in ("stuck", "active_value", "started_at_text"):
            continue
        v = f"v_{name}"
        if name == "active":
            lines += [
                f"    raw = row[{at['active']}]",
                "    if raw is True or raw is False:",
                f"        {v}, odd = raw, None",
                "    elif raw.__class__ is int and (raw == 1 or raw == 0):",
                f"        {v}, odd = raw == 1, None",
                "    else:",
                "        state, odd = active_state(raw)",
                f"        {v} = bool(state)",
            ]
        elif name in LIST_ID_COLUMNS:
            lines += [
                f"    {v} = row[{at[name]}]",
                f"    if {v} is not None and {v}.__class__ is not str:",
                f"        {v} = text_id({v})",
            ]
        elif name in LIST_TS_COLUMNS:
            lines += [
                f"    {v} = row[{at[name]}]",
                f"    if {v} is not None:",
                f"        {v} = time({v})",
            ]
        elif name in _BOOL_COLUMNS:
            lines += [f"    {v} = bool(text_value(row[{at[name]}]))"]
        else:
            lines += [
                f"    {v} = row[{at[name]}]",
                f"    if {v} is not None and {v}.__class__ is not str:",
                f"        {v} = text_value({v})",
            ]
        args.append(v)
    lines += [
        f"    stored = row[{at['started_at_text']}]",
        "    text = None if stored is None or v_started_at is not None"
        " else str(text_value(stored))",
        f"    stuck = STUCK[({''.join(f'bool(row[{i}]), ' for i in stuck_at)})]",
        "    if v_active and quiet(v_last_activity_at, v_started_at, now, threshold):",
        "        stuck = IDLE[stuck]",
        f"    return SessionRow({', '.join(args)}, stuck, odd, text)",
    ]
    by_flags = {
        flags: tuple(kind for kind, on in zip(stuck_kinds, flags, strict=True) if on)
        for flags in product((False, True), repeat=len(stuck_kinds))
    }
    scope: dict[str, Any] = {
        "SessionRow": SessionRow,
        "STUCK": by_flags,
        "IDLE": {
            kinds: tuple(k for k in StuckKind if k in {StuckKind.IDLE, *kinds})
            for kinds in by_flags.values()
        },
        "quiet": quiet,
        "active_state": active_state,
        "text_id": text_id,
        "text_value": text_value,
        "time": _time,
    }
    exec("\n".join(lines), scope)
    decode: Callable[[Sequence[Any], datetime, timedelta], SessionRow] = scope["decode"]
    return decode
