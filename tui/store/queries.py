"""Statement builders for the list, counts and detail: pure SQLAlchemy Core, no I/O.

One module per concern (`sql_dialect`, `sql_stuck`, `sql_filters`, `sql_pages`,
`sql_counts`, `sql_detail`); this module names them all, for callers that take them
as `q.name`.
"""

from __future__ import annotations

from tui.store.sql_counts import (
    ALL_ACTIVE,
    LIVE_INDEXES,
    NEW_ACTIVE,
    NEW_ACTIVE_COUNT,
    STARTED_SINCE,
    Bucket,
    count_statement,
    db_now,
    facet_statement,
    incremental_facets,
    live_facet_statement,
    stuck_counts_statement,
    trend_filter,
    trend_group,
    trends_statement,
)
from tui.store.sql_detail import (
    ancestors_statement,
    children_statement,
    hop_columns,
    workflow_runs_statement,
)
from tui.store.sql_dialect import (
    MAX_CHAIN_DEPTH,
    SEARCH_WINDOW,
    Dialect,
    needs_join,
    starts_with,
    stored_active,
    with_id,
    without_id_statement,
)
from tui.store.sql_filters import (
    conditions,
    joined,
    reason_condition,
    row_columns,
    search_condition,
    unindexed_active,
    user_condition,
)
from tui.store.sql_pages import (
    bounded_search_statement,
    first_segment,
    list_statement,
    lowest_id_at,
    next_segment,
    reason_branches,
    window_boundary,
    window_walk,
)
from tui.store.sql_stuck import (
    duplicate_ids,
    is_active,
    marks_duplicates,
    stuck_condition,
    stuck_flags,
)

__all__ = [
    "ALL_ACTIVE",
    "LIVE_INDEXES",
    "MAX_CHAIN_DEPTH",
    "NEW_ACTIVE",
    "NEW_ACTIVE_COUNT",
    "SEARCH_WINDOW",
    "STARTED_SINCE",
    "Bucket",
    "Dialect",
    "ancestors_statement",
    "bounded_search_statement",
    "children_statement",
    "conditions",
    "count_statement",
    "db_now",
    "duplicate_ids",
    "facet_statement",
    "first_segment",
    "hop_columns",
    "incremental_facets",
    "is_active",
    "joined",
    "list_statement",
    "live_facet_statement",
    "lowest_id_at",
    "marks_duplicates",
    "needs_join",
    "next_segment",
    "reason_branches",
    "reason_condition",
    "row_columns",
    "search_condition",
    "starts_with",
    "stored_active",
    "stuck_condition",
    "stuck_counts_statement",
    "stuck_flags",
    "trend_filter",
    "trend_group",
    "trends_statement",
    "unindexed_active",
    "user_condition",
    "window_boundary",
    "window_walk",
    "with_id",
    "without_id_statement",
    "workflow_runs_statement",
]
