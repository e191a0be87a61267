"""Workflow runs over time: a declaration on the trends machinery (`tui.domain.trends`).

- Runs per UTC day (or hour) by status, or by outcome where the version has that column
  (main after v0.9.0, `tui.domain.runs`). A run counts once, in the bucket of its
  `started_at` (every run has one: the column's default), with the status or outcome it
  has now. A status no service version writes is counted as itself, marked when shown.
- Spend per day by workflow: the sum of `metadata.total_cost_usd` where it is a JSON
  number. Where the service writes it: `completeWorkflowRun` merges it into metadata
  when at least one node reported a cost (packages/workflows/src/dag-executor.ts@v0.2.13
  through @v0.9.0, `...(totalCostUsd > 0 ? { total_cost_usd: totalCostUsd } : {})`);
  no other statement writes it, and before v0.2.13 (@v0.1.0) nothing does. So only
  completed runs can carry a cost, and a run without one is `not recorded`, never 0
  spend: the counts of runs with and without a recorded cost stand beside each sum.
- From v0.7.0 a `workflow:` node's sub-run cost is added into its parent's total
  (dag-executor.ts@v0.7.0 `childOutcomeFromRun` reads the child's total_cost_usd, and
  `ctx.totalCostUsd += output.costUsd`): spend sums the top-level runs only (no
  `parent_run_id`), so no dollar counts twice; a sub-run's cost is in its parent's
  workflow. Before v0.7.0 there are no sub-runs.

Spend is bucketed by the run's start, as its count is, so a run's count and its cost
fall on the same day, and the window is one range of the runs' started index.

The trends count the runs the runs list's filters select (`trend_filter`): all of them
but the stuck kind, a state now rather than a history. The age filter bounds the start,
as the window does: a run counts where both hold.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from msgspec import Struct
from msgspec.structs import replace

from tui.domain.models import NOT_RECORDED_TOKEN
from tui.domain.runs import RUN_OUTCOMES, RUN_STATUSES, RunFilter
from tui.domain.trends import GroupBy, TrendMeasure, Trends, TrendWindow

RUNS = TrendMeasure("runs", "RUNS", "runs in all")
"""Runs started."""
SPEND = TrendMeasure(
    "spend_usd", "SPEND (USD)", "spent in all", 1_000_000, "$", "no spend recorded"
)
"""The recorded cost, in millionths of a dollar."""
COSTED = TrendMeasure("runs_with_cost", "WITH COST", "runs with a recorded cost")
"""Top-level runs with a recorded cost."""
UNCOSTED = TrendMeasure(
    "runs_without_cost", "NOT RECORDED", "runs with no cost recorded (not 0 spend)"
)
"""Top-level runs with no recorded cost: not 0 spend, no figure at all."""


def trend_filter(flt: RunFilter) -> RunFilter:
    """The runs list's filter as the trends count under it: without its stuck kind (and
    without a selection's ids, which only check a selection). What the screen says it
    counts under is this filter's words (`run_search.describe`)."""
    return replace(flt, stuck=None, ids=None)


BY_WORKFLOW = GroupBy("workflow")
"""Spend's split: the workflow's name as stored."""


class RunTrendBy(enum.StrEnum):
    """What the runs' counts are split by: the runs table's column of that name."""

    STATUS = "status"
    OUTCOME = "outcome"

    @property
    def null_token(self) -> str | None:
        """A run with no outcome is `not recorded` (the workflow gave no verdict)."""
        return NOT_RECORDED_TOKEN if self is RunTrendBy.OUTCOME else None

    @property
    def known(self) -> frozenset[str] | None:
        return _KNOWN[self]


_KNOWN = {
    RunTrendBy.STATUS: frozenset(RUN_STATUSES),
    RunTrendBy.OUTCOME: frozenset(RUN_OUTCOMES),
}

RunTrendRow = tuple[str | None, str | None, str | None, bool, int, int, float | None]
"""What the store reads per bucket and group: (bucket key, status or outcome as stored,
workflow, top-level, runs, runs with a recorded cost, their cost summed in USD)."""


class RunTrends(Struct, frozen=True):
    """The runs' trends over one window: each series a `Trends` of its own."""

    runs: Trends
    """Runs started per bucket, by status or outcome (sub-runs included)."""
    spend: Trends
    """Recorded cost per bucket by workflow (top-level runs)."""
    costed: Trends
    """Top-level runs with a recorded cost, per bucket by workflow."""
    uncosted: Trends
    """Top-level runs without one, per bucket by workflow."""
    has_table: bool = True
    """False: the database has no workflow runs table (every series empty)."""

    @property
    def window(self) -> TrendWindow:
        return self.runs.window

    @property
    def series(self) -> tuple[Trends, ...]:
        """Every series, in the order the CLI prints them."""
        return (self.runs, self.spend, self.costed, self.uncosted)

    @classmethod
    def from_rows(
        cls,
        window: TrendWindow,
        by: RunTrendBy,
        rows: Iterable[RunTrendRow],
        *,
        has_table: bool = True,
    ) -> RunTrends:
        found = list(rows)
        top = [r for r in found if r[3]]
        return cls(
            runs=Trends.from_rows(window, by, ((r[0], r[1], r[4]) for r in found), RUNS),
            spend=Trends.from_rows(
                window, BY_WORKFLOW, ((r[0], r[2], SPEND.amount(r[6])) for r in top), SPEND
            ),
            costed=Trends.from_rows(window, BY_WORKFLOW, ((r[0], r[2], r[5]) for r in top), COSTED),
            uncosted=Trends.from_rows(
                window, BY_WORKFLOW, ((r[0], r[2], r[4] - r[5]) for r in top), UNCOSTED
            ),
            has_table=has_table,
        )
