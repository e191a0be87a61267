"""Whether the tool's audit table has the shape the tool writes (migration 0006).

A `sessions_tui_audit` made by hand or by another version may lack columns or have
other types; the tool would fail its end's INSERT with a raw SQL error. At open the
Store reads the table's columns (`catalog.column_shapes`) and, where they do not fit,
says what is wrong in one phrase: `info` and `migrate` say it, and an end keeps no
audit row (as without the table) and says so.

Migration 0009 adds `target` (`session` or `run`, what the row is about; `session` by
default, so every row written before and every end of an older tool read so) and
`run_id`. A table without them still takes ends; a run cancel keeps no audit row on it
and says why (`RunWrites.run_audit_missing`).
"""

from __future__ import annotations

from collections.abc import Mapping

AUDIT_COLUMNS: Mapping[str, str] = {
    "id": "id",
    "end_id": "text",
    "at": "time",
    "session_id": "text",
    "conversation_id": "text",
    "owner": "text",
    "outcome": "text",
    "reason": "text",
    "found_reason": "text",
    "found_ended_at": "time",
    "actor": "text",
    "tool_version": "text",
    "kinds": "text",
}
"""Each column an end writes, by kind: `id` (an integer key the database fills), `text`,
`time` (UTC text on SQLite, TIMESTAMP WITH TIME ZONE on PostgreSQL)."""

TARGET_COLUMNS: Mapping[str, str] = {
    "target": "text",
    "run_id": "text",
}
"""What migration 0009 adds, by kind: what a run cancel writes besides `AUDIT_COLUMNS`
(a run's row keeps `session_id` empty: 0006 made it NOT NULL)."""


def has_targets(found: Mapping[str, tuple[str, bool, bool]]) -> bool:
    """Whether the table has 0009's columns (their types are `shape_problem`'s)."""
    return all(c in found for c in TARGET_COLUMNS)


def shape_problem(
    found: Mapping[str, tuple[str, bool, bool]],
    fits: Mapping[str, frozenset[str]],
) -> str | None:
    """What is wrong with a table whose columns are `found` (name: declared type,
    NOT NULL, has a default), `fits` being each kind's accepted types (lower case);
    None when an end can write it."""
    if not found:
        return None
    lacking = [c for c in AUDIT_COLUMNS if c not in found]
    wrong = [
        f"{c} is {found[c][0] or 'untyped'}"
        for c, kind in {**AUDIT_COLUMNS, **TARGET_COLUMNS}.items()
        if c in found and found[c][0].lower() not in fits[kind]
    ]
    if "id" in found and not found["id"][2]:
        wrong.append("id has no default")
    blocking = [
        c
        for c, (_, notnull, dflt) in found.items()
        if c not in AUDIT_COLUMNS and c not in TARGET_COLUMNS and notnull and not dflt
    ]
    parts = []
    if lacking:
        parts.append("lacks " + ", ".join(lacking))
    parts += wrong
    if blocking:
        parts.append(", ".join(blocking) + " NOT NULL without a default")
    return "; ".join(parts) or None
