"""The dashboard's stuck sessions on a v0.9.0 database the service's own sequences made
(both backends): the panel's counts (a kind the version cannot produce says so),
choosing a kind, Esc and C, the palette, select-all and its cap, and ending a kind with
its suggested reason preselected, checked in the database afterwards."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from textual.widgets import OptionList

from tests.support.app_helpers import (
    app_for,
    confirm_targets,
    confirmation,
    db_session,
    main_screen,
    notifications,
    ready,
    run_palette_command,
    settle,
    store_call_fails,
    wait_until,
)
from tests.support.stuck import StuckScene, stuck_copy
from tui.app.app import SessionsApp
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.app.widgets.stuck_panel import StuckPanel
from tui.domain.stuck import StuckKind
from tui.domain.timefmt import utcnow
from tui.store.migrate import upgrade
from tui.store.store import make_engine

SIZE = (100, 24)


@pytest.fixture
def scene(db_url: str, request: pytest.FixtureRequest) -> StuckScene:
    return stuck_copy(request, db_url)


def _app(scene: StuckScene, **overrides: Any) -> SessionsApp:
    # The scene is written with the database's clock: idle is judged by the real one.
    return app_for(scene.target, clock=utcnow, **overrides)


def _shown(app: SessionsApp) -> set[str]:
    return set(main_screen(app).table.ids)


def _panel_lines(app: SessionsApp) -> list[str]:
    panel = main_screen(app).query_one(StuckPanel)
    return [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]


def _panel_counts(app: SessionsApp) -> dict[str, str]:
    """kind -> the count its line shows (`n/a`: not detectable here)."""
    firsts = [line.splitlines()[0] for line in _panel_lines(app)]
    return {
        line.split()[-2] if "▸" in line else line.split()[0]: line.split()[-1] for line in firsts
    }


def _expected_panel(scene: StuckScene) -> dict[str, str]:
    return {k.wire: "n/a" if n is None else str(n) for k, n in scene.counts.items()}


async def test_the_panel_counts_each_kind_filters_and_a_failed_count_is_counted_again(
    scene: StuckScene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panel's counts, choosing a kind (keys, Esc, the palette, C). On SQLite the
    v0.9.0 service never leaves two active sessions on a conversation: the panel's
    duplicate line says not detectable instead of a count, and choosing it filters
    nothing; on PostgreSQL it is counted. The panel counts in its own worker: a failed
    count is one toast with the error, the rows stay, and the next question's count
    shows again."""
    app = _app(scene)
    sqlite = scene.target.kind == "sqlite"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await wait_until(pilot, lambda: _panel_counts(app) == _expected_panel(scene), "counts")
        (dup,) = [line for line in _panel_lines(app) if "duplicate" in line]
        assert ("not detectable on this service version" in dup) is sqlite
        assert main.stuck_panel.border_subtitle == ("2 of 2 kinds" if sqlite else "3 of 3 kinds")

        await pilot.press("s")
        assert main.stuck_panel.has_focus
        await pilot.press("down", "enter")  # orphaned
        await wait_until(
            pilot, lambda: _shown(app) == scene.of_kind(StuckKind.ORPHANED), "orphaned"
        )
        assert main.state.stuck is StuckKind.ORPHANED
        assert "stuck: orphaned" in main.state.describe()
        await settle(pilot)
        # the other counts stay counted under the other filters, not under this one
        assert _panel_counts(app)["idle"] == str(scene.counts[StuckKind.IDLE])
        await pilot.press("escape")
        await wait_until(pilot, lambda: main.state.stuck is None, "esc lifts the kind")
        await wait_until(pilot, lambda: len(_shown(app)) == len(scene.ids), "every row back")
        await run_palette_command(pilot, "stuck: idle", "Filter stuck: idle")
        await wait_until(pilot, lambda: _shown(app) == scene.of_kind(StuckKind.IDLE), "idle")
        await pilot.press("3", "C")
        await wait_until(pilot, lambda: main.state.stuck is None, "C clears the kind")
        await wait_until(pilot, lambda: len(_shown(app)) == len(scene.ids), "every row again")

        counts_back = store_call_fails(monkeypatch, app, "stuck_counts", "the count failed")
        await pilot.press("2")  # a new question: the panel is asked to count
        await wait_until(
            pilot, lambda: "the count failed" in notifications(app), "the failure toast"
        )
        assert _shown(app), "the rows are not lost with the count"
        counts_back()
        await pilot.press("3")
        await wait_until(
            pilot, lambda: _panel_counts(app) == _expected_panel(scene), "counted again"
        )
        await settle(pilot)

        panel = main.stuck_panel
        panel.focus()
        panel.highlighted = list(StuckKind).index(StuckKind.DUPLICATE)
        await pilot.press("enter")
        await settle(pilot)
        if sqlite:
            assert main.state.stuck is None
            assert main.stuck_panel.explanation() == (
                "duplicate: not detectable on this service version"
            )
        else:
            await wait_until(
                pilot, lambda: _shown(app) == scene.of_kind(StuckKind.DUPLICATE), "duplicate"
            )


