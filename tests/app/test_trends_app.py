"""The trends screen, driven with Pilot against real databases (both backends): what it
counts equals the test's own count of the rows, and a reason and a day picked on it
filter the list to exactly the sessions the database holds for them."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.app_helpers import (
    NOW,
    app_for,
    main_screen,
    panel_prompts,
    ready,
    run_palette_command,
    screen_lines,
    settle,
    sparks_drawn,
    wait_until,
)
from tests.support.trends import expected_trends
from tui.app.render import sparkline
from tui.app.screens.trends import TrendsScreen
from tui.domain.models import NOT_RECORDED_TOKEN, Status
from tui.domain.trends import SPARK_DAYS, TrendWindow
from tui.store.store import make_engine
from tui.store.target import DbTarget

SIZE = (100, 24)


async def _ended_ids(target: DbTarget, reason: str, start: object, end: object) -> set[str]:
    """The ids the database holds for one reason and span, by the test's own SQL."""
    lo = start.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[attr-defined]
    hi = end.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[attr-defined]
    engine = make_engine(target)
    pg = engine.dialect.name == "postgresql"
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT id FROM remote_agent_sessions"
                    f" WHERE active = {'false' if pg else '0'} AND ended_reason = :r"
                    f" AND ended_at >= {'CAST(CAST(:lo AS text) AS timestamp)' if pg else ':lo'}"
                    f" AND ended_at < {'CAST(CAST(:hi AS text) AS timestamp)' if pg else ':hi'}"
                ),
                {"r": reason, "lo": lo, "hi": hi},
            )
            return {str(r[0]) for r in rows}
    finally:
        await engine.dispose()


async def _open(pilot: object) -> TrendsScreen:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.press("T")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, TrendsScreen), "trends")  # type: ignore[arg-type]
    screen: TrendsScreen = app.screen
    await wait_until(pilot, lambda: screen.trends is not None, "trends counted")  # type: ignore[arg-type]
    await settle(pilot)  # type: ignore[arg-type]
    return screen


async def test_the_screen_counts_what_the_rows_hold_and_esc_goes_back(
    service_db: DbTarget,
) -> None:
    """T opens it, counted as the rows hold; `d` the next window; Esc back on the list,
    and the palette offers it too."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _open(pilot)
        t = screen.trends
        assert t is not None and t.window.days == 30
        want = await expected_trends(service_db, t.window.start, t.window.end, hourly=False)
        assert dict(t.counts) == dict(want)
        shown = "\n".join(screen_lines(app))
        assert "Ended sessions per day, the last 30 days (UTC)" in shown
        biggest = t.groups()[0]
        assert f"{t.group_total(biggest):,}" in shown
        # d: the next window (30 → 90 → 48 h per hour), counted again
        await pilot.press("d", "d")
        await wait_until(
            pilot, lambda: screen.trends is not None and screen.trends.window.days == 2, "48 h"
        )
        await settle(pilot)
        t2 = screen.trends
        assert t2 is not None and t2.window.hourly
        want2 = await expected_trends(service_db, t2.window.start, t2.window.end, hourly=True)
        assert dict(t2.counts) == dict(want2)
        assert "Ended sessions per hour, the last 48 h (UTC)" in "\n".join(screen_lines(app))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main_screen(app), "back")
        await run_palette_command(pilot, "Trends", "Trends")
        await wait_until(pilot, lambda: isinstance(app.screen, TrendsScreen), "trends")
        await settle(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main_screen(app), "back")


async def test_picking_a_reason_and_a_day_filters_the_list(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _open(pilot)
        t = screen.trends
        assert t is not None
        await pilot.press("left", "left", "down")
        await settle(pilot)
        group = t.groups()[screen.group]
        bucket = t.window.buckets()[screen.day]
        count = t.counts.get((t.window.key(bucket), group), 0)
        assert screen.group == 1 and screen.day < t.window.count - 1
        await pilot.press("enter")
        main = main_screen(app)
        await wait_until(pilot, lambda: app.screen is main, "back on the list")
        await wait_until(pilot, lambda: main.state.ended is not None, "filtered")
        await settle(pilot)
        st = main.state
        assert st.status is Status.ENDED
        assert st.ended is not None and st.ended.start == bucket
        reason = NOT_RECORDED_TOKEN if group is None else group
        assert st.reasons == frozenset({reason})
        assert f"ended: {t.window.label(bucket)}" in st.describe()
        want = await _ended_ids(service_db, reason, st.ended.start, st.ended.end)
        assert len(want) == count > 0
        assert set(main.table.ids) == want
        # esc peels the day off first, then the reason
        await pilot.press("escape")
        await wait_until(pilot, lambda: main.state.ended is None, "day undone")
        assert main.state.reasons == frozenset({reason})


async def test_trends_follow_the_lists_platform_filter(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"platform:SL", "enter")
        main = main_screen(app)
        await wait_until(pilot, lambda: main.state.search.platform == "SL", "token")
        await settle(pilot)
        screen = await _open(pilot)
        t = screen.trends
        assert t is not None
        want = await expected_trends(
            service_db, t.window.start, t.window.end, hourly=False, platform="sl"
        )
        assert dict(t.counts) == dict(want) and t.total > 0
        assert "platform: SL" in "\n".join(screen_lines(app))


async def test_the_reason_panel_draws_each_reasons_last_14_days(service_db: DbTarget) -> None:
    """From 150 columns: one sparkline per reason beside its count, from one grouped
    count, equal to the test's own count per day; narrower, none (the table keeps the
    width)."""
    app = app_for(service_db)
    async with app.run_test(size=(170, 40)) as pilot:
        await ready(pilot)
        await wait_until(pilot, lambda: sparks_drawn(app), "sparklines")
        await settle(pilot)
        w = TrendWindow(SPARK_DAYS, NOW)
        want = await expected_trends(service_db, w.start, w.end, hourly=False)
        prompts = panel_prompts(app)
        for reason in {reason for _, reason in want}:
            value = NOT_RECORDED_TOKEN if reason is None else reason
            series = [want.get((w.key(b), reason), 0) for b in w.buckets()]
            first_line = prompts[value].split("\n", 1)[0]
            assert first_line.endswith(" " + sparkline(series)), (value, first_line)
        series = [want.get((w.key(b), "reset-requested"), 0) for b in w.buckets()]
        line = sparkline(series)
        assert line.strip()
        shown = "\n".join(screen_lines(app))
        assert line in shown
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: not sparks_drawn(app), "no sparklines")
        await settle(pilot)
        assert line not in "\n".join(screen_lines(app))
