"""The dashboard on a real PostgreSQL hot standby: rows, counts and detail as the
primary holds them, End shown disabled with the reason, and an end made on the primary
seen after a refresh.
"""

from __future__ import annotations

import pytest

from tests.support.app_helpers import (
    app_for,
    cell_text,
    db_session,
    facets_shown,
    main_screen,
    notifications,
    panel_count,
    panel_prompts,
    ready,
    settle,
    wait_until,
)
from tests.support.dbs import Replica
from tests.support.pgserver import PgServer, PgStandby
from tui.app.screens.detail import DetailScreen
from tui.app.screens.end_session import EndReasonScreen
from tui.domain.models import NOT_RECORDED_TOKEN, SessionFilter
from tui.store import open_store
from tui.store.store import STANDBY_REASON

pytestmark = pytest.mark.postgres

SIZE = (170, 45)
DISABLED = f"Ending is disabled: {STANDBY_REASON}"


def _primary_sql(pg_server: PgServer, replica: Replica, sql: str) -> str:
    return pg_server.psql(sql, replica.primary_url.rsplit("/", 1)[1])


async def test_the_dashboard_reads_a_standby_and_says_why_end_is_disabled(
    replica_db: Replica, pg_server: PgServer
) -> None:
    primary = await open_store(replica_db.primary)
    try:
        expected_rows = (await primary.list_sessions(limit=100)).rows
        expected_facets = await primary.reason_counts(SessionFilter(), recount=True)
    finally:
        await primary.close()
    active = int(
        _primary_sql(
            pg_server, replica_db, "SELECT count(*) FROM remote_agent_sessions WHERE active"
        )
    )
    app = app_for(replica_db.standby)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        assert main.table.ids[: len(expected_rows)] == [r.id for r in expected_rows]
        await wait_until(pilot, lambda: main.status_bar.counts is not None, "counts")
        await wait_until(pilot, lambda: facets_shown(app), "reason counts")
        counts = main.status_bar.counts
        assert counts is not None
        assert (counts.active, counts.ended, counts.filtered) == (active, 300 - active, 300)
        shown = {value: panel_count(prompt) for value, prompt in panel_prompts(app).items()}
        want = {
            **expected_facets.known,
            NOT_RECORDED_TOKEN: expected_facets.not_recorded,
            **expected_facets.unrecognised,
        }
        assert {v: n for v, n in shown.items() if n != "0"} == {
            v: f"{n:,}" for v, n in want.items() if n
        }
        odd = f" · {expected_facets.odd:,} odd" if expected_facets.odd else ""
        assert main.reason_panel.border_subtitle == (
            f"{expected_facets.ended:,} ended · {expected_facets.active:,} active{odd}"
        )

        bar = str(main.status_bar.render())
        assert "ending disabled" in bar and STANDBY_REASON in bar
        assert main.check_action("end", ()) is None

        sid = next(i for i in main.table.ids if main.state.rows[i].active)
        before = await db_session(replica_db.primary, sid)
        main.table.move_cursor(row=main.table.get_row_index(sid))
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, EndReasonScreen)
        assert notifications(app) == [DISABLED]

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail screen")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await wait_until(pilot, lambda: detail.detail is not None, "detail loaded")
        assert sid in str(detail.query_one("#fields").render())
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, EndReasonScreen)
        assert notifications(app)[-1] == DISABLED
        assert await db_session(replica_db.primary, sid) == before


async def test_an_end_on_the_primary_shows_on_the_standby_after_a_refresh(
    replica_db: Replica, pg_standby: PgStandby
) -> None:
    app = app_for(replica_db.standby)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await wait_until(pilot, lambda: main.status_bar.counts is not None, "counts")
        counts = main.status_bar.counts
        assert counts is not None
        sid = next(i for i in main.table.ids if main.state.rows[i].active)
        assert cell_text(app, main.table.get_row_index(sid), "reason") == "—"

        primary = await open_store(replica_db.primary)
        try:
            await primary.end_sessions([sid], "reset-requested", "operator@primary")
        finally:
            await primary.close()
        pg_standby.wait_for_replay()

        await pilot.press("r")
        await wait_until(
            pilot,
            lambda: main.state.rows[sid].ended_reason == "reset-requested",
            "the end replayed on the standby",
        )
        await settle(pilot)
        assert cell_text(app, main.table.get_row_index(sid), "reason") == "reset-requested"
        after = main.status_bar.counts
        assert after is not None
        assert (after.active, after.ended) == (counts.active - 1, counts.ended + 1)


async def test_the_index_hint_on_a_standby_names_the_primary(
    replica_db: Replica, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.app import list_counts

    monkeypatch.setattr(list_counts, "INDEX_HINT_SESSIONS", 100)
    app = app_for(replica_db.standby)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await wait_until(pilot, lambda: main.status_bar.counts is not None, "counts")
        await settle(pilot)
        hints = [n for n in notifications(app) if "index" in n]
    assert len(hints) == 1, hints
    assert "`sessions-tui migrate` against the primary (this standby replays them)" in hints[0]
