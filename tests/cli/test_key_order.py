"""The JSON keys and CSV headers scripts read, in their order, written out here as
literals: a key renamed, dropped or moved fails this test rather than a user's script
(new keys go at the end, and are added here)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.service_writes import ServiceDb
from tui.store.migrate import upgrade
from tui.store.target import resolve_target

SESSION_KEYS = [
    "id", "active", "reason_status", "ended_reason", "started_at", "ended_at",
    "duration_seconds", "transition_reason", "parent_session_id", "conversation_id",
    "platform", "platform_conversation_id", "title", "codebase_id", "codebase", "assistant",
    "last_activity_at", "owner", "conversation_deleted", "conversation_hidden", "stuck",
    "active_stored", "started_at_stored", "conversation_codebase_id",
]  # fmt: skip
"""`list --format json`'s session object, and `list --format csv`'s header."""

SHOW_KEYS = [
    "session", "ended_by", "overwritten", "conversation", "codebase", "extra", "metadata",
    "metadata_valid", "chain", "chain_truncated", "children", "workflow_runs", "codebase_of",
]  # fmt: skip
SHOW_HOP_KEYS = [
    "id", "active", "reason_status", "ended_reason", "started_at", "ended_at",
    "transition_reason", "parent_session_id", "current",
]  # fmt: skip
AUDIT_KEYS = [
    "at", "session_id", "conversation_id", "owner", "outcome", "reason", "found_reason",
    "found_ended_at", "actor", "tool_version", "kinds", "end_id", "id",
    "target", "run_id",
]  # fmt: skip
STUCK_KIND_KEYS = ["kind", "count", "suggested_reason", "explanation", "not_detectable"]
INFO_KEYS = [
    "backend", "database", "schema", "shadowed_schemas", "service", "vocabulary", "tool",
    "sessions", "stuck",
]  # fmt: skip
INFO_PART_KEYS = {
    "service": ["version", "detected_by", "app_version", "created_app_version", "era"],
    "vocabulary": ["in_force", "end_accepts"],
    "tool": ["revision", "head_revision", "indexes", "audit_table"],
    "sessions": ["active", "ended", "odd", "without_id"],
    "stuck": ["detectable", "not_detectable"],
}


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "no-config.toml"))


def run(db: ServiceDb, *args: str) -> str:
    result = invoke("--url", db.url, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(db: ServiceDb, *args: str) -> Any:
    return json.loads(run(db, *args, "--format", "json"))


def test_json_and_csv_keys_keep_their_order(service_writer: ServiceDb) -> None:
    db = service_writer
    asyncio.run(upgrade(resolve_target(url=db.url)))
    old = db.session(db.now_minus(90_000), ended=db.now_minus(86_000), reason="reset-requested")
    ended = db.session(db.now_minus(7200))
    idle = db.session(db.now_minus(200_000))
    db.run(
        f"UPDATE remote_agent_conversations SET last_activity_at = {db.now_minus(200_000)}"
        f" WHERE id = (SELECT conversation_id FROM remote_agent_sessions WHERE id = '{idle}')"
    )
    assert run(db, "end", ended, "--reason", "reset-requested", "--yes", "--actor", "ada")

    listing = as_json(db, "list")
    assert list(listing) == ["sessions", "next_cursor"]
    assert {s["id"] for s in listing["sessions"]} == {old, ended, idle}
    assert all(list(s) == SESSION_KEYS for s in listing["sessions"])
    header = next(csv.reader(io.StringIO(run(db, "list", "--format", "csv"))))
    assert header == SESSION_KEYS

    shown = as_json(db, "show", ended)
    assert list(shown) == SHOW_KEYS
    assert list(shown["session"]) == [*SESSION_KEYS, "assistant_session_id"]
    assert [list(hop) for hop in shown["chain"]] == [SHOW_HOP_KEYS]

    audit = as_json(db, "audit")
    assert list(audit) == ["audit"] and [list(row) for row in audit["audit"]] == [AUDIT_KEYS]
    rows = list(csv.reader(io.StringIO(run(db, "audit", "--format", "csv"))))
    assert rows[0] == AUDIT_KEYS and len(rows) == 2

    stuck = as_json(db, "stuck", "--list")
    assert list(stuck) == ["version", "kinds", "sessions"]
    assert stuck["kinds"] and all(list(kind) == STUCK_KIND_KEYS for kind in stuck["kinds"])
    assert [s["id"] for s in stuck["sessions"]] == [idle]
    assert list(stuck["sessions"][0]) == [*SESSION_KEYS, "suggested_reason"]

    info = as_json(db, "info")
    assert list(info) == INFO_KEYS
    assert {part: list(info[part]) for part in INFO_PART_KEYS} == INFO_PART_KEYS