async def test_select_all_then_end_with_the_suggested_reason(scene: StuckScene) -> None:
    app = _app(scene)
    orphaned = scene.of_kind(StuckKind.ORPHANED)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        main.filters.only_stuck(StuckKind.ORPHANED)
        await wait_until(pilot, lambda: _shown(app) == orphaned, "orphaned rows")
        await pilot.press("A")
        await wait_until(pilot, lambda: main.state.selected == orphaned, "selected all")
        assert f"selected: {len(orphaned)}" in main.state.describe()
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        picker = app.screen
        options = picker.query_one("#triggers", OptionList)
        assert options.highlighted_option is not None
        assert options.highlighted_option.id == "conversation-closed"
        assert "suggested for orphaned" in str(picker.query_one("#suggested").render())
        await pilot.press("enter")
        await confirmation(pilot, app, ConfirmEndScreen)
        lines = confirm_targets(app)
        assert {line.split()[0] for line in lines} == orphaned
        assert all("active" in line and "orphaned" in line for line in lines)
        await pilot.press("tab", "enter")
        await wait_until(
            pilot, lambda: any("ended" in n for n in notifications(app)), "outcome toast"
        )
        await settle(pilot)
    for sid in orphaned:
        stored = await db_session(scene.target, sid)
        assert not stored["active"] and stored["ended_reason"] == "conversation-closed"
    healthy = await db_session(scene.target, scene.ids["message"])
    assert healthy["active"] and healthy["ended_reason"] is None


async def test_select_all_over_the_cap_selects_nothing(scene: StuckScene) -> None:
    app = _app(scene, select_cap=1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        main.filters.only_stuck(StuckKind.ORPHANED)
        await wait_until(pilot, lambda: len(_shown(app)) == 2, "orphaned rows")
        await pilot.press("A")
        await wait_until(
            pilot, lambda: any("more than the cap" in n for n in notifications(app)), "refusal"
        )
        assert any(
            n.startswith("2 sessions match, more than the cap of 1 (--select-cap)")
            for n in notifications(app)
        )
        assert main.state.selected == set()


async def test_an_end_from_the_panel_records_the_kinds_the_operator_saw(
    scene: StuckScene,
) -> None:
    await upgrade(scene.target)
    app = _app(scene)
    both = scene.ids["idle-orphaned"]
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        main.filters.only_stuck(StuckKind.IDLE)
        await wait_until(pilot, lambda: both in _shown(app), "idle rows")
        await settle(pilot)  # the filter's own page, not the list before it, is shown
        main.table.move_cursor(row=main.table.get_row_index(both))
        await wait_until(pilot, lambda: main.table.current_id == both, "cursor on the row")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirm")
        await pilot.press("tab", "enter")
        await wait_until(
            pilot, lambda: any("ended" in n for n in notifications(app)), "outcome toast"
        )
        await settle(pilot)
    engine = make_engine(scene.target)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                sa.text("SELECT session_id, reason, kinds FROM sessions_tui_audit")
            )
            rows = [tuple(r) for r in found.all()]
    finally:
        await engine.dispose()
    assert [(str(r[0]), r[1], r[2]) for r in rows] == [
        (both, "reset-requested", "idle,orphaned")  # the chosen kind's suggestion
    ]


async def test_the_detail_says_whose_codebase_it_shows(scene: StuckScene) -> None:
    """The v0.9.0 service stores no codebase on a session: the detail's session field is
    empty and its codebase section is titled as the conversation's."""
    from tui.app.screens.detail import DetailScreen

    app = _app(scene)
    sid = scene.ids["auto-attach"]
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = main_screen(app).table
        table.move_cursor(row=table.get_row_index(sid))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail screen")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await wait_until(pilot, lambda: detail.detail is not None, "detail loaded")
        fields = str(detail.query_one("#fields").render())
        (own,) = [x for x in fields.splitlines() if x.strip().startswith("codebase_id")]
        assert own.split() == ["codebase_id", "—"]
        codebase = str(detail.query_one("#codebase").render())
        assert codebase.startswith("Codebase (the conversation's; the session stores none)")
        assert "beta" in codebase
