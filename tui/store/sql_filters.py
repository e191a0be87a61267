"""The WHERE of every list and count: a `SessionFilter` as conditions over the session
joined with its conversation, codebase and owner; and the list row's columns.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tui.domain.models import (
    NOT_RECORDED_TOKEN,
    UNRECOGNISED_TOKEN,
    SessionFilter,
    Status,
)
from tui.domain.triggers import KNOWN_REASONS
from tui.store.backends.base import escape_like
from tui.store.sql_dialect import Dialect, id_contains, starts_with, stored_active
from tui.store.sql_stuck import stuck_condition, stuck_flags
from tui.store.tables import (
    codebases,
    conversations,
    sessions,
    users,
    workflow_runs,
)

s, c, cb, u, wr = sessions, conversations, codebases, users, workflow_runs


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
    set: that set grows with the table, and so does sorting all of a common user's
    sessions.
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
    # cannot look users up per conversation (a pass over every conversation): it reads
    # the users and seeks idx_conversations_user_id from each.
    theirs = (
        sa.select(c.c.id)
        .select_from(u.join(c, c.c.user_id == d.backend.unindexed(u.c.id)))
        .where(named)
    )
    return d.backend.in_small_set(s.c.conversation_id, theirs)


def unindexed_active(d: Dialect) -> ColumnElement[Any]:
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
        # one: on an un-ANALYZEd file SQLite walks every ended session newest first to
        # find the pre-016 ones, which are the oldest.
        ors.append(sa.and_(er.is_(None), unindexed_active(d) == sa.false()))
    if UNRECOGNISED_TOKEN in reasons and d.has_ended_reason:
        ors.append(sa.and_(er.is_not(None), er.not_in(KNOWN_REASONS)))
    if not ors:
        return sa.false()
    return ors[0] if len(ors) == 1 else sa.or_(*ors)


def search_condition(d: Dialect, text: str, *, walked: bool) -> ColumnElement[bool]:
    """The free-text search, ignoring case, over what the table shows: the session's id,
    platform, agent and reason, its conversation (id, platform id, title), codebase name
    and owner (display name, email). Ids match as `sql_dialect.id_contains` says (on
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
    turn into a pass over every conversation (a hash join of all of them).

    Otherwise the conversation, codebase and owner sides become IN (subquery) sets
    computed once, and each session row costs a few LIKEs and a lookup. Both forms
    select the same rows: the codebase is the session's own, else its conversation's,
    as in `joined`.
    """
    pattern = f"%{escape_like(text)}%"
    like = d.backend.like
    own = [
        id_contains(d.backend, s.c.id, text),
        id_contains(d.backend, s.c.conversation_id, text),
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

    `active_index=False` keeps SQLite off the (active, started_at, id) index: without
    statistics it picks it for the facet GROUP BY, with a table lookup per row, where
    the covering facet index answers alone.

    `windowed`: the terms of a window's walk (`window_walk`), tested row by row while
    the started_at index is read (the search and the owner through the join).
    """
    conds: list[ColumnElement[bool]] = []
    active = s.c.active if active_index else unindexed_active(d)
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
