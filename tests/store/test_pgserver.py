"""The throwaway PostgreSQL server used by the test-suite really behaves like one.

No mocks: every test talks to the server started by the `pg_server` fixture
(or, for the lifecycle test, to a second one of its own), through asyncpg over
TCP exactly as the service would, or through `psql` for setup.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.support.pgserver import (
    LIMITED_PASSWORD,
    LIMITED_USER,
    PgServer,
    PgServerError,
    PgStandby,
)

# Not a module-level `pytestmark`: the sqlite half of the last test must stay
# runnable with `-m "not postgres"` (it checks the mark comes from the param).
postgres = pytest.mark.postgres


def _dbname(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@postgres
@pytest.mark.asyncio
async def test_server_answers_select_1_over_tcp(pg_server: PgServer, pg_database: str) -> None:
    assert urlsplit(pg_database).hostname == "127.0.0.1"
    assert urlsplit(pg_database).port == pg_server.port
    conn = await asyncpg.connect(pg_database, timeout=10)
    try:
        assert await conn.fetchval("SELECT 1") == 1
        assert await conn.fetchval("SELECT current_database()") == _dbname(pg_database)
        assert await conn.fetchval("SHOW server_encoding") == "UTF8"
    finally:
        await conn.close()


@postgres
def test_fresh_databases_are_isolated(pg_server: PgServer, pg_database: str) -> None:
    first = _dbname(pg_database)
    second_url = pg_server.create_database(first + "_b")
    second = _dbname(second_url)
    try:
        pg_server.psql("CREATE TABLE only_here (x int); INSERT INTO only_here VALUES (42);", first)
        assert pg_server.psql("SELECT x FROM only_here", first) == "42"
        assert pg_server.psql("SELECT to_regclass('only_here') IS NULL", second) == "t"
        assert (
            pg_server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", second)
            == "0"
        )
    finally:
        pg_server.drop_database(second)
    assert pg_server.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{second}'") == "0"
    third = _dbname(pg_server.create_database(first + "_c"))
    pg_server.drop_soon(third)  # kept until the next statement, which drops it first
    assert pg_server.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{third}'") == "0"


@postgres
@pytest.mark.asyncio
async def test_restart_keeps_port_and_data_and_breaks_old_connections(
    pg_server: PgServer, pg_database: str
) -> None:
    pg_server.psql(
        "CREATE TABLE survives (x int); INSERT INTO survives VALUES (7);", _dbname(pg_database)
    )
    port = pg_server.port
    old = await asyncpg.connect(pg_database, timeout=10)
    try:
        assert await old.fetchval("SELECT 1") == 1
        pg_server.restart()
        assert pg_server.is_running()
        assert pg_server.port == port
        with pytest.raises(
            (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, ConnectionError)
        ):
            await old.fetchval("SELECT 1")
    finally:
        await old.close()

    new = await asyncpg.connect(pg_database, timeout=10)
    try:
        assert await new.fetchval("SELECT x FROM survives") == 7
    finally:
        await new.close()


@postgres
@pytest.mark.asyncio
async def test_limited_role_connects_but_cannot_read_superuser_tables(
    pg_server: PgServer, pg_database: str
) -> None:
    dbname = _dbname(pg_database)
    pg_server.psql("CREATE TABLE secret (x int); INSERT INTO secret VALUES (1);", dbname)
    conn = await asyncpg.connect(
        pg_server.url(dbname, user=LIMITED_USER, password=LIMITED_PASSWORD), timeout=10
    )
    try:
        assert await conn.fetchval("SELECT current_user") == LIMITED_USER
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM secret")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE mine (x int)")
    finally:
        await conn.close()


@postgres
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("user", "password"),
    [("postgres", "wrong-pw"), (LIMITED_USER, "tui-secret-pw")],
    ids=["superuser", "limited"],
)
async def test_wrong_password_is_rejected(
    pg_server: PgServer, pg_database: str, user: str, password: str
) -> None:
    url = pg_server.url(_dbname(pg_database), user=user, password=password)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(url, timeout=10)


@postgres
@pytest.mark.asyncio
async def test_standby_streams_the_primary_and_refuses_writes(
    pg_server: PgServer, pg_standby: PgStandby, pg_database: str
) -> None:
    dbname = _dbname(pg_database)
    pg_server.psql("CREATE TABLE streamed (x int); INSERT INTO streamed VALUES (1);", dbname)
    pg_standby.wait_for_replay()
    assert pg_standby.port != pg_server.port
    slot = f"SELECT active FROM pg_replication_slots WHERE slot_name = '{pg_standby.slot}'"
    assert pg_server.psql(slot) == "t"
    assert pg_standby.in_recovery()
    assert pg_server.psql("SELECT pg_is_in_recovery()") == "f"
    conn = await asyncpg.connect(pg_standby.url(dbname), timeout=10)
    try:
        assert await conn.fetchval("SELECT pg_is_in_recovery()") is True
        assert await conn.fetchval("SELECT count(*) FROM streamed") == 1
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await conn.execute("INSERT INTO streamed VALUES (2)")
        pg_server.psql("INSERT INTO streamed VALUES (3);", dbname)
        pg_standby.wait_for_replay()
        assert await conn.fetchval("SELECT sum(x) FROM streamed") == 4
    finally:
        await conn.close()


@postgres
def test_psql_errors_raise_with_the_message(pg_server: PgServer, pg_database: str) -> None:
    with pytest.raises(PgServerError, match='relation "no_such_table" does not exist'):
        pg_server.psql("SELECT * FROM no_such_table", _dbname(pg_database))


@postgres
def test_url_is_service_style_and_quotes_credentials(pg_server: PgServer) -> None:
    assert (
        pg_server.url("db") == f"postgresql://postgres:tui-secret-pw@127.0.0.1:{pg_server.port}/db"
    )
    assert pg_server.url("db", user="a b", password="p@ss:/") == (
        f"postgresql://a%20b:p%40ss%3A%2F@127.0.0.1:{pg_server.port}/db"
    )


@postgres
def test_own_instance_lifecycle_stop_start_cleanup(pg_server: PgServer) -> None:
    server = PgServer(pg_server.bin_dir)
    server.start()
    try:
        tmp_dir = server.tmp_dir
        assert tmp_dir.stat().st_mode & 0o777 == 0o755
        assert server.port != pg_server.port
        assert server.is_running()
        server.stop()
        assert not server.is_running()
        server.stop()  # idempotent
        with pytest.raises(PgServerError):
            server.psql("SELECT 1")
        server.start()
        assert server.psql("SELECT 1") == "1"
    finally:
        server.cleanup()
    assert not Path(tmp_dir).exists()
    assert not server.is_running()
    server.cleanup()  # idempotent


def test_empty_db_url_per_backend(
    backend: str, empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        assert empty_db_url.startswith("sqlite:////")
        path = Path(empty_db_url.removeprefix("sqlite:///"))
        assert path.name == "archon.db"
        assert path.parent.is_dir()
        assert not path.exists()
        assert request.node.get_closest_marker("postgres") is None
    else:
        assert empty_db_url.startswith("postgresql://postgres:")
        server: PgServer = request.getfixturevalue("pg_server")
        tables = server.psql(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", _dbname(empty_db_url)
        )
        assert tables == "0"
        assert request.node.get_closest_marker("postgres") is not None
