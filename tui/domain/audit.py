"""The audit record an end writes into `metadata.endedBy`, and what it says later.

The store writes the record and the confirmation screen shows it, both from
`audit_record`. The database adds `at` in the same UPDATE (`Backend.audit_object`):
the clock `ended_at` was written with, so the record holds exactly what the tool
wrote. The service does not compare-and-set (its own end is `UPDATE … WHERE id = $1`),
so a race can overwrite our `ended_reason`/`ended_at` and leave our record beside its
values: `overwritten` tells when the row no longer says what the record says.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from msgspec import Struct

from tui import TOOL_NAME, __version__
from tui.domain.models import Metadata, SessionRow
from tui.domain.text import safe_text

AUDIT_KEY = "endedBy"
AT_PLACEHOLDER = "<database clock at commit>"
"""What `at` reads as before the database has filled it (the confirmation screen)."""


ACTOR_RULE = "a name to sign ends with, in printable characters"
"""What `check_actor` refuses, as the operator reads it."""


class BadActor(ValueError):
    """An actor that is blank or holds a character that is not printable."""


def check_actor(value: str) -> str:
    """The one rule for every actor an end is signed by (`end --actor`, `serve --actor`,
    the served dashboard's environment): not blank, and every character printable (no
    control, format or line-breaking character). BadActor otherwise; the value as given
    when it passes."""
    if not value.strip() or safe_text(value) != value:
        raise BadActor(ACTOR_RULE)
    return value


def default_actor() -> str:
    """`user@host`, the way an operator would sign a change by hand. The user is the
    login name from the environment (`getpass.getuser`), or the password database's
    name for this uid when the environment's breaks `check_actor`'s rule."""
    finders: tuple[Callable[[], str], ...] = (getpass.getuser, _uid_name)
    user = next((name for name in map(_name_from, finders) if name is not None), "unknown")
    host = _name_from(socket.gethostname) or "unknown"
    return f"{user}@{host}"


def _name_from(find: Callable[[], str]) -> str | None:
    """What `find` names, when it names something that passes `check_actor`."""
    try:
        return check_actor(find())
    except (KeyError, OSError, ImportError, AttributeError, BadActor):
        return None


def _uid_name() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def audit_record(actor: str | None, reason: str) -> dict[str, str]:
    """What an end merges into `metadata.endedBy`, but for `at`, which the database adds."""
    return {
        "actor": default_actor() if actor is None else check_actor(actor),
        "tool": TOOL_NAME,
        "version": __version__,
        "reason": reason,
    }


def audit_json(record: dict[str, str]) -> str:
    """The record as the store sends it to the database."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


class EndedBy(Struct, frozen=True):
    """This tool's record of an end, as read back from a session's metadata."""

    actor: str
    reason: str | None
    at: datetime | None
    version: str | None = None


class Overwritten(Struct, frozen=True):
    """The row's end no longer says what this tool wrote: someone wrote after it."""

    record: EndedBy
    stored_reason: str | None
    stored_at: datetime | None


def ended_by(metadata: Metadata) -> EndedBy | None:
    """This tool's record in `metadata.endedBy`, or None (absent, another tool's, or not
    an object). Records from before `reason`/`at` were written have them None."""
    value: Any = metadata.value if metadata.valid else None
    record = value.get(AUDIT_KEY) if isinstance(value, dict) else None
    if not isinstance(record, dict) or record.get("tool") != TOOL_NAME:
        return None
    actor, reason, version = record.get("actor"), record.get("reason"), record.get("version")
    return EndedBy(
        actor=actor if isinstance(actor, str) else "unknown",
        reason=reason if isinstance(reason, str) else None,
        at=_instant(record.get("at")),
        version=version if isinstance(version, str) else None,
    )


