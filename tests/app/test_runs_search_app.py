"""The runs list's text search over more windows than a page reads, on both backends,
over runs the service's own statements wrote (`tests.support.run_writes`,
workflows.ts@v0.9.0): the first page finds nothing among the newest windows and says
which key goes on; that key (the sessions list's `search-older`) reads the older
windows and the run found there is shown.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.app_helpers import app_for, ready
from tests.support.run_writes import ServiceRuns
from tests.support.runs_app import ids_shown, key, open_runs, runs_ready, service_session
from tui.app.screens.runs import SEARCH_WINDOWS_PER_PAGE
from tui.domain.timefmt import utcnow
from tui.store import open_store
from tui.store.target import DbTarget

SIZE = (100, 24)
WINDOW = 3
"""Runs a search window looks at (the store's `SEARCH_WINDOW`, made small here)."""
RUNS = 20
"""More than the windows one page reads (`SEARCH_WINDOWS_PER_PAGE` times `WINDOW`: 12)."""


@pytest.mark.parametrize("era", ["v0.8"])
async def test_a_search_past_the_first_windows_goes_on_with_the_search_older_key(
    runs_db: tuple[DbTarget, ServiceRuns], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert RUNS > SEARCH_WINDOWS_PER_PAGE * WINDOW
    target, svc = runs_db
    conv = svc.conversation()
    service_session(svc, conv)
    for i in range(RUNS):
        svc.start(svc.create("deploy", conv, user_message=f"ship {i}"))
    store = await open_store(target)
    try:
        listed = (await store.list_runs(None, None, RUNS)).rows
    finally:
        await store.close()
    oldest = listed[-1].id  # the last run of the list, newest first
    monkeypatch.setattr("tui.store.limits.SEARCH_WINDOW", WINDOW)
    app = app_for(target, clock=lambda: utcnow() + timedelta(0))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        assert len(ids_shown(app)) == RUNS
        await pilot.press(key(app, "search"), *oldest, "enter")
        await runs_ready(pilot)
        assert ids_shown(app) == []
        note = str(screen.note.render())
        assert note == (
            f"no match among the rows searched so far: {key(app, 'search-older')} "
            "searches older ones"
        )
        assert "no workflow run matches" not in note
        await pilot.press(key(app, "search-older"))
        await runs_ready(pilot)
        assert ids_shown(app) == [oldest]
        assert str(screen.note.render()) == "1 row"
        assert oldest in str(screen.query_one("#runs-filters").render())
