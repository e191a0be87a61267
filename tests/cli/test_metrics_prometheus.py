"""`sessions-tui metrics` scraped by a real Prometheus server: three deployments, one
SQLite, one PostgreSQL, one down, served by `metrics --listen` as its own process with a
bearer token, scraped every second. What Prometheus stores equals what SQL counts in the
seeded databases (written as the service writes them: tests/support/service_writes.py
and run_writes.py cite the statements, file@tag), and the down one is `up` 0 with no
counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.metrics_exporter import deployment_table, exporting, isolated_env
from tests.support.prometheus import Prometheus, free_port
from tests.support.run_writes import ServiceRuns, runs_database
from tui.metrics import NOT_RECORDED

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("prometheus_ready")]

TOKEN = "scrape-me-3f9a"
ODD_REASON = 'odd "quoted" \\ reason'
"""A stored reason the exposition must escape (quotes, a backslash)."""


def seed(svc: ServiceRuns, scale: int) -> None:
    """Active sessions (one quiet for 3 days: idle at 24 h), ends within the last 3 hours
    and 2 days ago, runs in four statuses (one paused: awaiting approval)."""
    db = svc.db
    db.sessions(2 + scale, db.now_minus(60))
    quiet = db.session(db.now_minus(3 * 86400))
    db.run(
        f"UPDATE remote_agent_conversations SET last_activity_at = {db.now_minus(3 * 86400)}"
        f" WHERE id = (SELECT conversation_id FROM remote_agent_sessions WHERE id = '{quiet}')"
    )
    for n in range(scale):
        db.session(db.now_minus(4000 + n), ended=db.now_minus(3600 + n), reason="reset-requested")
    db.session(db.now_minus(9000), ended=db.now_minus(7200))  # reason not recorded
    db.session(db.now_minus(9000), ended=db.now_minus(8000), reason=ODD_REASON)
    db.session(db.now_minus(3 * 86400), ended=db.now_minus(2 * 86400), reason="repo-removed")
    conv = svc.conversation()
    for _ in range(scale):
        done = svc.create("plan", conv)
        svc.start(done)
        svc.complete(done, cost=0.5)
    failed = svc.create("fix", conv)
    svc.start(failed)
    svc.fail(failed, "boom")
    waiting = svc.create("review", conv)
    svc.start(waiting)
    svc.pause(waiting)


def sql_counts(svc: ServiceRuns) -> dict[str, Any]:
    """What SQL counts: active and ended sessions, ends of the last 24 h by reason, runs by
    status, paused runs."""
    db = svc.db

    def pairs(sql: str) -> dict[str, int]:
        lines = [line.rsplit("|", 1) for line in db.run(sql).splitlines() if line]
        return {key: int(n) for key, n in lines}

    return {
        "active": int(db.run("SELECT count(*) FROM remote_agent_sessions WHERE active")),
        "ended": int(db.run("SELECT count(*) FROM remote_agent_sessions WHERE NOT active")),
        "recent": pairs(
            f"SELECT COALESCE(ended_reason, '{NOT_RECORDED}'), count(*)"
            " FROM remote_agent_sessions"
            f" WHERE NOT active AND ended_at > {db.now_minus(86400)} GROUP BY 1"
        ),
        "runs": pairs("SELECT status, count(*) FROM remote_agent_workflow_runs GROUP BY status"),
        "paused": int(
            db.run("SELECT count(*) FROM remote_agent_workflow_runs WHERE status = 'paused'")
        ),
    }


def by(results: list[dict[str, Any]], label: str, deployment: str) -> dict[str, float]:
    return {
        r["metric"][label]: float(r["value"][1])
        for r in results
        if r["metric"]["deployment"] == deployment
    }


def one(prom: Prometheus, promql: str) -> float:
    found = prom.query(promql)
    assert len(found) == 1, (promql, found)
    return float(found[0]["value"][1])


def test_prometheus_scrapes_what_sql_counts_and_the_down_one_is_down(
    tmp_path: Path, pg_database: str, request: pytest.FixtureRequest
) -> None:
    lite, lite_runs = runs_database(request, f"sqlite:///{tmp_path / 'alpha.db'}", "v0.8")
    pg, pg_runs = runs_database(request, pg_database, "v0.8")
    seed(lite_runs, 1)
    seed(pg_runs, 3)
    env: dict[str, str] = {"SESSIONS_TUI_METRICS_TOKEN": TOKEN}
    tables = [deployment_table("alpha", lite, env), deployment_table("beta", pg, env)]
    down = f"postgresql://archon:pw@127.0.0.1:{free_port()}/archon"
    config = "deployment_timeout = 5\n\n" + "\n".join(tables)
    config += f'\n[deployments.gamma]\nurl = "{down}"\n'
    environment = isolated_env(tmp_path, config) | env
    expected = {"alpha": sql_counts(lite_runs), "beta": sql_counts(pg_runs)}

    with exporting(["--all", "metrics", "--listen", "127.0.0.1:0"], environment) as exporter:
        assert "3 deployments" in exporter.said and "bearer token asked" in exporter.said
        target = f"127.0.0.1:{exporter.port}"
        with Prometheus([target], authorization={"credentials": TOKEN}) as prom:
            prom.wait_for(
                lambda: len(prom.query("sessions_tui_up")) == 3, 60, "scraped (3 deployments)"
            )
            assert prom.targets_health() == ["up"]
            assert one(prom, 'up{job="sessions-tui"}') == 1

            assert one(prom, 'sessions_tui_up{deployment="alpha"}') == 1
            assert one(prom, 'sessions_tui_up{deployment="beta"}') == 1
            assert one(prom, 'sessions_tui_up{deployment="gamma"}') == 0
            # The down one gave up within its timeout, and has no counts at all.
            assert 0 <= one(prom, 'sessions_tui_scrape_duration_seconds{deployment="gamma"}') < 6
            assert {
                r["metric"]["__name__"]
                for r in prom.query('{__name__=~"sessions_tui_.+", deployment="gamma"}')
            } == {
                "sessions_tui_up",
                "sessions_tui_scrape_duration_seconds",
                "sessions_tui_read_timestamp_seconds",
            }

            for name, counts in expected.items():
                sel = f'deployment="{name}"'
                assert one(prom, f"sessions_tui_active_sessions{{{sel}}}") == counts["active"]
                assert one(prom, f"sessions_tui_ended_sessions{{{sel}}}") == counts["ended"]
                recent = by(prom.query("sessions_tui_ended_sessions_last_24h"), "reason", name)
                assert recent == counts["recent"]
                assert recent[ODD_REASON] == 1 and recent[NOT_RECORDED] == 1
                runs = by(prom.query("sessions_tui_workflow_runs"), "status", name)
                assert runs == counts["runs"]
                stuck = by(prom.query("sessions_tui_stuck_sessions"), "kind", name)
                assert stuck["idle"] == 1  # the session quiet for 3 days
                stuck_runs = by(prom.query("sessions_tui_stuck_runs"), "kind", name)
                assert stuck_runs["awaiting-approval"] == counts["paused"] == 1
                info = prom.query(f"sessions_tui_service_info{{{sel}}}")
                assert len(info) == 1 and info[0]["metric"]["version"]
            assert expected["beta"]["active"] == expected["alpha"]["active"] + 2
