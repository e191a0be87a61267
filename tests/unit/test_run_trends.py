"""The runs' trends as a declaration on the trends machinery: rows in, series out, and
the words an amount and a status get."""

from __future__ import annotations

from datetime import UTC, datetime

from tui.domain.models import NOT_RECORDED_TOKEN
from tui.domain.run_trends import SPEND, RunTrendBy, RunTrends
from tui.domain.trends import TrendBy, TrendWindow
from tui.domain.wording import trend_group_label, trend_group_status

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def test_spend_sums_top_level_runs_and_a_run_without_cost_is_not_zero() -> None:
    w = TrendWindow(7, NOW)
    rows = [
        # bucket, status, workflow, top-level, runs, with a cost, their cost
        ("2026-12-06", "completed", "plan", True, 3, 2, 1.5),
        ("2026-12-06", "completed", "fix", False, 1, 1, 0.75),  # in its parent's total
        ("2026-12-05", "failed", "plan", True, 2, 0, None),
        ("2026-12-05", "archived", "review", True, 1, 0, None),
    ]
    found = RunTrends.from_rows(w, RunTrendBy.STATUS, rows)
    assert dict(found.runs.counts) == {
        ("2026-12-06", "completed"): 4,
        ("2026-12-05", "failed"): 2,
        ("2026-12-05", "archived"): 1,
    }
    assert dict(found.spend.counts) == {("2026-12-06", "plan"): 1_500_000}
    assert dict(found.costed.counts) == {("2026-12-06", "plan"): 2}
    assert dict(found.uncosted.counts) == {
        ("2026-12-06", "plan"): 1,
        ("2026-12-05", "plan"): 2,
        ("2026-12-05", "review"): 1,
    }
    assert found.spend.series("review") == [0] * 7
    assert [SPEND.plain(n) for n in found.spend.series("plan")][-2:] == [None, 1.5]
    assert [SPEND.shown(n) for n in found.spend.series("plan")][-2:] == ["—", "$1.50"]
    assert SPEND.total_line(found.spend.total) == "$1.50 spent in all"
    assert SPEND.total_line(0) == "no spend recorded"


def test_a_status_no_version_writes_is_marked_and_a_missing_outcome_is_not_recorded() -> None:
    status, outcome = RunTrendBy.STATUS, RunTrendBy.OUTCOME
    assert trend_group_label(status, "archived") == "⚠ archived"
    assert trend_group_status(status, "archived") == "unrecognised"
    assert trend_group_label(status, "paused") == "paused"
    assert trend_group_status(status, "paused") == "known"
    found = RunTrends.from_rows(
        TrendWindow(2, NOW), outcome, [("2026-12-06 14", None, "plan", True, 2, 0, None)]
    )
    assert found.runs.groups() == [NOT_RECORDED_TOKEN]
    assert trend_group_label(outcome, NOT_RECORDED_TOKEN) == "not recorded"
    assert trend_group_status(outcome, NOT_RECORDED_TOKEN) == "not-recorded"
    # the sessions' splits read as they did: a reason's rules, a platform as stored
    assert trend_group_label(TrendBy.REASON, None) == "not recorded"
    assert trend_group_status(TrendBy.PLATFORM, "slack") is None
    assert trend_group_label(TrendBy.PLATFORM, None) == "—"
