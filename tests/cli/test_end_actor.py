"""Every actor an end is signed by follows `serve --actor`'s rule (`check_actor`): not
blank, printable. `end --actor` refuses the rest before anything is read or written; a
login name from the environment that breaks it gives way to the password database's;
the served dashboard refuses an actor in its environment that breaks it."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.service_writes import ServiceDb
from tui.cli.serve import SERVE_ACTOR, SERVE_URL


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


def _ended_by(db: ServiceDb, sid: str) -> str:
    active = "active::int" if db.pg else "active"
    return db.run(f"SELECT {active}, metadata FROM remote_agent_sessions WHERE id = '{sid}'")


@pytest.mark.parametrize("actor", ["on\x1bcall", "bell\x07", "two\nlines", "   ", "", "rtl\u202e"])
def test_end_refuses_an_actor_that_is_not_printable(service_writer: ServiceDb, actor: str) -> None:
    db = service_writer
    sid = db.session(db.now_minus(600))
    result = invoke(
        "--url", db.url, "end", sid, "--reason", "reset-requested", "--yes", "--actor", actor
    )
    assert result.exit_code == 2, result.output
    assert "printable" in result.stderr and "--actor" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert _ended_by(db, sid).split("|")[0] == "1"  # nothing written


def test_a_login_name_that_is_not_printable_gives_way_to_the_password_database(
    service_writer: ServiceDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = service_writer
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "ev\x1b]0;il\x07\n")
    sid = db.session(db.now_minus(600))
    result = invoke("--url", db.url, "end", sid, "--reason", "reset-requested", "--yes")
    assert result.exit_code == 0, result.output
    active, metadata = _ended_by(db, sid).split("|", 1)
    actor = json.loads(metadata)["endedBy"]["actor"]
    assert active == "0"
    assert actor.split("@")[0] == pwd.getpwuid(os.getuid()).pw_name
    assert "\x1b" not in actor and "\n" not in actor


def test_the_served_dashboard_refuses_an_actor_from_its_environment(
    service_writer: ServiceDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SERVE_URL, service_writer.url)
    monkeypatch.setenv(SERVE_ACTOR, "on\x1bcall")
    result = invoke("served-app")
    assert result.exit_code == 2, result.output
    assert f"${SERVE_ACTOR}" in result.stderr and "printable" in result.stderr
