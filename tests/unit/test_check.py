"""`check`'s rules without a database: which state wins, how the thresholds read, and
what a snapshot without a runs table says."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest

from tui.domain.check import (
    Judged,
    State,
    ThresholdError,
    Thresholds,
    fleet_output,
    judge,
    plugin_output,
    read_flag,
    read_thresholds,
    worst,
)
from tui.domain.run_stuck import RunStuckKind
from tui.domain.snapshot import Snapshot
from tui.domain.stuck import StuckKind


def snapshot(*, has_runs: bool) -> Snapshot:
    return Snapshot(
        version="v0.9.0",
        active=12,
        ended=40,
        stuck={StuckKind.IDLE: 7, StuckKind.ORPHANED: 0, StuckKind.DUPLICATE: None},
        has_runs=has_runs,
        stuck_runs=dict.fromkeys(RunStuckKind, 1 if has_runs else None),
        runs_by_status={},
        ended_recently={},
        read_at=datetime(2026, 12, 6, tzinfo=UTC),
        seconds=0.1,
    )


@pytest.mark.parametrize(
    ("states", "wins"),
    [
        ([], State.OK),
        ([State.OK, State.WARNING], State.WARNING),
        ([State.WARNING, State.UNKNOWN], State.UNKNOWN),
        ([State.UNKNOWN, State.CRITICAL, State.WARNING], State.CRITICAL),
    ],
)
def test_the_worst_state_wins(states: list[State], wins: State) -> None:
    assert worst(states) is wins


def test_both_spellings_of_the_table_read_the_same() -> None:
    dotted = tomllib.loads("[check]\nwarning.idle = 5\ncritical.quiet = 0\n")["check"]
    tables = tomllib.loads("[check.warning]\nidle = 5\n[check.critical]\nquiet = 0\n")["check"]
    assert (
        read_thresholds(dotted) == read_thresholds(tables) == Thresholds({"idle": 5}, {"quiet": 0})
    )


def test_flags_replace_the_file_kind_by_kind() -> None:
    file = Thresholds({"idle": 5, "quiet": 1}, {"idle": 20})
    flags = Thresholds({"idle": 9}, {})
    assert file.over(flags) == Thresholds({"idle": 9, "quiet": 1}, {"idle": 20})
    assert read_flag("warning", " IDLE = 3") == ("idle", 3)
    with pytest.raises(ThresholdError, match="above the critical one"):
        Thresholds({"idle": 30}, {"idle": 20}).checked()


def test_without_a_runs_table_the_run_kinds_are_said_not_measured() -> None:
    verdict = judge(snapshot(has_runs=False), Thresholds({"quiet": 0}, {"duplicate": 0}))
    assert verdict.state is State.OK
    line = plugin_output(verdict)
    assert line == (
        "SESSIONS-TUI OK - 12 active; stuck: idle 7, orphaned 0, duplicate not detectable; "
        "stuck runs: no runs table | 'active'=12;;;0; 'stuck_idle'=7;;;0; "
        "'stuck_orphaned'=0;;;0;"
    )


def test_an_error_cannot_start_the_perfdata() -> None:
    verdict = judge(snapshot(has_runs=True), Thresholds({"idle": 5}, {}))
    lines = fleet_output(
        [Judged("a", None, verdict=verdict), Judged("b", None, error="bad | thing\nhere")]
    )
    first = lines[0]
    assert first.count(" | ") == 1
    assert first.startswith(
        "SESSIONS-TUI UNKNOWN - a WARNING (idle 7 > 5), b UNKNOWN (bad / thing here)"
    )
    assert lines[2] == "b: cannot be read: bad / thing here"
