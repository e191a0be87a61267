"""Another client holding the sessions table, the way an operator met it: PostgreSQL's
`LOCK TABLE … IN ACCESS EXCLUSIVE MODE`, SQLite's exclusive transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tui.store.store import make_engine
from tui.store.target import DbTarget


class Holder:
    """The locking client: on PostgreSQL it can also look at the server's activity."""

    def __init__(self, conn: AsyncConnection | None) -> None:
        self.conn = conn

    async def tool_queries_waiting(self) -> int:
        """This tool's statements waiting for a lock (PostgreSQL; 0 on SQLite)."""
        if self.conn is None:
            return 0
        result = await self.conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sessions-tui'"
                " AND wait_event_type = 'Lock'"
            )
        )
        return int(result.scalar_one())


@asynccontextmanager
async def sessions_locked(target: DbTarget) -> AsyncIterator[Holder]:
    if target.kind == "sqlite":
        raw: Any = sqlite3.connect(str(target.path), isolation_level=None)
        try:
            raw.execute("BEGIN EXCLUSIVE")
            yield Holder(None)
        finally:
            raw.execute("ROLLBACK")
            raw.close()
        return
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("LOCK TABLE remote_agent_sessions IN ACCESS EXCLUSIVE MODE"))
            async with engine.connect() as watcher:
                yield Holder(watcher)
            await conn.rollback()
    finally:
        await engine.dispose()
