"""What an audit row is about: `target` (`session` or `run`) and `run_id`.

Revision ID: 0009_audit_target
Revises: 0008_active_index
Create Date: 2026-12-06

`sessions-tui runs cancel` writes the service's own cancel to workflow runs and keeps an
audit row for each, as an end does for each session. `target` says which: NOT NULL
DEFAULT 'session', so every row written before reads as an end's, and so does every row
an older version of this tool writes. `run_id` holds a run cancel's run (NULL for an
end); a run's row leaves `session_id` empty, as 0006 made that column NOT NULL.

Both are added to this tool's own table only: the service never reads or writes it. A
constant default makes the ALTER a catalog change on PostgreSQL (11 on) and on SQLite
(no table rewrite), in its own short transaction; the migration's lock timeout bounds
how long it waits behind one of this tool's own ends. A second run changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from tui.store.migration_ops import ensure_tool_column

revision: str = "0009_audit_target"
down_revision: str | Sequence[str] | None = "0008_active_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "sessions_tui_audit"


def upgrade() -> None:
    ensure_tool_column(TABLE, "target", "TEXT NOT NULL DEFAULT 'session'")
    ensure_tool_column(TABLE, "run_id", "TEXT")


def downgrade() -> None:
    """Deliberately a no-op: the run cancels' rows are the only record of them; dropping
    the columns would leave those rows looking like ends."""
