"""`sessions-tui check`, the monitoring plugin, through the real CLI on both backends,
over sessions and runs the service's own statements wrote (`tests.support.run_writes`
and `service_writes` cite them): each state's exit code, the perfdata as a monitor
parses it, thresholds from the config file and from the flags (which win), and
several deployments, one of them down."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.fleet_scenes import seeded
from tests.support.run_writes import ServiceRuns
from tui.domain.check import CHECK_KINDS
from tui.domain.run_stuck import RUN_KIND_NAMES, RunStuckKind
from tui.domain.stuck import KIND_NAMES, StuckKind

PERF = re.compile(r"'([^']+)'=(\d+);(\d*);(\d*);(\d*);(\d*)")
CHECK_KEYS = ["state", "exit_code", "summary", "version", "active", "has_runs", "kinds"]
KIND_KEYS = ["kind", "of", "count", "detectable", "warning", "critical", "state"]
FLEET_KEYS = ["state", "exit_code", "summary", "deployments"]
FLEET_DEPLOYMENT_KEYS = [
    "deployment", "title", "state", "error", "version", "active", "has_runs", "kinds",
]  # fmt: skip


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path, monkeypatch)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(path))
    return path


def perfdata(line: str) -> dict[str, tuple[int, str, str, str, str]]:
    """A plugin line's perfdata, by label: (value, warn, crit, min, max)."""
    _, bar, perf = line.partition(" | ")
    assert bar, line
    items = perf.split()
    found = {m[1]: (int(m[2]), m[3], m[4], m[5], m[6]) for m in map(PERF.fullmatch, items) if m}
    assert len(found) == len(items), perf  # every item parsed
    return found


def sql_count(svc: ServiceRuns, sql: str) -> int:
    return int(svc.db.run(sql).strip() or 0)


def test_every_stuck_kind_is_a_check_kind() -> None:
    assert list(CHECK_KINDS) == [*KIND_NAMES, *RUN_KIND_NAMES]
    assert [k.wire for k in StuckKind] == list(KIND_NAMES)
    assert [k.wire for k in RunStuckKind] == list(RUN_KIND_NAMES)
    helped = invoke("check", "--help").stdout
    assert all(name in helped for name in CHECK_KINDS)


def test_ok_with_perfdata_for_every_kind(
    config: Path, request: pytest.FixtureRequest, db_url: str, backend: str
) -> None:
    svc = seeded(request, db_url)
    result = invoke("--url", svc.db.url, "check")
    assert result.exit_code == 0, result.output
    line = result.stdout.rstrip("\n")
    assert "\n" not in line and line.startswith("SESSIONS-TUI OK - 4 active; stuck: idle 1")
    perf = perfdata(line)
    kinds = json.loads(invoke("--url", svc.db.url, "check", "--format", "json").stdout)["kinds"]
    blind = [k["kind"] for k in kinds if not k["detectable"]]
    labels = ["active", *(f"stuck_{k.replace('-', '_')}" for k in KIND_NAMES if k not in blind)]
    labels += [f"stuck_run_{k.replace('-', '_')}" for k in RUN_KIND_NAMES if k not in blind]
    assert list(perf) == labels
    # Every kind is measured where the service can produce it; SQLite never leaves a
    # duplicate (a session starts in one transaction there).
    assert blind == ([] if backend == "postgresql" else ["duplicate"])
    assert all(f"{k} not detectable" in line for k in blind)
    active = sql_count(svc, "SELECT count(*) FROM remote_agent_sessions WHERE active")
    assert perf["active"] == (active, "", "", "0", "")
    assert perf["stuck_idle"] == (1, "", "", "0", "")
    paused = sql_count(
        svc, "SELECT count(*) FROM remote_agent_workflow_runs WHERE status = 'paused'"
    )
    assert perf["stuck_run_awaiting_approval"] == (paused, "", "", "0", "") == (1, "", "", "0", "")


