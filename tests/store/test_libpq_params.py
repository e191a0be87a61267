"""A PostgreSQL URL's libpq parameters mean what they mean to libpq, on the Store's
connections (SQLAlchemy's engine) and on the warm first page's (bare asyncpg) alike;
any other parameter is refused with one line naming it. Against the real test server
(no TLS) and its hot standby."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.support.cli_env import invoke, isolate
from tests.support.dbs import Replica, create_service_db
from tui.store.errors import ConnectionFailed
from tui.store.store import make_engine, open_store
from tui.store.target import url_target
from tui.store.warm import first_page

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


async def _session(url: str, *, statement_timeout_ms: int | None = None) -> dict[str, str]:
    """What the server says of a connection of the Store's engine for `url`."""
    engine = make_engine(url_target(url), statement_timeout_ms=statement_timeout_ms)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.text(
                        "SELECT a.application_name, current_setting('statement_timeout'),"
                        " current_setting('work_mem'), x.ssl"
                        " FROM pg_stat_activity AS a"
                        " LEFT JOIN pg_stat_ssl AS s ON s.pid = a.pid"
                        " CROSS JOIN LATERAL (SELECT coalesce(s.ssl, false)::text AS ssl) AS x"
                        " WHERE a.pid = pg_backend_pid()"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    return dict(zip(("application_name", "statement_timeout", "work_mem", "ssl"), row, strict=True))


async def test_application_name_and_options_reach_the_server(pg_database: str) -> None:
    options = quote("-c statement_timeout=250 --work-mem=7MB")
    url = f"{pg_database}?application_name=ops-console&options={options}"
    found = await _session(url, statement_timeout_ms=30_000)
    assert found["application_name"] == "ops-console"
    assert found["statement_timeout"] == "250ms"  # the URL's, over the dashboard's 30 s
    assert found["work_mem"] == "7MB"
    plain = await _session(pg_database, statement_timeout_ms=30_000)
    assert plain["application_name"] == "sessions-tui"
    assert plain["statement_timeout"] == "30s"


async def test_sslmode_disable_works_and_connect_timeout_is_honoured(pg_database: str) -> None:
    found = await _session(f"{pg_database}?sslmode=disable&connect_timeout=5")
    assert found["ssl"] == "false"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port whose listener accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


async def test_connect_timeout_bounds_the_wait(silent_server: int) -> None:
    target = url_target(f"postgresql://u:p@127.0.0.1:{silent_server}/d?connect_timeout=2")
    began = time.monotonic()
    with pytest.raises(ConnectionFailed):
        await open_store(target)
    # libpq's 2 s, not the tool's own 10 s.
    assert 1.5 <= time.monotonic() - began < 8


def test_sslmode_require_against_a_server_without_tls_is_one_line(pg_database: str) -> None:
    asyncio.run(create_service_db(pg_database, sessions=5))
    out = invoke("--url", f"{pg_database}?sslmode=require", "list")
    assert out.exit_code == 1, out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and "rejected SSL upgrade" in lines[0], lines


@pytest.mark.parametrize(
    "params",
    [
        "application_name=warm",
        f"options={quote('-c statement_timeout=5000')}",
        "connect_timeout=5",
        "sslmode=disable",
        "target_session_attrs=read-write",
    ],
)
async def test_the_warm_page_honours_them_and_is_the_stores(pg_database: str, params: str) -> None:
    await create_service_db(pg_database, sessions=40)
    target = url_target(f"{pg_database}?{params}")
    warm = await first_page(target, 10)
    store = await open_store(target, read_only=True)
    try:
        page = await store.list_sessions(limit=10)
    finally:
        await store.close()
    assert warm is not None
    assert warm.rows == page.rows


def test_target_session_attrs_against_the_standby(replica_db: Replica) -> None:
    refused = invoke("--url", f"{replica_db.standby_url}?target_session_attrs=read-write", "list")
    assert refused.exit_code == 1, refused.output
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and "target_session_attrs" in lines[0], lines
    for url in (
        f"{replica_db.standby_url}?target_session_attrs=standby",
        f"{replica_db.primary_url}?target_session_attrs=read-write",
    ):
        listed = invoke("--url", url, "list", "--limit", "1")
        assert listed.exit_code == 0, listed.output


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ("keepalives=1", "'keepalives'"),
        ("sslmode=sometimes", "sslmode='sometimes'"),
        ("connect_timeout=soon", "connect_timeout='soon'"),
        (f"options={quote('-B 100')}", "options='-B 100'"),
        ("target_session_attrs=fast", "target_session_attrs='fast'"),
    ],
)
def test_a_parameter_it_cannot_honour_is_refused_in_one_line(
    pg_database: str, params: str, named: str
) -> None:
    out = invoke("--url", f"{pg_database}?{params}", "list")
    assert out.exit_code == 2, out.output  # a usage error, as every URL the tool cannot use
    said = [line for line in out.output.splitlines() if line.startswith("Error:")]
    assert len(said) == 1 and named in said[0], out.output
    assert "Traceback" not in out.output and "unexpected keyword" not in out.output
