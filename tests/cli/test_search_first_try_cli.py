"""`list --search` (as `--user`) first tries the newest sessions (`SEARCH_WINDOW`), then
reads everything: through the CLI on real databases, the rows come out in the list's
order whichever try answers, rows without a start time included."""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.support.dbs import create_service_db
from tui.cli.main import cli
from tui.store.store import make_engine
from tui.store.tables import sessions as s

AGENT = "needle-agent"


async def _seed(url: str) -> list[str]:
    """300 sessions, 3 of them without a start time; the agent AGENT on the 2nd and the
    200th newest dated sessions and on the 3 undated ones. Their ids in the order a
    newest-first list has them (the database's own ORDER BY, NULLs where it puts them)."""
    target = await create_service_db(url, sessions=300)
    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            ids = (await conn.execute(sa.select(s.c.id).order_by(s.c.id))).scalars().all()
            await conn.execute(s.update().where(s.c.id.in_(ids[-3:])).values(started_at=None))
            dated = (
                (
                    await conn.execute(
                        sa.select(s.c.id)
                        .where(s.c.started_at.is_not(None))
                        .order_by(s.c.started_at.desc(), s.c.id.desc())
                    )
                )
                .scalars()
                .all()
            )
            picked = [dated[1], dated[199], *ids[-3:]]
            await conn.execute(s.update().where(s.c.id.in_(picked)).values(ai_assistant_type=AGENT))
            order = sa.select(s.c.id).where(s.c.ai_assistant_type == AGENT)
            order = order.order_by(s.c.started_at.desc(), s.c.id.desc())
            return [str(i) for i in (await conn.execute(order)).scalars().all()]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("limit", ["2", "3", "0"])
def test_list_search_gives_the_lists_order_with_undated_matches(
    empty_db_url: str, limit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One match in the newest 20 sessions, one below them, three without a start time
    (last on SQLite, first on PostgreSQL): `--limit` pages of 2 or 3 and the whole list
    give the same order as the database's ORDER BY."""
    want = asyncio.run(_seed(empty_db_url))
    monkeypatch.setattr("tui.store.limits.SEARCH_WINDOW", 20)
    result = CliRunner().invoke(
        cli,
        ["--url", empty_db_url, "list", "--search", AGENT, "--format", "json", "--limit", limit],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    got = [row["id"] for row in json.loads(result.stdout)["sessions"]]
    assert len(want) == 5
    assert got == (want if limit == "0" else want[: int(limit)])
