"""`end` and `audit` on real databases: the audit rows an end keeps, the note where it
keeps none, and an end whose commit answer is lost ("outcome unknown")."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.support.commit_cut import CommitCutProxy
from tests.support.service_writes import ServiceDb
from tui.cli.main import cli
from tui.store.migrate import upgrade
from tui.store.target import resolve_target


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ARCHON_HOME", str(tmp_path / "archon-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def invoke(*args: Any) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _active(db: ServiceDb, sid: str) -> str:
    active = "active::int" if db.pg else "active"
    return db.run(f"SELECT {active} FROM remote_agent_sessions WHERE id = '{sid}'")


def test_end_without_the_audit_table_ends_and_says_so_once(service_writer: ServiceDb) -> None:
    db = service_writer
    ids = [db.session(db.now_minus(600)) for _ in range(2)]
    result = invoke("--url", db.url, "end", *ids, "--reason", "reset-requested", "--yes")
    assert result.exit_code == 0, result.output
    assert all(_active(db, s) == "0" for s in ids)
    assert result.stderr.count("no audit row was kept") == 1
    assert "sessions-tui migrate" in result.stderr
    shown = invoke("--url", db.url, "audit")
    assert shown.exit_code == 1
    assert "no audit table" in shown.stderr and "sessions-tui migrate" in shown.stderr


def test_audit_lists_what_end_wrote_in_every_format(service_writer: ServiceDb) -> None:
    db = service_writer
    asyncio.run(upgrade(resolve_target(url=db.url)))
    ids = [db.session(db.now_minus(600)) for _ in range(3)]
    ended = invoke(
        "--url", db.url, "end", *ids[:2], "--reason", "reset-requested", "--yes", "--actor", "ada"
    )
    assert ended.exit_code == 0 and "no audit row" not in ended.stderr
    hostile = invoke(
        "--url", db.url, "end", ids[2], "--reason", "reset-requested", "--yes",
        "--actor", "=HYPERLINK(\"x\")",
    )  # fmt: skip
    assert hostile.exit_code == 0
    # An actor this tool refuses (`check_actor`) may still be in a row written otherwise.
    db.run(
        "UPDATE sessions_tui_audit SET actor = actor || '\x1b]0;t\x07'"
        f" WHERE session_id = '{ids[2]}'"
    )

    listing = json.loads(invoke("--url", db.url, "audit", "--format", "json").output)["audit"]
    assert len(listing) == 3 and {row["session_id"] for row in listing} == set(ids)
    assert list(listing[0]) == [
        "at", "session_id", "conversation_id", "owner", "outcome", "reason",
        "found_reason", "found_ended_at", "actor", "tool_version", "kinds", "end_id", "id",
    ]  # fmt: skip
    assert listing[0]["session_id"] == ids[2]  # newest first
    assert {row["outcome"] for row in listing} == {"ended"}

    by_ada = json.loads(
        invoke("--url", db.url, "audit", "--actor", "ada", "--format", "json").output
    )["audit"]
    assert {row["session_id"] for row in by_ada} == set(ids[:2])
    assert invoke("--url", db.url, "audit", "--since", "1h", "--limit", "1", "--format", "json")

    rows = list(csv.reader(io.StringIO(invoke("--url", db.url, "audit", "--format", "csv").output)))
    assert rows[0][:2] == ["at", "session_id"] and len(rows) == 4
    assert rows[1][8].startswith("'=HYPERLINK")  # the formula guard of `list`

    table = invoke("--url", db.url, "audit")
    assert table.exit_code == 0 and "ACTOR" in table.output and "ada" in table.output
    assert "\x1b" not in table.output and "\x07" not in table.output


@pytest.mark.postgres
def test_end_whose_commit_answer_is_lost_says_outcome_unknown(new_york_db: ServiceDb) -> None:
    db = new_york_db
    asyncio.run(upgrade(resolve_target(url=db.url)))
    ids = [db.session(db.now_minus(600)) for _ in range(2)]
    with CommitCutProxy(db.url) as proxy:
        proxy.armed.set()
        result = invoke("--url", proxy.url, "end", *ids, "--reason", "reset-requested", "--yes")
        assert proxy.cut.is_set()
    assert result.exit_code == 1
    assert "outcome unknown" in result.stderr
    assert "2 ended by this end" in result.stderr
    assert all(f"ended {s} (reset-requested)" in result.output for s in ids)
    assert all(_active(db, s) == "0" for s in ids)


def test_an_audit_table_of_another_shape_is_named_and_ends_keep_no_row(
    service_writer: ServiceDb,
) -> None:
    """A `sessions_tui_audit` that lacks columns, has another type and a column an end
    cannot fill: `info` and `migrate` say what is wrong and what to do (never "up to
    date"), `audit` says it, and `end` ends (as without the table) with one note line,
    never a raw SQL error."""
    db = service_writer
    assert asyncio.run(upgrade(resolve_target(url=db.url)))
    key = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" if db.pg else "INTEGER PRIMARY KEY"
    db.run("DROP TABLE sessions_tui_audit")
    db.run(
        f"CREATE TABLE sessions_tui_audit (id {key}, end_id TEXT NOT NULL, at INTEGER,"
        " session_id TEXT NOT NULL, outcome TEXT, reason TEXT, found_reason TEXT,"
        " found_ended_at TEXT, actor TEXT, tool_version TEXT, kinds TEXT,"
        " note TEXT NOT NULL)"
    )
    wrong = "lacks conversation_id, owner; at is integer"
    shown = invoke("--url", db.url, "info")
    assert shown.exit_code == 0, shown.output
    assert wrong in " ".join(shown.stdout.split()), shown.stdout
    assert "note NOT NULL without a default" in " ".join(shown.stdout.split())
    found = json.loads(invoke("--url", db.url, "info", "--format", "json").stdout)
    assert wrong in found["tool"]["audit_table"]["problem"]

    migrated = invoke("--url", db.url, "migrate", "--yes")
    assert migrated.exit_code == 1, migrated.output
    said = migrated.output.strip().splitlines()
    assert len(said) == 1 and wrong in said[0] and "RENAME TO" in said[0], said
    assert "up to date" not in migrated.output

    sid = db.session(db.now_minus(600))
    ended = invoke("--url", db.url, "end", sid, "--reason", "reset-requested", "--yes")
    assert ended.exit_code == 0, ended.output
    assert _active(db, sid) == "0"
    notes = ended.stderr.strip().splitlines()
    assert len(notes) == 1 and "no audit row was kept" in notes[0] and wrong in notes[0], notes
    assert db.run("SELECT count(*) FROM sessions_tui_audit") == "0"
    listed = invoke("--url", db.url, "audit")
    assert listed.exit_code == 1 and wrong in listed.stderr, listed.output


@pytest.mark.postgres
def test_an_unknown_outcome_counts_the_sessions_never_sent(
    new_york_db: ServiceDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch's commit answer is lost and the database stops answering: the
    summary says that batch could not be re-read, and counts the later batches, never
    sent, as left active (not written)."""
    monkeypatch.setattr("tui.store.limits.END_BATCH", 2)
    monkeypatch.setattr("tui.store.limits.REREAD_PAUSE_S", 0.01)
    db = new_york_db
    asyncio.run(upgrade(resolve_target(url=db.url)))
    ids = sorted(db.session(db.now_minus(600)) for _ in range(5))
    with CommitCutProxy(db.url, then_refuse=True) as proxy:
        proxy.armed.set()
        result = invoke("--url", proxy.url, "end", *ids, "--reason", "reset-requested", "--yes")
        assert proxy.cut.is_set()
    assert result.exit_code == 1
    assert "outcome unknown" in result.stderr
    assert "2 could not be re-read" in result.stderr
    assert "3 left active (not written)" in result.stderr
    assert all(f"unknown {s}: could not be re-read" in result.output for s in ids[:2])
    assert all(f"not written {s}: still active" in result.output for s in ids[2:])
    assert [_active(db, s) for s in ids] == ["0", "0", "1", "1", "1"]
