"""A query the statement timeout cancels says the timeout and where it came from, as
the server says (`pg_settings.source`): the role's (`ALTER ROLE … SET`), the database's,
the role's in the database, the URL's `options`, or this tool's own setting. Each
query waits behind another client's lock until its timeout fires."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from tests.support.dbs import create_service_db
from tests.support.locks import sessions_locked
from tests.support.pgserver import PgServer
from tui.store.errors import QueryTimeout
from tui.store.store import open_store
from tui.store.target import url_target

pytestmark = pytest.mark.postgres

TABLES = "remote_agent_sessions, remote_agent_conversations, remote_agent_codebases"


@pytest.mark.parametrize("where", ["role", "database", "role in database", "url", "tool"])
async def test_the_timeout_says_where_it_was_set(
    pg_server: PgServer, pg_database: str, where: str
) -> None:
    owner = await create_service_db(pg_database, sessions=20)
    dbname = pg_database.rsplit("/", 1)[1]
    role = "reader_" + uuid.uuid4().hex[:8]
    pg_server.psql(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
    pg_server.psql(f"GRANT SELECT ON {TABLES} TO {role}", dbname)
    url = pg_server.url(dbname, user=role, password="pw")
    statement_timeout = None
    expected = {
        "role": f"statement_timeout 200ms, set for role {role} on the server",
        "database": f"statement_timeout 200ms, set for database {dbname} on the server",
        "role in database": (
            f"statement_timeout 200ms, set for role {role} in database {dbname} on the server"
        ),
        "url": "statement_timeout 200ms, set in the URL's options",
        "tool": "statement_timeout 200ms, sessions-tui's statement_timeout",
    }[where]
    if where == "role":
        pg_server.psql(f"ALTER ROLE {role} SET statement_timeout = '200ms'")
    elif where == "database":
        pg_server.psql(f'ALTER DATABASE "{dbname}" SET statement_timeout = 200')
    elif where == "role in database":
        pg_server.psql(f'ALTER ROLE {role} IN DATABASE "{dbname}" SET statement_timeout = 200')
    elif where == "url":
        url += "?options=" + quote("-c statement_timeout=200")
    else:
        statement_timeout = 0.2
    store = await open_store(url_target(url), statement_timeout=statement_timeout)
    try:
        async with sessions_locked(owner):
            with pytest.raises(QueryTimeout) as caught:
                await store.list_sessions(limit=5)
    finally:
        await store.close()
    said = str(caught.value)
    assert expected in said, said
    assert "config file" not in said or where == "tool", said
    assert len(said.splitlines()) == 1
