"""The trends screen's workflow runs, driven with Pilot against real databases (both
backends) over runs the service's own statements wrote (`tests.support.run_writes` cites
them): one key switches to runs per day by status and the recorded spend by workflow,
what the screen shows equals the test's own reading of the rows, and the same key goes
back to the ended sessions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.app_helpers import (
    app_for,
    notifications,
    ready,
    screen_lines,
    settle,
    wait_until,
)
from tests.support.run_trends import expected_run_trends, write_runs
from tests.support.run_writes import ServiceRuns, runs_database
from tests.support.runs_app import key, open_runs, runs_ready, service_session
from tests.support.service_schema import RUNS_OUTCOME, statements
from tui.app.screens.trends import RUNS_ONLY_NOTE, TrendsScreen
from tui.config import load_config
from tui.domain.run_trends import RunTrendBy
from tui.domain.runs import RunFilter
from tui.domain.timefmt import utcnow
from tui.domain.wording import NO_RUN_OUTCOME, NO_RUNS_TABLE, RUNS_UNDER, runs_under
from tui.store.target import DbTarget

SIZE = (100, 24)


@pytest.fixture
def runs_db(empty_db_url: str, request: pytest.FixtureRequest) -> tuple[DbTarget, ServiceRuns]:
    """A v0.8 service database with one session (the list's first page) and the
    service's writes. Made before the test's event loop runs: the template copy runs its
    own."""
    target, svc = runs_database(request, empty_db_url, "v0.8")
    service_session(svc, svc.conversation())
    return target, svc


async def _open(pilot: object) -> TrendsScreen:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.press("T")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, TrendsScreen), "trends")  # type: ignore[arg-type]
    screen: TrendsScreen = app.screen
    await wait_until(pilot, lambda: screen.trends is not None, "trends counted")  # type: ignore[arg-type]
    return screen


async def _switch(pilot: object, screen: TrendsScreen, runs: bool) -> None:
    app = screen.sessions_app
    await pilot.press(key(app, "trends-runs"))  # type: ignore[attr-defined]
    await wait_until(
        pilot,  # type: ignore[arg-type]
        lambda: screen.trends is not None and (screen.run_trends is not None) is runs,
        "switched",
    )
    await settle(pilot)  # type: ignore[arg-type]


async def test_one_key_shows_the_runs_and_their_spend_and_comes_back(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    write_runs(svc)
    app = app_for(target, clock=utcnow)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await _open(pilot)
        assert screen.run_trends is None
        await _switch(pilot, screen, runs=True)
        found, t = screen.run_trends, screen.trends
        assert found is not None and t is found.runs and t.by is RunTrendBy.STATUS
        w = t.window
        want = await expected_run_trends(target, w.start, w.end, hourly=False)
        assert dict(t.counts) == dict(want.runs)
        assert dict(found.spend.counts) == want.spend
        shown = "\n".join(screen_lines(app))
        assert "Workflow runs per day, the last 30 days (UTC)" in shown
        assert re.search(r"completed +4\b", shown), shown  # the sub-run is a run too
        assert RUNS_UNDER in shown
        assert "spend by workflow" in shown
        assert re.search(r"plan +\$1\.25", shown) and re.search(r"review +\$0\.50", shown)
        assert "4 runs with no cost recorded" in shown
        # the picked day (the runs' own): its runs, the status picked, and its spend
        note = "".join(screen_lines(app)[-3:-1])
        assert "7 runs · completed 4 · spend $1.75 (4 not recorded)" in note, note
        # `s` (runs by outcome): v0.8 has no outcome column; it says why, by status stays
        await pilot.press(key(app, "trends-runs-split"))
        await settle(pilot)
        assert NO_RUN_OUTCOME in notifications(app)
        assert screen.trends is not None and screen.trends.by is RunTrendBy.STATUS
        # d: the next window (30 → 90 days), counted again as runs
        await pilot.press("d")
        await wait_until(
            pilot, lambda: screen.trends is not None and screen.trends.window.days == 90, "90"
        )
        assert screen.run_trends is not None and screen.run_trends.runs.total == 7
        # a day of runs lists no sessions: enter says so and stays
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        await _switch(pilot, screen, runs=False)
        assert "Ended sessions per day" in "\n".join(screen_lines(app))


async def test_a_moved_key_switches_and_help_names_it(
    runs_db: tuple[DbTarget, ServiceRuns], tmp_path: Path
) -> None:
    """`[keys] trends-runs = "W"`: help shows the live key, and that key switches."""
    target, svc = runs_db
    write_runs(svc)
    path = tmp_path / "config.toml"
    path.write_text('[keys]\ntrends-runs = "W"\n')
    app = app_for(target, clock=utcnow, keys=load_config(path).keys)
    async with app.run_test(size=(120, 60)) as pilot:
        await ready(pilot)
        screen = await _open(pilot)
        await pilot.press("question_mark")
        await wait_until(
            pilot, lambda: any("Runs/sessions" in ln for ln in screen_lines(app)), "help"
        )
        help_text = "\n".join(screen_lines(app))
        assert re.search(r"(?<!\S)W {2,}Runs/sessions", help_text), help_text
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert screen.run_trends is None
        await _switch(pilot, screen, runs=True)
        assert screen.run_trends is not None and screen.run_trends.runs.total == 7


async def test_without_a_runs_table_one_line_says_so(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    for table in ("workflow_node_sessions", "workflow_events", "workflow_runs"):
        svc.db.run(f"DROP TABLE remote_agent_{table}")
    app = app_for(target, clock=utcnow)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _open(pilot)
        await _switch(pilot, screen, runs=True)
        assert screen.run_trends is not None and not screen.run_trends.has_table
        assert NO_RUNS_TABLE in "\n".join(screen_lines(app))


async def test_the_runs_by_outcome_where_the_version_has_it(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    """`s` stacks the runs by outcome where the column exists (main after v0.9.0,
    6594996d3)."""
    target, svc = runs_db
    made = write_runs(svc)
    for stmt in statements(RUNS_OUTCOME["postgresql" if svc.db.pg else "sqlite"]):
        svc.db.run(stmt)
    svc.set_outcome(made["paid"], "succeeded")
    app = app_for(target, clock=utcnow)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _open(pilot)
        await _switch(pilot, screen, runs=True)
        await pilot.press(key(app, "trends-runs-split"))
        await wait_until(
            pilot,
            lambda: screen.trends is not None and screen.trends.by is RunTrendBy.OUTCOME,
            "by outcome",
        )
        await settle(pilot)
        t = screen.trends
        want = await expected_run_trends(
            target, t.window.start, t.window.end, hourly=False, by="outcome"
        )
        assert dict(t.counts) == dict(want.runs)
        shown = "\n".join(screen_lines(app))
        assert re.search(r"not recorded +6\b", shown) and re.search(r"succeeded +1\b", shown)


async def test_opened_from_the_runs_list_the_runs_are_counted_under_its_filters(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    """The trends key on the runs list: the runs its typed filters select (workflow and
    status here), counted as the test's own SQL counts them under the same condition,
    the filters said under the title; there are no sessions to switch to."""
    target, svc = runs_db
    write_runs(svc)
    app = app_for(target, clock=utcnow)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        runs_list = await open_runs(pilot)
        await pilot.press(key(app, "search"), *"workflow:REV status:comp,fail", "enter")
        await runs_ready(pilot)
        asked = runs_list.asked
        assert asked == RunFilter(
            statuses=frozenset({"completed", "failed"}), workflow="REV", text=None
        )
        await pilot.press(key(app, "trends"))
        await wait_until(pilot, lambda: isinstance(app.screen, TrendsScreen), "trends")
        screen = app.screen
        assert isinstance(screen, TrendsScreen)
        await wait_until(pilot, lambda: screen.run_trends is not None, "runs counted")
        await settle(pilot)
        found, t = screen.run_trends, screen.trends
        assert found is not None and t is found.runs
        w = t.window
        want = await expected_run_trends(
            target,
            w.start,
            w.end,
            hourly=False,
            where="lower(workflow_name) LIKE 'rev%' AND status IN ('completed', 'failed')",
        )
        assert sum(want.runs.values()) == 2  # review: one failed, one completed with $0.50
        assert dict(t.counts) == dict(want.runs)
        assert dict(found.spend.counts) == want.spend
        assert dict(found.uncosted.counts) == dict(+want.uncosted)
        shown = "\n".join(screen_lines(app))
        under = "status completed|failed · workflow REV*"
        assert runs_under(under) in shown, shown
        assert re.search(r"review +\$0\.50", shown) and not re.search(r"plan +\$", shown)
        # no sessions here: the sessions/runs key says why and the runs stay
        await pilot.press(key(app, "trends-runs"))
        await settle(pilot)
        assert RUNS_ONLY_NOTE in notifications(app)
        assert screen.run_trends is found and app.screen is screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is runs_list, "back on the runs list")
