"""Statement builders for workflow runs: the list page, a run's detail, the stuck
kinds' SQL rules (`run_stuck_condition`, exhaustive over `RunStuckKind`) and their
counts. Pure SQLAlchemy Core, no I/O.

A statement names only the columns and tables this database has (`RunSql`): NULL
stands in for a column its version lacks. The runs' times are TIMESTAMP WITH TIME
ZONE on PostgreSQL and `datetime('now')` UTC text on SQLite (the service's schema):
binds in `UtcTimestamp(timezone=True)` compare with both as stored.

Indexes the service has on the runs table: conversation_id, status, parent_conversation_id,
user_id (v0.4.0), parent_run_id (v0.7.0) and last_activity_at where running. The stuck
counts read only pending, running and paused runs (by the status index). The list
orders by (started_at DESC, id DESC), which no service index holds: the tool's
`tables.RUN_INDEXES` (migration 0010) hold it, for all runs and per status, so a page
walks one and stops; a database without them sorts the matching runs per page. A text
search reads a window of the newest runs (`window_floor`, `within_window`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, assert_never

import sqlalchemy as sa
from msgspec import Struct
from sqlalchemy.sql.elements import ColumnElement

from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import (
    RECENT_EVENTS,
    RECENT_SESSIONS,
    STALE_PENDING_AGE,
    RunCursor,
    RunFilter,
)
from tui.store.backends.base import escape_like
from tui.store.sql_detail import hop_columns
from tui.store.sql_dialect import Dialect, id_contains, starts_with, valid_id
from tui.store.tables import (
    Id,
    JsonText,
    UtcTimestamp,
    codebases,
    conversations,
    sessions,
    users,
)

WORKFLOW_EVENTS = "remote_agent_workflow_events"
NODE_SESSIONS = "remote_agent_workflow_node_sessions"

run_metadata = sa.MetaData()

runs = sa.Table(
    "remote_agent_workflow_runs",
    run_metadata,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("workflow_name", sa.Text),
    sa.Column("conversation_id", Id()),
    sa.Column("codebase_id", Id()),
    sa.Column("current_step_index", sa.Integer),
    sa.Column("status", sa.Text),
    sa.Column("user_message", sa.Text),
    sa.Column("metadata", JsonText()),
    sa.Column("parent_conversation_id", Id()),
    sa.Column("started_at", UtcTimestamp(timezone=True)),
    sa.Column("completed_at", UtcTimestamp(timezone=True)),
    sa.Column("last_activity_at", UtcTimestamp(timezone=True)),
    sa.Column("working_path", sa.Text),  # v0.2.13
    sa.Column("user_id", Id()),  # v0.4.0
    sa.Column("parent_run_id", Id()),  # v0.7.0
    sa.Column("output_root", sa.Text),  # v0.8.0
    sa.Column("outcome", sa.Text),  # main after v0.9.0
)
"""Every column of the runs table the tool knows, by the version that added it."""

events = sa.Table(
    WORKFLOW_EVENTS,
    run_metadata,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("workflow_run_id", Id()),
    sa.Column("event_order", sa.BigInteger),  # v0.8.0
    sa.Column("event_type", sa.Text),
    sa.Column("step_index", sa.Integer),
    sa.Column("step_name", sa.Text),
    sa.Column("data", JsonText()),
    sa.Column("created_at", UtcTimestamp(timezone=True)),
)

node_sessions = sa.Table(
    NODE_SESSIONS,
    run_metadata,
    sa.Column("workflow_name", sa.Text, primary_key=True),
    sa.Column("node_id", sa.Text, primary_key=True),
    sa.Column("scope_key", sa.Text, primary_key=True),
    sa.Column("provider", sa.Text, primary_key=True),
    sa.Column("provider_session_id", sa.Text),
    sa.Column("last_run_id", Id()),
    sa.Column("created_at", UtcTimestamp(timezone=True)),
    sa.Column("updated_at", UtcTimestamp(timezone=True)),
)

r, c, cb, u, s = runs, conversations, codebases, users, sessions
ACTIVE_STATUSES = ("pending", "running", "paused")
"""The statuses every stuck kind is among: the counts read these by the status index."""


class RunSql(Struct, frozen=True):
    """What the runs statements depend on: the sessions' `Dialect` (backend, zone,
    owners) and the columns of the runs, events and node-sessions tables this database
    has (empty: no such table)."""

    d: Dialect
    columns: frozenset[str]
    event_columns: frozenset[str] = frozenset()
    node_session_columns: frozenset[str] = frozenset()
    undetectable: frozenset[RunStuckKind] = frozenset()
    quiet_after: timedelta = timedelta(minutes=30)

    def col(self, name: str, table: sa.Table = runs) -> ColumnElement[Any]:
        """The run's column, or NULL labelled so where the version lacks it."""
        if name in self.columns:
            return table.c[name]
        return sa.null().label(name)

    def now(self) -> datetime:
        return self.d.clock()

    @property
    def sqlite(self) -> bool:
        return self.d.backend.traits.driver_dialect.name == "sqlite"

    def owner_id(self) -> ColumnElement[Any]:
        """The run's user (v0.4.0), else its conversation's; NULL before users existed."""
        if not self.d.has_owner:
            return sa.null()
        if "user_id" in self.columns:
            return sa.func.coalesce(r.c.user_id, c.c.user_id)
        return c.c.user_id

    def codebase_id(self) -> ColumnElement[Any]:
        """The run's codebase, else (it stores none) its conversation's."""
        if self.d.has_conversation_codebase:
            return sa.func.coalesce(r.c.codebase_id, c.c.codebase_id)
        return r.c.codebase_id


