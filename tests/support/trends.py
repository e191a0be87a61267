"""Trends counts made by the tests themselves: every ended row read with a plain engine
and bucketed in Python, never through the store's statements."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tui.domain.models import NOT_RECORDED_TOKEN
from tui.store.store import make_engine
from tui.store.target import DbTarget


def utc_end(stored: object, zone: str) -> datetime | None:
    """A stored end time as UTC: SQLite's UTC text, PostgreSQL's wall time in `zone`."""
    if stored is None:
        return None
    if isinstance(stored, str):
        return datetime.fromisoformat(stored).replace(tzinfo=UTC)
    assert isinstance(stored, datetime)
    return stored.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def expected_trends(
    target: DbTarget, start: datetime, end: datetime, *, hourly: bool, platform: str | None = None
) -> Counter[tuple[str, str | None]]:
    """(bucket, reason) counts of ended sessions, every row read and bucketed here."""
    engine = make_engine(target)
    pg = engine.dialect.name == "postgresql"
    try:
        async with engine.connect() as conn:
            zone = (await conn.execute(sa.text("SHOW timezone"))).scalar_one() if pg else "UTC"
            rows = (
                await conn.execute(
                    sa.text(
                        "SELECT s.ended_at, s.ended_reason, c.platform_type"
                        " FROM remote_agent_sessions s LEFT JOIN remote_agent_conversations c"
                        " ON c.id = s.conversation_id"
                        f" WHERE s.active = {'false' if pg else '0'}"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    out: Counter[tuple[str, str | None]] = Counter()
    for ended, reason, plat in rows:
        at = utc_end(ended, zone)
        if at is None or not start <= at < end:
            continue
        if platform is not None and not (plat or "").lower().startswith(platform.lower()):
            continue
        key = at.strftime("%Y-%m-%d %H" if hourly else "%Y-%m-%d")
        out[(key, reason if reason is not None else NOT_RECORDED_TOKEN)] += 1
    return out
