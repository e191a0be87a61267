"""`sessions-tui trends --runs` through the real CLI, on both backends, over runs the
service's own statements wrote (`tests.support.run_writes` cites them): the numbers in
every format equal the test's own reading of the rows.

The JSON keys and the CSV header scripts read are written out here as literals, in
their order: a key renamed, dropped or moved fails this test (new keys go at the end)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.run_trends import expected_run_trends, write_runs
from tests.support.run_writes import ServiceRuns, runs_database
from tests.support.service_schema import RUNS_OUTCOME, statements
from tui.domain.models import NOT_RECORDED_TOKEN
from tui.store.target import resolve_target

RUN_TRENDS_KEYS = [
    "by", "unit", "days", "start", "end", "buckets", "runs", "spend_usd", "runs_with_cost",
    "runs_without_cost", "runs_table",
]  # fmt: skip
SERIES_KEYS = ["by", "total", "groups"]
GROUP_KEYS = ["group", "status", "total", "counts"]
CSV_HEADER = ["series", "bucket", "group", "status", "value"]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def svc(empty_db_url: str, request: pytest.FixtureRequest) -> ServiceRuns:
    """A v0.8 service database (sub-runs, output roots) with `write_runs`' runs."""
    found = runs_database(request, empty_db_url, "v0.8")[1]
    write_runs(found)
    return found


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def as_json(svc: ServiceRuns, *args: str) -> Any:
    result = invoke("--url", svc.db.url, "trends", "--runs", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_keys_in_order_and_numbers_equal_the_rows(svc: ServiceRuns) -> None:
    got = as_json(svc, "--days", "30")
    assert list(got) == RUN_TRENDS_KEYS
    for name in ("runs", "spend_usd", "runs_with_cost", "runs_without_cost"):
        assert list(got[name]) == SERIES_KEYS
        assert all(list(g) == GROUP_KEYS for g in got[name]["groups"])
    assert got["by"] == "status" and got["unit"] == "day" and got["runs_table"] is True
    target = resolve_target(url=svc.db.url)
    want = asyncio.run(
        expected_run_trends(target, _when(got["start"]), _when(got["end"]), hourly=False)
    )
    day = [_when(b).strftime("%Y-%m-%d") for b in got["buckets"]]

    def pairs(series: str, scale: int = 1) -> dict[tuple[str, str | None], int]:
        return {
            (day[i], g["group"]): round(n * scale)
            for g in got[series]["groups"]
            for i, n in enumerate(g["counts"])
            if n
        }

    assert pairs("runs") == dict(want.runs)
    assert pairs("spend_usd", 1_000_000) == want.spend
    assert pairs("runs_with_cost") == dict(want.costed)
    assert pairs("runs_without_cost") == dict(want.uncosted)
    assert got["spend_usd"]["total"] == 1.75
    statuses = {g["group"]: g["status"] for g in got["runs"]["groups"]}
    assert statuses == dict.fromkeys(["completed", "cancelled", "failed", "pending"], "known")
    # a day with no recorded cost is null, never 0 spend
    spend = {g["group"]: g["counts"] for g in got["spend_usd"]["groups"]}
    assert spend["plan"].count(None) == 29 and 1.25 in spend["plan"]


def test_the_runs_filters_of_runs_narrow_what_is_counted(svc: ServiceRuns) -> None:
    """`--workflow`, `--status` (declared once with `runs`'): the counts equal the test's
    own SQL under the same condition and the runs `runs` lists under the same options;
    `--since` bounds the start as the window does."""
    given = ["--workflow", "REV", "--status", "completed", "--status", "failed"]
    got = as_json(svc, *given)
    target = resolve_target(url=svc.db.url)
    where = "lower(workflow_name) LIKE 'rev%' AND status IN ('completed', 'failed')"
    want = asyncio.run(
        expected_run_trends(
            target, _when(got["start"]), _when(got["end"]), hourly=False, where=where
        )
    )
    day = [_when(b).strftime("%Y-%m-%d") for b in got["buckets"]]
    counted = {
        (day[i], g["group"]): n
        for g in got["runs"]["groups"]
        for i, n in enumerate(g["counts"])
        if n
    }
    assert counted == dict(want.runs) and got["runs"]["total"] == 2
    assert got["spend_usd"]["total"] == 0.5
    listed = invoke("--url", svc.db.url, "runs", *given, "--limit", "0", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)["runs"]) == got["runs"]["total"]
    later = as_json(svc, "--since", "2099-01-01T00:00:00Z")
    assert later["runs"]["total"] == 0 and as_json(svc)["runs"]["total"] == 7