def test_each_state_and_where_its_thresholds_come_from(
    config: Path, request: pytest.FixtureRequest, db_url: str
) -> None:
    svc = seeded(request, db_url)
    db = ("--url", svc.db.url)

    warning = invoke(*db, "check", "--warning", "idle=0", "--critical", "idle=3")
    assert warning.exit_code == 1, warning.output
    assert warning.stdout.startswith("SESSIONS-TUI WARNING - idle 1 > 0;")
    assert perfdata(warning.stdout)["stuck_idle"] == (1, "0", "3", "0", "")

    config.write_text("[check]\nwarning.idle = 5\n\n[check.critical]\nawaiting-approval = 0\n")
    critical = invoke(*db, "check")
    assert critical.exit_code == 2, critical.output
    assert critical.stdout.startswith("SESSIONS-TUI CRITICAL - awaiting-approval 1 > 0;")
    perf = perfdata(critical.stdout)
    assert perf["stuck_idle"] == (1, "5", "", "0", "")
    assert perf["stuck_run_awaiting_approval"] == (1, "", "0", "0", "")

    # A flag wins over the file, kind by kind.
    flagged = invoke(*db, "check", "--critical", "awaiting-approval=1", "--warning", "IDLE=0")
    assert flagged.exit_code == 1, flagged.output
    assert perfdata(flagged.stdout)["stuck_run_awaiting_approval"] == (1, "", "1", "0", "")
    assert perfdata(flagged.stdout)["stuck_idle"] == (1, "0", "", "0", "")

    payload = json.loads(invoke(*db, "check", "--format", "json").stdout)
    assert list(payload) == CHECK_KEYS
    assert payload["state"] == "CRITICAL" and payload["exit_code"] == 2
    assert [list(k) for k in payload["kinds"]] == [KIND_KEYS] * len(CHECK_KINDS)
    assert {k["kind"]: k["count"] for k in payload["kinds"]}["awaiting-approval"] == 1


@pytest.mark.parametrize(
    ("args", "file", "said"),
    [
        (["--db", "{tmp}/nothing.db", "check"], "", "no database at"),
        (["check"], "", "no database at"),
        (["--url", "mysql://x@h/db", "check"], "", "unsupported database"),
        (["--db", "{db}", "check", "--warning", "idle"], "", "--warning idle: expected KIND=N"),
        (["--db", "{db}", "check", "--warning", "sleepy=1"], "", "unknown kind 'sleepy'"),
        (["--db", "{db}", "check", "--critical", "idle=-1"], "", "at least 0"),
        (["--db", "{db}", "check", "--bogus"], "", "No such option"),
        (["--bogus", "check"], "", "No such option"),
        (["-d", "nope", "check"], "", "-d nope: no such deployment"),
        (["--db", "{db}", "check"], "[check.warning]\nidle = 1.5\n", "check.warning.idle"),
        (["--db", "{db}", "check"], "[check]\nwarn.idle = 1\n", "check.warn: unknown key"),
        (["--db", "{db}", "check"], "[check.warning]\nidle = 9\n[check.critical]\nidle = 2\n",
         "idle: the warning threshold (9) is above the critical one (2)"),
        (["--db", "{db}", "check"], "[checks]\n", "checks: unknown setting"),
    ],
)  # fmt: skip
def test_unknown_is_exit_3_and_one_line(
    config: Path, tmp_path: Path, args: list[str], file: str, said: str
) -> None:
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"")
    config.write_text(file)
    result = invoke(*(a.format(tmp=tmp_path, db=existing) for a in args))
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("SESSIONS-TUI UNKNOWN - "), result.output
    assert said in lines[0]
    assert "Traceback" not in result.output


def test_an_unreadable_database_is_unknown_on_both_backends(
    config: Path, db_url: str, backend: str
) -> None:
    # SQLite: no file there yet; PostgreSQL: a port nothing listens on.
    url = db_url if backend == "sqlite" else "postgresql://archon:s3cret@127.0.0.1:9/archon"
    result = invoke("--url", url, "check", "--format", "json")
    assert result.exit_code == 3, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["state", "exit_code", "summary", "error"]
    assert payload["state"] == "UNKNOWN" and payload["exit_code"] == 3
    assert "s3cret" not in result.output


