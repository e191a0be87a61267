"""`info`, `stuck`, `runs stuck` and `trends` across deployments, through the real CLI on
both backends: each deployment's group holds what the command prints for it alone, one
that is down says why in its own group and the others are still printed (exit 1), and
with one deployment the output is what `--url` gives.

The JSON keys scripts read are written out as literals, in their order."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.fleet_scenes import seeded
from tests.support.run_writes import ServiceRuns
from tui.domain.wording import NO_RUN_OUTCOME

GROUP_KEYS = ["deployment", "title", "error"]
"""Every group object's first keys; a deployment that could not be read has only these."""
COMMANDS = [
    (["info"], ["backend", "database", "schema", "shadowed_schemas", "service", "vocabulary",
                "tool", "sessions", "stuck"]),
    (["stuck"], ["version", "kinds"]),
    (["stuck", "--list"], ["version", "kinds", "sessions"]),
    (["runs", "stuck"], ["quiet_after_seconds", "kinds"]),
    (["trends", "--days", "2"], ["by", "unit", "days", "start", "end", "total", "buckets",
                                 "groups"]),
    (["trends", "--runs", "--days", "2"], ["by", "unit", "days", "start", "end", "buckets",
                                           "runs", "spend_usd", "runs_with_cost",
                                           "runs_without_cost", "runs_table"]),
]  # fmt: skip


@pytest.fixture
def fleet(
    request: pytest.FixtureRequest,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> ServiceRuns:
    """Deployments `live` (a database), `gone` (a SQLite file that does not exist) and
    `unset` (a variable nobody set), in that order."""
    isolate(tmp_path, monkeypatch)
    svc = seeded(request, db_url)
    monkeypatch.setenv("LIVE_DATABASE_URL", svc.db.url)
    config = tmp_path / "config.toml"
    config.write_text(
        '[deployments.live]\nurl_env = "LIVE_DATABASE_URL"\ntitle = "Live (staging)"\n'
        f'\n[deployments.gone]\ndb = "{tmp_path / "nothing-here.db"}"\n'
        '\n[deployments.unset]\nurl_env = "NOBODY_SET_THIS_URL"\n'
    )
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(config))
    return svc


