"""Add remote_agent_sessions.ended_reason where the service's migration 016 has not.

Revision ID: 0002_ended_reason
Revises: 0001_baseline
Create Date: 2026-02-20

Same column, same type, same comment as the service's
migrations/016_session_ended_reason.sql, so a database migrated here and one
migrated by the service are indistinguishable. Nullable, no default: existing
rows keep NULL, which the tool shows as "reason unknown".
"""

from __future__ import annotations

from collections.abc import Sequence

from tui.store.migration_ops import ensure_column

revision: str = "0002_ended_reason"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "remote_agent_sessions"
COLUMN = "ended_reason"
COMMENT = (
    "Why this session was deactivated: reset-requested, cwd-changed, conversation-closed, etc."
)


def upgrade() -> None:
    """Only where missing, read from the catalog first: on PostgreSQL even
    `ADD COLUMN IF NOT EXISTS` takes an ACCESS EXCLUSIVE lock, and SQLite has no
    IF NOT EXISTS at all (`tui.store.migration_ops.ensure_column`)."""
    ensure_column(TABLE, COLUMN, COMMENT)


def downgrade() -> None:
    """Deliberately a no-op: ended_reason belongs to the service (its migration 016).

    The service writes it whenever it ends a session; dropping it would lose that
    audit trail and break the service, whichever of the two added the column.
    """
