"""The workflow runs' trends statement (`tui.domain.run_trends`): one branch per bucket
(`sql_counts.per_bucket`, as the sessions' trends), each the runs started in the bucket's
span, grouped by status (or outcome), workflow and whether the run is a sub-run.

The bounds are binds in `UtcTimestamp(timezone=True)`, compared with started_at as
stored (SQLite's `datetime('now')` UTC text, PostgreSQL's TIMESTAMP WITH TIME ZONE), so
a bucket is a UTC day or hour whatever zone a server runs in. Each branch is one range
of started_at: the tool's runs index (0010) where `migrate` added it, the rows of the
window read for their status, workflow and cost. The cost follows the window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tui.domain.run_trends import RunTrendBy, trend_filter
from tui.domain.runs import RunFilter
from tui.store.sql_counts import Bucket, per_bucket
from tui.store.sql_runs import RunSql, conditions, cost, filter_from, runs
from tui.store.tables import UtcTimestamp

r = runs


def _at(name: str, when: datetime) -> ColumnElement[Any]:
    return sa.bindparam(name, when, type_=UtcTimestamp(timezone=True), unique=True)


def run_trends_statement(
    rs: RunSql, flt: RunFilter, buckets: list[Bucket], by: RunTrendBy
) -> sa.CompoundSelect[Any]:
    """(bucket, grp, workflow, top, n, costed, usd) per bucket: the runs under `flt` as
    the trends count it (`run_trends.trend_filter`) started in its span, by `by`'s
    column (NULL where the version lacks it), their workflow and whether each is
    top-level (no parent_run_id; every run before v0.7.0), how many, how many with a
    recorded cost (`sql_runs.cost`) and that cost summed (NULL: none recorded)."""
    base = trend_filter(flt)
    has_split = by.value in rs.columns
    split = r.c[by.value] if has_split else sa.null()
    has_parent = "parent_run_id" in rs.columns
    top = r.c.parent_run_id.is_(None) if has_parent else sa.true()
    price = cost(rs)
    # PostgreSQL refuses GROUP BY a constant: a column the version lacks is not grouped.
    grouping = [*([split] if has_split else []), r.c.workflow_name, *([top] if has_parent else [])]

    def branch(key: str, lo: datetime, hi: datetime) -> sa.Select[Any]:
        where = [
            *conditions(rs, base),
            r.c.started_at >= _at("trend_from", lo),
            r.c.started_at < _at("trend_to", hi),
        ]
        return (
            sa.select(
                sa.literal(key).label("bucket"),
                split.label("grp"),
                r.c.workflow_name.label("workflow"),
                top.label("top"),
                sa.func.count().label("n"),
                sa.func.count(price).label("costed"),
                sa.func.sum(price).label("usd"),
            )
            .select_from(filter_from(rs, base))
            .where(*where)
            .group_by(*grouping)
        )

    return per_bucket(buckets, branch)
