"""Indexes for the dashboard's filters and keyset pages.

Revision ID: 0003_filter_indexes
Revises: 0002_ended_reason
Create Date: 2026-02-20

The list is ordered by (started_at, id) and filtered by ended_reason or active;
the chain view follows parent_session_id. These are the tool's own indexes
(prefixed ix_sessions_tui_), so unlike the tables they may be dropped again.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from tui.store.migration_ops import ensure_index

revision: str = "0003_filter_indexes"
down_revision: str | Sequence[str] | None = "0002_ended_reason"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "remote_agent_sessions"
INDEXES: dict[str, tuple[str, ...]] = {
    "ix_sessions_tui_reason_started": ("ended_reason", "started_at", "id"),
    "ix_sessions_tui_active_started": ("active", "started_at", "id"),
    "ix_sessions_tui_started": ("started_at", "id"),
    "ix_sessions_tui_parent": ("parent_session_id",),
}


def upgrade() -> None:
    """Each index on its own, skipped where it exists (a rerun, or one made by hand):
    `tui.store.migration_ops.ensure_index`."""
    for name, columns in INDEXES.items():
        ensure_index(name, TABLE, ", ".join(columns))


def downgrade() -> None:
    """Drop exactly the four indexes this revision creates, nothing of the service's."""
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
