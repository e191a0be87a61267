"""The active sessions by conversation, a partial index: what the stuck counts read.

Revision ID: 0008_active_index
Revises: 0007_ended_index
Create Date: 2026-11-29

`(conversation_id, started_at, id, codebase_id, active) WHERE active = true` (`active =
1` on SQLite: the queries' own spelling, `tables.ACTIVE_ROWS`). The stuck counts read
every active session with its conversation, and for `duplicate` the other active
sessions of that conversation; through this index both come from the index alone, which
holds the active sessions only (20,000 of 1,000,000), so the counts cost what is active,
not the history of ended sessions. `active` is a column too although the predicate fixes
it: SQLite (3.40) does not know that, and reads the table row for it otherwise. The
service's writes pay for the index only on rows that are or become active, and an end
removes its row from it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from tui.store.migration_ops import ensure_index
from tui.store.tables import ACTIVE_INDEX, ACTIVE_INDEX_COLUMNS, ACTIVE_ROWS

revision: str = "0008_active_index"
down_revision: str | Sequence[str] | None = "0007_ended_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ensure_index(ACTIVE_INDEX, "remote_agent_sessions", ACTIVE_INDEX_COLUMNS, where=ACTIVE_ROWS)


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {ACTIVE_INDEX}")