def test_a_kind_the_version_cannot_produce_is_said_not_measured(
    config: Path, request: pytest.FixtureRequest, db_url: str
) -> None:
    svc = seeded(request, db_url, era="016")
    result = invoke("--url", svc.db.url, "check", "--critical", "awaiting-approval=0")
    assert result.exit_code == 0, result.output
    assert "awaiting-approval not detectable" in result.stdout
    assert "path-held not detectable" in result.stdout
    perf = perfdata(result.stdout)
    assert "stuck_run_awaiting_approval" not in perf and "stuck_run_path_held" not in perf
    assert perf["stuck_idle"][0] == 1


def test_across_deployments_the_worst_state_wins(
    config: Path, request: pytest.FixtureRequest, db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    svc = seeded(request, db_url)
    monkeypatch.setenv("LIVE_DATABASE_URL", svc.db.url)
    config.write_text(
        '[deployments.live]\nurl_env = "LIVE_DATABASE_URL"\ntitle = "Live"\n'
        f'\n[deployments.gone]\ndb = "{tmp_path / "nothing-here.db"}"\n'
        '\n[deployments.unset]\nurl_env = "NOBODY_SET_THIS_URL"\n'
        "\n[check.warning]\nidle = 0\n"
    )
    live_only = invoke("-d", "live", "check")
    assert live_only.exit_code == 1, live_only.output
    assert "'stuck_idle'=1;0;;0;" in live_only.stdout  # one deployment: no prefix

    both = invoke("-d", "live", "-d", "gone", "check")
    assert both.exit_code == 3, both.output  # UNKNOWN hides a WARNING
    first, *rest = both.stdout.splitlines()
    assert first.startswith("SESSIONS-TUI UNKNOWN - live WARNING (idle 1 > 0), gone UNKNOWN (")
    perf = perfdata(first)
    assert perf["live_stuck_idle"] == (1, "0", "", "0", "")
    assert all(label.startswith("live_") for label in perf)
    assert rest[0].startswith("live: 4 active;")
    assert rest[1].startswith("gone: cannot be read:") and "nothing-here.db" in rest[1]

    critical = invoke("--all", "check", "--critical", "idle=0", "--warning", "idle=0")
    assert critical.exit_code == 2, critical.output  # a known CRITICAL is never hidden
    payload = json.loads(
        invoke("--all", "check", "--critical", "idle=0", "--format", "json").stdout
    )
    assert list(payload) == FLEET_KEYS
    assert payload["state"] == "CRITICAL" and payload["exit_code"] == 2
    assert [list(d) for d in payload["deployments"]] == [FLEET_DEPLOYMENT_KEYS] * 3
    live, gone, unset = payload["deployments"]
    assert (live["deployment"], live["title"], live["state"]) == ("live", "Live", "CRITICAL")
    assert gone["state"] == "UNKNOWN" and gone["kinds"] == [] and gone["active"] is None
    assert unset["error"] == (
        "deployment unset: $NOBODY_SET_THIS_URL is not set (it should hold the URL)"
    )


def test_a_hung_deployment_is_unknown_within_its_timeout(
    config: Path, request: pytest.FixtureRequest, db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    svc = seeded(request, db_url)
    monkeypatch.setenv("LIVE_DATABASE_URL", svc.db.url)
    with socket.socket() as silent:  # takes connections into its backlog, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        config.write_text(
            "deployment_timeout = 5\n"  # room for the live one on a loaded machine
            '\n[deployments.live]\nurl_env = "LIVE_DATABASE_URL"\n'
            f'\n[deployments.hung]\nurl = "postgresql://archon:s3cret@127.0.0.1:{port}/archon"\n'
        )
        result = invoke("--all", "check", "--format", "json")
    assert result.exit_code == 3, result.output
    live, hung = json.loads(result.stdout)["deployments"]
    assert live["state"] == "OK" and live["active"] == 4, live["error"]
    assert (hung["state"], hung["error"]) == ("UNKNOWN", "no answer within 5 s")
    assert "s3cret" not in result.output
