"""What opening a store sends: its catalog questions in as few statements as the
backend allows (SQLite: one), with the same answers as asking them one by one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tui.store import catalog
from tui.store.backends import backend_for
from tui.store.catalog import AUDIT, SESSIONS
from tui.store.migrate import upgrade
from tui.store.store import open_store
from tui.store.store_schema import make_engine
from tui.store.target import DbTarget

# The statements an open sends after connecting, by backend: SQLite begins and asks its
# catalog in one statement; PostgreSQL (whose driver begins) asks each question on its
# own (columns, indexes, standby, zone, audit table, schema, timeout, audit shapes,
# tables elsewhere).
OPENING_STATEMENTS = {"sqlite": 2, "postgresql": 9}


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """Every statement any engine sends while the block runs (observed, not mocked)."""
    seen: list[str] = []

    def _before(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", _before)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", _before)


def _catalog_statements(seen: list[str]) -> list[str]:
    """The statements of an open, without those of connecting (the server's settings)
    and the service's schema-version row (read only where the table has one)."""
    return [
        s for s in seen if "schema_version" not in s and not s.lstrip().upper().startswith("SET")
    ]


@pytest.mark.parametrize("migrated", [False, True], ids=["service", "migrated"])
async def test_opening_a_store_asks_its_catalog_in_few_statements(
    service_db: DbTarget, migrated: bool
) -> None:
    if migrated:  # the tool's audit table exists: its shape is read too
        await upgrade(service_db)
    with statements_sent() as seen:
        store = await open_store(service_db)
    await store.close()
    assert len(_catalog_statements(seen)) == OPENING_STATEMENTS[service_db.kind]


@pytest.mark.parametrize("migrated", [False, True], ids=["service", "migrated"])
async def test_the_opening_answers_are_those_asked_one_by_one(
    service_db: DbTarget, migrated: bool
) -> None:
    if migrated:
        await upgrade(service_db)
    backend = backend_for(service_db.kind)
    engine = make_engine(service_db)
    try:
        async with engine.connect() as conn:
            together = await conn.run_sync(lambda c: catalog.opening(backend, c, SESSIONS, AUDIT))

            def one_by_one(c: Any) -> tuple[Any, ...]:
                tables = catalog.service_columns(backend, c)
                return (
                    tables,
                    catalog.index_names(backend, c, SESSIONS),
                    catalog.tool_table(backend, c, AUDIT),
                    catalog.column_shapes(backend, c, AUDIT),
                )

            apart = await conn.run_sync(one_by_one)
    finally:
        await engine.dispose()
    assert together == apart
    assert together[0][SESSIONS] and together[1]
    assert together[2][0] is migrated
