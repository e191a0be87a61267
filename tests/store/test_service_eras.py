"""The test databases of each service era have what that era's service creates: the
markers the tool tells versions apart by, and nothing from a later era."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from tests.support.dbs import create_service_db
from tests.support.service_schema import ERAS
from tui.store.store import SchemaInfo, make_engine, open_store

MARKERS = {
    "ended_reason": "016",
    "remote_agent_codebase_env_vars": "v0.2.13",
    "remote_agent_users": "v0.4",
    "remote_agent_conversations.user_id": "v0.4",
    "remote_agent_codebases.kind": "v0.6",
    "remote_agent_schema_version": "v0.7",
}


async def _present(url: str, era: str) -> tuple[set[str], tuple[object, ...] | None]:
    target = await create_service_db(url, era=era, app_version="0.9.0")
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:

            def look(sync_conn: sa.Connection) -> set[str]:
                insp = sa.inspect(sync_conn)
                found = set(insp.get_table_names())
                for table in list(found):
                    found |= {f"{table}.{c['name']}" for c in insp.get_columns(table)}
                return found

            found = await conn.run_sync(look)
            row = None
            if "remote_agent_schema_version" in found:
                sql = "SELECT id, created_app_version, app_version FROM remote_agent_schema_version"
                result = await conn.execute(sa.text(sql))
                row = tuple(result.one())
    finally:
        await engine.dispose()
    found |= {"ended_reason"} if "remote_agent_sessions.ended_reason" in found else set()
    return found, row


@pytest.mark.parametrize("era", ERAS[1:])
def test_each_era_has_its_markers_and_none_of_later_ones(empty_db_url: str, era: str) -> None:
    found, row = asyncio.run(_present(empty_db_url, era))
    for marker, since in MARKERS.items():
        expected = ERAS.index(era) >= ERAS.index(since)
        assert (marker in found) is expected, f"{marker} in era {era}"
    assert "remote_agent_workflow_runs" in found
    if era == "v0.7":
        assert row == (1, None, "0.9.0")


@pytest.mark.parametrize("era", ["016", "v0.4", "v0.7"])
def test_the_store_reads_every_service_table_and_column_at_open(
    empty_db_url: str, era: str
) -> None:
    """One catalog query at open: what the service's schema applied tells its version."""

    async def schema() -> SchemaInfo:
        target = await create_service_db(empty_db_url, era=era)
        store = await open_store(target)
        try:
            return store.schema
        finally:
            await store.close()

    found = asyncio.run(schema())
    assert found.has("remote_agent_sessions", "ended_reason")
    assert found.has("remote_agent_workflow_runs", "last_activity_at")
    assert found.has("remote_agent_users") is (era != "016")
    assert found.has("remote_agent_conversations", "user_id") is (era != "016")
    assert found.has("remote_agent_schema_version", "app_version") is (era == "v0.7")
    assert not found.has("remote_agent_sessions", "no_such_column")
