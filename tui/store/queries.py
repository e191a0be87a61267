"""Statement builders for the list, facets and chain: pure SQLAlchemy Core, no I/O.

Everything is keyset-paged on (sort key, id) so a page costs the same at row 10
as at row 1,000,000, and no row is skipped or repeated between pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from tui.domain.models import (
    NOT_RECORDED_TOKEN,
    RECENT_RUNS,
    UNRECOGNISED_TOKEN,
    Cursor,
    SessionFilter,
    SortKey,
    Status,
)
from tui.domain.stuck import StuckKind
from tui.domain.timefmt import utcnow
from tui.domain.trends import TrendBy
from tui.domain.triggers import KNOWN_REASONS
from tui.store.backends.base import Backend, escape_like
from tui.store.codec import STUCK_COLUMNS
from tui.store.tables import (
    ACTIVE_INDEX,
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


@dataclass(frozen=True)
class Dialect:
    """What the statements depend on: the database's backend, whether the table has
    ended_reason (the service's migration 016), and the zone the service writes
    started_at/ended_at in (`Backend.service_zone`; unused where they are UTC text).

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
            return b.raw_timestamp(s.c.started_at)
        if key is SortKey.ENDED:
            # The stored end as it is: NULL (not ended) is its own keyset segment, which
            # `first_segment`/`next_segment` put after every ended session newest first,
            # so each phase is one range of ix_sessions_tui_ended (ended_at, id).
            return b.raw_timestamp(s.c.ended_at)
        # Absolute times: a span across a daylight-saving change is its real length.
        now = sa.bindparam("as_of", as_of, type_=UtcTimestamp(timezone=True))
        end = sa.func.coalesce(b.absolute(s.c.ended_at, self.zone), now)
        return b.seconds_between(end, b.absolute(s.c.started_at, self.zone))


def stored_active(col: ColumnElement[Any]) -> ColumnElement[Any]:
    """`active` in a select list as stored, for `codec.active_state` to judge: the SQL is
    the bare column, only the Python side skips Boolean's `bool()`."""
    return sa.type_coerce(col, StoredActive()).label("active")


def with_id(d: Dialect) -> list[ColumnElement[bool]]:
    """A page lists only rows with an id: one without cannot be shown, paged past (the
    cursor is (key, id)) or ended. `without_id_statement` counts them apart."""
    present = d.backend.id_present(s.c.id)
    return [] if present is None else [present]


def without_id_statement(d: Dialect) -> sa.Select[Any] | None:
    """How many sessions have no id (SQLite's TEXT PRIMARY KEY allows NULL); None where
    the key cannot be NULL."""
    if d.backend.id_present(s.c.id) is None:
        return None
    return sa.select(sa.func.count()).select_from(s).where(s.c.id.is_(None))


def starts_with(d: Dialect, col: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """The search tokens' one rule: `col` starts with `text`, ignoring case."""
    return d.backend.like(col, f"{escape_like(text.strip())}%")


SEARCH_WINDOW = 5000
"""Rows, newest first, that a search's first try looks at before it searches everything."""


def needs_join(flt: SessionFilter) -> bool:
    """Only the platform, codebase and stuck filters need the joined tables in WHERE."""
    return bool(flt.platform or flt.codebase or flt.stuck)


# -- stuck sessions -----------------------------------------------------------------------


def _is_active(table: sa.FromClause = s) -> ColumnElement[bool]:
    return table.c.active == sa.true()


def _newer_active_exists(d: Dialect) -> ColumnElement[bool]:
    """Another active session of the same conversation started later (ties: larger id).

    With `tables.ACTIVE_INDEX` this is a seek in that index alone, which holds only the
    active sessions: its predicate is `active = true` as written here, so both backends
    use it. Without it, the service's index on sessions(conversation_id) gives the
    conversation's sessions, ended ones too, and `active` and `started_at` are kept from
    choosing another index: on a 1M-row SQLite file nobody ANALYZEd, (active, started_at,
    id) looked better and each row walked every newer active session (minutes for the
    counts at 1M)."""
    t = s.alias("newer")
    b = d.backend
    if d.has_active_index:
        started: ColumnElement[Any] = t.c.started_at
        active: ColumnElement[Any] = t.c.active
    else:
        started, active = b.unindexed(t.c.started_at), b.unindexed(t.c.active)
    later = sa.or_(
        started > s.c.started_at,
        sa.and_(started == s.c.started_at, t.c.id > s.c.id),
    )
    return (
        sa.select(sa.literal(1))
        .select_from(t)
        .where(t.c.conversation_id == s.c.conversation_id, active == sa.true(), later)
        .exists()
    )


def _idle(d: Dialect) -> ColumnElement[bool]:
    """`SessionRow.is_stale` in SQL: the conversation's last activity, else the session's
    start, before now minus `stale_after` (now is taken when the statement runs)."""
    before = sa.bindparam(
        "idle_before",
        type_=UtcTimestamp(timezone=True),
        callable_=d.idle_before,
        unique=True,
    )
    started_before = sa.bindparam(
        "idle_started_before",
        type_=UtcTimestamp(timezone=True),
        callable_=d.idle_before,
        unique=True,
    )
    activity = c.c.last_activity_at
    return sa.or_(
        activity < before,
        sa.and_(activity.is_(None), s.c.started_at < d.backend.stored(started_before, d.zone)),
    )


def stuck_condition(d: Dialect, kind: StuckKind) -> ColumnElement[bool]:
    """What makes an active session (the caller says `active`) of `kind`, over the session
    joined with its conversation; false where the version cannot produce the kind."""
    if kind in d.undetectable:
        return sa.false()
    if kind is StuckKind.IDLE:
        return _idle(d)
    if kind is StuckKind.ORPHANED:
        return c.c.deleted_at.is_not(None) if d.has_deleted else sa.false()
    return _newer_active_exists(d)


def stuck_flags(d: Dialect) -> list[ColumnElement[Any]]:
    """One true/false column per kind found by the query (`codec.STUCK_COLUMNS`), false
    for an ended session: its subqueries run for active rows only."""
    return [
        sa.null().label(name)
        if kind is StuckKind.DUPLICATE and not marks_duplicates(d)
        else sa.case(
            (sa.and_(_is_active(), stuck_condition(d, kind)), sa.true()), else_=sa.false()
        ).label(name)
        for kind, name in STUCK_COLUMNS.items()
    ]


def marks_duplicates(d: Dialect) -> bool:
    """Whether a list row's `duplicate` mark can be read by an index (see
    `Dialect.has_conversation_index`); its column is NULL where not."""
    return d.has_active_index or d.has_conversation_index


def stuck_counts_statement(d: Dialect, flt: SessionFilter) -> sa.Select[Any]:
    """How many active sessions of each kind (one column per kind, `StuckKind` order)
    under every filter but the stuck one: one pass, every kind a sum.

    Only the active sessions are read, each with its conversation by primary key and, for
    `duplicate`, its conversation's other active sessions. With `tables.ACTIVE_INDEX` and
    no filter but the status (what the panel reads on every refresh and end), the
    sessions come from that index alone, which holds the active ones only: the cost
    follows the active sessions, never the table or its history of ended ones. Other
    filters read the session rows they test, still only the active ones.
    """
    base = replace(flt, stuck=None)
    cols = [
        sa.func.coalesce(sa.func.sum(sa.case((stuck_condition(d, kind), 1), else_=0)), 0).label(
            kind.wire
        )
        for kind in StuckKind
        if kind not in d.undetectable
    ]
    source = joined(d) if needs_join(base) else s.outerjoin(c, c.c.id == s.c.conversation_id)
    # `active` once: PostgreSQL takes `active = true AND active = true` for a rarer row
    # than either and reads another index.
    rest = replace(base, status=Status.ALL) if base.status is Status.ACTIVE else base
    conds = [_is_active(), *conditions(d, rest)]
    stmt = sa.select(*cols).select_from(source).where(*conds)
    if d.has_active_index and base == SessionFilter(status=base.status):
        return d.backend.read_by_index(stmt, s, ACTIVE_INDEX)
    return stmt


def joined(d: Dialect) -> sa.FromClause:
    """The session with its conversation, codebase and (from v0.4.0) the conversation's user."""
    out = s.outerjoin(c, c.c.id == s.c.conversation_id).outerjoin(
        cb, cb.c.id == sa.func.coalesce(s.c.codebase_id, c.c.codebase_id)
    )
    if d.has_owner:
        out = out.outerjoin(u, u.c.id == c.c.user_id)
    return out


def user_condition(d: Dialect, who: str, *, walk: bool = False) -> ColumnElement[bool]:
    """Sessions whose conversation belongs to the user named `who`: a display name or
    email starting with it, or the id, ignoring case (the search tokens' rule).

    The users table is small, so it is read first; its ids pick conversations through
    idx_conversations_user_id, and those pick sessions by conversation_id: a user costs
    their own sessions, never a pass over every session. Before v0.4.0 nobody owns
    anything, so no session matches.

    `walk` is for a window's walk (`window_walk`): each session read down the started_at
    index is tested through the conversation it is joined to (its `user_id` among the
    user's ids, a row or two), which stops at the page for a user with many recent
    sessions and costs at most the window's rows. Not the user's conversation ids as a
    set: that set grows with the table (the demo's most common user owns 56,219 of the
    221,250 conversations at 1M sessions, 1.2 s to gather per page on SQLite), and
    sorting all of a common user's sessions cost 120-190 ms at 100k.
    """
    if not d.has_owner:
        return sa.false()
    text = who.strip().lower()
    named = sa.or_(
        starts_with(d, u.c.display_name, text),
        starts_with(d, u.c.email, text),
        d.backend.as_text(u.c.id) == text,
    )
    if walk:
        # The user's ids (a row or two), tested against the conversation each walked
        # session is joined to anyway: the window's cost, whatever the user owns.
        return d.backend.unindexed(c.c.user_id).in_(sa.select(u.c.id).where(named))
    # A join, not `user_id IN (users…)`: with few users SQLite guessed the IN list long
    # and scanned the conversations. The users' id is `unindexed` in the join so SQLite
    # cannot look users up per conversation (a pass over every conversation, 1-3 s at
    # 1M): it reads the users and seeks idx_conversations_user_id from each.
    theirs = (
        sa.select(c.c.id)
        .select_from(u.join(c, c.c.user_id == d.backend.unindexed(u.c.id)))
        .where(named)
    )
    return d.backend.in_small_set(s.c.conversation_id, theirs)


def _unindexed_active(d: Dialect) -> ColumnElement[Any]:
    """`active` kept from choosing the index: the reason index should drive."""
    return d.backend.unindexed(s.c.active)


def reason_condition(d: Dialect, reasons: frozenset[str]) -> ColumnElement[bool] | None:
    if not reasons:
        return None
    er = d.ended_reason
    raws = sorted(r for r in reasons if r not in (NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN))
    ors: list[ColumnElement[bool]] = []
    if raws and d.has_ended_reason:
        ors.append(er.in_(raws) if len(raws) > 1 else er == raws[0])
    if NOT_RECORDED_TOKEN in reasons:
        # Reach these rows by the reason index (ended_reason IS NULL), not the active
        # one: on an un-ANALYZEd file SQLite walked every ended session newest first to
        # find the pre-016 ones, which are the oldest (400 ms -> 20 ms at 1M).
        ors.append(sa.and_(er.is_(None), _unindexed_active(d) == sa.false()))
    if UNRECOGNISED_TOKEN in reasons and d.has_ended_reason:
        ors.append(sa.and_(er.is_not(None), er.not_in(KNOWN_REASONS)))
    if not ors:
        return sa.false()
    return ors[0] if len(ors) == 1 else sa.or_(*ors)


def search_condition(d: Dialect, text: str, *, walked: bool) -> ColumnElement[bool]:
    """The free-text search, ignoring case, over what the table shows: the session's id,
    platform, agent and reason, its conversation (id, platform id, title), codebase name
    and owner (display name, email). Ids match as `Backend.id_contains` says (on
    PostgreSQL with or without dashes).

    `walked` is for rows tested one by one as the started_at index is read (a search's
    window: `window_walk`): cheapest when a match is near the top, since
    the ordered scan stops at the first page. The condition names the session's own
    columns only. They are tested first, then the session's codebase against the
    codebases that match, then its conversation, looked up by primary key (`EXISTS`),
    with the conversation's owner against the users that match and, for a session with
    no codebase of its own, the conversation's codebase. The codebases and users that
    match are computed once (a row per repository and per person). So a walked row
    costs its own row and one conversation lookup, and no join is left for a planner to
    turn into a pass over every conversation (PostgreSQL's did: a hash of all 221,250
    for a window of 5,000 at 1M sessions).

    Otherwise the conversation, codebase and owner sides become IN (subquery) sets
    computed once, and each session row costs a few LIKEs and a lookup (4x less on a
    1M-row table that matches nothing). Both forms select the same rows: the codebase
    is the session's own, else its conversation's, as in `joined`.
    """
    pattern = f"%{escape_like(text)}%"
    like = d.backend.like
    own = [
        d.backend.id_contains(s.c.id, text),
        d.backend.id_contains(s.c.conversation_id, text),
        like(s.c.ai_assistant_type, pattern),
    ]
    if d.has_ended_reason:
        own.append(like(s.c.ended_reason, pattern))
    conv_terms = [
        like(c.c.platform_conversation_id, pattern),
        like(c.c.title, pattern),
        like(c.c.platform_type, pattern),
    ]
    owner_terms = [like(u.c.display_name, pattern), like(u.c.email, pattern)]
    named = sa.select(cb.c.id).where(like(cb.c.name, pattern))
    if walked:
        # Its own alias: the statement around it may join `c` for its select list.
        conv = c.alias("searched_conversation")
        theirs = [
            like(conv.c.platform_conversation_id, pattern),
            like(conv.c.title, pattern),
            like(conv.c.platform_type, pattern),
            sa.and_(s.c.codebase_id.is_(None), conv.c.codebase_id.in_(named)),
        ]
        if d.has_owner:
            theirs.append(conv.c.user_id.in_(sa.select(u.c.id).where(sa.or_(*owner_terms))))
        conversation = (
            sa.select(sa.literal(1))
            .select_from(conv)
            .where(conv.c.id == s.c.conversation_id, sa.or_(*theirs))
            .correlate(s)
            .exists()
        )
        return sa.or_(*own, s.c.codebase_id.in_(named), conversation)
    convs = sa.select(c.c.id).where(sa.or_(*conv_terms))
    named_via_conv = sa.select(c.c.id).where(c.c.codebase_id.in_(named))
    ors = [
        *own,
        s.c.conversation_id.in_(convs),
        s.c.codebase_id.in_(named),
        sa.and_(s.c.codebase_id.is_(None), s.c.conversation_id.in_(named_via_conv)),
    ]
    if d.has_owner:
        owned = sa.select(c.c.id).select_from(u.join(c, c.c.user_id == u.c.id))
        ors.append(s.c.conversation_id.in_(owned.where(sa.or_(*owner_terms))))
    return sa.or_(*ors)


def conditions(
    d: Dialect,
    flt: SessionFilter,
    *,
    active_index: bool = True,
    windowed: bool = False,
) -> list[ColumnElement[bool]]:
    """WHERE terms for `flt`.

    `active_index=False` keeps SQLite off the (active, started_at, id) index: on an
    un-ANALYZEd 1M-row file it picked it for the facet GROUP BY and took 1.4 s with
    table lookups, where the covering facet index answers in ~100 ms.

    `windowed`: the terms of a window's walk (`window_walk`), tested row by row while
    the started_at index is read (the search and the owner through the join).
    """
    conds: list[ColumnElement[bool]] = []
    active = s.c.active if active_index else _unindexed_active(d)
    if flt.status is Status.ACTIVE:
        conds.append(active == sa.true())
    elif flt.status is Status.ENDED:
        conds.append(active == sa.false())
    reason = reason_condition(d, flt.reasons)
    if reason is not None:
        conds.append(reason)
    # Tokens: the start of the value, ignoring case. None of these columns has an index
    # the list could use for them, so a prefix costs what equality did (a test per row).
    if flt.platform:
        conds.append(starts_with(d, c.c.platform_type, flt.platform))
    if flt.codebase:
        code = flt.codebase.strip()
        conds.append(sa.or_(starts_with(d, cb.c.name, code), starts_with(d, cb.c.id, code)))
    if flt.assistant:
        conds.append(starts_with(d, s.c.ai_assistant_type, flt.assistant))
    if flt.since is not None:
        conds.append(s.c.started_at >= d.stored("since", flt.since))
        shaped = d.backend.time_shaped(s.c.started_at)
        if shaped is not None:  # stored text that is no time is in no window
            conds.append(shaped)
    if flt.ended_since is not None:
        conds.append(s.c.ended_at >= d.stored("ended_since", flt.ended_since))
    if flt.ended_until is not None:
        conds.append(s.c.ended_at < d.stored("ended_until", flt.ended_until))
    if flt.user and flt.user.strip():
        conds.append(user_condition(d, flt.user, walk=windowed))
    if flt.search and flt.search.strip():
        conds.append(search_condition(d, flt.search.strip(), walked=windowed))
    if flt.stuck is not None:
        conds.append(sa.and_(s.c.active == sa.true(), stuck_condition(d, flt.stuck)))
    if flt.ids is not None:
        conds.append(s.c.id.in_(sorted(flt.ids)))
    return conds


def row_columns(d: Dialect) -> list[ColumnElement[Any]]:
    return [
        s.c.id,
        s.c.conversation_id,
        s.c.codebase_id,
        s.c.ai_assistant_type,
        stored_active(s.c.active),
        d.absolute(s.c.started_at),
        d.absolute(s.c.ended_at),
        d.ended_reason.label("ended_reason"),
        s.c.transition_reason,
        # As stored: SQLite's text when it is no time is shown as it is (codec.session_row).
        sa.type_coerce(s.c.started_at, sa.Text).label("started_at_text"),
        s.c.parent_session_id,
        c.c.platform_type,
        c.c.platform_conversation_id,
        c.c.title,
        c.c.last_activity_at,
        cb.c.name.label("codebase_name"),
        d.conversation_codebase.label("conversation_codebase_id"),
        d.owner.label("owner"),
        d.conversation_deleted.label("conversation_deleted"),
        d.conversation_hidden.label("conversation_hidden"),
        *stuck_flags(d),
    ]


def _after_cursor(
    key: ColumnElement[Any], cursor: Cursor, *, ascending: bool = False
) -> ColumnElement[bool]:
    """The rows after the cursor in its segment: NULL keys sort as one block (where, the
    backend says: `Backend.segment_after`) that a (key, id) comparison never enters.
    `ascending` pages the other way: the same rows, read from the other end."""
    if cursor.segment_top:
        return key.is_(None) if cursor.key is None else key.is_not(None)
    ident = sa.literal(cursor.id, s.c.id.type)
    if cursor.key is None:
        return sa.and_(key.is_(None), s.c.id > ident if ascending else s.c.id < ident)
    left, right = sa.tuple_(key, s.c.id), sa.tuple_(sa.literal(cursor.key, key.type), ident)
    return left > right if ascending else left < right


def first_segment(sort: SortKey, *, ascending: bool = False) -> Cursor | None:
    """Where a first page starts: None (the database's own order) but for the `ended`
    sort, whose segments come in one order on every backend: the ended sessions (a key)
    newest first, then the active ones (no key), and the other way round ascending."""
    if sort is not SortKey.ENDED:
        return None
    return Cursor(key=None if ascending else 0, id="", segment_top=True)


def next_segment(
    d: Dialect, cursor: Cursor, *, ascending: bool = False, sort: SortKey = SortKey.STARTED
) -> Cursor | None:
    """Where a page that ran out before `limit` goes on: the other segment of the sort
    key, when it comes after the cursor's in this database's NULL ordering (for the
    `ended` sort, in its own order: `first_segment`).

    An ascending order is the descending one reversed (ASC puts NULLs where DESC does
    not, on both backends), so its segments come in the other order."""
    if sort is SortKey.ENDED:
        if (cursor.key is None) != ascending:
            return None
        other = 0 if ascending else None
        return Cursor(key=other, id="", as_of=cursor.as_of, segment_top=True)
    if cursor.segment_top:
        return None
    after = d.backend.segment_after(cursor)
    if not ascending:
        return after
    if after is not None:  # the other segment follows in DESC, so it came before in ASC
        return None
    other = None if cursor.key is not None else 0
    return Cursor(key=other, id="", as_of=cursor.as_of, segment_top=True)


def window_boundary(d: Dialect, cursor: Cursor | None, window: int) -> sa.Select[Any]:
    """The start time `window` dated rows below the cursor (the started_at index read
    newest first), and the next row's: the floor of a bounded search's window. Fewer
    than two rows: the rest of the list fits in the window."""
    key = d.sort_key(SortKey.STARTED, None)
    stmt = sa.select(key.label("floor")).where(s.c.started_at.is_not(None))
    if cursor is not None:
        stmt = stmt.where(_after_cursor(key, cursor))
    return stmt.order_by(key.desc(), s.c.id.desc()).offset(window - 1).limit(2)


def lowest_id_at(d: Dialect, floor: Any) -> sa.Select[Any]:
    """The last row (newest first) with start time `floor`: where the next window goes on."""
    key = d.sort_key(SortKey.STARTED, None)
    # ORDER BY … LIMIT 1, not min(): PostgreSQL has no min() for uuid.
    at = sa.select(s.c.id).where(key == sa.literal(floor, key.type))
    return at.order_by(s.c.id.asc()).limit(1)


def _window_range(d: Dialect, cursor: Cursor | None, floor: Any) -> list[ColumnElement[bool]]:
    """The dated rows below the cursor down to start time `floor` (ties all in)."""
    key = d.sort_key(SortKey.STARTED, None)
    window = [s.c.started_at.is_not(None), key >= sa.literal(floor, key.type)]
    if cursor is not None:
        window.append(_after_cursor(key, cursor))
    return window


def window_walk(
    d: Dialect, flt: SessionFilter, cursor: Cursor | None, limit: int, floor: Any
) -> sa.Select[Any]:
    """The ids of a bounded search's page: the window's rows read newest first down the
    started_at index, each tested as it is read, stopping at `limit + 1` matches.

    The sessions are read alone, or `joined` when a token needs it (`platform:`,
    `codebase:`, `user:`, a stuck kind); the free text names the session's own columns
    and looks its conversation up by key (`search_condition(walked=True)`). So the walk
    costs what the window holds: joined for the select list, PostgreSQL's planner
    hashed every conversation in the database for it."""
    key = d.sort_key(SortKey.STARTED, None)
    source = joined(d) if needs_join(flt) or (flt.user and flt.user.strip()) else s
    return (
        sa.select(s.c.id)
        .select_from(source)
        .where(*conditions(d, flt, windowed=True), *_window_range(d, cursor, floor))
        .order_by(key.desc(), s.c.id.desc())
        .limit(limit + 1)
    )


def bounded_search_statement(
    d: Dialect, flt: SessionFilter, cursor: Cursor | None, limit: int, floor: Any
) -> sa.Select[Any]:
    """A newest-first page among the dated rows below the cursor down to start time
    `floor` (ties at the floor all in): the rows a bounded search's window covers.

    The page's ids come from `window_walk`; only those rows, at most `limit + 1`, are
    joined for the select list (and sorted again, a page of them). The window's range
    bounds this step too, whatever the planner makes of the id list."""
    key = d.sort_key(SortKey.STARTED, None)
    window = _window_range(d, cursor, floor)
    walk = window_walk(d, flt, cursor, limit, floor).correlate(None)
    return (
        sa.select(*row_columns(d), key.label("_sort_key"))
        .select_from(joined(d))
        .where(s.c.id.in_(walk), *window)
        .order_by(key.desc(), s.c.id.desc())
        .limit(limit + 1)
    )


def list_statement(
    d: Dialect,
    flt: SessionFilter,
    sort: SortKey,
    cursor: Cursor | None,
    limit: int,
    *,
    ascending: bool = False,
) -> sa.Select[Any]:
    """One keyset page (plus one row to know whether another page follows).

    A search's or an owner's window (the newest sessions first) is not this statement:
    `window_boundary`, then `bounded_search_statement` with its floor as a constant.

    `ascending` reads the same order from its other end, through the same index read
    backwards: the oldest/smallest first, or the last rows of a newest-first list.
    """
    branches = reason_branches(d, flt)
    if branches and sort is SortKey.STARTED:
        return _merged_list_statement(d, flt, branches, cursor, limit, ascending=ascending)
    as_of = cursor.as_of if cursor else None
    key = d.sort_key(sort, as_of)
    # By `ended`, the ended index should drive (the page stops after `limit` rows); the
    # active one only where the status asks for active sessions, which it holds apart.
    by_active = sort is not SortKey.ENDED or flt.status is Status.ACTIVE
    conds = conditions(d, flt, active_index=by_active)
    if cursor is not None:
        conds.append(_after_cursor(key, cursor, ascending=ascending))
    conds += with_id(d)
    only_null = flt.reasons == {NOT_RECORDED_TOKEN} and sort is SortKey.STARTED
    order = _newest_first(d, key, null_reason=only_null)
    stmt = (
        sa.select(*row_columns(d), key.label("_sort_key"))
        .select_from(joined(d))
        .order_by(*_ordered(order, ascending))
        .limit(limit + 1)
    )
    return stmt.where(*conds) if conds else stmt


def _ordered(order: list[Any], ascending: bool) -> list[Any]:
    return [_flip(o) for o in order] if ascending else order


def _flip(term: Any) -> Any:
    """An ORDER BY term the other way round: DESC becomes ASC (and the NULLs move with it)."""
    if isinstance(term, UnaryExpression) and term.modifier is operators.desc_op:
        return term.element.asc()  # type: ignore[union-attr]
    return term.desc()


def _newest_first(d: Dialect, key: ColumnElement[Any], *, null_reason: bool) -> list[Any]:
    """ORDER BY for a page, newest first.

    `null_reason`: every row asked for has ended_reason NULL (not recorded); the rows
    should come from ix_sessions_tui_reason_started read backwards, and the backend
    says how to lead the order so that its planner does (`Backend.null_pinning_order`).
    """
    order: list[Any] = [key.desc(), s.c.id.desc()]
    if null_reason and d.has_ended_reason:
        order[:0] = d.backend.null_pinning_order(s.c.ended_reason)
    return order


def reason_branches(
    d: Dialect, flt: SessionFilter
) -> list[tuple[ColumnElement[bool], bool]] | None:
    """Several reasons as disjoint terms, each one range of (ended_reason, started_at, id),
    with whether the term pins ended_reason to NULL.

    None when the plain statement is as good: one reason, a pre-016 database, or filters
    that need the join (those are answered through it).
    """
    reasons = flt.reasons
    if len(reasons) < 2 or not d.has_ended_reason or needs_join(flt):
        return None
    if flt.search and flt.search.strip():
        return None
    er = s.c.ended_reason
    raws = sorted(r for r in reasons if r not in (NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN))
    out: list[tuple[ColumnElement[bool], bool]] = [(er == raw, False) for raw in raws]
    if NOT_RECORDED_TOKEN in reasons:
        out.append((sa.and_(er.is_(None), _unindexed_active(d) == sa.false()), True))
    if UNRECOGNISED_TOKEN in reasons:  # minus the raw values already asked for: disjoint
        unknown = er.not_in(sorted(set(KNOWN_REASONS) | set(raws)))
        out.append((sa.and_(er.is_not(None), unknown), False))
    return out


def _merged_list_statement(
    d: Dialect,
    flt: SessionFilter,
    branches: list[tuple[ColumnElement[bool], bool]],
    cursor: Cursor | None,
    limit: int,
    *,
    ascending: bool = False,
) -> sa.Select[Any]:
    """The newest `limit + 1` of each reason in index order, then the newest of those.

    A reason filter with several reasons as one IN/OR made SQLite gather every match
    and sort it (1 s on 1M sessions for two common reasons); this costs k pages.
    """
    key = d.sort_key(SortKey.STARTED, None)
    rest = conditions(d, replace(flt, reasons=frozenset()), active_index=False)
    if cursor is not None:
        rest.append(_after_cursor(key, cursor, ascending=ascending))
    rest += with_id(d)
    picks = []
    for branch, null_reason in branches:
        each = (
            sa.select(*row_columns(d), key.label("_sort_key"))
            .select_from(joined(d))
            .where(branch, *rest)
            .order_by(*_ordered(_newest_first(d, key, null_reason=null_reason), ascending))
            .limit(limit + 1)
            .subquery()
        )
        picks.append(sa.select(each))
    picked = sa.union_all(*picks).subquery("picked")
    order = _ordered([picked.c._sort_key.desc(), picked.c.id.desc()], ascending)
    return sa.select(picked).order_by(*order).limit(limit + 1)


def facet_statement(d: Dialect, flt: SessionFilter) -> sa.Select[Any]:
    """Counts per (reason, active) under every filter but the reason filter."""
    base = flt.without_reasons()
    if d.has_ended_reason:
        er = s.c.ended_reason
        group: ColumnElement[Any] = er
        if base.search and base.search.strip():
            # A search reads every row anyway: one table scan and a small sort beat
            # walking the covering index in group order with a row lookup each (3x at 1M).
            group = d.backend.unindexed(er)
        stmt = sa.select(er, stored_active(s.c.active), sa.func.count()).group_by(group, s.c.active)
    else:  # before migration 016 every reason is NULL; PostgreSQL refuses GROUP BY NULL
        stmt = sa.select(sa.null(), stored_active(s.c.active), sa.func.count()).group_by(s.c.active)
    stmt = stmt.select_from(joined(d) if needs_join(base) else s)
    conds = conditions(d, base, active_index=False)
    return stmt.where(*conds) if conds else stmt


def incremental_facets(base: SessionFilter) -> bool:
    """Whether facets under `base` can be kept as settled counts plus a live delta.

    Only when every filter reads session columns the service never changes once a
    session has ended: conversation titles, codebase names and the since window move.
    """
    return base == SessionFilter(status=base.status)


def db_now(d: Dialect) -> ColumnElement[Any]:
    """The database clock, absolute."""
    return d.backend.now()


LIVE_INDEXES = frozenset(
    {"ix_sessions_tui_live", "ix_sessions_tui_active_started", "ix_sessions_tui_started"}
)
"""What makes live_facet_statement's branches index ranges (migrations 0003 and 0005)."""

NEW_ACTIVE, STARTED_SINCE, ALL_ACTIVE, NEW_ACTIVE_COUNT = 0, 7, 8, 9
"""Live branches the store's arithmetic reads by number (see tui.store.delta)."""


def live_facet_statement(
    d: Dialect, flt: SessionFilter, settled_before: datetime, *, all_active: bool = True
) -> sa.Select[Any]:
    """Counts of the rows that can still change: all but those ended before
    `settled_before`, by (ended_reason, active, branch, kept).

    Disjoint branches, each one range of an index, so the cost follows the sessions
    started or ended since the mark, not the table:

    - 1-6: the odd `active` values, and ended rows with no ended_at or ended since the
      mark (ix_sessions_tui_live, covering);
    - NEW_ACTIVE: `active = true`, started since the mark (ix_sessions_tui_active_started);
    - or, with `all_active`, ALL_ACTIVE: every `active = true` row (ix_sessions_tui_live,
      covering). Old active sessions are most of a busy table's active ones: the store
      reads them on a full count and counts them by arithmetic in between.

    These branches are exactly NOT (active = false AND ended_at < settled_before), NULLs
    and odd stored values included. Two more only count, for the arithmetic, and are
    never kept: STARTED_SINCE, the rows started since the mark that are not `active =
    true`, and with `all_active` NEW_ACTIVE_COUNT. `kept` is a column, not a condition,
    because the arithmetic needs the rows `flt` drops too.
    """
    a, ended, started = s.c.active, s.c.ended_at, s.c.started_at
    before = d.stored("settled_before", settled_before)
    since = d.stored("started_since", settled_before)
    off = sa.literal(False, sa.Boolean())  # 0 in SQLite, false in PostgreSQL
    on = sa.literal(True, sa.Boolean())
    new_active = sa.and_(a == on, started >= since)
    branches: dict[int, ColumnElement[bool]] = {
        1: a > on,  # SQLite keeps any value: 2, text, blobs...
        2: sa.and_(a > off, a < on),  # ...and 0.5
        3: a < off,
        4: a.is_(None),
        5: sa.and_(a == off, ended.is_(None)),
        6: sa.and_(a == off, ended >= before),
        STARTED_SINCE: sa.and_(started >= since, a.is_not(sa.true())),
    }
    if all_active:
        branches |= {ALL_ACTIVE: a == on, NEW_ACTIVE_COUNT: new_active}
    else:
        branches[NEW_ACTIVE] = new_active
    conds = conditions(d, flt.without_reasons())
    kept = sa.case((sa.and_(*conds), 1), else_=0) if conds else sa.literal(1)
    reason = s.c.ended_reason if d.has_ended_reason else sa.null()
    parts = []
    for i, b in sorted(branches.items()):
        counted_only = i in (STARTED_SINCE, NEW_ACTIVE_COUNT)  # nothing to read but the index
        er, act, keep = (sa.null(), sa.null(), sa.literal(0)) if counted_only else (reason, a, kept)
        parts.append(
            sa.select(
                er.label("er"), act.label("act"), sa.literal(i).label("branch"), keep.label("kept")
            ).where(b)
        )
    u = sa.union_all(*parts).subquery("live")
    keys = [u.c.er, u.c.act, u.c.branch, u.c.kept]
    read = [u.c.er, sa.type_coerce(u.c.act, StoredActive()), u.c.branch, u.c.kept]
    return sa.select(*read, sa.func.count()).group_by(*keys)


def trend_filter(flt: SessionFilter, start: datetime, end: datetime) -> SessionFilter:
    """The sessions a trends window counts under `flt`: ended (`active` false), with an
    end time in [start, end). The since window and the stuck kind (active sessions
    only) do not apply; the window replaces them."""
    return replace(
        flt, status=Status.ENDED, since=None, stuck=None, ended_since=start, ended_until=end
    )


def trend_group(d: Dialect, by: TrendBy) -> ColumnElement[Any]:
    """The stored value the counts are split by (NULL: none)."""
    if by is TrendBy.REASON:
        return d.ended_reason
    if by is TrendBy.PLATFORM:
        return c.c.platform_type
    if by is TrendBy.CODEBASE:
        return cb.c.name
    return d.owner


Bucket = tuple[str, datetime, datetime]
"""A trends bucket: its key (`YYYY-MM-DD` or `YYYY-MM-DD HH`) and its UTC span."""


def trends_statement(
    d: Dialect, flt: SessionFilter, buckets: Sequence[Bucket], *, hourly: bool, by: TrendBy
) -> sa.Select[Any] | sa.CompoundSelect[Any]:
    """(bucket, group, count) of the ended sessions with an end time in the buckets'
    spans under `flt` (`trend_filter`).

    By reason under no filter that needs a join or a search, one branch per bucket,
    each one range of ix_sessions_tui_live (active, ended_at, ended_reason), which
    holds every column read, grouped by reason alone: the window's sessions set the
    cost, not the table, and no branch sorts more than its bucket's rows (one GROUP BY
    over a 30-day window made SQLite sort all of them: 350 ms at 1M, against ~45 ms to
    read them). The bucket's key comes from Python, its bounds in the stored form, so a
    daylight-saving change on a non-UTC PostgreSQL server moves nothing.

    Otherwise (a join, a search: the rows are visited anyway) one statement, each end
    time cut to its UTC bucket in SQL (`Backend.utc_bucket`)."""
    start, end = buckets[0][1], buckets[-1][2]
    window = trend_filter(flt, start, end)
    group = trend_group(d, by).label("grp")
    join = by is not TrendBy.REASON or needs_join(window)
    searching = bool(flt.search and flt.search.strip())
    if not join and not searching:
        # Before migration 016 every reason is NULL; PostgreSQL refuses GROUP BY NULL.
        grouping = [group] if d.has_ended_reason else []
        branches = []
        for key, lo, hi in buckets:
            conds = conditions(d, trend_filter(flt, lo, hi))
            per = (
                sa.select(sa.literal(key).label("bucket"), group, sa.func.count().label("n"))
                .select_from(s)
                .where(*conds)
                .group_by(*grouping)
            )
            branches.append(per.subquery().select())  # a branch of its own, with its GROUP BY
        return sa.union_all(*branches)
    bucket = d.backend.utc_bucket(s.c.ended_at, d.zone, hourly=hourly).label("bucket")
    # Grouped outside: the bucket's bound values (format, zone) would be new parameters
    # in a GROUP BY of its own, which PostgreSQL does not take for the same expression.
    ended = (
        sa.select(bucket, group)
        .select_from(joined(d) if join else s)
        .where(*conditions(d, window))
        .subquery("ended")
    )
    return sa.select(ended.c.bucket, ended.c.grp, sa.func.count().label("n")).group_by(
        ended.c.bucket, ended.c.grp
    )


def count_statement(d: Dialect, flt: SessionFilter) -> sa.Select[Any]:
    stmt = sa.select(sa.func.count()).select_from(joined(d) if needs_join(flt) else s)
    conds = conditions(d, flt)
    return stmt.where(*conds) if conds else stmt


def hop_columns(d: Dialect, table: sa.FromClause) -> list[ColumnElement[Any]]:
    er = table.c.ended_reason if d.has_ended_reason else sa.null()
    return [
        table.c.id,
        stored_active(table.c.active),
        d.absolute(table.c.started_at),
        d.absolute(table.c.ended_at),
        table.c.transition_reason,
        er.label("ended_reason"),
        table.c.parent_session_id,
    ]


def ancestors_statement(d: Dialect, session_id: str) -> sa.Select[Any]:
    """The session and every ancestor through parent_session_id, by a recursive CTE."""
    anchor = sa.select(s.c.id, s.c.parent_session_id, sa.literal(0).label("depth")).where(
        s.c.id == session_id
    )
    chain = anchor.cte("chain", recursive=True)
    parent = s.alias("parent")
    chain = chain.union_all(
        sa.select(parent.c.id, parent.c.parent_session_id, (chain.c.depth + 1).label("depth"))
        .select_from(parent.join(chain, parent.c.id == chain.c.parent_session_id))
        .where(chain.c.depth < MAX_CHAIN_DEPTH)
    )
    return (
        sa.select(*hop_columns(d, s), chain.c.depth)
        .select_from(s.join(chain, s.c.id == chain.c.id))
        .order_by(chain.c.depth.desc())
    )


def children_statement(d: Dialect, session_id: str) -> sa.Select[Any]:
    return (
        sa.select(*hop_columns(d, s))
        .where(s.c.parent_session_id == session_id)
        .order_by(s.c.started_at, s.c.id)
    )


def workflow_runs_statement(conversation_id: str) -> sa.Select[Any]:
    """The conversation's latest workflow runs, newest first (idx_workflow_runs_conversation)."""
    return (
        sa.select(wr.c.workflow_name, wr.c.status, wr.c.started_at, wr.c.last_activity_at, wr.c.id)
        .where(wr.c.conversation_id == conversation_id)
        .order_by(wr.c.started_at.desc().nulls_last(), wr.c.id.desc())
        .limit(RECENT_RUNS)
    )
