"""Trends: ended sessions per UTC day (or hour) and group, checked against counts the
test makes itself, from the rows read with its own engine and bucketed in Python (or
written by hand), on both backends and across a daylight-saving change on a PostgreSQL
server whose zone is New York.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.support.dbs import ANCHOR
from tests.support.service_writes import ServiceDb
from tests.support.trends import expected_trends
from tui.domain.models import NOT_RECORDED_TOKEN, SessionFilter, SortKey, Status
from tui.domain.trends import TrendBy, Trends
from tui.store.store import make_engine, open_store
from tui.store.target import DbTarget, resolve_target


async def _trends(target: DbTarget, **kw: object) -> Trends:
    store = await open_store(target)
    try:
        return await store.trends(**kw)  # type: ignore[arg-type]
    finally:
        await store.close()


@pytest.mark.parametrize("days", [2, 7, 30, 90])
def test_counts_per_day_and_reason_equal_the_rows(service_db: DbTarget, days: int) -> None:
    now = ANCHOR + timedelta(hours=3)

    async def run() -> tuple[Trends, Counter[tuple[str, str | None]]]:
        got = await _trends(service_db, days=days, now=now)
        w = got.window
        return got, await expected_trends(service_db, w.start, w.end, hourly=w.hourly)

    got, want = asyncio.run(run())
    assert got.window.hourly is (days == 2)
    assert len(got.window.buckets()) == (48 if days == 2 else days)
    assert got.total > 0
    assert dict(got.counts) == dict(want)


def test_a_platform_filter_and_the_platform_split(service_db: DbTarget) -> None:
    now = ANCHOR

    async def run() -> tuple[Trends, Trends, Counter[tuple[str, str | None]]]:
        flt = SessionFilter(platform="SL", status=Status.ACTIVE)  # the status does not apply
        filtered = await _trends(service_db, flt=flt, days=30, now=now)
        split = await _trends(service_db, days=30, by=TrendBy.PLATFORM, now=now)
        w = filtered.window
        return (
            filtered,
            split,
            await expected_trends(service_db, w.start, w.end, hourly=False, platform="sl"),
        )

    filtered, split, want = asyncio.run(run())
    assert filtered.total > 0 and dict(filtered.counts) == dict(want)
    assert split.group_total("slack") == filtered.total
    assert set(split.groups()) <= {"slack", "discord", "github", "telegram", "web", "cli", None}


def test_unknown_reasons_count_as_themselves_and_null_as_not_recorded(
    service_writer: ServiceDb,
) -> None:
    db = service_writer
    ago = db.now_minus(3600)
    for reason in ("session-expired", "session-expired", None, "reset-requested"):
        db.session(db.now_minus(7200), ended=ago, reason=reason)
    db.session(db.now_minus(7200))  # active: never counted

    got = asyncio.run(_trends(resolve_target(url=db.url), days=7))
    assert got.group_total("session-expired") == 2
    assert got.group_total(NOT_RECORDED_TOKEN) == 1
    assert got.group_total("reset-requested") == 1
    assert got.total == 4
    assert got.series("session-expired")[-1] + got.series("session-expired")[-2] == 2


@pytest.mark.postgres
def test_days_are_utc_days_across_a_daylight_saving_change(new_york_db: ServiceDb) -> None:
    """New York left daylight time on 2026-11-01 at 02:00 (EDT, UTC-4, to EST, UTC-5).
    The service stores New York wall times; a day is a UTC day, so an end at 21:30 on
    Oct 31 (EDT) is on Nov 1, and one at 19:30 on Nov 1 (EST) is on Nov 2."""
    db = new_york_db
    walls = {
        "'2026-10-31 19:59:00'": "2026-10-31",  # 23:59 UTC
        "'2026-10-31 21:30:00'": "2026-11-01",  # 01:30 UTC
        "'2026-11-01 03:00:00'": "2026-11-01",  # EST already: 08:00 UTC
        "'2026-11-01 18:59:00'": "2026-11-01",  # 23:59 UTC
        "'2026-11-01 19:30:00'": "2026-11-02",  # 00:30 UTC
    }
    for wall in walls:
        db.session("'2026-10-30 12:00:00'", ended=wall, reason="reset-requested")
    now = datetime(2026, 11, 3, 12, tzinfo=UTC)

    got = asyncio.run(_trends(resolve_target(url=db.url), days=7, now=now))
    assert got.window.start == datetime(2026, 10, 28, tzinfo=UTC)
    assert dict(got.counts) == {
        ("2026-10-31", "reset-requested"): 1,
        ("2026-11-01", "reset-requested"): 3,
        ("2026-11-02", "reset-requested"): 1,
    }
    # Split by platform, the counts take the joined form (each end cut to its UTC day in
    # SQL, not bounded per day): the same days.
    split = asyncio.run(_trends(resolve_target(url=db.url), days=7, by=TrendBy.PLATFORM, now=now))
    assert dict(split.counts) == {
        ("2026-10-31", "slack"): 1,
        ("2026-11-01", "slack"): 3,
        ("2026-11-02", "slack"): 1,
    }
    # Per hour over the change: each end in its own UTC hour, the window bounded in UTC.
    hourly = asyncio.run(
        _trends(resolve_target(url=db.url), days=2, now=datetime(2026, 11, 2, 0, 45, tzinfo=UTC))
    )
    assert dict(hourly.counts) == {
        ("2026-10-31 23", "reset-requested"): 1,
        ("2026-11-01 01", "reset-requested"): 1,
        ("2026-11-01 08", "reset-requested"): 1,
        ("2026-11-01 23", "reset-requested"): 1,
        ("2026-11-02 00", "reset-requested"): 1,
    }
    assert hourly.window.start == datetime(2026, 10, 31, 1, tzinfo=UTC)


def test_a_picked_day_lists_exactly_the_sessions_it_counts(service_db: DbTarget) -> None:
    """The dashboard's click-through: reason + day as a filter, through the list."""

    async def run() -> tuple[int, list[str], list[tuple[str, str | None, datetime | None]]]:
        store = await open_store(service_db)
        try:
            got = await store.trends(days=30, now=ANCHOR)
            day = max(
                got.window.buckets(),
                key=lambda b: got.counts.get((got.window.key(b), "reset-requested"), 0),
            )
            start, end = got.window.span(day)
            flt = SessionFilter(
                status=Status.ENDED,
                reasons=frozenset({"reset-requested"}),
                ended_since=start,
                ended_until=end,
            )
            page = await store.list_sessions(flt, SortKey.ENDED, limit=1000)
            rows = [(r.id, r.ended_reason, r.ended_at) for r in page.rows]
            return got.counts[(got.window.key(day), "reset-requested")], [r[0] for r in rows], rows
        finally:
            await store.close()

    count, ids, rows = asyncio.run(run())
    assert count > 0 and len(ids) == count
    assert all(reason == "reset-requested" for _, reason, _ in rows)
    days = {at.date() for _, _, at in rows if at is not None}
    assert len(days) == 1


