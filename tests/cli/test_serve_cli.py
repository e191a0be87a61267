"""`sessions-tui serve`: what it refuses before serving, and what a served tab gets.

The refusals run in process (CliRunner); the served tab runs `serve` as a real process
on a free loopback port and opens textual-serve's websocket as the page does (the
browser itself is tests/web/), on both backends: the rows arrive, and the database's
URL and password are on no command line (`ps`) and not in the page.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from tests.support.browser import REPO, serving, tab_text, wait_for
from tests.support.cli_env import invoke, isolate
from tests.support.dbs import create_service_db, sa_url
from tui.cli.serve import is_loopback
from tui.store.store import make_engine
from tui.store.target import DbTarget, url_target


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["serve", "--write"], "--write needs --actor WHO"),
        (["serve", "--actor", "oncall"], "--actor signs ends: give it with --write"),
        (["--read-only", "serve", "--write", "--actor", "oncall"], "contradict"),
        (["serve", "--host", "0.0.0.0"], "add --allow-remote"),
        (["serve", "--host", "db.example.org"], "add --allow-remote"),
        (["serve", "--write", "--actor", "on\x1bcall"], "printable"),
        (["serve", "--port", "0"], "--port"),
    ],
)
def test_serve_refuses_before_serving(args: list[str], says: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output


def test_without_textual_serve_one_line_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # as if not installed
    result = invoke("serve")
    assert result.exit_code == 2
    assert result.output == ("Error: serve needs textual-serve: pip install 'sessions-tui[web]'\n")


def test_the_served_command_is_not_for_direct_use() -> None:
    result = invoke("served-app")
    assert result.exit_code == 2
    assert "started by `sessions-tui serve`" in result.output


def test_loopback_is_only_localhost_and_loopback_addresses() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "localhost", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "10.0.0.1", "example.org", "localhost.me"]))


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://archon:s%40cr%3Aet@db:5432/archon?sslmode=require&application_name=x",
        "postgresql://u@[::1]:5433/d",
        "postgres://u:p@h/d?sslmode=disable",
        "sqlite:////tmp/a b/archon.db",
    ],
)
def test_the_childs_url_reads_back_as_the_same_database(raw: str) -> None:
    target = url_target(raw)
    assert url_target(target.secret_url(), target.source) == target


def _newest(target: DbTarget) -> str:
    async def go() -> str:
        engine = make_engine(target)
        try:
            async with engine.connect() as conn:
                stmt = "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC"
                return str((await conn.execute(sa.text(stmt))).scalar())
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.mark.usefixtures("serve_ready")
def test_a_served_tab_gets_the_rows_and_no_command_line_holds_the_url(
    service_db: DbTarget, empty_db_url: str
) -> None:
    password = sa_url(service_db).password
    secrets = [empty_db_url] + ([password] if password else [str(service_db.path)])
    newest = _newest(service_db)
    env = dict(os.environ, DATABASE_URL=empty_db_url)  # the operator's way: not on argv
    with serving([], env=env) as served:
        page = urllib.request.urlopen(served.url, timeout=30).read().decode()
        assert 'id="terminal"' in page
        assert not [s for s in secrets if s in page]

        text = asyncio.run(
            tab_text(served, lambda t: newest[:8] in t and bool(served.dashboards()))
        )
        if password:
            assert password not in text  # the header names the database, never the password
        dashboards = [argv for argv in served.argv.values() if "served-app" in argv]
        assert dashboards, served.argv
        argvs = [psutil.Process(served.process.pid).cmdline(), *served.argv.values()]
        for argv in argvs:
            assert not [s for s in secrets if s in " ".join(argv)], argv
        wait_for(lambda: not served.dashboards(), 30, "the closed tab's dashboard to quit")


@pytest.mark.usefixtures("serve_ready")
def test_allow_remote_warns_and_the_page_uses_the_public_url(service_db: DbTarget) -> None:
    args = ["--host", "0.0.0.0", "--allow-remote", "--public-url", "http://ops-box:8123"]
    with serving(["--url", service_db_url(service_db)], *args) as served:
        page = urllib.request.urlopen(served.url, timeout=30).read().decode()
        assert 'data-session-websocket-url="ws://ops-box:8123/ws"' in page
    assert served.process.stdout is not None
    output = served.printed + served.process.stdout.read()
    assert (
        f"warning: serving on 0.0.0.0:{served.port} beyond this machine over plain HTTP, "
        "the token its only lock: anyone who can reach that port and read the token sees "
        "every session"
    ) in " ".join(output.split())


def service_db_url(target: DbTarget) -> str:
    return target.secret_url()


@pytest.mark.usefixtures("serve_ready")
def test_a_port_in_use_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "archon.db"
    asyncio.run(create_service_db(f"sqlite:///{path}"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tui", "--db", str(path), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in done.stderr + done.stdout
