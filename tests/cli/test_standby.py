"""The command line on a real PostgreSQL hot standby: it lists and shows what the
primary holds, and `end` says to use the primary, writing nothing anywhere.

Expected values come from the primary: through psql (`pg_server`), and through the same
command run against the primary's URL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.dbs import Replica
from tests.support.pgserver import PgServer, PgStandby
from tui.store.store import STANDBY_REASON

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer database, no real cache: every lookup lands under tmp_path."""
    isolate(tmp_path, monkeypatch)


def _primary_sql(pg_server: PgServer, replica: Replica, sql: str) -> str:
    return pg_server.psql(sql, replica.primary_url.rsplit("/", 1)[1])


def _active_id(pg_server: PgServer, replica: Replica) -> str:
    return _primary_sql(
        pg_server,
        replica,
        "SELECT id FROM remote_agent_sessions WHERE active ORDER BY started_at DESC, id LIMIT 1",
    )


def _settled(listing: str) -> list[dict[str, Any]]:
    """A JSON listing without the durations of active sessions."""
    sessions: list[dict[str, Any]] = json.loads(listing)["sessions"]
    for session in sessions:
        if session["active"]:
            session.pop("duration_seconds")
    return sessions


def test_list_json_on_the_standby_is_the_primarys(replica_db: Replica, pg_server: PgServer) -> None:
    on_standby = invoke("--url", replica_db.standby_url, "list", "--limit", 0, "--format", "json")
    assert on_standby.exit_code == 0, on_standby.output
    sessions = json.loads(on_standby.stdout)["sessions"]
    stored = _primary_sql(pg_server, replica_db, "SELECT id FROM remote_agent_sessions")
    assert sorted(s["id"] for s in sessions) == sorted(stored.splitlines())
    assert len(sessions) == 300
    on_primary = invoke("--url", replica_db.primary_url, "list", "--limit", 0, "--format", "json")
    # An active session's duration runs on with the clock between the two commands.
    assert _settled(on_standby.stdout) == _settled(on_primary.stdout)

    ended = [
        invoke("--url", url, "list", "--status", "ended", "--limit", 0, "--format", "csv")
        for url in (replica_db.standby_url, replica_db.primary_url)
    ]
    assert ended[0].exit_code == 0, ended[0].output
    assert ended[0].stdout == ended[1].stdout


def test_show_on_the_standby(replica_db: Replica, pg_server: PgServer) -> None:
    sid = _active_id(pg_server, replica_db)
    shown = invoke("--url", replica_db.standby_url, "show", sid[:8], "--format", "json")
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.stdout)
    assert detail["session"]["id"] == sid
    assert detail["session"]["active"] is True
    text = invoke("--url", replica_db.standby_url, "show", sid)
    assert text.exit_code == 0 and sid in text.stdout


@pytest.mark.parametrize("extra", [(), ("--yes",), ("--dry-run",)], ids=["ask", "yes", "dry"])
def test_end_on_the_standby_is_refused_and_nothing_changes(
    replica_db: Replica, pg_server: PgServer, extra: tuple[str, ...]
) -> None:
    sid = _active_id(pg_server, replica_db)
    query = (
        "SELECT active, ended_reason, ended_at, metadata FROM remote_agent_sessions"
        f" WHERE id = '{sid}'"
    )
    before = _primary_sql(pg_server, replica_db, query)
    refused = invoke(
        "--url", replica_db.standby_url, "end", sid, "--reason", "reset-requested", *extra
    )
    assert refused.exit_code == 1
    assert refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert len(lines) == 1, refused.stderr
    assert STANDBY_REASON in lines[0]
    assert "Traceback" not in refused.output
    assert _primary_sql(pg_server, replica_db, query) == before


def test_an_end_on_the_primary_is_listed_ended_on_the_standby(
    replica_db: Replica, pg_server: PgServer, pg_standby: PgStandby
) -> None:
    sid = _active_id(pg_server, replica_db)
    ended = invoke(
        "--url", replica_db.primary_url, "end", sid, "--reason", "reset-requested", "--yes"
    )
    assert ended.exit_code == 0, ended.output
    pg_standby.wait_for_replay()
    shown = invoke("--url", replica_db.standby_url, "show", sid, "--format", "json")
    session = json.loads(shown.stdout)["session"]
    assert (session["active"], session["ended_reason"]) == (False, "reset-requested")