def test_a_database_from_before_016_counts_every_end_as_not_recorded(
    old_service_db: DbTarget,
) -> None:
    async def run() -> Trends:
        engine = make_engine(old_service_db)
        pg = engine.dialect.name == "postgresql"
        try:
            conv = "11111111-1111-1111-1111-111111111111"
            async with engine.begin() as conn:
                await conn.execute(
                    sa.text(
                        "INSERT INTO remote_agent_conversations"
                        " (id, platform_type, platform_conversation_id) VALUES (:id, 'slack', 'C1')"
                    ),
                    {"id": conv},
                )
                for i in range(3):
                    sid = f"00000000-0000-0000-0000-00000000000{i}"
                    ended = "2026-11-19 10:00:00" if i else None
                    await conn.execute(
                        sa.text(
                            "INSERT INTO remote_agent_sessions (id, conversation_id,"
                            " ai_assistant_type, active, started_at, ended_at)"
                            " VALUES (:id, :conv, 'claude', :active,"
                            f" {'CAST(CAST(:started AS text) AS timestamp)' if pg else ':started'},"
                            f" {'CAST(CAST(:ended AS text) AS timestamp)' if pg else ':ended'})"
                        ),
                        {
                            "id": sid,
                            "conv": conv,
                            "active": not ended,
                            "started": "2026-11-19 09:00:00",
                            "ended": ended,
                        },
                    )
        finally:
            await engine.dispose()
        return await _trends(old_service_db, days=30, now=ANCHOR)

    got = asyncio.run(run())
    assert got.groups() == [NOT_RECORDED_TOKEN]
    assert got.counts == {("2026-11-19", NOT_RECORDED_TOKEN): 2}
