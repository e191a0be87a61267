"""The CLI property of test_cli_properties.py on PostgreSQL, over what it can store
(no NUL in text, JSONB, BOOLEAN and TIMESTAMP columns): never a crash, never a raw
control character on a terminal, never a change to a row it did not end. One database,
emptied between examples; derandomized, 15 examples, about 40 s in CI."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from tests.property.test_cli_properties import _run_args
from tests.support.dbs import create_service_db
from tests.support.hostile_rows import Rows, postgres_rows
from tests.support.odd_rows import cli_args
from tui.store.store import make_engine
from tui.store.target import DbTarget

EXAMPLES = max(1, int(os.environ.get("SESSIONS_TUI_PROPERTY_EXAMPLES", "40")) * 3 // 8)
ENDED = {"active", "ended_at", "ended_reason", "metadata"}

pytestmark = [pytest.mark.postgres, pytest.mark.long]


@pytest.fixture(scope="module")
def pg_target(pg_server: Any) -> Iterator[DbTarget]:
    name = "prop_" + os.urandom(4).hex()
    url = pg_server.create_database(name)
    target = asyncio.run(create_service_db(url, era="v0.7"))
    yield target
    pg_server.drop_database(name)


async def _reset_and_insert(target: DbTarget, rows: Rows) -> None:
    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("DELETE FROM remote_agent_sessions"))
            await conn.execute(sa.text("DELETE FROM remote_agent_conversations"))
            for conv in rows.conversations:
                await conn.execute(
                    sa.text(
                        "INSERT INTO remote_agent_conversations (id, platform_type,"
                        " platform_conversation_id, title) VALUES (CAST(:id AS uuid),"
                        " :platform_type, :platform_conversation_id, :title)"
                    ),
                    conv,
                )
            for session in rows.sessions:
                await conn.execute(
                    sa.text(
                        "INSERT INTO remote_agent_sessions (id, conversation_id,"
                        " ai_assistant_type, assistant_session_id, active, metadata, started_at,"
                        " parent_session_id, transition_reason, ended_reason) VALUES"
                        " (CAST(:id AS uuid), CAST(:conversation_id AS uuid), :ai_assistant_type,"
                        " :assistant_session_id, :active, CAST(:metadata AS jsonb),"
                        " :started_at, NULL,"
                        " :transition_reason, :ended_reason)"
                    ),
                    session,
                )
            for session in rows.sessions:  # parents (cycles too) once every row exists
                await conn.execute(
                    sa.text(
                        "UPDATE remote_agent_sessions SET parent_session_id ="
                        " CAST(:p AS uuid) WHERE id = CAST(:i AS uuid)"
                    ),
                    {"p": session["parent_session_id"], "i": session["id"]},
                )
    finally:
        await engine.dispose()


async def _stored(target: DbTarget) -> dict[str, dict[str, Any]]:
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                sa.text("SELECT *, metadata::text AS meta FROM remote_agent_sessions")
            )
            return {str(m["id"]): dict(m) for m in found.mappings()}
    finally:
        await engine.dispose()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rows=postgres_rows())
def test_the_cli_survives_any_row_postgresql_stores(pg_target: DbTarget, rows: Rows) -> None:
    asyncio.run(_reset_and_insert(pg_target, rows))
    before = asyncio.run(_stored(pg_target))
    db = cli_args(pg_target)
    for fmt in ("table", "json", "csv"):
        _run_args(db, "list", "--status", "all", "--format", fmt, "--limit", "0")
    ids = [r["id"] for r in rows.sessions]
    for sid in ids:
        _run_args(db, "show", sid)
        _run_args(db, "show", sid, "--format", "json")
    end = ["end", *ids, "--reason", "reset-requested", "--actor", "prop@ci"]
    _run_args(db, *end, "--dry-run")
    assert asyncio.run(_stored(pg_target)) == before, "a dry run wrote"
    _run_args(db, *end, "--yes")
    after = asyncio.run(_stored(pg_target))
    assert set(after) == set(before)
    for sid, old in before.items():
        new = after[sid]
        if old["active"] is not True:
            assert new == old, "a row the tool did not end changed"
            continue
        assert new["active"] is False and new["ended_reason"] == "reset-requested"
        changed = {k for k in old if old[k] != new[k]} - {"meta"}
        assert changed <= ENDED, changed
        if old["meta"] is not None and not old["meta"].startswith("{"):
            assert new["meta"] == old["meta"], "metadata that is no object is left untouched"
