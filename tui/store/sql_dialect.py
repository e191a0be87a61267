"""What every statement depends on (`Dialect`: the backend and the columns this database
has) and the small pieces all of them share.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from msgspec import Struct
from sqlalchemy.sql.elements import ColumnElement

from tui.domain.models import (
    SessionFilter,
    SortKey,
)
from tui.domain.stuck import StuckKind
from tui.domain.timefmt import utcnow
from tui.store.backends.base import Backend, escape_like
from tui.store.tables import (
    StoredActive,
    UtcTimestamp,
    codebases,
    conversations,
    sessions,
    users,
    workflow_runs,
)

s, c, cb, u, wr = sessions, conversations, codebases, users, workflow_runs

MAX_CHAIN_DEPTH = 500


class Dialect(Struct, frozen=True):
    """What the statements depend on: the database's backend, whether the table has
    ended_reason (the service's migration 016), and the zone the service writes
    started_at/ended_at in (`catalog.service_zone`; unused where they are UTC text).

    Rule for those two columns: WHERE, ORDER BY and cursors compare the stored values
    (what the indexes hold); the select list reads them as absolute times
    (`Backend.absolute`), and a time from Python is turned into the stored form
    (`Backend.stored`) before it is compared.

    Which of the columns later service versions added it has: a statement never names
    a column the database lacks; NULL (or false) stands in for it."""

    backend: Backend
    has_ended_reason: bool
    """`remote_agent_sessions.ended_reason`: the service's migration 016."""
    zone: str = "UTC"
    has_owner: bool = False
    """`remote_agent_users` and `remote_agent_conversations.user_id`: the service's v0.4.0."""
    has_deleted: bool = False
    """`remote_agent_conversations.deleted_at` (soft delete)."""
    has_hidden: bool = False
    """`remote_agent_conversations.hidden`."""
    has_conversation_codebase: bool = True
    """`remote_agent_conversations.codebase_id`: read as the conversation's own codebase,
    next to the session's stored one."""
    undetectable: frozenset[StuckKind] = frozenset()
    """Kinds the service version in front of the tool cannot produce
    (`stuck.not_detectable`): not computed, false on every row."""
    has_active_index: bool = False
    """`tables.ACTIVE_INDEX` (the tool's migration 0008): the active sessions alone, by
    conversation. With it the stuck counts and `duplicate` read that index only; without
    it they read the sessions table by the broader indexes, as before."""
    has_conversation_index: bool = True
    """An index of the service's on sessions(conversation_id), checked at open
    (`tables.SERVICE_CONVERSATION_INDEXES`). A list row's `duplicate` mark reads the
    active index, else this one; with neither it is not read (NULL: not known), since
    every active row of a page would scan the table."""
    stale_after: timedelta = timedelta(hours=24)
    """When an active session is `idle` (`--stale-after`)."""
    clock: Callable[[], datetime] = utcnow
    """What "now" is for `idle` (the dashboard's screenshots fix it)."""

    def idle_before(self) -> datetime:
        """An active session quiet since before this is `idle`."""
        return self.clock() - self.stale_after

    @property
    def owner(self) -> ColumnElement[Any]:
        """Who owns the session's conversation: the user's display name, else email, else
        the user id; NULL without a user (or before v0.4.0)."""
        if not self.has_owner:
            return sa.null()
        return sa.func.coalesce(
            sa.func.nullif(u.c.display_name, ""),
            sa.func.nullif(u.c.email, ""),
            self.backend.as_text(c.c.user_id),
        )

    @property
    def conversation_codebase(self) -> ColumnElement[Any]:
        """The conversation's own codebase id, as stored; NULL without the column."""
        if not self.has_conversation_codebase:
            return sa.null()
        return c.c.codebase_id

    @property
    def conversation_deleted(self) -> ColumnElement[Any]:
        if not self.has_deleted:
            return sa.false()
        return c.c.deleted_at.is_not(None)

    @property
    def conversation_hidden(self) -> ColumnElement[Any]:
        if not self.has_hidden:
            return sa.false()
        return sa.func.coalesce(c.c.hidden, sa.false())

    def absolute(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        """A stored started_at/ended_at as an absolute time, keeping its name."""
        return self.backend.absolute(col, self.zone).label(col.name)

    def stored(self, name: str, when: datetime | None) -> ColumnElement[Any]:
        """An aware datetime bound as `name`, in the stored form of started_at/ended_at."""
        bound = sa.bindparam(name, when, type_=UtcTimestamp(timezone=True), unique=True)
        return self.backend.stored(bound, self.zone)

    @property
    def ended_reason(self) -> ColumnElement[Any]:
        """NULL stands in for the column on a database from before migration 016."""
        if self.has_ended_reason:
            return s.c.ended_reason
        return sa.null().label("ended_reason")

    def sort_key(self, key: SortKey, as_of: datetime | None) -> ColumnElement[Any]:
        b = self.backend
        if key is SortKey.STARTED:
            return raw_timestamp(b, s.c.started_at)
        if key is SortKey.ENDED:
            # The stored end as it is: NULL (not ended) is its own keyset segment, which
            # `first_segment`/`next_segment` put after every ended session newest first,
            # so each phase is one range of ix_sessions_tui_ended (ended_at, id).
            return raw_timestamp(b, s.c.ended_at)
        # Absolute times: a span across a daylight-saving change is its real length.
        now = sa.bindparam("as_of", as_of, type_=UtcTimestamp(timezone=True))
        end = sa.func.coalesce(b.absolute(s.c.ended_at, self.zone), now)
        return b.seconds_between(end, b.absolute(s.c.started_at, self.zone))


def stored_active(col: ColumnElement[Any]) -> ColumnElement[Any]:
    """`active` in a select list as stored, for `codec.active_state` to judge: the SQL is
    the bare column, only the Python side skips Boolean's `bool()`."""
    return sa.type_coerce(col, StoredActive()).label("active")


def raw_timestamp(backend: Backend, col: ColumnElement[Any]) -> ColumnElement[Any]:
    """The stored timestamp untouched, so cursors compare exactly as the index does."""
    text = backend.traits.timestamp_format is not None
    return sa.type_coerce(col, sa.Text() if text else sa.DateTime())


def with_id(d: Dialect) -> list[ColumnElement[bool]]:
    """A page lists only rows with an id: one without cannot be shown, paged past (the
    cursor is (key, id)) or ended. `without_id_statement` counts them apart. Where a
    primary key can be NULL (`Traits.nullable_ids`) the test is on the `unindexed` id:
    tested on each row read, never a reason to pick the id's index (the list's order
    decides the index)."""
    if not d.backend.traits.nullable_ids:
        return []
    return [d.backend.unindexed(s.c.id).is_not(None)]


def without_id_statement(d: Dialect) -> sa.Select[Any] | None:
    """How many sessions have no id (SQLite's TEXT PRIMARY KEY allows NULL); None where
    the key cannot be NULL."""
    if not d.backend.traits.nullable_ids:
        return None
    return sa.select(sa.func.count()).select_from(s).where(s.c.id.is_(None))


_HEX = frozenset("0123456789abcdef")


def valid_id(backend: Backend, value: str) -> bool:
    """Whether `value` can be an id at all (asking the database otherwise errs): any text
    where ids are free text, a UUID where they are UUIDs (`Traits.uuid_ids`)."""
    if not backend.traits.uuid_ids:
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def id_prefix(backend: Backend, col: ColumnElement[Any], prefix: str) -> ColumnElement[bool] | None:
    """The ids that start with `prefix` (as typed, stripped), as index ranges; None if no
    id can start with it.

    Free-text ids are text as the service wrote them: the prefix as typed, all lowercase
    (a UUID typed in capitals) or all uppercase, each one range of the primary key's
    index. UUIDs lie between the prefix padded with 0s and with fs, in UUID text: any
    case (a UUID is one value whatever case it is typed in)."""
    if not backend.traits.uuid_ids:
        forms = dict.fromkeys((prefix, prefix.lower(), prefix.upper()))
        return sa.or_(*(sa.and_(col >= form, col < form + "\U0010ffff") for form in forms))
    hexdigits = prefix.replace("-", "").lower()
    if not all(ch in _HEX for ch in hexdigits) or len(hexdigits) > 32:
        return None
    lo, hi = hexdigits.ljust(32, "0"), hexdigits.ljust(32, "f")
    return sa.and_(col >= _uuid_text(lo), col <= _uuid_text(hi))


def _uuid_text(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def id_contains(backend: Backend, col: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """The ids (the service's, in `col`) that contain `text` as an operator types it,
    ignoring case: a part of a free-text id as typed; for UUIDs, their hex digits, dashes
    ignored on both sides (anything but hex digits and dashes is in no UUID), as `show`
    accepts them."""
    if not backend.traits.uuid_ids:
        return backend.like(col, f"%{escape_like(text)}%")
    digits = text.replace("-", "").lower()
    if not digits or not all(ch in _HEX for ch in digits):
        return sa.false()
    bare = sa.func.replace(backend.as_text(col), "-", "")
    return bare.like(f"%{digits}%")


def starts_with(d: Dialect, col: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """The search tokens' one rule: `col` starts with `text`, ignoring case."""
    return d.backend.like(col, f"{escape_like(text.strip())}%")


SEARCH_WINDOW = 5000
"""Rows, newest first, that a search's first try looks at before it searches everything."""


def needs_join(flt: SessionFilter) -> bool:
    """Only the platform, codebase and stuck filters need the joined tables in WHERE."""
    return bool(flt.platform or flt.codebase or flt.stuck)
