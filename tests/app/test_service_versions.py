"""The dashboard on a database of each service era, on both backends: the header names
the detected version, the end picker offers exactly that version's deactivating
triggers (and the end lands in the database), and the reason panel and detail show a
retired value found in the data as recognised, with its era."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Static

from tests.app.test_app import SIZE
from tests.support.app_helpers import (
    app_for,
    db_session,
    main_screen,
    notifications,
    ready,
    wait_until,
)
from tests.support.dbs import create_service_db
from tests.support.vocabularies import FIVE, FOUR, NINE
from tui.app.screens.detail import DetailScreen
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.app.widgets.status_bar import StatusBar
from tui.domain.models import NOT_RECORDED_TOKEN, SessionFilter, Status
from tui.store import open_store
from tui.store.target import DbTarget

CASES = [
    ("016", "0.9.0", "016 (main)", NINE),
    ("v0.2.13", "0.9.0", "v0.2.13 to v0.5.x", FOUR),
    ("v0.4", "0.9.0", "v0.2.13 to v0.5.x", FOUR),
    ("v0.6", "0.9.0", "v0.6.x", FIVE),
    ("v0.7", "0.9.0", "v0.9.0", FIVE),
    ("v0.7", "dev", "dev build (v0.7.0 on)", FIVE),
]


async def _first_active(target: DbTarget) -> str:
    store = await open_store(target)
    try:
        page = await store.list_sessions(SessionFilter(status=Status.ACTIVE), limit=1)
    finally:
        await store.close()
    return page.rows[0].id


def _header(app: object) -> str:
    return str(main_screen(app).query_one(StatusBar).render())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("era", "app_version", "version", "offered"),
    CASES,
    ids=[f"{c[0]}-{c[1]}" if c[0] == "v0.7" else c[0] for c in CASES],
)
async def test_header_and_picker_follow_the_detected_version(
    empty_db_url: str, era: str, app_version: str, version: str, offered: list[str]
) -> None:
    target = await create_service_db(empty_db_url, era=era, sessions=200, app_version=app_version)
    sid = await _first_active(target)
    app = app_for(target)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert f"service {version}" in _header(app)
        table = main_screen(app).table
        table.move_cursor(row=table.get_row_index(sid))
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        triggers = app.screen.query_one("#triggers", OptionList)
        shown = [triggers.get_option_at_index(i).id for i in range(triggers.option_count)]
        assert shown == offered
        newest = offered[1] if offered is FIVE else offered[-1]
        # Narrowed to it at once (typing is the end layout's and end path's subject).
        app.screen.query_one("#narrow", Input).value = newest
        await wait_until(
            pilot,
            lambda: getattr(triggers.highlighted_option, "id", None) == newest,
            f"{newest} highlighted",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: any("ended" in n for n in notifications(app)), "toast")
    stored = await db_session(target, sid)
    assert stored["active"] is False and stored["ended_reason"] == newest


async def test_a_retired_value_in_the_data_is_recognised_with_its_era(empty_db_url: str) -> None:
    """The demo rows carry 016's values; on today's service they are retired, not unknown."""
    target = await create_service_db(empty_db_url, era="v0.7", sessions=200)
    app = app_for(target)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        panel = main_screen(app).reason_panel
        await wait_until(pilot, lambda: panel.border_subtitle is not None, "counts")
        prompts = {
            panel.get_option_at_index(i).value: str(panel.get_option_at_index(i).prompt)
            for i in range(panel.option_count)
        }
        values = list(prompts)
        in_force = ["first-message", "plan-to-execute", *FIVE]
        assert values[: len(in_force) + 1] == [*in_force, NOT_RECORDED_TOKEN]
        assert {"cwd-changed", "session-expired"} <= set(values[len(in_force) + 1 :])
        assert "retired in v0.2.13" in prompts["cwd-changed"]
        assert "⚠" not in prompts["cwd-changed"]
        assert "retired" not in prompts["reset-requested"]
        assert "since" not in prompts["project-changed"], "in force: no era note"
        assert prompts["session-expired"].startswith("⚠ "), "unknown values stay marked"

        table = main_screen(app).table
        rows = main_screen(app).state.rows
        sid = next(i for i in table.ids if rows[i].ended_reason == "cwd-changed")
        assert table.cell_text(table.get_row_index(sid), "reason") == "cwd-changed"
        table.move_cursor(row=table.get_row_index(sid))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await wait_until(pilot, lambda: detail.detail is not None, "detail loaded")
        fields = str(detail.query_one("#fields", Static).render())
        assert "cwd-changed (retired in v0.2.13)" in fields
