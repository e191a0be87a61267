"""Selecting workflow runs on the runs list and cancelling them all, on both backends,
over runs the service's own statements wrote (`tests.support.run_writes` cites each,
workflows.ts@v0.9.0): the sessions list's keys (read from the live bindings, `[keys]`
moving both lists), select-all over the whole view up to the cap, select-none, the
selection checked against a new view, and one cancel of many with per-run outcomes.
"""

from __future__ import annotations

import pytest

from tests.support.app_helpers import ACTOR, app_for, click_on, notifications, ready, wait_until
from tests.support.run_writes import ServiceRuns
from tests.support.runs_app import (
    MACHINE_CLOCK,
    cells_of,
    ids_shown,
    key,
    open_runs,
    runs_ready,
    runs_screen,
    service_session,
)
from tui.app import SessionsApp
from tui.app.screens.run_cancel import ConfirmCancelRunsScreen
from tui.store.migrate import upgrade
from tui.store.target import DbTarget

SIZE = (100, 24)


def _statuses(svc: ServiceRuns) -> dict[str, str]:
    out = svc.db.run("SELECT id, status FROM remote_agent_workflow_runs").strip()
    return dict(line.split("|", 1) for line in out.splitlines())


def _audit(svc: ServiceRuns) -> list[str]:
    out = svc.db.run("SELECT run_id, actor, outcome FROM sessions_tui_audit ORDER BY id").strip()
    return sorted(out.splitlines()) if out else []


def _said(app: SessionsApp, text: str) -> list[str]:
    return [n for n in notifications(app) if text in n]


def _filters(app: SessionsApp) -> str:
    return str(runs_screen(app).query_one("#runs-filters").render())


async def _scene(target: DbTarget, svc: ServiceRuns) -> tuple[list[str], str]:
    """Four running reviews and a completed deploy in one conversation (the audit table
    migrated): the reviews' ids and the deploy's."""
    await upgrade(target)
    conv = svc.conversation()
    service_session(svc, conv)
    done = svc.create("deploy", conv)
    svc.start(done)
    svc.complete(done)
    running = []
    for i in range(4):
        rid = svc.create(f"review-{i}", conv, working_path=f"/wt/review-{i}")
        svc.start(rid)
        running.append(rid)
    return running, done


@pytest.mark.parametrize("era", ["v0.8"])
async def test_space_selects_runs_and_one_cancel_ends_them_all_with_per_run_outcomes(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    """Space on three rows (one of them completed by the service while the operator
    reads the confirmation): one confirmation of three, then one outcome per run; the
    runs left running and the completed deploy are untouched, the selection is gone."""
    target, svc = runs_db
    running, done = await _scene(target, svc)
    app = app_for(target, **MACHINE_CLOCK)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        chosen = [r for r in ids_shown(app) if r in running][:3]
        for rid in chosen:
            screen.table.move_cursor(row=ids_shown(app).index(rid))
            await pilot.press(key(app, "select"))
        await wait_until(pilot, lambda: "selected: 3" in _filters(app), "three selected")
        for rid in chosen:
            assert cells_of(app, rid)["status"] == "✓ running"
        left = next(r for r in running if r not in chosen)
        assert cells_of(app, left)["status"] == "running"

        await pilot.press(key(app, "run-cancel"))
        await wait_until(
            pilot, lambda: isinstance(app.screen, ConfirmCancelRunsScreen), "the confirmation"
        )
        title = str(app.screen.query_one(".dialog-title").render())
        assert "Cancel 3 workflow runs?" in title
        svc.complete(chosen[1])  # completeWorkflowRun, while the operator reads
        await click_on(pilot, "#confirm")
        await wait_until(
            pilot, lambda: bool(_said(app, f"already finished {chosen[1]}")), "the outcomes"
        )
        await runs_ready(pilot)
        for rid in (chosen[0], chosen[2]):
            assert _said(app, f"cancelled {rid}")
        await wait_until(pilot, lambda: "selected" not in _filters(app), "the selection gone")
        assert cells_of(app, chosen[0])["status"] == "cancelled"
        assert cells_of(app, chosen[1])["status"] == "completed"
        assert cells_of(app, left)["status"] == "running"
    statuses = _statuses(svc)
    assert statuses[chosen[0]] == statuses[chosen[2]] == "cancelled"
    assert statuses[chosen[1]] == statuses[done] == "completed"
    assert statuses[left] == "running"
    assert _audit(svc) == sorted(
        [
            f"{chosen[0]}|{ACTOR}|cancelled",
            f"{chosen[1]}|{ACTOR}|already-finished",
            f"{chosen[2]}|{ACTOR}|cancelled",
        ]
    )


@pytest.mark.parametrize("era", ["v0.8"])
async def test_select_all_takes_the_view_up_to_the_cap_and_moved_keys_move_on_both_lists(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    """`[keys]` moves select-all and select-none on the sessions list and the runs list
    alike, and the toast names the cancel key as bound. Select-all over the running
    runs selects the four (not only those loaded), a view of five over the cap of four
    selects nothing, and a narrower view drops the runs it no longer holds, said once."""
    target, svc = runs_db
    running, done = await _scene(target, svc)
    moved = {"select-all": "ctrl+a", "select-none": "U", "run-cancel": "X"}
    app = app_for(target, keys=moved, select_cap=4, **MACHINE_CLOCK)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await open_runs(pilot)
        await pilot.press("ctrl+a")
        await wait_until(pilot, lambda: bool(_said(app, "workflow runs match")), "over the cap")
        over = _said(app, "workflow runs match")[0]
        assert "More than 4 workflow runs match, more than the cap of 4" in over
        assert "nothing selected" in over and "selected" not in _filters(app)

        await pilot.press(key(app, "search"), *"status:running", "enter")
        screen = await runs_ready(pilot)
        assert set(ids_shown(app)) == set(running)
        await pilot.press("ctrl+a")
        said = "Selected 4 workflow runs that match: X cancels them"
        await wait_until(pilot, lambda: bool(_said(app, said)), "select all")
        assert screen.picks.selected == set(running)
        assert "selected: 4" in _filters(app)
        assert all(cells_of(app, r)["status"] == "✓ running" for r in running)

        await pilot.press(key(app, "search"))
        screen.search_box.value = ""
        await pilot.press(*"review-0", "enter")
        await runs_ready(pilot)
        dropped = "3 selected workflow runs are not in this view any more: deselected"
        await wait_until(pilot, lambda: bool(_said(app, dropped)), "the check")
        assert screen.picks.selected == {running[0]}
        assert "selected: 1" in _filters(app)

        await pilot.press("U")
        await wait_until(pilot, lambda: bool(_said(app, "Deselected 1 workflow run")), "none")
        assert not screen.picks.selected and "selected" not in _filters(app)
        assert cells_of(app, running[0])["status"] == "running"
    assert set(_statuses(svc).values()) == {"running", "completed"}
    assert done in _statuses(svc)
