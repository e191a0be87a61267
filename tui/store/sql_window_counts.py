"""Counting statements over a search's window: the reason facets and the stuck counts
of the newest sessions only, so a count under a question the operator just typed costs
what the search costs (one window), never the table.

The window is the one a bounded search covers (`sql_pages.window_boundary` gives its
floor): the dated sessions down to start time `floor`, ties at the floor all in, and on
a backend that lists sessions without a start time first (`Traits.nulls_first_desc`)
those too, since the search reads them before its first window.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from msgspec.structs import replace
from sqlalchemy.sql.elements import ColumnElement

from tui.domain.models import SessionFilter, SortKey, Status
from tui.domain.stuck import StuckKind
from tui.store.sql_dialect import Dialect, needs_join, stored_active
from tui.store.sql_filters import conditions, joined
from tui.store.sql_stuck import is_active, stuck_condition
from tui.store.tables import conversations, sessions

s, c = sessions, conversations

ACTIVE_STARTED = "ix_sessions_tui_active_started"
"""(active, started_at, id): the active sessions of a window, one range (migration 0003)."""


def in_window(d: Dialect, floor: Any) -> ColumnElement[bool]:
    """The sessions of the newest window down to start time `floor` (ties all in).

    A range of the started_at index; sessions without a start time are in it where the
    list puts them first (PostgreSQL), never where it puts them last (SQLite: the
    search reaches them only once a window goes past every dated session, and then
    there is no floor)."""
    key = d.sort_key(SortKey.STARTED, None)
    dated = sa.and_(s.c.started_at.is_not(None), key >= sa.literal(floor, key.type))
    if d.backend.traits.nulls_first_desc:
        return sa.or_(s.c.started_at.is_(None), dated)
    return dated


def _source(d: Dialect, flt: SessionFilter) -> sa.FromClause:
    """The sessions alone, or `joined` where a token needs it (as `window_walk`)."""
    user = bool(flt.user and flt.user.strip())
    if needs_join(flt) or user:
        return joined(d)
    return s


def window_facet_statement(d: Dialect, flt: SessionFilter, floor: Any) -> sa.Select[Any]:
    """Counts per (reason, active) under every filter but the reason filter, over the
    window down to `floor`: the rows of the window are read down the started_at index
    and each tested as a search's walk tests it (`conditions(windowed=True)`), so the
    cost is the window's rows whatever the filter keeps. The grouped columns are
    `unindexed`: an index in group order would read the whole table."""
    base = flt.without_reasons()
    act = d.backend.unindexed(s.c.active)
    if d.has_ended_reason:
        er = s.c.ended_reason
        cols: list[ColumnElement[Any]] = [er, stored_active(s.c.active), sa.func.count()]
        group: list[ColumnElement[Any]] = [d.backend.unindexed(er), act]
    else:  # before migration 016 every reason is NULL; PostgreSQL refuses GROUP BY NULL
        cols, group = [sa.null(), stored_active(s.c.active), sa.func.count()], [act]
    conds = conditions(d, base, active_index=False, windowed=True)
    return (
        sa.select(*cols)
        .select_from(_source(d, base))
        .where(in_window(d, floor), *conds)
        .group_by(*group)
    )


def window_stuck_statement(
    d: Dialect, flt: SessionFilter, floor: Any, *, indexed: bool
) -> sa.Select[Any]:
    """How many active sessions of each kind (one column per kind, `StuckKind` order)
    under every filter but the stuck one, among the window's sessions down to `floor`:
    the active ones of the window, each tested for the filter and each kind.

    `indexed` (the database has `ACTIVE_STARTED`): they are read as one range of it,
    named where the planner needs telling (`Backend.read_by_index`). Left to choose,
    SQLite with statistics walked the partial index of every active session, which the
    window does not bound."""
    base = replace(flt, stuck=None)
    cols = [
        sa.func.coalesce(sa.func.sum(sa.case((stuck_condition(d, kind), 1), else_=0)), 0).label(
            kind.wire
        )
        for kind in StuckKind
        if kind not in d.undetectable
    ]
    source = _source(d, base)
    if source is s:  # each kind reads the session's conversation
        source = s.outerjoin(c, c.c.id == s.c.conversation_id)
    rest = replace(base, status=Status.ALL) if base.status is Status.ACTIVE else base
    conds = conditions(d, rest, windowed=True)
    stmt = sa.select(*cols).select_from(source).where(is_active(), in_window(d, floor), *conds)
    return d.backend.read_by_index(stmt, s, ACTIVE_STARTED) if indexed else stmt


__all__ = [
    "ACTIVE_STARTED",
    "in_window",
    "window_facet_statement",
    "window_stuck_statement",
]
