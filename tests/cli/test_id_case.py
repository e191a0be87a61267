"""Whatever `list` shows, `show` and `end` find: on SQLite ids are text as the service
wrote it (capitals too), on PostgreSQL UUIDs (any case typed is the same value)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.service_writes import ServiceDb


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


def _session(db: ServiceDb, sid: str) -> None:
    """An active session with this id, written as the service writes one."""
    conv = db.new_id()
    db.run(
        "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
        f" VALUES ('{conv}', 'slack', 'C-{conv[:8]}')"
    )
    active = "true" if db.pg else "1"
    db.run(
        "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type, active,"
        f" started_at) VALUES ('{sid}', '{conv}', 'claude', {active}, {db.now_minus(60)})"
    )


def test_an_id_as_list_shows_it_is_found_by_show_and_end(service_writer: ServiceDb) -> None:
    db = service_writer
    # SQLite: capitals as a service wrote them; PostgreSQL: a UUID (shown lowercase).
    written = str(uuid.uuid4()) if db.pg else "ABCDEF99" + uuid.uuid4().hex[8:].upper()
    _session(db, written)
    other = "abcdef99" + uuid.uuid4().hex[8:] if not db.pg else str(uuid.uuid4())
    _session(db, other)  # on SQLite: the same letters in lowercase, another session

    listed = json.loads(invoke("--url", db.url, "list", "--format", "json").output)["sessions"]
    shown_id = next(r["id"] for r in listed if r["id"].lower() == written.lower())
    assert shown_id == written.lower() if db.pg else shown_id == written

    for given in (shown_id, shown_id[:12], shown_id.upper()[:12]):
        show = invoke("--url", db.url, "show", given, "--format", "json")
        assert show.exit_code == 0, (given, show.output)
        assert json.loads(show.output)["session"]["id"] == shown_id

    end = invoke("--url", db.url, "end", shown_id[:12], "--reason", "reset-requested", "--yes")
    assert end.exit_code == 0, end.output
    assert f"ended {shown_id} (reset-requested)" in end.output
    active = "active::int" if db.pg else "active"
    assert db.run(f"SELECT {active} FROM remote_agent_sessions WHERE id = '{written}'") == "0"
    assert db.run(f"SELECT {active} FROM remote_agent_sessions WHERE id = '{other}'") == "1"
