"""The trends window's buckets, and the shapes the chart and the sparklines draw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tui.app.render import sparkline
from tui.app.widgets.trend_chart import stack_heights
from tui.domain.models import NOT_RECORDED_TOKEN
from tui.domain.trends import TrendBy, Trends, TrendWindow

NOW = datetime(2026, 11, 20, 14, 35, tzinfo=UTC)


def test_a_window_of_days_is_the_last_utc_days_today_included() -> None:
    w = TrendWindow(30, NOW.astimezone(timezone(timedelta(hours=-5))))  # any zone in
    assert not w.hourly and w.count == 30
    assert w.start == datetime(2026, 10, 22, tzinfo=UTC)
    assert w.end == datetime(2026, 11, 21, tzinfo=UTC)
    assert w.key(w.buckets()[-1]) == "2026-11-20"
    assert w.spans()[0] == ("2026-10-22", w.start, w.start + timedelta(days=1))


def test_two_days_or_fewer_are_counted_per_hour() -> None:
    w = TrendWindow(2, NOW)
    assert w.hourly and w.count == 48
    assert w.start == datetime(2026, 11, 18, 15, tzinfo=UTC)
    assert w.end == datetime(2026, 11, 20, 15, tzinfo=UTC)
    assert w.label(w.buckets()[-1]) == "2026-11-20 14:00"


@pytest.mark.parametrize("days", [0, 367])
def test_a_window_outside_one_to_366_days_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="1 to 366"):
        TrendWindow(days, NOW)


def test_rows_outside_the_buckets_and_empty_counts_are_left_out() -> None:
    w = TrendWindow(7, NOW)
    rows = [
        ("2026-11-20", "reset-requested", 3),
        ("2026-11-20", None, 2),
        ("2026-11-19", "session-expired", 1),
        ("2026-11-01", "reset-requested", 9),  # before the window
        (None, "reset-requested", 4),  # an end time that is no time
        ("2026-11-18", "reset-requested", 0),
    ]
    t = Trends.from_rows(w, TrendBy.REASON, rows)
    assert t.total == 6
    assert t.groups() == ["reset-requested", NOT_RECORDED_TOKEN, "session-expired"]
    assert t.series("reset-requested") == [0, 0, 0, 0, 0, 0, 3]
    assert t.bucket_totals()[-2:] == [1, 5]


def test_a_stacked_bar_keeps_its_totals_height() -> None:
    assert stack_heights([3, 3, 4], 10, 10) == [3, 3, 4]
    assert sum(stack_heights([1, 1, 1], 3, 8)) == 8
    assert stack_heights([5, 0], 10, 4) == [2, 0]
    assert stack_heights([1], 0, 4) == [0]


def test_a_sparkline_is_one_cell_a_day_scaled_to_its_busiest() -> None:
    assert sparkline([0, 1, 8, 4]) == " ▁█▄"
    assert sparkline([0, 0]) == "  "
    assert len(sparkline([3] * 14)) == 14
