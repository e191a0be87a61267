"""`sessions-tui trends` against real service databases (both backends): the numbers in
every format equal the test's own count of the rows; bad input is one usage line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from tests.support.cli_env import invoke
from tests.support.service_writes import ServiceDb
from tests.support.trends import expected_trends
from tui.cli.main import cli
from tui.store.target import DbTarget


@pytest.fixture
def service_url(service_db: DbTarget, empty_db_url: str) -> str:
    return empty_db_url


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("days", [2, 30])
def test_json_counts_equal_the_rows(service_db: DbTarget, service_url: str, days: int) -> None:
    result = invoke("--url", service_url, "trends", "--days", days, "--format", "json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    start, end = _when(got["start"]), _when(got["end"])
    hourly = days == 2
    assert got["unit"] == ("hour" if hourly else "day")
    assert len(got["buckets"]) == (48 if hourly else 30)
    want = asyncio.run(expected_trends(service_db, start, end, hourly=hourly))
    fmt = "%Y-%m-%d %H" if hourly else "%Y-%m-%d"
    counts = {
        (_when(b).strftime(fmt), g["group"]): n
        for g in got["groups"]
        for b, n in zip(got["buckets"], g["counts"], strict=True)
        if n
    }
    assert counts == dict(want)
    assert got["total"] == sum(want.values())
    assert {g["status"] for g in got["groups"]} <= {"known", "unrecognised", "not-recorded"}


def test_csv_by_platform_under_a_platform_filter(service_db: DbTarget, service_url: str) -> None:
    result = invoke(
        "--url", service_url, "trends", "--by", "platform", "--platform", "SL", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and {r["group"] for r in rows} == {"slack"}
    first = _when(rows[0]["bucket"])
    raw = json.loads(invoke("--url", service_url, "trends", "--format", "json").output)
    want = asyncio.run(
        expected_trends(
            service_db, _when(raw["start"]), _when(raw["end"]), hourly=False, platform="sl"
        )
    )
    assert sum(int(r["count"]) for r in rows) == sum(want.values())
    assert first >= _when(raw["start"])


def test_the_table_names_the_window_and_each_reason(service_url: str) -> None:
    result = invoke("--url", service_url, "trends", "--days", "30")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Ended sessions per day, the last 30 days (UTC)"
    assert lines[1].split() == ["DAY", "(UTC)", "REASON", "ENDED"]
    assert "reset-requested" in result.output
    assert lines[-1].endswith("ended in all")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--days", "0"], "Invalid value for '--days'"),
        (["--days", "400"], "Invalid value for '--days'"),
        (["--days", "week"], "Invalid value for '--days'"),
        (["--by", "colour"], "Invalid value for '--by'"),
        (["--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_bad_input_is_a_usage_error(service_url: str, args: list[str], says: str) -> None:
    result = invoke("--url", service_url, "trends", *args)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and says in errors[0]
    assert "Traceback" not in result.output


def test_unknown_and_hostile_reasons_are_counted_and_inert(service_writer: ServiceDb) -> None:
    db = service_writer
    ago = db.now_minus(600)
    for reason in ("session-expired", "evil\x1b]0;owned\x07", None):
        db.session(db.now_minus(1200), ended=ago, reason=reason)
    table = invoke("--url", db.url, "trends", "--days", "7")
    assert table.exit_code == 0, table.output
    assert "\x1b" not in table.output and "\x07" not in table.output
    assert "⚠ session-expired" in table.output
    assert "not recorded" in table.output
    data = json.loads(invoke("--url", db.url, "trends", "--days", "7", "--format", "json").output)
    by_group = {g["group"]: (g["status"], g["total"]) for g in data["groups"]}
    assert by_group["session-expired"] == ("unrecognised", 1)
    assert by_group["<not recorded>"] == ("not-recorded", 1)
    assert by_group["evil\x1b]0;owned\x07"] == ("unrecognised", 1)


def test_no_end_in_the_window_says_so(service_writer: ServiceDb) -> None:
    db = service_writer
    db.session(db.now_minus(1200))  # active only
    result = CliRunner().invoke(cli, ["--url", db.url, "trends"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "no session ended in the last 30 days under these filters" in result.output


def test_list_ended_between_lists_a_days_count(service_url: str) -> None:
    """A day and a reason from `trends`, listed: as many sessions as it counted, each
    with that reason and an end inside the day."""
    data = json.loads(invoke("--url", service_url, "trends", "--format", "json").output)
    group = next(g for g in data["groups"] if g["group"] == "reset-requested")
    i = max(range(len(group["counts"])), key=lambda k: group["counts"][k])
    day = data["buckets"][i]
    until = data["buckets"][i + 1] if i + 1 < len(data["buckets"]) else data["end"]
    result = invoke(
        "--url", service_url, "list", "--reason", "reset-requested", "--ended-since", day,
        "--ended-until", until, "--limit", 0, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["sessions"]
    assert len(listed) == group["counts"][i] > 0
    assert all(s["ended_reason"] == "reset-requested" for s in listed)
    assert all(day <= s["ended_at"] < until for s in listed)
