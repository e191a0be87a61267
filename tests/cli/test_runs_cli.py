"""`sessions-tui runs`, `runs show` and `runs stuck` through the real CLI, on both backends,
over runs the service's own statements wrote (`tests.support.run_writes` cites them).

The JSON keys and CSV headers scripts read are written out here as literals, in their
order: a key renamed, dropped or moved fails this test (new keys go at the end)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.run_writes import ServiceRuns, runs_database

RUN_KEYS = [
    "id", "status", "outcome", "workflow", "conversation_id", "platform",
    "platform_conversation_id", "codebase_id", "codebase", "owner", "started_at",
    "last_activity_at", "completed_at", "duration_seconds", "cost_usd", "parent_run_id",
    "working_path", "stuck",
]  # fmt: skip
"""`runs --format json`'s run object, and `runs --format csv`'s header."""
RUN_SHOW_KEYS = [
    "run", "user_message", "current_step_index", "parent_conversation_id", "output_root",
    "user_id", "metadata", "metadata_valid", "extra", "columns_missing", "parent", "children",
    "sessions", "events", "node_sessions",
]  # fmt: skip
EVENT_KEYS = ["id", "event_type", "step_index", "step_name", "created_at", "event_order", "data"]
NODE_SESSION_KEYS = [
    "workflow_name", "node_id", "scope_key", "provider", "provider_session_id", "last_run_id",
    "created_at", "updated_at",
]  # fmt: skip
SESSION_HOP_KEYS = [
    "id", "active", "reason_status", "ended_reason", "started_at", "ended_at",
    "transition_reason", "parent_session_id",
]  # fmt: skip
RUN_STUCK_KEYS = ["kind", "count", "explanation", "suggestion", "not_detectable"]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "no-config.toml"))


def make(request: pytest.FixtureRequest, url: str, era: str) -> ServiceRuns:
    return runs_database(request, url, era)[1]


def run(svc: ServiceRuns, *args: str) -> str:
    result = invoke("--url", svc.db.url, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(svc: ServiceRuns, *args: str) -> Any:
    return json.loads(run(svc, *args, "--format", "json"))


def test_json_and_csv_keys_keep_their_order(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    svc = make(request, empty_db_url, "v0.8")
    conv = svc.conversation()
    parent = svc.create("umbrella", conv, working_path="/wt/u")
    svc.start(parent)
    svc.pause(parent)
    child = svc.create("sub", conv, parent_run_id=parent)
    svc.event(parent, "approval_requested", "review")
    svc.node_session(parent, "umbrella", "review", conv)
    svc.db.run(
        "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type)"
        f" VALUES ('{svc.db.new_id()}', '{conv}', 'claude')"
    )

    listing = as_json(svc, "runs")
    assert list(listing) == ["runs", "next_cursor"]
    assert {r["id"] for r in listing["runs"]} == {parent, child}
    assert all(list(r) == RUN_KEYS for r in listing["runs"])
    header = next(csv.reader(io.StringIO(run(svc, "runs", "--format", "csv"))))
    assert header == RUN_KEYS

    shown = as_json(svc, "runs", "show", parent)
    assert list(shown) == RUN_SHOW_KEYS
    assert list(shown["run"]) == RUN_KEYS
    assert [list(c) for c in shown["children"]] == [RUN_KEYS]
    assert [list(e) for e in shown["events"]] == [EVENT_KEYS]
    assert [list(n) for n in shown["node_sessions"]] == [NODE_SESSION_KEYS]
    assert [list(s) for s in shown["sessions"]] == [SESSION_HOP_KEYS]
    assert list(as_json(svc, "runs", "show", child)["parent"]) == RUN_KEYS

    stuck = as_json(svc, "runs", "stuck", "--list")
    assert list(stuck) == ["quiet_after_seconds", "kinds", "runs"]
    assert [list(k) for k in stuck["kinds"]] == [RUN_STUCK_KEYS] * 4
    assert [r["id"] for r in stuck["runs"]] == [parent]
    assert list(stuck["runs"][0]) == [*RUN_KEYS, "evidence"]
    assert list(stuck["runs"][0]["evidence"]) == ["awaiting-approval"]


def test_filters_and_pages_through_the_cli(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    svc = make(request, empty_db_url, "v0.8")
    conv = svc.conversation()
    deploys = {svc.create(f"deploy-{i}", conv, user_message=f"ship {i}") for i in range(5)}
    review = svc.create("review", conv, working_path="/wt/feature-x")
    svc.start(review)

    def ids(*args: str) -> set[str]:
        return {r["id"] for r in as_json(svc, "runs", *args)["runs"]}

    assert ids("--workflow", "DEPLOY") == deploys
    assert ids("--status", "running") == {review}
    assert ids("--status", "running", "--status", "pending") == deploys | {review}
    assert ids("--search", "feature-x") == {review}
    assert ids("--conversation", conv) == deploys | {review}
    assert ids("--since", "1h") == deploys | {review}

    seen: list[str] = []
    token: str | None = None
    while True:
        args = ["runs", "--limit", "2"] + (["--cursor", token] if token else [])
        page = as_json(svc, *args)
        seen += [r["id"] for r in page["runs"]]
        token = page["next_cursor"]
        if token is None:
            break
    assert len(seen) == 6 and set(seen) == deploys | {review}
    table = run(svc, "runs", "--status", "running")
    assert table.splitlines()[0].split()[:3] == ["ID", "STATUS", "OUTCOME"]
    assert review[:8] in table and "review" in table


def test_show_takes_a_prefix_and_says_what_the_version_lacks(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    svc = make(request, empty_db_url, "pre-016")
    run_id = svc.create("plan", svc.conversation(), user_message="plan the work")
    svc.event(run_id, "workflow_started")
    shown = as_json(svc, "runs", "show", run_id[:10])
    assert shown["run"]["id"] == run_id
    assert shown["columns_missing"] == [
        "outcome", "output_root", "parent_run_id", "user_id", "working_path",
    ]  # fmt: skip
    assert shown["run"]["working_path"] is None and shown["run"]["parent_run_id"] is None
    assert [e["event_type"] for e in shown["events"]] == ["workflow_started"]
    assert shown["node_sessions"] is None
    text = run(svc, "runs", "show", run_id)
    assert "plan the work" in text
    assert "has no outcome, output_root, parent_run_id, user_id, working_path" in text
    assert "no node sessions table" in text


@pytest.mark.parametrize("wrong", ["ffffffffffff", "not-a-run"])
def test_an_unknown_run_exits_1(
    empty_db_url: str, request: pytest.FixtureRequest, wrong: str
) -> None:
    svc = make(request, empty_db_url, "v0.8")
    svc.create("plan", svc.conversation())
    result = invoke("--url", svc.db.url, "runs", "show", wrong)
    assert result.exit_code == 1
    assert "no workflow run with id" in result.stderr


def test_stuck_says_what_the_version_cannot_produce(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    svc = make(request, empty_db_url, "016")
    svc.create("plan", svc.conversation())
    kinds = {k["kind"]: k for k in as_json(svc, "runs", "stuck")["kinds"]}
    assert kinds["awaiting-approval"]["count"] is None
    assert "v0.2.13" in kinds["awaiting-approval"]["not_detectable"]
    assert kinds["path-held"]["count"] is None
    assert kinds["quiet"]["count"] == 0 and kinds["quiet"]["not_detectable"] is None
    table = run(svc, "runs", "stuck")
    assert "not detectable on this service version" in table
    assert "a guess" in table


def test_a_paused_run_is_listed_with_its_evidence(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    svc = make(request, empty_db_url, "v0.4")
    gate = svc.create("release", svc.conversation(), working_path="/wt/rel")
    svc.start(gate)
    svc.pause(gate)
    out = run(svc, "runs", "stuck", "--list", "--kind", "awaiting-approval")
    assert "awaiting-approval  1" in out
    assert f"{gate}  paused  release" in out
    assert "waiting on approval" in out
    assert as_json(svc, "runs", "--stuck", "awaiting-approval")["runs"][0]["id"] == gate


def test_csv_cells_are_data(empty_db_url: str, request: pytest.FixtureRequest) -> None:
    """A workflow name that a spreadsheet would run is guarded, as for sessions; --csv-raw
    keeps it as stored."""
    svc = make(request, empty_db_url, "v0.8")
    svc.create("=HYPERLINK(1)", svc.conversation())
    guarded = list(csv.reader(io.StringIO(run(svc, "runs", "--format", "csv"))))
    raw = list(csv.reader(io.StringIO(run(svc, "runs", "--format", "csv", "--csv-raw"))))
    assert guarded[1][RUN_KEYS.index("workflow")] == "'=HYPERLINK(1)"
    assert raw[1][RUN_KEYS.index("workflow")] == "=HYPERLINK(1)"


def test_without_a_runs_table_the_list_is_empty_and_says_why(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    svc = make(request, empty_db_url, "v0.8")
    for table in ("workflow_node_sessions", "workflow_events", "workflow_runs"):
        svc.db.run(f"DROP TABLE remote_agent_{table}")
    result = invoke("--url", svc.db.url, "runs", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"runs": [], "next_cursor": None}
    assert "no workflow runs table" in result.stderr
    shown = invoke("--url", svc.db.url, "runs", "show", "abc")
    assert shown.exit_code == 1 and "no workflow runs table" in shown.stderr


def test_the_quiet_setting_comes_from_the_flag_else_the_file_else_30_minutes(
    empty_db_url: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc = make(request, empty_db_url, "v0.8")
    svc.create("plan", svc.conversation())

    def quiet(*args: str) -> int:
        found: int = as_json(svc, "runs", *args)["quiet_after_seconds"]
        return found

    assert quiet("stuck") == 30 * 60
    config = tmp_path / "config.toml"
    config.write_text('run_quiet_after = "2h"\n')
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(config))
    assert quiet("stuck") == 2 * 3600
    assert quiet("stuck", "--quiet-after", "45m") == 45 * 60
    assert quiet("--quiet-after", "10m", "stuck") == 10 * 60
    bad = invoke("--url", svc.db.url, "runs", "stuck", "--quiet-after", "soon")
    assert bad.exit_code == 2


def test_a_search_says_how_many_runs_it_searched_and_how_to_widen_it(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    """`runs --search` looks at a window of the newest runs: where it stops before the
    end it says so on stderr, with the wider `--window` to ask for and a `--cursor` to
    go on from; the JSON's next_cursor is where the next window starts."""
    svc = make(request, empty_db_url, "v0.8")
    conv = svc.conversation()
    made = [svc.create(f"wf-{i}", conv) for i in range(5)]

    narrow = invoke("--url", svc.db.url, "runs", "--search", "nothing-like-it", "--window", "2")
    assert narrow.exit_code == 0, narrow.output
    assert "note: searched the newest 2 runs: widen with --window 20" in narrow.stderr
    found = invoke(
        "--url", svc.db.url, "runs", "--search", "nothing-like-it", "--window", "2",
        "--format", "json",
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    page = json.loads(found.stdout)
    assert page["runs"] == [] and page["next_cursor"] is not None
    more = invoke(
        "--url", svc.db.url, "runs", "--search", "nothing-like-it", "--window", "2",
        "--cursor", page["next_cursor"],
    )  # fmt: skip
    assert "note: searched 2 more runs" in more.stderr

    wide = invoke("--url", svc.db.url, "runs", "--search", "wf-", "--window", "100")
    assert wide.exit_code == 0 and "searched" not in wide.stderr
    assert all(m[:8] in wide.stdout for m in made)


def test_stuck_list_holds_a_run_without_a_start_time(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    """`runs stuck --list` reads the stuck runs' pages as the list does: a paused run
    whose started_at is NULL (a hand-edited row) is listed, last, as it is counted."""
    svc = make(request, empty_db_url, "v0.8")
    conv = svc.conversation()
    gates = [svc.create(f"gate-{i}", conv) for i in range(2)]
    for gate in gates:
        svc.start(gate)
        svc.pause(gate)
    svc.db.run(f"UPDATE remote_agent_workflow_runs SET started_at = NULL WHERE id = '{gates[0]}'")
    for args in ([], ["--kind", "awaiting-approval"]):
        listing = as_json(svc, "runs", "stuck", "--list", *args)
        assert [r["id"] for r in listing["runs"]] == [gates[1], gates[0]]
        (paused,) = [k for k in listing["kinds"] if k["kind"] == "awaiting-approval"]
        assert paused["count"] == 2
