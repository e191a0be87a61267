"""Counting statements: the stuck counts, the reason facets (full and live), the trends
and the plain count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from msgspec.structs import replace
from sqlalchemy.sql.elements import ColumnElement

from tui.domain.models import (
    SessionFilter,
    Status,
)
from tui.domain.stuck import StuckKind
from tui.domain.trends import TrendBy
from tui.store.sql_dialect import Dialect, needs_join, stored_active
from tui.store.sql_filters import conditions, joined
from tui.store.sql_stuck import is_active, stuck_condition
from tui.store.tables import (
    ACTIVE_INDEX,
    StoredActive,
    codebases,
    conversations,
    sessions,
    users,
    workflow_runs,
)

s, c, cb, u, wr = sessions, conversations, codebases, users, workflow_runs


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
    conds = [is_active(), *conditions(d, rest)]
    stmt = sa.select(*cols).select_from(source).where(*conds)
    if d.has_active_index and base == SessionFilter(status=base.status):
        return d.backend.read_by_index(stmt, s, ACTIVE_INDEX)
    return stmt


def facet_statement(d: Dialect, flt: SessionFilter) -> sa.Select[Any]:
    """Counts per (reason, active) under every filter but the reason filter."""
    base = flt.without_reasons()
    if d.has_ended_reason:
        er = s.c.ended_reason
        group: ColumnElement[Any] = er
        if base.search and base.search.strip():
            # A search reads every row anyway: one table scan and a small sort beat
            # walking the covering index in group order with a row lookup each.
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


def per_bucket(
    buckets: Sequence[Bucket], branch: Callable[[str, datetime, datetime], sa.Select[Any]]
) -> sa.CompoundSelect[Any]:
    """One branch per bucket, `branch(key, start, end)`, each a grouped statement of its
    own under one UNION ALL: each reads one range of an index and sorts no more than its
    bucket's rows (one GROUP BY over a window makes SQLite sort all of them). The
    bucket's key comes from Python and its bounds are binds, so a daylight-saving
    change on a non-UTC PostgreSQL server moves nothing."""
    return sa.union_all(*(branch(key, lo, hi).subquery().select() for key, lo, hi in buckets))


def trends_statement(
    d: Dialect, flt: SessionFilter, buckets: Sequence[Bucket], *, hourly: bool, by: TrendBy
) -> sa.Select[Any] | sa.CompoundSelect[Any]:
    """(bucket, group, count) of the ended sessions with an end time in the buckets'
    spans under `flt` (`trend_filter`).

    By reason under no filter that needs a join or a search, one branch per bucket
    (`per_bucket`), each one range of ix_sessions_tui_live (active, ended_at,
    ended_reason), which holds every column read, grouped by reason alone: the window's
    sessions set the cost, not the table. The bounds are in the stored form.

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

        def branch(key: str, lo: datetime, hi: datetime) -> sa.Select[Any]:
            return (
                sa.select(sa.literal(key).label("bucket"), group, sa.func.count().label("n"))
                .select_from(s)
                .where(*conditions(d, trend_filter(flt, lo, hi)))
                .group_by(*grouping)
            )

        return per_bucket(buckets, branch)
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