def _bound(name: str, when: datetime) -> ColumnElement[Any]:
    return sa.bindparam(name, when, type_=UtcTimestamp(timezone=True), unique=True)


def cost(rs: RunSql) -> ColumnElement[Any]:
    """`metadata.total_cost_usd` when it is a JSON number; NULL for anything else (no
    key, a string, metadata that is not JSON): never an error."""
    m = r.c.metadata
    if rs.sqlite:
        text = sa.type_coerce(m, sa.Text)
        number = sa.case(
            (
                sa.func.json_type(text, "$.total_cost_usd").in_(["integer", "real"]),
                sa.func.json_extract(text, "$.total_cost_usd"),
            ),
        )
        return sa.type_coerce(sa.case((sa.func.json_valid(text) == 1, number)), sa.Float)
    key = sa.literal("total_cost_usd", sa.Text)
    field = m.op("->")(key)
    value = sa.cast(m.op("->>")(key), sa.Float)
    return sa.case((sa.func.jsonb_typeof(field) == "number", value))


def held_paths(rs: RunSql) -> sa.Select[Any]:
    """The ids of the running runs on a working path where a run started no earlier ended
    `cancelled` (the `path-held` rule), in one pass: the cancelled runs' latest start per
    path (by the status index), joined to the running runs (by the status index). Not
    correlated, so a statement computes it once, whatever it counts or lists."""
    later = r.alias("cancelled_run")
    latest = (
        sa.select(
            later.c.working_path.label("path"),
            sa.func.max(later.c.started_at).label("latest"),
        )
        .where(later.c.status == "cancelled", later.c.working_path.is_not(None))
        .group_by(later.c.working_path)
        .subquery("cancelled_paths")
    )
    held = r.alias("holding_run")
    return (
        sa.select(held.c.id)
        .select_from(
            held.join(
                latest,
                sa.and_(latest.c.path == held.c.working_path, latest.c.latest >= held.c.started_at),
            )
        )
        .where(held.c.status == "running")
    )


def lost_paths_statement(rs: RunSql, paths: list[str]) -> sa.Select[Any]:
    """The cancelled runs on these working paths (by the status index): what the page's
    running runs are matched against for `RunRow.path_lost_by`."""
    return sa.select(r.c.id, r.c.working_path, r.c.started_at).where(
        r.c.status == "cancelled", r.c.working_path.in_(paths)
    )