def overwritten(
    row: SessionRow, metadata: Metadata, zone: tzinfo | None = None
) -> Overwritten | None:
    """Whether the stored end differs from this tool's record of it.

    Only a record holding both `reason` and `at` is compared. `at` has the precision
    the backend stores ended_at with, so an untouched end matches it exactly; any
    other stored reason or time (or an active row) means a later write. With the zone
    a zone-less ended_at was written in, times are compared as that wall clock: in the
    hour a DST change repeats, the stored value reads back an hour off the instant.
    """
    record = ended_by(metadata)
    if record is None or record.reason is None or record.at is None:
        return None
    same_time = _same_wall_clock(row.ended_at, record.at, zone)
    if row.ended_reason == record.reason and same_time and not row.active:
        return None
    return Overwritten(record, row.ended_reason, None if row.active else row.ended_at)


def _same_wall_clock(stored: datetime | None, at: datetime, zone: tzinfo | None) -> bool:
    if stored is None or stored == at:
        return stored is not None
    if zone is None:
        return False
    return stored.astimezone(zone).replace(tzinfo=None) == at.astimezone(zone).replace(tzinfo=None)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


OUTCOME_ENDED = "ended"
OUTCOME_ALREADY_ENDED = "already-ended"


class AuditEntry(Struct, frozen=True):
    """One row of the audit table: what one end did to one session, or (`target` `run`)
    what one run cancel did to one run: `outcome` `cancelled` or `already-finished`,
    `reason` the status written, `found_reason`/`found_ended_at` the run's status and
    completed_at read back.

    `outcome` is `ended` (this tool wrote the end) or `already-ended` (someone ended it
    first; nothing was written to the session). `found_reason`/`found_ended_at` are the
    session's values read back in the same transaction: ours when `ended`, the other
    writer's when `already-ended`. `kinds` are the stuck kinds the session was in.
    """

    id: int
    end_id: str
    at: datetime | None
    session_id: str
    conversation_id: str | None
    owner: str | None
    outcome: str
    reason: str
    found_reason: str | None
    found_ended_at: datetime | None
    actor: str
    tool_version: str
    kinds: tuple[str, ...] = ()
    target: str = "session"
    """What the row is about: `session` (an end) or `run` (a run cancel, migration 0009)."""
    run_id: str | None = None
    """The run a cancel's row is about; None for a session's."""


class AuditCursor(Struct, frozen=True):
    """Where the next page of the audit, newest first, starts: below (at, id)."""

    at: datetime | None
    id: int


class AuditPage(Struct, frozen=True):
    entries: list[AuditEntry]
    next_cursor: AuditCursor | None


def kinds_text(kinds: tuple[str, ...] | list[str]) -> str:
    """The kinds as the audit table stores them: comma-separated, in the given order."""
    return ",".join(kinds)


def kinds_from_text(text: str | None) -> tuple[str, ...]:
    return tuple(k for k in (text or "").split(",") if k)


AuditValue = str | int | None


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


AUDIT_FIELDS: tuple[tuple[str, Any], ...] = (
    ("at", lambda e: _iso(e.at)),
    ("session_id", lambda e: e.session_id if e.target == "session" else None),
    ("conversation_id", lambda e: e.conversation_id),
    ("owner", lambda e: e.owner),
    ("outcome", lambda e: e.outcome),
    ("reason", lambda e: e.reason),
    ("found_reason", lambda e: e.found_reason),
    ("found_ended_at", lambda e: _iso(e.found_ended_at)),
    ("actor", lambda e: e.actor),
    ("tool_version", lambda e: e.tool_version),
    ("kinds", lambda e: kinds_text(e.kinds)),
    ("end_id", lambda e: e.end_id),
    ("id", lambda e: e.id),
    ("target", lambda e: e.target),
    ("run_id", lambda e: e.run_id),
)
"""`audit --format json|csv`: one object per row, these keys in this order (a stable
interface for scripts: a new field goes at the end). Values are as stored; the CLI makes
them terminal-safe and guards CSV formulas as `list` does."""

AUDIT_KEYS = tuple(key for key, _ in AUDIT_FIELDS)


def audit_export(entry: AuditEntry) -> dict[str, AuditValue]:
    return {key: value(entry) for key, value in AUDIT_FIELDS}
