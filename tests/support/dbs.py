"""Service databases for tests: built with the service's own schema (not this tool's
migrations), optionally filled with the deterministic demo rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.support.service_schema import ERAS, schema_version_row, service_ddl, statements
from tui.store.backends import backend_for
from tui.store.demo import DemoGenerator, populate
from tui.store.store import make_engine
from tui.store.target import DbTarget, resolve_target

ANCHOR = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
"""The demo's "now": tests and screenshots see the same relative times every run."""


async def create_service_db(
    url: str,
    *,
    ended_reason: bool = True,
    sessions: int = 0,
    era: str | None = None,
    app_version: str = "0.9.0",
    created_app_version: str | None = None,
) -> DbTarget:
    """A database as the service makes it (not via our migrations), optionally with demo rows.

    `era` is one of `service_schema.ERAS` (default `016`, or `pre-016` with
    `ended_reason=False`); from `v0.7` on, the schema-version row says `app_version`.
    """
    backend_name = "sqlite" if url.startswith("sqlite") else "postgresql"
    target = resolve_target(url=url, must_exist=False)
    engine = make_engine(target, create=True)
    try:
        async with engine.connect() as conn:
            async with conn.begin():
                ddl = service_ddl(backend_name, ended_reason=ended_reason, era=era)
                for stmt in statements(ddl):
                    await conn.execute(sa.text(stmt))
                if era is not None and ERAS.index(era) >= ERAS.index("v0.7"):
                    await conn.execute(
                        sa.text(schema_version_row(app_version, created_app_version))
                    )
            if sessions:
                async with conn.begin():
                    gen = DemoGenerator(sessions, seed=7, anchor=ANCHOR)
                    if not ended_reason:
                        raise ValueError("demo rows carry ended_reason; use ended_reason=True")
                    await populate(conn, gen)
    finally:
        await engine.dispose()
    return target


@dataclass(frozen=True)
class Replica:
    """One service database seen through a PostgreSQL primary and its hot standby."""

    primary_url: str
    standby_url: str

    @property
    def primary(self) -> DbTarget:
        return resolve_target(url=self.primary_url)

    @property
    def standby(self) -> DbTarget:
        return resolve_target(url=self.standby_url)


def sa_url(target: DbTarget) -> sa.engine.URL:
    """The SQLAlchemy URL of a test database (with its password), from its backend."""
    return backend_for(target.kind).url(target)


LEGACY_CONVERSATION = "11111111-1111-4111-8111-111111111111"
LEGACY_SESSION = "22222222-2222-4222-8222-222222222222"


async def add_legacy_session(target: DbTarget) -> str:
    """One active session written as a pre-016 service writes it (no ended_reason)."""
    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO remote_agent_conversations"
                    " (id, platform_type, platform_conversation_id) VALUES (:i, 'slack', 'C1')"
                ),
                {"i": LEGACY_CONVERSATION},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO remote_agent_sessions"
                    " (id, conversation_id, ai_assistant_type, active)"
                    " VALUES (:s, :c, 'claude', :a)"
                ),
                {"s": LEGACY_SESSION, "c": LEGACY_CONVERSATION, "a": True},
            )
    finally:
        await engine.dispose()
    return LEGACY_SESSION