def row_columns(rs: RunSql) -> list[ColumnElement[Any]]:
    """The list row's columns (for the rows of one page: `rows_statement`)."""
    return [
        r.c.id,
        r.c.status,
        r.c.workflow_name,
        r.c.conversation_id,
        c.c.platform_type,
        c.c.platform_conversation_id,
        rs.codebase_id().label("codebase_id"),
        cb.c.name.label("codebase_name"),
        rs.d.owner.label("owner") if rs.d.has_owner else sa.null().label("owner"),
        r.c.started_at,
        r.c.last_activity_at,
        r.c.completed_at,
        cost(rs).label("cost_usd"),
        rs.col("outcome"),
        rs.col("parent_run_id"),
        rs.col("working_path"),
    ]


def joined(rs: RunSql) -> sa.FromClause:
    """The run with its conversation, codebase and owner (outer joins: each may be gone)."""
    frm = r.outerjoin(c, c.c.id == r.c.conversation_id).outerjoin(cb, cb.c.id == rs.codebase_id())
    if rs.d.has_owner:
        frm = frm.outerjoin(u, u.c.id == rs.owner_id())
    return frm


def filter_from(rs: RunSql, flt: RunFilter) -> sa.FromClause:
    """What a page's WHERE reads: the runs alone, joined to their conversation and
    codebase only for the filters that name them (codebase, owner)."""
    if (flt.codebase and flt.codebase.strip()) or (flt.owner and flt.owner.strip()):
        return r.outerjoin(c, c.c.id == r.c.conversation_id).outerjoin(
            cb, cb.c.id == rs.codebase_id()
        )
    return r


def _owner_condition(rs: RunSql, who: str) -> ColumnElement[bool]:
    if not rs.d.has_owner:
        return sa.false()
    text = who.strip().lower()
    named = sa.or_(
        starts_with(rs.d, u.c.display_name, text),
        starts_with(rs.d, u.c.email, text),
        rs.d.backend.as_text(u.c.id) == text,
    )
    return rs.owner_id().in_(sa.select(u.c.id).where(named))


def _text_condition(rs: RunSql, text: str) -> ColumnElement[bool]:
    b = rs.d.backend
    pattern = f"%{escape_like(text.strip())}%"
    parts = [
        id_contains(b, r.c.id, text.strip()),
        b.like(r.c.workflow_name, pattern),
        b.like(r.c.user_message, pattern),
    ]
    if "working_path" in rs.columns:
        parts.append(b.like(r.c.working_path, pattern))
    return sa.or_(*parts)


def conditions(rs: RunSql, flt: RunFilter) -> list[ColumnElement[bool]]:
    """The filter as WHERE clauses over `filter_from`. A run without an id (SQLite's
    TEXT primary key can hold NULL) is never listed: nothing could name or page past it."""
    where: list[ColumnElement[bool]] = []
    if rs.d.backend.traits.nullable_ids:
        where.append(rs.d.backend.unindexed(r.c.id).is_not(None))
    if flt.statuses:
        where.append(r.c.status.in_(sorted(flt.statuses)))
    if flt.workflow and flt.workflow.strip():
        where.append(starts_with(rs.d, r.c.workflow_name, flt.workflow))
    if flt.codebase and flt.codebase.strip():
        where.append(starts_with(rs.d, cb.c.name, flt.codebase))
    if flt.owner and flt.owner.strip():
        where.append(_owner_condition(rs, flt.owner))
    if flt.since is not None:
        where.append(r.c.started_at >= _bound("since", flt.since))
    if flt.text and flt.text.strip():
        where.append(_text_condition(rs, flt.text))
    if flt.conversation_id is not None:
        if valid_id(rs.d.backend, flt.conversation_id):
            where.append(r.c.conversation_id == flt.conversation_id)
        else:
            where.append(sa.false())
    if flt.stuck is not None:
        where.append(run_stuck_condition(rs, flt.stuck))
    if flt.ids is not None:
        valid = sorted(i for i in flt.ids if valid_id(rs.d.backend, i))
        where.append(r.c.id.in_(valid) if valid else sa.false())
    return where