def alone(svc: ServiceRuns, *args: str) -> str:
    result = invoke("--url", svc.db.url, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(("args", "keys"), COMMANDS)
def test_text_is_grouped_and_a_down_deployment_is_not_fatal(
    fleet: ServiceRuns, args: list[str], keys: list[str]
) -> None:
    result = invoke("--all", *args)
    assert result.exit_code == 1, result.output
    live, gone, unset = result.stdout.split("\n\n== ")
    head, _, body = live.partition("\n")
    assert head == "== live: Live (staging)"
    expected = alone(fleet, *args)
    if args[0] == "info":  # the one line that says where the database came from differs
        expected = "\n".join(
            line for line in expected.splitlines() if "LIVE_DATABASE_URL" not in line
        )
        body = "\n".join(line for line in body.splitlines() if "LIVE_DATABASE_URL" not in line)
    assert body.rstrip("\n") == expected.rstrip("\n")
    assert gone.startswith("gone\nerror: ") and "nothing-here.db" in gone
    assert unset.rstrip("\n") == (
        "unset\nerror: deployment unset: $NOBODY_SET_THIS_URL is not set (it should hold the URL)"
    )
    assert result.stderr.splitlines()[-1] == "2 of 3 deployments could not be read: gone, unset"


@pytest.mark.parametrize(("args", "keys"), COMMANDS)
def test_json_is_a_list_with_a_deployment_key_first(
    fleet: ServiceRuns, args: list[str], keys: list[str]
) -> None:
    result = invoke("-d", "unset", "-d", "live", "-d", "gone", *args, "--format", "json")
    assert result.exit_code == 1, result.output
    live, gone, unset = json.loads(result.stdout)  # the file's order, not the flags'
    assert list(live) == GROUP_KEYS + keys
    assert (live["deployment"], live["title"], live["error"]) == ("live", "Live (staging)", None)
    alone_json = json.loads(alone(fleet, *args, "--format", "json"))
    for key in keys:
        if key == "sessions" and args[0] == "stuck":  # a duration runs with the clock
            assert [s["id"] for s in live[key]] == [s["id"] for s in alone_json[key]]
        elif key not in ("database", "start", "end", "buckets"):  # where, and the clock's now
            assert live[key] == alone_json[key], key
    assert list(gone) == GROUP_KEYS == list(unset)
    assert gone["deployment"] == "gone" and "nothing-here.db" in gone["error"]
    assert unset["title"] is None


def test_all_live_exits_0(fleet: ServiceRuns, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace('db = "', 'url_env = "LIVE_DATABASE_URL"\n# "', 1))
    result = invoke("-d", "live", "-d", "gone", "stuck", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [g["deployment"] for g in json.loads(result.stdout)] == ["live", "gone"]
    assert [g["error"] for g in json.loads(result.stdout)] == [None, None]


@pytest.mark.parametrize(("args", "keys"), COMMANDS)
def test_one_deployment_prints_what_its_database_alone_prints(
    fleet: ServiceRuns, args: list[str], keys: list[str]
) -> None:
    if args[0] == "info":
        one = json.loads(invoke("-d", "live", *args, "--format", "json").stdout)
        assert list(one) == list(json.loads(alone(fleet, *args, "--format", "json")))
        return
    result = invoke("-d", "live", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == alone(fleet, *args)


@pytest.mark.parametrize(
    ("args", "header", "total"),
    [
        ([], ["bucket", "group", "status", "count"], 2),
        (["--runs"], ["series", "bucket", "group", "status", "value"], None),
    ],
    ids=["sessions", "runs"],
)
def test_trends_csv_starts_each_line_with_the_deployment(
    fleet: ServiceRuns, args: list[str], header: list[str], total: int | None
) -> None:
    result = invoke("--all", "trends", *args, "--days", "2", "--format", "csv")
    assert result.exit_code == 1, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["deployment", *header]
    alone_csv = alone(fleet, "trends", *args, "--days", "2", "--format", "csv")
    alone_rows = list(csv.reader(io.StringIO(alone_csv)))
    assert [row[1:] for row in rows[1:]] == alone_rows[1:]
    assert {row[0] for row in rows[1:]} == {"live"}
    if total is not None:
        assert sum(int(row[4]) for row in rows[1:]) == total
    else:  # the one run the fixture started, counted by its status
        runs = [(row[1], row[3], row[5]) for row in rows[1:] if row[1] == "runs"]
        assert runs == [("runs", "paused", "1")]
    assert "gone: " in result.stderr and "unset: deployment unset" in result.stderr


def test_run_trends_notes_stay_with_their_deployment(fleet: ServiceRuns) -> None:
    """The runs of this era have no outcome column: the table's group says so first, then
    what the database alone prints; JSON names the deployment in front of the note."""
    args = ["trends", "--runs", "--by", "outcome", "--days", "2"]
    alone_result = invoke("--url", fleet.db.url, *args)
    assert alone_result.stderr == f"note: {NO_RUN_OUTCOME}\n"
    result = invoke("-d", "live", "-d", "gone", *args)
    assert result.exit_code == 1, result.output
    live, gone = result.stdout.split("\n\n== ")
    assert live.splitlines()[:2] == ["== live: Live (staging)", f"note: {NO_RUN_OUTCOME}"]
    assert "\n".join(live.splitlines()[2:]) == alone_result.stdout.rstrip("\n")
    assert gone.startswith("gone\nerror: ")
    as_json = invoke("-d", "live", "-d", "gone", *args, "--format", "json")
    assert as_json.exit_code == 1
    assert as_json.stderr.splitlines()[0] == f"live: note: {NO_RUN_OUTCOME}"
    assert json.loads(as_json.stdout)[0]["by"] == "status"


@pytest.mark.parametrize("args", [["info"], ["stuck"], ["runs", "stuck"], ["trends"]])
def test_help_says_what_several_deployments_do(args: list[str]) -> None:
    helped = " ".join(invoke(*args, "--help").stdout.split())
    assert "grouped per deployment" in helped and "the exit code is then 1" in helped
