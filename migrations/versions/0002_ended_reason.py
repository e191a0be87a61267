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

from alembic import context, op

revision: str = "0002_ended_reason"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "remote_agent_sessions"
COLUMN = "ended_reason"
COMMENT = (
    "Why this session was deactivated: reset-requested, cwd-changed, conversation-closed, etc."
)


def _sqlite_has_column() -> bool:
    rows = op.get_bind().exec_driver_sql(f"PRAGMA table_info({TABLE})").fetchall()
    return any(row[1] == COLUMN for row in rows)


def upgrade() -> None:
    """PostgreSQL has ADD COLUMN IF NOT EXISTS; SQLite does not, so look first."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} TEXT")
        quoted = COMMENT.replace("'", "''")
        op.execute(f"COMMENT ON COLUMN {TABLE}.{COLUMN} IS '{quoted}'")
        return
    if context.is_offline_mode():
        # The SQL is written without seeing the database, which may already have
        # the column (service migration 016): tell the DBA, since SQLite has no
        # ADD COLUMN IF NOT EXISTS.
        op.execute(
            f"-- Skip the next statement if {TABLE} already has an {COLUMN} column\n"
            f"-- (check with: PRAGMA table_info({TABLE});)\n"
            f"ALTER TABLE {TABLE} ADD COLUMN {COLUMN} TEXT"
        )
        return
    if not _sqlite_has_column():
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN {COLUMN} TEXT")


def downgrade() -> None:
    """Deliberately a no-op: ended_reason belongs to the service (its migration 016).

    The service writes it whenever it ends a session; dropping it would lose that
    audit trail and break the service, whichever of the two added the column.
    """