def run_stuck_condition(rs: RunSql, kind: RunStuckKind) -> ColumnElement[bool]:
    """What puts a run in `kind` (`RunKindRecord.rule_sql`); false where the version
    cannot produce the kind. One rule per kind by an exhaustive match: a kind added
    without its rule here fails mypy (`assert_never`)."""
    if kind in rs.undetectable:
        return sa.false()
    now = rs.now()
    match kind:
        case RunStuckKind.STALE_PENDING:
            return sa.and_(
                r.c.status == "pending",
                r.c.started_at < _bound("pending_before", now - STALE_PENDING_AGE),
            )
        case RunStuckKind.QUIET:
            before = now - rs.quiet_after
            return sa.and_(
                r.c.status == "running",
                sa.or_(
                    r.c.last_activity_at < _bound("quiet_before", before),
                    sa.and_(
                        r.c.last_activity_at.is_(None),
                        r.c.started_at < _bound("quiet_started_before", before),
                    ),
                ),
            )
        case RunStuckKind.AWAITING_APPROVAL:
            return r.c.status == "paused"
        case RunStuckKind.PATH_HELD:
            return sa.and_(r.c.status == "running", r.c.id.in_(held_paths(rs)))
        case _:
            assert_never(kind)


def sort_key(rs: RunSql) -> ColumnElement[Any]:
    """The stored started_at untouched (UTC text on SQLite, TIMESTAMP WITH TIME ZONE on
    PostgreSQL), so a cursor compares exactly as stored."""
    return sa.type_coerce(r.c.started_at, sa.Text() if rs.sqlite else sa.DateTime(timezone=True))


def _after(rs: RunSql, cursor: RunCursor) -> ColumnElement[bool]:
    key = sort_key(rs)
    return sa.or_(key < cursor.key, sa.and_(key == cursor.key, r.c.id < cursor.id))


def page_statement(
    rs: RunSql, flt: RunFilter, cursor: RunCursor | None, limit: int, *, dated: bool
) -> sa.Select[Any]:
    """The ids of one segment of a newest-first page, `limit` at most, with their sort
    key: the runs with a start time by (started_at, id) descending (`dated`), or those
    without one by id. Only ids are sorted; the page's columns are read for its own rows
    (`rows_statement`), so what a row costs to show follows the page."""
    where = conditions(rs, flt)
    if dated:
        where.append(r.c.started_at.is_not(None))
        if cursor is not None and cursor.key is not None:
            where.append(_after(rs, cursor))
        order: tuple[Any, ...] = (r.c.started_at.desc(), r.c.id.desc())
    else:
        where.append(r.c.started_at.is_(None))
        if cursor is not None and cursor.key is None:
            where.append(r.c.id < cursor.id)
        order = (r.c.id.desc(),)
    return (
        sa.select(
            r.c.id, sort_key(rs).label("_sort_key"), r.c.started_at.is_(None).label("_undated")
        )
        .select_from(filter_from(rs, flt))
        .where(*where)
        .order_by(*order)
        .limit(limit)
    )


def window_floor(rs: RunSql, cursor: RunCursor | None, window: int) -> sa.Select[Any]:
    """The run `window` dated runs below the cursor (newest first, every run counted,
    whatever the filter), and the one after it: the floor of a bounded search's window.
    Fewer than two rows: the rest of the list fits in the window. By the started index
    (0010) a walk of `window` index entries."""
    stmt = sa.select(r.c.id, sort_key(rs).label("_sort_key")).where(r.c.started_at.is_not(None))
    if cursor is not None and cursor.key is not None:
        stmt = stmt.where(_after(rs, cursor))
    order = (r.c.started_at.desc(), r.c.id.desc())
    return stmt.order_by(*order).offset(window - 1).limit(2)


def within_window(rs: RunSql, floor: RunCursor) -> ColumnElement[bool]:
    """The dated runs from the top down to the floor run, the floor included: exactly
    the window's runs. `started_at >= floor` is said on its own, as the range of the
    started index the walk stops at (neither planner takes the OR as a bound)."""
    key = sort_key(rs)
    exact = sa.or_(key > floor.key, sa.and_(key == floor.key, r.c.id >= floor.id))
    return sa.and_(key >= floor.key, exact)


