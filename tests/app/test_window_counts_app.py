"""The counts under a question the operator types (free text, `user:`) are the search
window's: the panels and the header say which sessions they cover, `n` widens them with
the list (or alone, where the list reads no window), until they cover every session."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support.app_helpers import (
    app_for,
    main_screen,
    notifications,
    panel_count,
    panel_prompts,
    ready,
    settle,
    wait_until,
)
from tests.support.templates import ServiceTemplates
from tui.app.app import SessionsApp
from tui.domain.models import NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN, SessionFilter
from tui.domain.wording import NO_OLDER, counted_in
from tui.store.store import open_store
from tui.store.target import DbTarget

SIZE = (100, 24)
WINDOW = 200
SESSIONS = 600


@pytest.fixture
def owned_db(
    db_url: str, service_templates: ServiceTemplates, request: pytest.FixtureRequest
) -> DbTarget:
    """600 demo sessions on today's service schema (users own most conversations)."""
    server = None if db_url.startswith("sqlite") else request.getfixturevalue("pg_server")
    return service_templates.copy(db_url, server, sessions=SESSIONS, era="v0.7")


def _reasons_line(app: SessionsApp) -> str:
    return str(main_screen(app).reason_panel.border_subtitle or "")


def _stuck_line(app: SessionsApp) -> str:
    return str(main_screen(app).stuck_panel.border_subtitle or "")


def _header(app: SessionsApp) -> str:
    bar = main_screen(app).status_bar
    return bar.state_line(400).plain


async def _search(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("slash", "ctrl+u", *text, "enter")
    await settle(pilot)


async def _press_n(pilot: Pilot[Any]) -> None:
    await pilot.press("n")
    await settle(pilot)


async def _window_counts(target: DbTarget, flt: SessionFilter, window: int) -> dict[str, str]:
    """Each reason's count among the newest `window` sessions, as the store counts and
    the panel writes it."""
    store = await open_store(target, read_only=True)
    try:
        facets = await store.reason_counts_in(flt, window)
    finally:
        await store.close()
    counts = {**facets.known, **facets.unrecognised, NOT_RECORDED_TOKEN: facets.not_recorded}
    return {raw: f"{n:,}" for raw, n in counts.items() if n}


def _panel_counts(app: SessionsApp) -> dict[str, str]:
    """The panel's non-zero counts, by value (an entry found once stays, at 0)."""
    shown = {value: panel_count(prompt) for value, prompt in panel_prompts(app).items()}
    return {value: n for value, n in shown.items() if value != UNRECOGNISED_TOKEN and n != "0"}


@pytest.mark.parametrize(
    ("typed", "flt"),
    [("a", SessionFilter(search="a")), ("user:ada", SessionFilter(user="ada"))],
    ids=["text", "user"],
)
async def test_the_panels_say_the_window_and_n_widens_it_to_every_session(
    owned_db: DbTarget, typed: str, flt: SessionFilter
) -> None:
    """A question with many matches: the list's first page is exact, the counts are
    the first window's. Each `n` widens them by a window; past the last session they
    are the exact counts again, and `n` says there is nothing older."""
    app = app_for(owned_db, search_window=WINDOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert "ended" in _reasons_line(app)
        await _search(pilot, typed)
        assert _reasons_line(app) == counted_in(WINDOW)
        assert _stuck_line(app).endswith(f"newest {WINDOW:,}")
        assert f"in the newest {WINDOW:,}" in _header(app)
        assert _panel_counts(app) == await _window_counts(owned_db, flt, WINDOW)

        await _press_n(pilot)
        assert _reasons_line(app) == counted_in(2 * WINDOW)
        assert _stuck_line(app).endswith(f"newest {2 * WINDOW:,}")
        assert _panel_counts(app) == await _window_counts(owned_db, flt, 2 * WINDOW)

        await _press_n(pilot)  # 600 sessions: the third window holds the last of them
        assert "ended" in _reasons_line(app)
        assert "newest" not in _stuck_line(app) and "newest" not in _header(app)
        await _press_n(pilot)
        assert NO_OLDER in notifications(app)


async def test_n_widens_the_counts_with_a_searchs_older_window(owned_db: DbTarget) -> None:
    """A search with no match in its window: `n` reads the next window, and the counts
    follow it."""
    app = app_for(owned_db, search_window=WINDOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await _search(pilot, "zz-no-such-text")
        await wait_until(
            pilot, lambda: "no match in the newest 200" in str(main.table.border_subtitle), "answer"
        )
        assert _reasons_line(app) == counted_in(WINDOW)
        await _press_n(pilot)
        await wait_until(pilot, lambda: main.state.searched == 2 * WINDOW, "the older window")
        await settle(pilot)
        assert "no match in the newest 400 sessions" in str(main.table.border_subtitle)
        assert _reasons_line(app) == counted_in(2 * WINDOW)
        assert _stuck_line(app).endswith(f"newest {2 * WINDOW:,}")
