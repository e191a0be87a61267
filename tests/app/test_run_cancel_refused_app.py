"""The dashboard's run cancel refused where ending is: on a hot standby (PostgreSQL) and
in a served read-only dashboard (the settings `sessions-tui serve` gives its child),
from the runs list and from a run's detail. The screen says why in one line, naming the
write refused (a cancel, or on the sessions list an end), no dialog opens, and the
database holds the runs as the service wrote them (`tests.support.run_writes`,
workflows.ts@v0.9.0), with no audit row.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from msgspec.structs import replace

import tui.cli.common as cli_common
from tests.support.app_helpers import (
    app_for,
    notifications,
    ready,
    record_toasts,
    settle,
    wait_until,
)
from tests.support.dbs import Replica, sa_url
from tests.support.pgserver import PgServer, PgStandby
from tests.support.run_writes import ServiceRuns
from tests.support.runs_app import detail_ready, ids_shown, key, open_runs, service_session
from tests.support.service_writes import ServiceDb
from tui.app import SessionsApp, make_app
from tui.app.screens.run_cancel import ConfirmCancelRunsScreen
from tui.app.screens.run_detail import RunDetailScreen
from tui.app.screens.runs import RunsScreen
from tui.cli.main import cli
from tui.cli.serve import SERVE_URL, SERVED_READ_ONLY
from tui.config import ENV as CONFIG_ENV
from tui.domain.timefmt import utcnow
from tui.settings import Settings
from tui.store.migrate import upgrade
from tui.store.run_writes import RUN_STANDBY_REASON
from tui.store.target import DbTarget

SIZE = (100, 24)
REFUSED = "Cancelling runs is disabled: "


def _rows(db: ServiceDb) -> str:
    """Every run's id, status and completion time, and every audit row, as stored."""
    runs = db.run(
        "SELECT id, status, COALESCE(CAST(completed_at AS TEXT), '')"
        " FROM remote_agent_workflow_runs ORDER BY id"
    )
    audit = db.run("SELECT count(*) FROM sessions_tui_audit")
    return f"{runs}\naudit rows: {audit.strip()}"


def _runs(svc: ServiceRuns) -> str:
    """A running run and a pending one in a conversation with a session; the running
    one's id."""
    conv = svc.conversation()
    service_session(svc, conv)
    svc.create("plan", conv)
    running = svc.create("review", conv, working_path="/wt/review")
    svc.start(running)
    return running


async def _refused_twice(app: SessionsApp, running: str, why: str) -> None:
    """The cancel key on the run in the list, then in its detail: one line each, the
    reason in it, no confirmation."""
    refused = REFUSED + why
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        screen.table.move_cursor(row=ids_shown(app).index(running))
        await pilot.press(key(app, "run-cancel"))
        await wait_until(pilot, lambda: refused in notifications(app), "the refusal")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        assert not any(isinstance(s, ConfirmCancelRunsScreen) for s in app.screen_stack)
        assert [n for n in notifications(app) if REFUSED in n] == [refused]
        await pilot.press("enter")
        await detail_ready(pilot)
        await pilot.press(key(app, "run-detail-cancel"))
        await wait_until(pilot, lambda: notifications(app).count(refused) == 2, "again")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)


@pytest.mark.postgres
async def test_a_standby_refuses_to_cancel_and_the_primary_keeps_the_run(
    replica_db: Replica, pg_server: PgServer, pg_standby: PgStandby
) -> None:
    primary = ServiceDb(
        replica_db.primary_url,
        pg=True,
        server=pg_server,
        dbname=str(sa_url(replica_db.primary).database),
    )
    await upgrade(replica_db.primary)  # the audit table, so an audit row would show
    running = _runs(ServiceRuns(primary, "016"))  # the replica's era
    before = _rows(primary)
    pg_standby.wait_for_replay()
    app = app_for(replica_db.standby, clock=lambda: utcnow() + timedelta(0))
    await _refused_twice(app, running, RUN_STANDBY_REASON)
    assert _rows(primary) == before


@pytest.mark.parametrize("era", ["v0.8"])
async def test_a_served_read_only_dashboard_refuses_a_cancel_and_an_end_naming_each(
    runs_db: tuple[DbTarget, ServiceRuns],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The settings are the CLI's for `serve`'s child without `--write` (captured where
    it would start the dashboard): the cancel key's refusal names the cancel, the end
    key's on the sessions list the end (`wording.served_read_only`)."""
    target, svc = runs_db
    await upgrade(target)
    running = _runs(svc)
    before = _rows(svc.db)
    monkeypatch.setenv(SERVE_URL, target.secret_url())
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "config.toml"))  # none: the defaults
    started: list[Settings] = []
    monkeypatch.setattr(cli_common, "launch_dashboard", started.append)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["--read-only", "served-app"])
    assert result.exit_code == 0, result.output
    (settings,) = started
    assert settings.read_only and settings.read_only_why is SERVED_READ_ONLY
    served = replace(settings, refresh_seconds=0, clock=lambda: utcnow() + timedelta(0))
    serve = "served read-only: run `sessions-tui serve --write --actor WHO` to"
    app = make_app(served)
    record_toasts(app)
    await _refused_twice(app, running, f"{serve} cancel runs")
    assert not any("end sessions" in n for n in notifications(app))
    # the sessions list's end key: refused, naming the end
    app = make_app(served)
    record_toasts(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press(key(app, "end"))
        refused = f"Ending is disabled: {serve} end sessions"
        await wait_until(pilot, lambda: refused in notifications(app), "the end refused")
        await settle(pilot)
        assert not any("cancel runs" in n for n in notifications(app))
    assert _rows(svc.db) == before
