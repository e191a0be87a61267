"""The dashboard's workflow runs list and a run's detail, on both backends, over runs the
service's own statements wrote (`tests.support.run_writes` cites them): reached with one
key from the sessions list and back, its search narrowing the rows on screen, paging,
its stuck panel, export and copy, the palette, and the links between sessions and runs.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.support.app_helpers import (
    app_for,
    main_screen,
    notifications,
    ready,
    run_palette_command,
    settle,
    wait_until,
)
from tests.support.run_writes import ServiceRuns
from tests.support.runs_app import (
    cells_of,
    detail_ready,
    detail_text,
    highlight_link,
    ids_shown,
    key,
    link_ids,
    open_runs,
    runs_ready,
    runs_screen,
    service_session,
    stuck_counts,
)
from tui.app.screens.detail import DetailScreen
from tui.app.screens.export import ExportScreen
from tui.app.screens.main import MainScreen
from tui.app.screens.runs import RunsScreen
from tui.domain.run_columns import RUN_KEYS
from tui.domain.timefmt import utcnow
from tui.domain.wording import NO_RUNS_TABLE
from tui.store.demo import write_demo
from tui.store.target import DbTarget, resolve_target

SIZE = (120, 24)
"""Wide enough for the stuck column beside the panel."""
WIDE = (260, 24)
"""Wide enough for every column of the runs table beside its panel (`fit_columns`)."""
SMALL = (80, 24)
"""For a test where nothing depends on the width: fewer cells to draw."""


def ahead(delta: timedelta) -> dict[str, object]:
    """The app's clock `delta` after the database's (the runs' times are its now)."""
    return {"clock": lambda: utcnow() + delta}


@pytest.mark.parametrize("era", ["v0.8"])
async def test_one_key_opens_the_runs_list_and_the_same_key_comes_back(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    conv = svc.conversation()
    service_session(svc, conv)
    older = svc.create("deploy", conv)
    newer = svc.create("review", conv, working_path="/wt/review")
    svc.start(newer)
    app = app_for(target, keys={"runs": "R"}, **ahead(timedelta(0)))
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await ready(pilot)
        assert key(app, "runs") == "R"  # the config file's [keys] moves it on both lists
        screen = await open_runs(pilot)
        assert set(ids_shown(app)) == {older, newer}
        assert cells_of(app, newer)["status"] == "running"
        assert cells_of(app, newer)["workflow"] == "review"
        assert cells_of(app, older)["parent"] == "—"
        assert "2 rows" in str(screen.note.render())
        await pilot.press(key(app, "runs"))
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the sessions list")
        await open_runs(pilot)
        await pilot.press(key(app, "back"))  # no filter to undo: back to the sessions
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the sessions list")


@pytest.mark.parametrize("era", ["v0.8"])
async def test_the_search_narrows_the_rows_on_screen_and_back_undoes_it(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    ada = svc.user("Ada Lovelace", "ada@example.com")
    conv = svc.conversation()
    service_session(svc, conv)
    infra = svc.codebase("infra")
    deploys = {svc.create(f"deploy-{i}", conv, user_message=f"ship {i}") for i in range(3)}
    review = svc.create(
        "review", conv, working_path="/wt/feature-x", codebase_id=infra, user_id=ada
    )
    svc.start(review)
    paused = svc.create("approve", conv, working_path="/wt/gate")
    svc.start(paused)
    svc.pause(paused)
    later = [timedelta(0)]  # the app's clock after the database's: moved on below
    app = app_for(target, clock=lambda: utcnow() + later[0])
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        assert len(ids_shown(app)) == 5

        async def search(text: str) -> set[str]:
            await pilot.press(key(app, "search"))
            screen.search_box.value = text
            await pilot.press("enter")
            await runs_ready(pilot)
            return set(ids_shown(app))

        assert await search("status:run") == {review}
        assert await search("status:running,pa") == {review, paused}
        assert await search("workflow:DEPLOY") == deploys
        assert await search("codebase:inf") == {review}
        assert await search("owner:ada") == {review}
        assert await search("feature-x") == {review}
        assert await search("age:1h") == deploys | {review, paused}
        assert await search("age:soon") == set()  # not a duration: free text, no match
        assert "text" in str(screen.query_one("#runs-filters").render())
        await pilot.press(key(app, "back"))
        await runs_ready(pilot)
        assert len(ids_shown(app)) == 5
        assert screen.query_one("#runs-search", Input).value == ""
        later[0] = timedelta(hours=3)
        assert await search("age:1h") == set()  # every run started 3 h before the app's now
        assert "no workflow run matches" in str(runs_screen(app).note.render())


@pytest.mark.parametrize("era", ["v0.4"])
async def test_pages_follow_the_cursor(runs_db: tuple[DbTarget, ServiceRuns]) -> None:
    target, svc = runs_db
    conv = svc.conversation()
    service_session(svc, conv)
    made = [svc.create(f"wf-{i:02d}", conv) for i in range(25)]
    app = app_for(target, page_size=10, **ahead(timedelta(0)))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        assert len(ids_shown(app)) == 10
        assert "(more below)" in str(screen.note.render())
        await pilot.press(key(app, "row-last"))
        await wait_until(pilot, lambda: len(ids_shown(app)) == 20, "the second page")
        await runs_ready(pilot)
        await pilot.press(key(app, "row-last"))
        await wait_until(pilot, lambda: len(ids_shown(app)) == 25, "the last page")
        await runs_ready(pilot)
        assert sorted(ids_shown(app)) == sorted(made)
        assert "25 rows" in str(screen.note.render())
        assert "more below" not in str(screen.note.render())


@pytest.mark.parametrize("era", ["pre-016"])
async def test_a_run_detail_shows_every_field_and_a_dash_for_what_an_old_era_lacks(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    """pre-016: no outcome, working_path, user_id, parent_run_id, output_root, and no node
    sessions table; v0.8 has them all but outcome."""
    target, svc = runs_db
    conv = svc.conversation()
    service_session(svc, conv)
    run = svc.create("deploy", conv, user_message="ship \x1b[31mit", metadata={"k": "[b]v[/b]"})
    svc.start(run)
    svc.event(run, "step_started", "build")
    svc.complete(run, cost=1.5)
    app = app_for(target, **ahead(timedelta(0)))
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await ready(pilot)
        await open_runs(pilot)
        assert cells_of(app, run)["outcome"] == "—"
        assert cells_of(app, run)["parent"] == "—"
        assert cells_of(app, run)["cost"] == "$1.50"
        await pilot.press("enter")
        screen = await detail_ready(pilot)
        fields = detail_text(screen, "fields")
        assert "completed" in fields and "deploy" in fields and "$1.50" in fields
        assert "ship \\e[31mit" in fields  # a stored escape is shown, never sent
        for lacking in ("outcome", "working_path", "user_id", "parent_run_id", "output_root"):
            line = next(x for x in fields.splitlines() if x.split()[:1] == [lacking])
            assert line.split()[-1] == "—", line
        assert "this service version has no outcome, output_root, parent_run_id, user_id" in fields
        assert "[b]v[/b]" in detail_text(screen, "metadata")  # markup is data
        assert "step_started  build" in detail_text(screen, "events")
        assert "no node sessions table" in detail_text(screen, "nodes")


@pytest.mark.parametrize("era", ["v0.8"])
async def test_links_between_sessions_and_runs_both_ways(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    conv, other = svc.conversation(), svc.conversation()
    sid = service_session(svc, conv)
    service_session(svc, other)
    parent = svc.create("umbrella", conv, working_path="/wt/u")
    child = svc.create("sub", conv, parent_run_id=parent)
    elsewhere = svc.create("unrelated", other)
    svc.node_session(parent, "umbrella", "review", conv)
    app = app_for(target, **ahead(timedelta(0)))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        main.table.move_cursor(row=main.table.ids.index(sid))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "session detail")
        session = app.screen
        assert isinstance(session, DetailScreen)
        await wait_until(pilot, lambda: session.detail is not None, "session read")
        said = str(session.query_one("#runs").render())
        assert f"({app.key_of('runs')} lists all the conversation's runs)" in said
        await pilot.press(key(app, "runs"))
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs list")
        await runs_ready(pilot)
        assert set(ids_shown(app)) == {parent, child}  # not `elsewhere`
        assert elsewhere not in ids_shown(app)
        screen = runs_screen(app)
        screen.table.move_cursor(row=ids_shown(app).index(parent))
        await pilot.press("enter")
        detail = await detail_ready(pilot)
        assert link_ids(detail) == [f"run:{child}", f"session:{sid}"]
        assert "review  claude" in detail_text(detail, "nodes")
        # the sub-run, then back to the parent, then the conversation's session
        highlight_link(detail, f"run:{child}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: detail.run_id == child and detail.loaded, "sub-run")
        await settle(pilot)
        assert link_ids(detail)[0] == f"run:{parent}"
        await pilot.press(key(app, "run-detail-back"))
        await wait_until(pilot, lambda: detail.run_id == parent and detail.loaded, "parent")
        await settle(pilot)
        highlight_link(detail, f"session:{sid}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "the session")
        assert app.screen.session_id == sid  # type: ignore[attr-defined]


@pytest.mark.parametrize("era", ["v0.8"])
async def test_the_stuck_panel_counts_each_kind_and_filters_the_list(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    conv = svc.conversation()
    service_session(svc, conv)
    pending = svc.create("never-started", conv)
    quiet = svc.create("long", conv, working_path="/wt/long")
    svc.start(quiet)
    gate = svc.create("gate", conv, working_path="/wt/gate")
    svc.start(gate)
    svc.pause(gate)
    done = svc.create("done", conv)
    svc.start(done)
    svc.complete(done)
    app = app_for(target, **ahead(timedelta(hours=2)))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        assert stuck_counts(app) == {
            "stale-pending": "1",
            "quiet": "1",
            "awaiting-approval": "1",
            "path-held": "0",
        }
        assert len(ids_shown(app)) == 4
        await pilot.press(key(app, "stuck"))
        await pilot.press("down", "enter")  # quiet
        await runs_ready(pilot)
        assert ids_shown(app) == [quiet]
        assert cells_of(app, quiet)["stuck"] == "quiet"
        assert "stuck quiet" in str(screen.query_one("#runs-filters").render())
        await pilot.press(key(app, "back"))
        await runs_ready(pilot)
        assert len(ids_shown(app)) == 4
        await run_palette_command(pilot, "run: stale", "Filter stuck run: stale-pending")
        await runs_ready(pilot)
        assert ids_shown(app) == [pending]
        await pilot.press(key(app, "clear"))
        await runs_ready(pilot)
        assert len(ids_shown(app)) == 4
        assert not any("dead" in n for n in notifications(app))
    # the quiet setting (the config file's `run_quiet_after`) is the dashboard's too
    app = app_for(target, more={"run_quiet_after": timedelta(hours=3)}, **ahead(timedelta(hours=2)))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        await open_runs(pilot)
        assert stuck_counts(app)["quiet"] == "0"


@pytest.mark.parametrize("era", ["v0.8"])
async def test_export_writes_every_run_of_the_view_and_copy_takes_the_whole_id(
    runs_db: tuple[DbTarget, ServiceRuns], tmp_path: Path
) -> None:
    target, svc = runs_db
    conv = svc.conversation()
    service_session(svc, conv)
    made = {svc.create(f"wf-{i}", conv) for i in range(12)}
    svc.create("other", conv)
    out = tmp_path / "runs.csv"
    app = app_for(target, page_size=10, **ahead(timedelta(0)))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        await pilot.press(key(app, "search"))
        screen.search_box.value = "workflow:wf-"
        await pilot.press("enter")
        await runs_ready(pilot)
        assert len(ids_shown(app)) == 10  # a page: the export reads them all
        await pilot.press(key(app, "export"))
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), "export form")
        form = app.screen
        form.query_one("#export-path", Input).value = str(out)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen), "export done")
        await settle(pilot)
        rows = list(csv.reader(io.StringIO(out.read_text())))
        assert rows[0] == list(RUN_KEYS)
        assert {r[0] for r in rows[1:]} == made
        assert any("Exported 12 workflow runs" in n for n in notifications(app))
        top = ids_shown(app)[0]
        await pilot.press(key(app, "copy-id"))
        await settle(pilot)
        assert app.clipboard == top
        assert f"Copied {top}" in notifications(app)
        assert screen is app.screen


@pytest.fixture
def no_runs_db(empty_db_url: str) -> DbTarget:
    """The tool's demo without the service's runs tables (a database the tool migrated,
    where the service never created them)."""
    target = resolve_target(url=empty_db_url, must_exist=False)
    asyncio.run(write_demo(target, n_sessions=20, runs=False))
    return target


async def test_a_database_without_a_runs_table_says_so(no_runs_db: DbTarget) -> None:
    app = app_for(no_runs_db)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        assert ids_shown(app) == []
        assert str(screen.note.render()) == NO_RUNS_TABLE
        assert set(stuck_counts(app).values()) == {"n/a"}
