"""The dashboard and the service's clock: times written in the database's default zone
(New York here) read right, and the detail says when the service overwrote an end."""

from __future__ import annotations

import pytest

from tests.support.app_helpers import app_for, cell_text, ready, wait_until
from tests.support.service_writes import ServiceDb
from tui.app.screens.detail import DetailScreen
from tui.store import open_store
from tui.store.target import resolve_target


@pytest.mark.postgres
async def test_dashboard_shows_service_times_in_utc(new_york_db: ServiceDb) -> None:
    """The app's clock is 2026-11-20 12:30 UTC (07:30 in New York): a session the service
    started at 06:50 and ended at 07:20 New York time started 40m ago and lasted 30m."""
    sid = new_york_db.session(
        "'2026-11-20 06:50:00'", ended="'2026-11-20 07:20:00'", reason="reset-requested"
    )
    app = app_for(resolve_target(url=new_york_db.url))
    async with app.run_test(size=(200, 40)) as pilot:
        await ready(pilot)
        assert cell_text(app, 0, "id") == sid[:8]
        assert cell_text(app, 0, "started") == "40m ago"
        assert cell_text(app, 0, "duration") == "30m"


async def test_detail_says_the_service_overwrote_an_end(service_writer: ServiceDb) -> None:
    sid = service_writer.session(service_writer.now_minus(5))
    target = resolve_target(url=service_writer.url)
    store = await open_store(target)
    try:
        await store.end_sessions([sid], "conversation-closed", actor="oncall@laptop")
    finally:
        await store.close()
    service_writer.service_end(sid, "reset-requested")

    app = app_for(target)
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail screen")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        await wait_until(pilot, lambda: screen.detail is not None, "detail loaded")
        fields = str(screen.query_one("#fields").render())
    assert (
        "⚠ ended by oncall@laptop as conversation-closed; "
        "the service recorded reset-requested " in fields
    ), fields
