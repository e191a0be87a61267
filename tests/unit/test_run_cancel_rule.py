"""The service's cancel rule and what a run cancel says, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.domain.run_cancel import (
    COOPERATIVE_NOTE,
    RunCancelled,
    RunCancelPlan,
    RunFinished,
    RunNotFound,
    cancellable,
    run_outcome_line,
    run_plan_line,
)


@pytest.mark.parametrize(
    ("status", "written"),
    [
        ("pending", True),
        ("running", True),
        ("paused", True),
        ("failed", True),  # resumable at the service, so cancellable
        ("completed", False),
        ("cancelled", False),
        (None, False),  # SQL's NULL NOT IN (...) is not true
    ],
)
def test_the_rule_is_the_services_status_not_in(status: str | None, written: bool) -> None:
    assert cancellable(status) is written


def test_the_lines_say_status_and_time_and_keep_the_terminal_safe() -> None:
    hostile = "run\x1b]0;x\x07"
    at = datetime(2026, 12, 6, 12, 0, 1, tzinfo=UTC)
    assert run_outcome_line(RunCancelled(hostile)) == "cancelled run\\e]0;x\\x07"
    assert run_outcome_line(RunFinished("r1", "completed", at)) == (
        "already finished r1: completed at 2026-12-06T12:00:01Z — nothing was overwritten"
    )
    assert run_outcome_line(RunNotFound("r2")) == "not found r2: no such workflow run"
    assert run_plan_line(RunCancelled("r3", was="paused"), "ada").startswith(
        "would cancel r3 (currently paused): status=cancelled, completed_at=<database clock"
    )
    assert run_plan_line(RunFinished("r4", "cancelled", None), "ada") == (
        "r4 is cancelled at unknown time — would be left unchanged"
    )
    plan = RunCancelPlan("ada", (RunCancelled("a", "running"), RunNotFound("b")))
    assert plan.to_cancel == 1 and not plan.all_would_cancel
    assert "cooperative" in COOPERATIVE_NOTE and "cannot stop a process" in COOPERATIVE_NOTE
