"""The store's trends of workflow runs (part of `Store`): runs per bucket by status or
outcome, and recorded spend per bucket by workflow (`tui.domain.run_trends`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from tui.domain.run_trends import RunTrendBy, RunTrends
from tui.domain.runs import RunFilter
from tui.domain.trends import TrendWindow
from tui.store.codec import text_value
from tui.store.sql_run_trends import run_trends_statement
from tui.store.store_runs import StoreRuns


class StoreRunTrends(StoreRuns):
    """Trends of workflow runs (part of `Store`)."""

    @property
    def has_run_outcome(self) -> bool:
        """Whether the runs table has `outcome` (main after v0.9.0)."""
        return "outcome" in self.run_columns

    async def run_trends(
        self,
        flt: RunFilter | None = None,
        days: int = 30,
        by: RunTrendBy = RunTrendBy.STATUS,
        *,
        now: datetime | None = None,
    ) -> RunTrends:
        """Runs started per UTC day (per hour for 2 days or fewer) over the last `days`,
        split `by`, and the recorded spend by workflow, under `flt` but its stuck kind
        (`run_trends.trend_filter`; an age filter bounds the start, as the window does).
        One statement, one range of started_at per bucket (with the backend's
        `branches_sql`: no JIT on PostgreSQL). By outcome where the table has no such
        column: by status (`runs.by` says which). Without a runs table every series is
        empty and `has_table` is False."""
        window = TrendWindow(days, now or self.d.clock())
        if by is RunTrendBy.OUTCOME and not self.has_run_outcome:
            by = RunTrendBy.STATUS
        if not self.has_runs:
            return RunTrends.from_rows(window, by, [], has_table=False)
        stmt = run_trends_statement(self._rs(), flt or RunFilter(), window.spans(), by)
        async with self._read() as conn:
            for setting in self.d.backend.traits.branches_sql:
                await conn.execute(sa.text(setting))
            rows = (await conn.execute(stmt)).all()
        return RunTrends.from_rows(
            window,
            by,
            (
                (
                    r[0],
                    _text(r[1]),
                    _text(r[2]),
                    bool(r[3]),
                    int(r[4]),
                    int(r[5]),
                    None if r[6] is None else float(r[6]),
                )
                for r in rows
            ),
        )


def _text(value: object) -> str | None:
    found = text_value(value)
    return None if found is None else str(found)
