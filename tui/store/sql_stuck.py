"""Each stuck kind's SQL rule (`stuck_condition`, exhaustive over `StuckKind`) and the
list row's marks built from it.
"""

from __future__ import annotations

from typing import Any, assert_never

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tui.domain.stuck import StuckKind
from tui.store.codec import STUCK_COLUMNS
from tui.store.sql_dialect import Dialect
from tui.store.tables import (
    UtcTimestamp,
    codebases,
    conversations,
    sessions,
    users,
    workflow_runs,
)

s, c, cb, u, wr = sessions, conversations, codebases, users, workflow_runs


def is_active(table: sa.FromClause = s) -> ColumnElement[bool]:
    return table.c.active == sa.true()


def _newer_active_exists(d: Dialect) -> ColumnElement[bool]:
    """Another active session of the same conversation started later (ties: larger id).

    With `tables.ACTIVE_INDEX` this is a seek in that index alone, which holds only the
    active sessions: its predicate is `active = true` as written here, so both backends
    use it. With the service's index on sessions(conversation_id) only, that index gives
    the conversation's sessions, ended ones too, and `active` and `started_at` are kept
    from choosing another index: on a SQLite file nobody ANALYZEd, (active, started_at,
    id) looks better, and each row would walk every newer active session. With neither,
    the rule is the one-pass set (`duplicate_ids`), never a table scan per row."""
    if not marks_duplicates(d):
        return s.c.id.in_(duplicate_ids(d))
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


def duplicate_ids(d: Dialect, conversation_ids: list[str] | None = None) -> sa.Select[Any]:
    """The ids of the active sessions that `_newer_active_exists` holds for, in one pass
    over the active sessions (of `conversation_ids` only, when given): in each
    conversation, ranked newest first by (started_at, id), every one but the first.

    Sessions without a start time or a conversation are never newer than another and
    have none newer (a comparison with NULL is not true), so they are left out."""
    t = s.alias("ranked")
    where = [is_active(t), t.c.started_at.is_not(None), t.c.conversation_id.is_not(None)]
    if conversation_ids is not None:
        where.append(t.c.conversation_id.in_(conversation_ids))
    rank = (
        sa.func.row_number()
        .over(
            partition_by=t.c.conversation_id,
            order_by=(t.c.started_at.desc(), t.c.id.desc()),
        )
        .label("newest_first")
    )
    ranked = sa.select(t.c.id, rank).where(*where).subquery("by_conversation")
    return sa.select(ranked.c.id).where(ranked.c.newest_first > 1)


def _idle(d: Dialect) -> ColumnElement[bool]:
    """`SessionRow.is_idle` in SQL: the conversation's last activity, else the session's
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
    joined with its conversation; false where the version cannot produce the kind.

    One rule per kind, chosen by an exhaustive match: a kind added to `StuckKind`
    without its rule here fails mypy (`assert_never`) and, at run time, every statement
    that asks for it."""
    if kind in d.undetectable:
        return sa.false()
    match kind:
        case StuckKind.IDLE:
            return _idle(d)
        case StuckKind.ORPHANED:
            return c.c.deleted_at.is_not(None) if d.has_deleted else sa.false()
        case StuckKind.DUPLICATE:
            return _newer_active_exists(d)
        case _:
            assert_never(kind)


def stuck_flags(d: Dialect) -> list[ColumnElement[Any]]:
    """One true/false column per kind found by the query (`codec.STUCK_COLUMNS`), false
    for an ended session: its subqueries run for active rows only."""
    return [
        sa.null().label(name)
        if kind is StuckKind.DUPLICATE and not marks_duplicates(d)
        else sa.case(
            (sa.and_(is_active(), stuck_condition(d, kind)), sa.true()), else_=sa.false()
        ).label(name)
        for kind, name in STUCK_COLUMNS.items()
    ]


def marks_duplicates(d: Dialect) -> bool:
    """Whether a list row's `duplicate` mark can be read by an index (see
    `Dialect.has_conversation_index`); its column is NULL where not, and the Store fills
    it in for the page's conversations with one pass (`duplicate_ids`)."""
    return d.has_active_index or d.has_conversation_index
