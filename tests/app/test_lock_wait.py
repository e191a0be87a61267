"""A query behind another client's lock (#9): the header says it is waiting and for how
long, the old rows are dimmed under the new filter line, esc cancels it (on the server
too), a statement timeout ends it with a message, and quitting does not wait it out."""

from __future__ import annotations

import asyncio
import re
from contextlib import AsyncExitStack
from time import monotonic

import pytest

from tests.support.app_helpers import (
    app_for,
    main_screen,
    notifications,
    ready,
    screen_lines,
    wait_until,
)
from tests.support.dbs import create_service_db
from tests.support.locks import sessions_locked
from tui.domain.models import Status
from tui.store.target import DbTarget

SIZE = (120, 30)


async def test_a_query_behind_a_lock_says_it_waits_and_esc_cancels_it(
    service_db: DbTarget,
) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        async with sessions_locked(service_db) as holder:
            await pilot.press("2")
            await wait_until(
                pilot, lambda: main.controller.waiting is not None, "the waiting state"
            )
            header = screen_lines(app)[0]
            assert "query waiting" in header and "esc cancels" in header
            assert "● live" not in header and "auto-refresh off" not in header
            assert main.table.stale, "the old rows are dimmed under the new filter line"
            assert main.state.status is Status.ENDED
            await wait_until(
                pilot, lambda: (main.controller.waiting or 0) >= 2, "the seconds count"
            )
            # The count goes on while the test looks: 2s, or later on a loaded machine.
            shown = re.search(r"query waiting (\d+)s", screen_lines(app)[0])
            assert shown is not None and int(shown.group(1)) >= 2, screen_lines(app)[0]
            await pilot.press("escape")
            await wait_until(pilot, lambda: main.controller.waiting is None, "not waiting any more")
            assert "Cancelled the waiting query" in notifications(app)
            assert main.table.stale and "cancelled" in str(main.table.border_subtitle)
            assert main.state.status is Status.ENDED, "esc cancelled the wait, not the filter"
            for _ in range(100):  # the server let go of it (PostgreSQL)
                if not await holder.tool_queries_waiting():
                    break
                await pilot.pause(0.05)
            assert await holder.tool_queries_waiting() == 0
        await pilot.press("r")
        await wait_until(pilot, lambda: not main.table.stale, "rows of the new filter")
        rows = [main.state.rows[sid] for sid in main.table.ids]
        assert rows and not any(row.active for row in rows)
        assert "waiting" not in screen_lines(app)[0]


@pytest.fixture
def pg_service_db(pg_database: str) -> DbTarget:
    return asyncio.run(create_service_db(pg_database, sessions=200))


@pytest.mark.postgres
async def test_a_statement_timeout_ends_the_wait_with_a_message(pg_service_db: DbTarget) -> None:
    app = app_for(pg_service_db, statement_timeout=1.5)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        before = list(main.table.ids)
        async with sessions_locked(pg_service_db):
            await pilot.press("2")
            await wait_until(
                pilot,
                lambda: any("statement timeout" in n for n in notifications(app)),
                "the timeout's message",
            )
            assert main.controller.waiting is None
            assert app.connected, "a timeout is not a lost connection"
            assert main.table.ids == before and main.table.stale
        await pilot.press("1")  # the list is usable again
        await wait_until(pilot, lambda: not main.table.stale, "a new answer")
        assert all(main.state.rows[sid].active for sid in main.table.ids)


@pytest.mark.postgres
async def test_quitting_while_a_query_waits_is_quick(pg_service_db: DbTarget) -> None:
    app = app_for(pg_service_db)
    async with AsyncExitStack() as lock:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            main = main_screen(app)
            await lock.enter_async_context(sessions_locked(pg_service_db))
            await pilot.press("2")
            await wait_until(
                pilot, lambda: main.controller.waiting is not None, "the waiting state"
            )
            started = monotonic()
            app.exit()
        took = monotonic() - started  # the app has unmounted; the lock is still held
    assert took < 2.0, f"quitting took {took:.1f}s"