def test_csv_lines_follow_each_series(svc: ServiceRuns) -> None:
    result = invoke("--url", svc.db.url, "trends", "--runs", "--days", "2", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == CSV_HEADER
    by_series: dict[str, float] = {}
    for series, bucket, _group, _status, value in rows[1:]:
        assert _when(bucket).minute == 0
        by_series[series] = by_series.get(series, 0) + float(value)
    assert by_series == {
        "runs": 7,
        "spend_usd": 1.75,
        "runs_with_cost": 2,
        "runs_without_cost": 4,
    }


def test_the_table_names_both_series_and_says_not_recorded(svc: ServiceRuns) -> None:
    result = invoke("--url", svc.db.url, "trends", "--runs", "--days", "7")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Workflow runs per day, the last 7 days (UTC)"
    assert lines[1].split() == ["DAY", "(UTC)", "STATUS", "RUNS"]
    assert "7 runs in all" in lines
    spend_title = "Recorded spend of top-level runs by workflow per day, the last 7 days (UTC)"
    head = lines.index(spend_title)
    assert lines[head + 1].split() == [
        "DAY", "(UTC)", "WORKFLOW", "SPEND", "(USD)", "WITH", "COST", "NOT", "RECORDED",
    ]  # fmt: skip
    assert lines[-1] == (
        "$1.75 spent in all; 2 runs with a recorded cost; "
        "4 runs with no cost recorded (not 0 spend)"
    )
    # the child workflow's only run is a sub-run: its cost is its parent's, not listed
    assert not any(line.startswith("fix ") for line in lines[head:])


def test_by_outcome_where_the_column_is_and_a_note_where_it_is_not(svc: ServiceRuns) -> None:
    result = invoke("--url", svc.db.url, "trends", "--runs", "--by", "outcome", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["by"] == "status"
    assert result.stderr.splitlines() == [
        "note: this database's workflow runs have no outcome column (main after v0.9.0): "
        "counted by status"
    ]
    for stmt in statements(RUNS_OUTCOME["postgresql" if svc.db.pg else "sqlite"]):
        svc.db.run(stmt)
    got = as_json(svc, "--by", "outcome")
    assert got["by"] == "outcome"
    groups = {g["group"]: (g["status"], g["total"]) for g in got["runs"]["groups"]}
    assert groups == {NOT_RECORDED_TOKEN: ("not-recorded", 7)}


def test_without_a_runs_table_one_note_and_empty_series(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    svc = runs_database(request, empty_db_url, "v0.8")[1]
    for table in ("workflow_node_sessions", "workflow_events", "workflow_runs"):
        svc.db.run(f"DROP TABLE remote_agent_{table}")
    result = invoke("--url", svc.db.url, "trends", "--runs")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["note: this database has no workflow runs table"]
    got = as_json(svc)
    assert got["runs_table"] is False and got["runs"]["groups"] == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--runs", "--by", "reason"], "Invalid value for '--by'"),
        (["--by", "status"], "Invalid value for '--by'"),
        (["--runs", "--platform", "slack"], "--platform does not apply to --runs"),
        (["--workflow", "plan"], "--workflow filters workflow runs: add --runs"),
        (["--runs", "--user", "ada", "--owner", "ken"], "--user and --owner both name"),
        (["--runs", "--days", "0"], "Invalid value for '--days'"),
        (["--runs", "--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_bad_input_is_a_usage_error(svc: ServiceRuns, args: list[str], says: str) -> None:
    result = invoke("--url", svc.db.url, "trends", *args)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and says in errors[0]
    assert "Traceback" not in result.output
