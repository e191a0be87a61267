"""The workflow runs newest first, all and by status, on remote_agent_workflow_runs.

Revision ID: 0010_runs_index
Revises: 0009_audit_target
Create Date: 2026-12-06

The runs list pages newest first by `ORDER BY started_at DESC, id DESC` with the keyset
`started_at < :key OR (started_at = :key AND id < :id)` (`sql_runs.page_statement`);
the runs without a start time come last, by id. (started_at DESC, id DESC) holds both
orders: the dated segment is one walk of it from the cursor, the undated one the range
`started_at IS NULL` by id. A page reads its own rows and stops, where without it
every matching run was sorted for each page.

(status, started_at DESC, id DESC) does the same for a page of one status: a status
filter and the stuck kinds (each is one status: pending, running, paused), where the
walk of the first index would pass over every run of the other statuses (most runs
are completed) and the service's own index on `status` alone leaves a sort of them all.

Each is built only where the database has the runs table (the service adds it in its own
migrations; a version without it migrates cleanly) and only where missing. They are
this tool's own indexes (the `ix_sessions_tui_` prefix), so they may be dropped again.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from tui.store.migration_ops import ensure_table_index
from tui.store.tables import (
    RUN_INDEX_COLUMNS,
    RUNS_STARTED_COLUMNS,
    RUNS_STARTED_INDEX,
    RUNS_STATUS_COLUMNS,
    RUNS_STATUS_INDEX,
    WORKFLOW_RUNS,
)

revision: str = "0010_runs_index"
down_revision: str | Sequence[str] | None = "0009_audit_target"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {RUNS_STARTED_INDEX: RUNS_STARTED_COLUMNS, RUNS_STATUS_INDEX: RUNS_STATUS_COLUMNS}


def upgrade() -> None:
    """Each index on its own, where the runs table exists, skipped where it exists."""
    for name, columns in INDEXES.items():
        ensure_table_index(name, WORKFLOW_RUNS, columns, RUN_INDEX_COLUMNS)


def downgrade() -> None:
    """Drop exactly the indexes this revision creates, nothing of the service's."""
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
