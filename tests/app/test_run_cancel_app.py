"""Cancelling workflow runs from the dashboard, on both backends, over runs the service's
own statements wrote (`tests.support.run_writes` cites each, workflows.ts@v0.9.0): from
the runs list and from a run's detail, the confirmation's words, a run the service
finishes while the operator reads the confirmation, a read-only dashboard's refusal,
and the audit screen's run rows.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Log

from tests.support.app_helpers import (
    ACTOR,
    app_for,
    click_on,
    confirmation,
    notifications,
    ready,
    wait_until,
)
from tests.support.run_writes import ServiceRuns
from tests.support.runs_app import (
    MACHINE_CLOCK,
    cells_of,
    detail_ready,
    detail_text,
    ids_shown,
    key,
    open_runs,
    runs_ready,
    runs_screen,
    service_session,
)
from tui.app import SessionsApp
from tui.app.screens.audit import COLUMNS, AuditScreen
from tui.app.screens.main import MainScreen
from tui.app.screens.run_cancel import ConfirmCancelRunsScreen
from tui.app.screens.run_detail import RunDetailScreen
from tui.domain.run_cancel import COOPERATIVE_NOTE
from tui.store.migrate import upgrade
from tui.store.target import DbTarget

SIZE = (100, 24)


def _status(svc: ServiceRuns, rid: str) -> tuple[str, str]:
    """(status, completed_at as text) as the database holds them."""
    found = svc.db.run(
        "SELECT status, COALESCE(CAST(completed_at AS TEXT), '')"
        f" FROM remote_agent_workflow_runs WHERE id = '{rid}'"
    )
    status, _, completed = found.partition("|")
    return status, completed


def _audit(svc: ServiceRuns) -> list[str]:
    """Each audit row as `target|run_id|actor|outcome`, oldest first."""
    out = svc.db.run(
        "SELECT target, run_id, actor, outcome FROM sessions_tui_audit ORDER BY id"
    ).strip()
    return out.splitlines() if out else []


def _said(app: SessionsApp, text: str) -> list[str]:
    return [n for n in notifications(app) if text in n]


async def _scene(target: DbTarget, svc: ServiceRuns) -> tuple[str, str]:
    """A conversation with a session, a running run and a completed one (the audit
    table migrated); the running run's id and the completed one's."""
    await upgrade(target)
    owner = svc.user("Ada Lovelace", "ada@example.com")
    conv = svc.conversation(user_id=owner)
    service_session(svc, conv)
    done = svc.create("deploy", conv)
    svc.start(done)
    svc.complete(done)
    running = svc.create("review", conv, working_path="/wt/review")
    svc.start(running)
    return running, done


async def _confirmation(pilot: Pilot[Any], app: SessionsApp) -> ConfirmCancelRunsScreen:
    return await confirmation(pilot, app, ConfirmCancelRunsScreen)


def _dialog_text(screen: ConfirmCancelRunsScreen) -> str:
    writes = str(screen.query_one("#writes").render())
    return writes + "\n" + "\n".join(screen.query_one("#targets", Log).lines)


@pytest.mark.parametrize("era", ["v0.8"])
async def test_cancel_a_running_run_from_the_list(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    running, done = await _scene(target, svc)
    app = app_for(target, **MACHINE_CLOCK)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        screen.table.move_cursor(row=ids_shown(app).index(running))
        await pilot.press(key(app, "run-cancel"))
        dialog = await _confirmation(pilot, app)
        said = _dialog_text(dialog)
        assert "Cancel 1 workflow run?" in str(dialog.query_one(".dialog-title").render())
        assert f"{running}  running → cancelled  review" in said
        assert COOPERATIVE_NOTE in " ".join(said.split("\n"))
        assert "between DAG layers" in said.replace("\n", " ")
        assert "cannot stop a process" in said.replace("\n", " ")
        assert f"actor={ACTOR}" in said
        assert app.focused is dialog.query_one("#back", Button)
        await click_on(pilot, "#confirm")
        await wait_until(pilot, lambda: bool(_said(app, f"cancelled {running}")), "the outcome")
        await runs_ready(pilot)
        assert runs_screen(app) is screen
        assert cells_of(app, running)["status"] == "cancelled"
        assert screen.current is not None and screen.current.id == running  # cursor kept
        assert cells_of(app, done)["status"] == "completed"
        assert _status(svc, running)[0] == "cancelled" and _status(svc, running)[1]
        assert _audit(svc) == [f"run|{running}|{ACTOR}|cancelled"]

        await pilot.press(key(app, "runs"))
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the sessions list")
        await pilot.press(key(app, "audit"))
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), "the audit")
        audit = app.screen
        assert isinstance(audit, AuditScreen)
        await wait_until(pilot, lambda: audit.table.row_count == 1, "the audit row")
        row = dict(zip(COLUMNS, (str(c) for c in audit.table.get_row_at(0)), strict=True))
        assert row["target"] == "run" and row["run_id"] == running
        assert row["actor"] == ACTOR and row["outcome"] == "cancelled"
        assert row["session_id"] == "—" and row["owner"] == "Ada Lovelace"


@pytest.mark.parametrize("era", ["v0.8"])
async def test_cancel_from_a_runs_detail_and_back_at_the_dialog_writes_nothing(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    running, _done = await _scene(target, svc)
    app = app_for(target, **MACHINE_CLOCK)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        screen.table.move_cursor(row=ids_shown(app).index(running))
        await pilot.press("enter")
        detail = await detail_ready(pilot)
        await pilot.press(key(app, "run-detail-cancel"))
        await _confirmation(pilot, app)
        await pilot.press(key(app, "run-cancel-back"))
        await wait_until(pilot, lambda: app.screen is detail, "back at the detail")
        assert _status(svc, running) == ("running", "") and _audit(svc) == []

        await pilot.press(key(app, "run-detail-cancel"))
        await _confirmation(pilot, app)
        await click_on(pilot, "#confirm")
        await wait_until(pilot, lambda: bool(_said(app, f"cancelled {running}")), "the outcome")
        await wait_until(
            pilot, lambda: detail.loaded and "cancelled" in detail_text(detail, "fields"), "reread"
        )
        assert _status(svc, running)[0] == "cancelled"
        assert _audit(svc) == [f"run|{running}|{ACTOR}|cancelled"]
        await pilot.press(key(app, "run-detail-back"))
        await wait_until(pilot, lambda: app.screen is screen, "the runs list")
        assert cells_of(app, running)["status"] == "cancelled"

        await pilot.press("enter")
        again = await detail_ready(pilot)
        await pilot.press(key(app, "run-detail-cancel"))  # finished now: nothing to confirm
        await wait_until(
            pilot, lambda: bool(_said(app, f"already finished {running}: cancelled at ")), "said"
        )
        assert app.screen is again
    assert _audit(svc) == [f"run|{running}|{ACTOR}|cancelled"]


@pytest.mark.parametrize("era", ["v0.8"])
async def test_a_run_the_service_completes_before_the_confirm_is_left_as_it_is(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    running, _done = await _scene(target, svc)
    app = app_for(target, **MACHINE_CLOCK)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        screen.table.move_cursor(row=ids_shown(app).index(running))
        await pilot.press(key(app, "run-cancel"))
        dialog = await _confirmation(pilot, app)
        assert f"{running}  running → cancelled" in _dialog_text(dialog)
        svc.complete(running)  # completeWorkflowRun, while the operator reads
        completed = _status(svc, running)
        await click_on(pilot, "#confirm")
        finished = f"already finished {running}: completed at "
        await wait_until(pilot, lambda: bool(_said(app, finished)), "the outcome")
        assert "nothing was overwritten" in _said(app, finished)[0]
        assert not _said(app, f"cancelled {running}")
        await runs_ready(pilot)
        assert cells_of(app, running)["status"] == "completed"
    assert _status(svc, running) == completed
    assert _audit(svc) == [f"run|{running}|{ACTOR}|already-finished"]


@pytest.mark.parametrize("era", ["v0.8"])
async def test_a_read_only_dashboard_refuses_in_one_line_and_writes_nothing(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    running, _done = await _scene(target, svc)
    app = app_for(target, read_only=True, **MACHINE_CLOCK)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        screen.table.move_cursor(row=ids_shown(app).index(running))
        await pilot.press(key(app, "run-cancel"))
        await wait_until(pilot, lambda: bool(_said(app, "Cancelling runs is disabled")), "no")
        refused = _said(app, "Cancelling runs is disabled")
        assert len(refused) == 1 and "\n" not in refused[0]
        assert "read-only" in refused[0]
        assert app.screen is screen
        await pilot.press("enter")
        await detail_ready(pilot)
        await pilot.press(key(app, "run-detail-cancel"))
        await wait_until(pilot, lambda: len(_said(app, "Cancelling runs is disabled")) == 2, "no")
        assert isinstance(app.screen, RunDetailScreen)
    assert _status(svc, running) == ("running", "")
    assert _audit(svc) == []
