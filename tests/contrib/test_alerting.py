"""The shipped alerting (contrib/): Prometheus's own `promtool` checks the rules and runs
their unit tests (each alert fires on the series it watches, and not at or below its
threshold); the Grafana dashboard's queries are valid PromQL over the metric names the
exporter writes."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tui.deployments import Deployment
from tui.fleet import ReadOptions
from tui.metrics import SnapshotSource, exposition, registry_for
from tui.store.target import DbTarget

pytestmark = pytest.mark.usefixtures("prometheus_ready")

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "contrib" / "prometheus" / "sessions-tui.rules.yml"
HERE = Path(__file__).parent
RULE_TESTS = [HERE / "alert_rules_test.yml", HERE / "alert_jump_test.yml"]
DASHBOARD = ROOT / "contrib" / "grafana" / "sessions-tui-dashboard.json"
ALERTS = {
    "SessionsTuiExporterDown",
    "SessionsTuiDeploymentDown",
    "SessionsTuiStuckSessions",
    "SessionsTuiStuckRuns",
    "SessionsTuiEndReasonJump",
}


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_promtool_accepts_the_rules() -> None:
    checked = promtool("check", "rules", RULES)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 5 rules found" in checked.stdout
    named = set(re.findall(r"^\s+- alert: (\w+)$", RULES.read_text(), re.MULTILINE))
    assert named == ALERTS


def test_each_alert_fires_on_its_series_and_not_below() -> None:
    tested = promtool("test", "rules", *RULE_TESTS)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.count("SUCCESS") == len(RULE_TESTS)
    said = "".join(path.read_text() for path in RULE_TESTS)
    assert {name for name in ALERTS if f"alertname: {name}" in said} == ALERTS


def test_the_rule_tests_fail_when_a_threshold_moves(tmp_path: Path) -> None:
    """The unit tests hold the thresholds: raised, the stuck alerts no longer fire and
    promtool says so."""
    rules = RULES.read_text()
    moved = rules.replace("sessions_tui_stuck_sessions > 5", "sessions_tui_stuck_sessions > 6")
    moved = moved.replace("sessions_tui_stuck_runs > 3", "sessions_tui_stuck_runs > 2")
    assert "stuck_sessions > 6" in moved and "stuck_runs > 2" in moved
    (tmp_path / "rules.yml").write_text(moved)
    test = (
        RULE_TESTS[0]
        .read_text()
        .replace("../../contrib/prometheus/sessions-tui.rules.yml", str(tmp_path / "rules.yml"))
    )
    (tmp_path / "test.yml").write_text(test)
    tested = promtool("test", "rules", tmp_path / "test.yml")
    assert tested.returncode != 0
    failed = tested.stdout + tested.stderr
    assert "alertname: SessionsTuiStuckSessions" in failed
    assert "alertname: SessionsTuiStuckRuns" in failed  # 3 awaiting approval now fires
    assert "alertname: SessionsTuiDeploymentDown" not in failed


def dashboard_queries() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    queries = [target["expr"] for panel in board["panels"] for target in panel["targets"]]
    variables = board["templating"]["list"]
    queries += [
        v["definition"].removeprefix("label_values(").split(",")[0]
        for v in variables
        if v["type"] == "query"
    ]
    return queries


def test_the_dashboard_queries_are_promql_over_the_exported_names(
    service_db: DbTarget, tmp_path: Path
) -> None:
    queries = dashboard_queries()
    assert len(queries) >= 9
    # promtool parses each query as a recording rule's expression.
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    for n, query in enumerate(queries):
        expr = query.replace("$deployment", ".*")
        lines += [f"      - record: dashboard:panel_{n}", f"        expr: {json.dumps(expr)}"]
    (tmp_path / "dashboard.rules.yml").write_text("\n".join(lines) + "\n")
    checked = promtool("check", "rules", tmp_path / "dashboard.rules.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Every metric a query or a rule names is one the exporter declares.
    deployment = (
        Deployment("one", db=service_db.path)
        if service_db.kind == "sqlite"
        else Deployment("one", url=service_db.secret_url())
    )
    options = ReadOptions(
        within=30, stale_after=timedelta(hours=24), run_quiet_after=timedelta(minutes=30)
    )
    source = SnapshotSource([deployment], options, cache_seconds=0)
    text = exposition(registry_for(source)).decode()
    # Every family is declared (HELP, TYPE) in each scrape, samples or none.
    written = set(re.findall(r"^# TYPE (sessions_tui_\w+) gauge$", text, re.MULTILINE))
    named = set(re.findall(r"\bsessions_tui_\w+", " ".join(queries) + RULES.read_text()))
    assert named and named <= written, named - written
