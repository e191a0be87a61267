"""An index for the sessions by end time: (ended_at, id).

Revision ID: 0007_ended_index
Revises: 0006_audit_table
Create Date: 2026-11-29

The `ended` sort reads it as two keyset phases, each one range of it: the ended
sessions newest end first (`ended_at IS NOT NULL`, read backwards), then the active
ones (`ended_at IS NULL`, by id). Without it a first page by `ended` sorted every
filtered row (4-5 s at 1M). `id` is in it because many sessions share one end time
(an end of 250 sessions writes one `ended_at`), and the keyset needs a total order.

The trends counts (ended sessions per day and reason over a window) need no new
index: `ix_sessions_tui_live` (active, ended_at, ended_reason) from 0005 already holds
every column they read, as one range (`active = false`, `ended_at` in the window).
One index more than needed costs every write the service makes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from tui.store.migration_ops import ensure_index

revision: str = "0007_ended_index"
down_revision: str | Sequence[str] | None = "0006_audit_table"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_sessions_tui_ended"


def upgrade() -> None:
    ensure_index(NAME, "remote_agent_sessions", "ended_at, id")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {NAME}")
