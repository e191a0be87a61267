"""The detail's statements: a session's chain (ancestors, children) and its
conversation's workflow runs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tui.domain.models import (
    RECENT_RUNS,
)
from tui.store.sql_dialect import MAX_CHAIN_DEPTH, Dialect, stored_active
from tui.store.tables import (
    codebases,
    conversations,
    sessions,
    users,
    workflow_runs,
)

s, c, cb, u, wr = sessions, conversations, codebases, users, workflow_runs


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
