"""A stdout that cannot be written (`> /dev/full`), in a real process on each backend:
`list`, `show` and `audit` say one line on stderr and exit 1, never a traceback; an
`end` whose write committed says on stderr what it ended and exits REPORT_LOST (3)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.support.cli_env import invoke
from tests.support.dbs import create_service_db
from tests.support.pgserver import PgServer
from tests.support.service_writes import ServiceDb
from tests.support.templates import ServiceTemplates
from tui.cli.output import REPORT_LOST
from tui.store.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]
FULL_DEVICE = Path("/dev/full")


def _isolated(tmp_path: Path) -> dict[str, str | None]:
    return {
        "ARCHON_HOME": str(tmp_path / "archon-home"),
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "DATABASE_URL": None,
    }


def _run_into_full_device(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name, value in _isolated(tmp_path).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    with FULL_DEVICE.open("w") as full:
        return subprocess.run(
            [sys.executable, "-m", "tui", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
        )


def _writer(url: str, server: PgServer | None) -> ServiceDb:
    if server is None:
        return ServiceDb(url, pg=False, path=Path(url.removeprefix("sqlite:///")))
    return ServiceDb(url, pg=True, server=server, dbname=unquote(url.rsplit("/", 1)[1]))


@pytest.fixture
def one_ended(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> list[str]:
    """An upgraded service database at `db_url` with 3 active sessions, the first then
    ended by `end` (an audit row to list); the sessions' ids. Built once per backend
    (`service_templates`), copied for each test: the commands below only read it."""
    templates: ServiceTemplates = request.getfixturevalue("service_templates")
    server = None if db_url.startswith("sqlite") else request.getfixturevalue("pg_server")

    def make(url: str) -> list[str]:
        asyncio.run(upgrade(asyncio.run(create_service_db(url))))
        db = _writer(url, server)
        sids = db.sessions(3, db.now_minus(600))
        done = invoke(
            "--url",
            url,
            "end",
            sids[0],
            "--reason",
            "reset-requested",
            "--yes",
            env=_isolated(tmp_path),
        )
        assert done.exit_code == 0, done.output
        return sids

    return templates.copy_made(db_url, server, ("full-stdout",), make)


def _active(db: ServiceDb, sid: str) -> str:
    active = "active::int" if db.pg else "active"
    return db.run(f"SELECT {active} FROM remote_agent_sessions WHERE id = '{sid}'")


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["list", "--format", "json"],
        ["list", "--format", "csv", "--limit", "0"],
        ["show", "SID"],
        ["show", "SID", "--format", "json"],
        ["audit"],
        ["audit", "--format", "csv"],
    ],
)
def test_a_full_stdout_is_one_line_on_stderr_and_exit_1(
    db_url: str, one_ended: list[str], tmp_path: Path, command: list[str]
) -> None:
    args = [one_ended[1] if word == "SID" else word for word in command]
    said = _run_into_full_device(tmp_path, "--url", db_url, *args)
    assert said.returncode == 1, said.stderr
    assert "Traceback" not in said.stderr
    assert said.stderr.splitlines() == [
        "Error: cannot write to standard output (No space left on device): the output is incomplete"
    ]


def test_an_end_into_a_full_stdout_says_on_stderr_what_it_ended(
    service_writer: ServiceDb, tmp_path: Path
) -> None:
    db = service_writer
    sids = db.sessions(3, db.now_minus(600))
    ended_before = db.session(db.now_minus(900), ended=db.now_minus(300), reason="reset-requested")
    said = _run_into_full_device(
        tmp_path,
        "--url",
        db.url,
        "end",
        *sids,
        ended_before,
        "--reason",
        "reset-requested",
        "--yes",
    )
    assert said.returncode == REPORT_LOST, said.stderr
    assert "Traceback" not in said.stderr
    lines = said.stderr.splitlines()
    assert all(f"ended {s} (reset-requested)" in lines for s in sids)
    assert any(line.startswith(f"already ended {ended_before}") for line in lines), lines
    assert lines[-1].startswith("Error: the end was written, but standard output could not")
    assert [_active(db, s) for s in sids] == ["0", "0", "0"]
