"""A new question is painted once, with its rows: the screen's repaints wait for its page,
for a few frames at most (`tui.app.list_reads.FramesHeld`)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static

from tests.support.app_helpers import app_for, cell_text, main_screen, ready, settle, wait_until
from tests.support.locks import sessions_locked
from tui.domain.models import Status
from tui.store.target import DbTarget

SIZE = (100, 24)


async def test_a_new_question_is_painted_with_its_rows_and_a_late_page_holds_nothing_long(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a new question's page is read, nothing is painted: not the filter line that
    names the question over the old rows; the first paint after it has the page. A page
    held up (another client locks the sessions) holds the screen for `FRAMES_HELD_S`
    only: then the filter line is painted while the old rows wait for their page."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        main.filters.set_status(Status.ENDED)
        await settle(pilot)
        assert "ended" in cell_text(app, 0, "status")

        line = main.query_one("#filters", Static)
        painted: list[tuple[str, str]] = []  # at each paint of the filter line: it, row 0's status
        render_lines = line.render_lines

        def recorded(*args: Any, **kwargs: Any) -> Any:
            painted.append((str(line.content), cell_text(app, 0, "status")[2:]))
            return render_lines(*args, **kwargs)

        monkeypatch.setattr(line, "render_lines", recorded)
        monkeypatch.setattr("tui.app.list_reads.LOADING_AFTER", 0.1)
        monkeypatch.setattr("tui.app.list_reads.FRAMES_HELD_S", 60.0)
        async with sessions_locked(service_db):
            main.filters.set_status(Status.ACTIVE)
            # Its "loading…" mark is due after several frames would have been painted.
            await wait_until(pilot, lambda: main.table.stale, "the page marked late")
            assert painted == [], "nothing painted while the page is read"
        await wait_until(pilot, lambda: bool(painted), "the new question painted")
        shown, status = painted[0]
        assert "status: active" in shown and status in ("active", "stuck"), painted
        await settle(pilot)

        monkeypatch.setattr("tui.app.list_reads.FRAMES_HELD_S", 0.05)
        painted.clear()
        async with sessions_locked(service_db):
            main.filters.set_status(Status.ENDED)
            await wait_until(pilot, lambda: bool(painted), "the filter line painted")
            shown, status = painted[0]
            assert "status: ended" in shown, painted
            assert status in ("active", "stuck"), "painted over the old rows: the page waits"
        await wait_until(pilot, lambda: "ended" in cell_text(app, 0, "status"), "the late page")
        await settle(pilot)


async def test_a_question_asked_again_before_its_read_began_holds_nothing(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two questions in one turn (a key repeated): the first one's read is cancelled
    before it begins, and its hold is let go with it, so the second one's page is painted
    as soon as it is in, not when the first hold would have run out."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        line = main.query_one("#filters", Static)
        painted: list[str] = []
        render_lines = line.render_lines

        def recorded(*args: Any, **kwargs: Any) -> Any:
            painted.append(str(line.content))
            return render_lines(*args, **kwargs)

        monkeypatch.setattr(line, "render_lines", recorded)
        monkeypatch.setattr("tui.app.list_reads.FRAMES_HELD_S", 60.0)
        main.filters.set_status(Status.ACTIVE)
        main.filters.set_status(Status.ENDED)
        await wait_until(pilot, lambda: any("status: ended" in p for p in painted), "painted")
        assert "ended" in cell_text(app, 0, "status")
        await settle(pilot)
