"""`sessions-tui serve` admits only its own pages holding its token: a page elsewhere in
the operator's browser (another origin), or a client without the printed token, gets 403
before textual-serve starts any dashboard process. A real `serve` on a free port, a real
websocket client (aiohttp, as textual-serve's page opens it)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.browser import Served, serving, tab_text
from tests.support.cli_env import isolate
from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tui.cli.serve_guard import guard_for, origin_of

pytestmark = pytest.mark.usefixtures("serve_ready")
EVIL = "http://evil.example"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "archon.db"
    asyncio.run(create_service_db(f"sqlite:///{path}", sessions=20))
    return path


def _newest(path: Path) -> str:
    with sqlite_file(path) as conn:
        sql = "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC"
        return str(conn.execute(sql).fetchone()[0])


async def handshake(
    served: Served, *, origin: str | None, query: str = "", cookie: str | None = None
) -> int:
    """The websocket handshake's answer: 101 when a tab was opened (closed at once)."""
    headers = {} if cookie is None else {"Cookie": cookie}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(
                f"{served.origin}/ws?width=80&height=24{query}", origin=origin, headers=headers
            ):
                return 101
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status


async def page(served: Served, query: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{served.origin}/{query}") as response,
    ):
        return response.status, response.cookies


def test_a_foreign_origin_or_a_missing_or_wrong_token_starts_no_dashboard(db: Path) -> None:
    with serving(["--db", str(db)], "--write", "--actor", "oncall") as served:
        assert served.token, f"serve printed no token: {served.printed}"
        right = f"&token={served.token}"
        refused = {
            "foreign origin": handshake(served, origin=EVIL, query=right),
            "no origin": handshake(served, origin=None, query=right),
            "no token": handshake(served, origin=served.origin),
            "wrong token": handshake(served, origin=served.origin, query="&token=guess"),
            "wrong cookie": handshake(
                served, origin=served.origin, cookie=f"sessions-tui-token-{served.port}=guess"
            ),
        }
        for what, attempt in refused.items():
            assert asyncio.run(attempt) == 403, what
            assert served.children() == [], f"{what}: a process was started"
        for query in ("", "?token=guess"):
            status, _ = asyncio.run(page(served, query))
            assert status == 403, query
        assert served.children() == []

        # The printed address: the page sets the token as a cookie its websocket carries.
        status, cookies = asyncio.run(page(served, f"?token={served.token}"))
        assert status == 200
        cookie = cookies[f"sessions-tui-token-{served.port}"]
        assert cookie.value == served.token
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert (
            asyncio.run(handshake(served, origin=EVIL, cookie=f"{cookie.key}={cookie.value}"))
            == 403
        )
        assert served.children() == []
        as_the_page = handshake(served, origin=served.origin, cookie=f"{cookie.key}={cookie.value}")
        assert asyncio.run(as_the_page) == 101
        newest = _newest(db)
        asyncio.run(tab_text(served, lambda t: newest[:8] in t and bool(served.dashboards())))


def test_no_token_warns_and_still_checks_the_origin(db: Path) -> None:
    with serving(["--db", str(db)], "--no-token") as served:
        assert served.token is None
        assert "warning: --no-token" in served.printed
        assert "proxy that authenticates" in " ".join(served.printed.split())
        assert asyncio.run(handshake(served, origin=EVIL)) == 403
        assert served.children() == []
        assert asyncio.run(page(served, ""))[0] == 200
        asyncio.run(tab_text(served, lambda t: bool(served.dashboards())))


def test_the_served_origins_are_the_address_and_the_public_url() -> None:
    guard = guard_for(["http://127.0.0.1:8000", "https://Ops-Box:443/sessions"], 8000, "t")
    assert guard.origins == {"http://127.0.0.1:8000", "https://ops-box"}
    assert guard.origin_ok("http://127.0.0.1:8000")
    assert guard.origin_ok("HTTPS://ops-box")
    for foreign in (EVIL, "http://127.0.0.1:8001", "http://localhost:8000", "null", None):
        assert not guard.origin_ok(foreign), foreign
    assert origin_of("http://[::1]:8000/") == "http://[::1]:8000"
    assert guard.token_ok("t") and not guard.token_ok("T") and not guard.token_ok(None)
    assert guard_for([], 1, None).token_ok(None)