def rows_statement(rs: RunSql, ids: list[str]) -> sa.Select[Any]:
    """The list rows of these runs (a page's), in no order."""
    return sa.select(*row_columns(rs)).select_from(joined(rs)).where(r.c.id.in_(ids))


def detail_columns_statement(rs: RunSql, run_id: str) -> sa.Select[Any]:
    """The columns the list row does not carry; metadata as its stored text."""
    return sa.select(
        r.c.user_message,
        r.c.current_step_index,
        rs.d.backend.as_text(r.c.metadata).label("metadata"),
        r.c.parent_conversation_id,
        rs.col("output_root"),
        rs.col("user_id"),
    ).where(r.c.id == run_id)


def children_statement(rs: RunSql, run_id: str, limit: int) -> sa.Select[Any] | None:
    """The run's sub-runs, oldest first (idx_workflow_runs_parent_run); None before v0.7.0."""
    if "parent_run_id" not in rs.columns:
        return None
    return (
        sa.select(r.c.id)
        .where(r.c.parent_run_id == run_id)
        .order_by(r.c.started_at, r.c.id)
        .limit(limit)
    )


def sessions_statement(d: Dialect, conversation_id: str) -> sa.Select[Any]:
    """The conversation's sessions, newest first (the service's conversation index)."""
    return (
        sa.select(*hop_columns(d, s))
        .where(s.c.conversation_id == conversation_id)
        .order_by(s.c.started_at.desc(), s.c.id.desc())
        .limit(RECENT_SESSIONS)
    )


def events_statement(rs: RunSql, run_id: str) -> sa.Select[Any] | None:
    """The run's latest events, newest first (idx_workflow_events_run_id); None without
    the table."""
    cols = rs.event_columns
    if not cols:
        return None
    order_col = events.c.event_order if "event_order" in cols else sa.null()
    order = [events.c.created_at.desc()]
    if "event_order" in cols:
        order.append(events.c.event_order.desc().nulls_last())
    order.append(events.c.id.desc())
    return (
        sa.select(
            events.c.id,
            events.c.event_type,
            events.c.step_index,
            events.c.step_name,
            rs.d.backend.as_text(events.c.data).label("data"),
            events.c.created_at,
            order_col.label("event_order"),
        )
        .where(events.c.workflow_run_id == run_id)
        .order_by(*order)
        .limit(RECENT_EVENTS)
    )


def node_sessions_statement(rs: RunSql, run_id: str) -> sa.Select[Any] | None:
    """The node sessions this run last wrote, newest first; None without the table
    (before v0.6.0). No index leads with last_run_id: the table holds one row per
    (workflow, node, scope, provider), small next to the runs."""
    if not rs.node_session_columns:
        return None
    ns = node_sessions
    return (
        sa.select(*ns.c)
        .where(ns.c.last_run_id == run_id)
        .order_by(ns.c.updated_at.desc(), ns.c.node_id)
        .limit(RECENT_EVENTS)
    )


def stuck_counts_statement(rs: RunSql, flt: RunFilter) -> sa.Select[Any]:
    """One row: for each computed kind, how many runs under the filter are in it. Only
    pending, running and paused runs are read (by the status index)."""
    where = [*conditions(rs, flt), r.c.status.in_(ACTIVE_STATUSES)]
    counted = [k for k in RunStuckKind if k not in rs.undetectable]
    cols = [
        sa.func.coalesce(sa.func.sum(sa.case((run_stuck_condition(rs, k), 1), else_=0)), 0).label(
            k.name
        )
        for k in counted
    ] or [sa.literal(0).label("none")]
    return sa.select(*cols).select_from(filter_from(rs, flt)).where(*where)


def runs_by_status_statement() -> sa.Select[Any]:
    """Runs per stored status: one pass over the status index."""
    return sa.select(r.c.status, sa.func.count()).group_by(r.c.status)


def id_statement(rs: RunSql, condition: ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(r.c.id).where(condition).order_by(r.c.id).limit(5)


def any_stuck(rs: RunSql) -> ColumnElement[bool]:
    """A run in at least one computed kind."""
    found = [run_stuck_condition(rs, k) for k in RunStuckKind if k not in rs.undetectable]
    return sa.or_(*found) if found else sa.false()
