"""The command line, end to end, on real databases (SQLite files; a few on PostgreSQL).

Expected results are computed independently with sqlite3 (or asyncpg) from the same
database the CLI reads, never from the store under test.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import tui.cli.main as cli_main
from tests.support.service_schema import service_ddl, statements
from tui.cli.main import cli
from tui.cli.render import SESSION_FIELDS
from tui.domain.triggers import DEACTIVATING, KNOWN_REASONS, Trigger
from tui.settings import Settings
from tui.store.demo import DEFAULT_SEED, DEFAULT_SESSIONS, write_demo, write_demo_db
from tui.store.target import resolve_target

ANCHOR = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
N_SESSIONS = 300
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SESSIONS_SQL = """
    SELECT s.id FROM remote_agent_sessions s
    LEFT JOIN remote_agent_conversations c ON c.id = s.conversation_id
    LEFT JOIN remote_agent_codebases cb ON cb.id = COALESCE(s.codebase_id, c.codebase_id)
"""


# -- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer database, no real cache: every lookup lands under tmp_path."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ARCHON_HOME", str(tmp_path / "archon-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "demo.db"
    asyncio.run(write_demo_db(path, n_sessions=N_SESSIONS, anchor=ANCHOR))
    return path


@pytest.fixture
def db(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database, free for the test to change."""
    dest = tmp_path / "work" / "archon.db"
    dest.parent.mkdir()
    shutil.copy(demo_template, dest)
    return dest


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    """A service database from before migration 016 (no ended_reason), with one session."""
    path = tmp_path / "old" / "archon.db"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    for stmt in statements(service_ddl("sqlite", ended_reason=False)):
        conn.execute(stmt)
    conn.execute(
        "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id) "
        "VALUES ('c0ffee', 'slack', 'C123')"
    )
    conn.execute(
        "INSERT INTO remote_agent_sessions (id, conversation_id, active) "
        "VALUES ('5e55104', 'c0ffee', 1)"
    )
    conn.commit()
    conn.close()
    return path


def invoke(*args: Any, input: str | None = None) -> Result:
    """Run the CLI in-process; an exception other than SystemExit fails the test."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def ids_where(path: Path, where: str = "1=1", params: tuple[Any, ...] = ()) -> set[str]:
    return {r[0] for r in query(path, f"{SESSIONS_SQL} WHERE {where}", params)}


def dump(path: Path) -> list[tuple[Any, ...]]:
    return query(path, "SELECT * FROM remote_agent_sessions ORDER BY id")


def list_json(path: Path, *args: Any) -> dict[str, Any]:
    result = invoke("--db", path, "list", "--format", "json", "--limit", 0, *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def listed_ids(path: Path, *args: Any) -> list[str]:
    return [s["id"] for s in list_json(path, *args)["sessions"]]


def one(path: Path, where: str, params: tuple[Any, ...] = ()) -> str:
    rows = query(path, f"SELECT id FROM remote_agent_sessions WHERE {where} ORDER BY id", params)
    assert rows, where
    return str(rows[0][0])


def unique_prefix(path: Path, full: str, length: int = 10) -> str:
    prefix = full[:length]
    count = query(
        path, "SELECT count(*) FROM remote_agent_sessions WHERE id LIKE ?", (prefix + "%",)
    )
    assert count[0][0] == 1
    return prefix


def ambiguous_prefix(path: Path) -> str:
    rows = query(
        path,
        "SELECT substr(id, 1, 1) AS p, count(*) FROM remote_agent_sessions "
        "GROUP BY p HAVING count(*) > 1 ORDER BY p",
    )
    return str(rows[0][0])


# -- list --------------------------------------------------------------------------------------


def test_list_json_shape_is_stable(db: Path) -> None:
    result = invoke("--db", db, "list", "--format", "json", "--limit", 20)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["sessions", "next_cursor"]
    assert isinstance(data["next_cursor"], str)
    sessions = data["sessions"]
    assert len(sessions) == 20
    for s in sessions:
        assert tuple(s) == SESSION_FIELDS
        assert re.fullmatch(r"[0-9a-f]{32}", s["id"])
        assert isinstance(s["active"], bool)
        assert ISO_Z.match(s["started_at"])
        assert s["ended_at"] is None or ISO_Z.match(s["ended_at"])
        if s["active"]:
            assert (s["reason_status"], s["ended_reason"], s["ended_at"]) == ("active", None, None)
        elif s["ended_reason"] is None:
            assert s["reason_status"] == "not-recorded"
        elif s["ended_reason"] in KNOWN_REASONS:
            assert s["reason_status"] == "known"
        else:
            assert s["reason_status"] == "unrecognised"
    started = [s["started_at"] for s in sessions]
    assert started == sorted(started, reverse=True)
    # Whole ids and UTC timestamps, exactly as stored.
    first = sessions[0]
    row = query(
        db,
        "SELECT started_at, conversation_id, ended_reason FROM remote_agent_sessions WHERE id = ?",
        (first["id"],),
    )[0]
    assert first["started_at"] == row[0].replace(" ", "T") + "Z"
    assert (first["conversation_id"], first["ended_reason"]) == (row[1], row[2])


def test_list_json_all_rows_and_reason_statuses(db: Path) -> None:
    data = list_json(db)
    assert data["next_cursor"] is None
    ids = [s["id"] for s in data["sessions"]]
    assert len(ids) == len(set(ids)) == N_SESSIONS
    assert set(ids) == ids_where(db)
    statuses = {s["reason_status"] for s in data["sessions"]}
    assert statuses == {"active", "known", "unrecognised", "not-recorded"}


def test_list_csv(db: Path) -> None:
    result = invoke("--db", db, "list", "--format", "csv", "--limit", 0)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == SESSION_FIELDS
    body = [dict(zip(SESSION_FIELDS, r, strict=True)) for r in rows[1:]]
    assert len(body) == N_SESSIONS
    assert {r["id"] for r in body} == ids_where(db)
    assert {r["active"] for r in body} == {"true", "false"}
    assert all(ISO_Z.match(r["started_at"]) for r in body)


def test_list_table_shows_reasons_the_operator_can_read(db: Path) -> None:
    result = invoke("--db", db, "list", "--limit", N_SESSIONS)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "STATUS",
        "ID",
        "PLATFORM",
        "CONVERSATION",
        "CODEBASE",
        "ASSISTANT",
        "STARTED",
        "ENDED",
        "DURATION",
        "REASON",
    ]
    assert len(lines) == N_SESSIONS + 1
    assert any(line.endswith("not recorded") for line in lines)
    assert any(line.endswith("session-expired (unrecognised)") for line in lines)
    assert any(line.endswith("reset-requested") for line in lines)
    active_lines = [line for line in lines if line.startswith("active")]
    assert active_lines and all(line.endswith("—") for line in active_lines)
    # Short ids, aligned columns: the reason column starts at the same place on every line.
    some_id = one(db, "1=1")
    assert any(re.search(rf"\b{some_id[:8]}\b", line) for line in lines)
    assert some_id not in result.stdout
    reason_at = lines[0].index("REASON")
    for line in lines[1:]:
        assert line[reason_at - 2 : reason_at] == "  " and line[reason_at] != " ", line


def test_list_table_default_limit_says_more_match(db: Path) -> None:
    result = invoke("--db", db, "list")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 51
    assert "more match" in result.stderr


def test_list_table_nothing_matches(db: Path) -> None:
    result = invoke("--db", db, "list", "--platform", "no-such-platform")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no sessions match" in result.stderr


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("--status", "active"), "s.active = 1"),
        (("--status", "ended"), "s.active = 0"),
        (("--reason", "reset-requested"), "s.ended_reason = 'reset-requested'"),
        (("--reason", "session-expired"), "s.ended_reason = 'session-expired'"),
        (("--reason", "not-recorded"), "s.active = 0 AND s.ended_reason IS NULL"),
        (
            ("--reason", "unrecognised"),
            "s.ended_reason IS NOT NULL AND s.ended_reason NOT IN ({})".format(
                ", ".join(f"'{r}'" for r in KNOWN_REASONS)
            ),
        ),
        (
            ("--reason", "cwd-changed", "--reason", "not-recorded"),
            "s.ended_reason = 'cwd-changed' OR (s.active = 0 AND s.ended_reason IS NULL)",
        ),
        (("--platform", "telegram"), "c.platform_type = 'telegram'"),
        (("--codebase", "payments-api"), "cb.name = 'payments-api'"),
        (("--assistant", "codex"), "s.ai_assistant_type = 'codex'"),
        (
            ("--search", "memory"),
            "c.title LIKE '%memory%' OR cb.name LIKE '%memory%' "
            "OR c.platform_conversation_id LIKE '%memory%'",
        ),
        (
            ("--status", "ended", "--platform", "slack", "--reason", "conversation-closed"),
            "s.active = 0 AND c.platform_type = 'slack' AND s.ended_reason = 'conversation-closed'",
        ),
        (("--since", "2026-01-01T00:00:00Z"), "s.started_at >= '2026-01-01 00:00:00'"),
    ],
)
def test_list_filters(db: Path, args: tuple[str, ...], where: str) -> None:
    expected = ids_where(db, where)
    assert expected, "the demo data should exercise this filter"
    assert expected != ids_where(db), "the filter should exclude something"
    got = listed_ids(db, *args)
    assert len(got) == len(set(got))
    assert set(got) == expected


def test_list_filter_by_codebase_id_and_search_by_id(db: Path) -> None:
    cb_id = query(db, "SELECT id FROM remote_agent_codebases WHERE name = 'infra'")[0][0]
    assert set(listed_ids(db, "--codebase", cb_id)) == ids_where(db, "cb.name = 'infra'")
    sid = one(db, "active = 0")
    assert sid in listed_ids(db, "--search", sid[:12])


def test_list_since_a_duration(db: Path) -> None:
    # The demo data spans the 30 days before ANCHOR: cut it in the middle.
    days = (datetime.now(UTC) - ANCHOR).days + 15

    def cutoff() -> str:
        return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")

    before = ids_where(db, "s.started_at >= ?", (cutoff(),))
    got = set(listed_ids(db, "--since", f"{days}d"))
    after = ids_where(db, "s.started_at >= ?", (cutoff(),))
    assert after <= got <= before
    assert 0 < len(got) < N_SESSIONS


@pytest.mark.parametrize("bad", [("--since", "yesterday"), ("--status", "gone"), ("--limit", -1)])
def test_list_bad_options_are_usage_errors(db: Path, bad: tuple[Any, ...]) -> None:
    result = invoke("--db", db, "list", *bad)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize("sort", ["started", "ended", "duration"])
def test_list_limit_above_a_page_walks_pages(db: Path, sort: str) -> None:
    limit = 250  # more than the CLI's page of 100
    result = invoke("--db", db, "list", "--format", "json", "--sort", sort, "--limit", limit)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    ids = [s["id"] for s in data["sessions"]]
    assert len(ids) == len(set(ids)) == limit
    assert data["next_cursor"] is not None
    if sort == "started":
        expected = query(
            db,
            f"SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC LIMIT {limit}",
        )
        assert ids == [r[0] for r in expected]
    elif sort == "ended":
        ended = [s["ended_at"] or "9999" for s in data["sessions"]]
        assert ended == sorted(ended, reverse=True)
    else:
        durations = [s["duration_seconds"] for s in data["sessions"]]
        assert all(a >= b - 2 for a, b in itertools.pairwise(durations))


def test_list_csv_and_table_stream_every_page(db: Path) -> None:
    result = invoke("--db", db, "list", "--format", "csv", "--limit", 0, "--sort", "ended")
    ids = [r[0] for r in csv.reader(io.StringIO(result.stdout))][1:]
    assert len(ids) == len(set(ids)) == N_SESSIONS
    table = invoke("--db", db, "list", "--limit", 230)
    assert len(table.stdout.splitlines()) == 231
    assert len({line.split()[1] for line in table.stdout.splitlines()[1:]}) == 230


@pytest.mark.parametrize("sort", ["started", "ended"])
def test_list_cursor_continues_where_json_stopped(db: Path, sort: str) -> None:
    whole = listed_ids(db, "--sort", sort)
    first = invoke("--db", db, "list", "--format", "json", "--sort", sort, "--limit", 120)
    token = json.loads(first.stdout)["next_cursor"]
    second = invoke(
        "--db", db, "list", "--format", "json", "--sort", sort, "--limit", 120, "--cursor", token
    )
    assert second.exit_code == 0, second.output
    got = [s["id"] for s in json.loads(second.stdout)["sessions"]]
    assert got == whole[120:240]
    wrong_sort = invoke("--db", db, "list", "--sort", "duration", "--cursor", token)
    assert wrong_sort.exit_code == 2
    garbage = invoke("--db", db, "list", "--cursor", "not-a-cursor!")
    assert garbage.exit_code == 2


# -- hostile strings ---------------------------------------------------------------------------


def test_hostile_strings_are_neutralised_in_table_and_text(db: Path) -> None:
    hostile = "ESC \x1b[31mred\x1b[0m [bold]x[/bold]\nforged line\x07\u202etxt"
    sid = one(db, "active = 1")
    conv = query(db, "SELECT conversation_id FROM remote_agent_sessions WHERE id = ?", (sid,))
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE remote_agent_conversations SET title = ? WHERE id = ?", (hostile, conv[0][0])
    )
    conn.execute(
        "UPDATE remote_agent_sessions SET ended_reason = ?, active = 0, ended_at = started_at "
        "WHERE id = ?",
        ("\x1b]0;pwned\x07", sid),
    )
    conn.commit()
    conn.close()
    n_conv = query(
        db, "SELECT count(*) FROM remote_agent_sessions WHERE conversation_id = ?", (conv[0][0],)
    )[0][0]

    table = invoke("--db", db, "list", "--limit", N_SESSIONS, "--search", "forged")
    assert table.exit_code == 0
    for ch in ("\x1b", "\x07", "\u202e"):
        assert ch not in table.output
    assert "\\e[31mred" in table.stdout
    assert "[bold]x" in table.stdout  # literal text, not markup
    assert len(table.stdout.splitlines()) == n_conv + 1  # the newline did not forge a row
    assert "(unrecognised)" in table.stdout

    text = invoke("--db", db, "show", sid)
    assert text.exit_code == 0
    assert "\x1b" not in text.output and "\x07" not in text.output
    assert "\\e]0;pwned" in text.stdout

    raw = invoke("--db", db, "list", "--format", "json", "--search", "forged")
    assert "\x1b" not in raw.stdout and "\u202e" not in raw.stdout
    titles = {s["title"] for s in json.loads(raw.stdout)["sessions"]}
    assert titles == {hostile}  # JSON keeps the raw value, escaped


# -- show --------------------------------------------------------------------------------------


def _chain_in_db(path: Path, sid: str) -> tuple[list[str], list[str]]:
    hops = [sid]
    while True:
        parent = query(
            path, "SELECT parent_session_id FROM remote_agent_sessions WHERE id = ?", (hops[0],)
        )[0][0]
        if parent is None:
            break
        hops.insert(0, parent)
    children = query(
        path,
        "SELECT id FROM remote_agent_sessions WHERE parent_session_id = ? ORDER BY started_at",
        (sid,),
    )
    return hops, [r[0] for r in children]


def _mid_chain(path: Path) -> str:
    return one(
        path,
        "parent_session_id IS NOT NULL AND EXISTS (SELECT 1 FROM remote_agent_sessions c "
        "WHERE c.parent_session_id = remote_agent_sessions.id)",
    )


def test_show_by_prefix_text(db: Path) -> None:
    sid = _mid_chain(db)
    hops, children = _chain_in_db(db, sid)
    result = invoke("--db", db, "show", unique_prefix(db, sid))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"Session {sid}")
    for heading in ("Conversation", "Codebase", "Metadata", "Chain (oldest → newest)", "Children"):
        assert f"\n{heading}" in out
    chain_part = out.split("Chain (oldest → newest)")[1].split("\nChildren")[0]
    assert [h for h in hops if h in chain_part] == hops
    assert [chain_part.index(h) for h in hops] == sorted(chain_part.index(h) for h in hops)
    current = [line for line in chain_part.splitlines() if "← this session" in line]
    assert len(current) == 1 and sid in current[0]
    children_part = out.split("\nChildren")[1]
    assert all(c in children_part for c in children)
    assert '"model":' in out  # metadata pretty-printed
    platform = query(
        db,
        "SELECT c.platform_conversation_id FROM remote_agent_sessions s "
        "JOIN remote_agent_conversations c ON c.id = s.conversation_id WHERE s.id = ?",
        (sid,),
    )[0][0]
    assert platform in out


def test_show_json_with_chain(db: Path) -> None:
    sid = _mid_chain(db)
    hops, children = _chain_in_db(db, sid)
    result = invoke("--db", db, "show", unique_prefix(db, sid), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "session",
        "conversation",
        "codebase",
        "extra",
        "metadata",
        "metadata_valid",
        "chain",
        "chain_truncated",
        "children",
    ]
    assert data["session"]["id"] == sid
    assert set(SESSION_FIELDS) <= set(data["session"])
    assert [h["id"] for h in data["chain"]] == hops
    assert [h["current"] for h in data["chain"]] == [h == sid for h in hops]
    assert [c["id"] for c in data["children"]] == children
    for hop in data["chain"][:-1]:
        assert hop["active"] is False
        assert hop["reason_status"] in ("known", "unrecognised", "not-recorded")
    assert data["chain"][1]["transition_reason"] is not None
    assert data["metadata_valid"] is True
    assert isinstance(data["metadata"], dict) and "model" in data["metadata"]
    assert data["conversation"]["id"] == data["session"]["conversation_id"]


def test_show_invalid_metadata_is_shown_raw(db: Path) -> None:
    sid = one(db, "active = 1")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE remote_agent_sessions SET metadata = ? WHERE id = ?", ("{oops", sid))
    conn.commit()
    conn.close()
    text = invoke("--db", db, "show", sid)
    assert text.exit_code == 0
    assert "not valid JSON" in text.stdout and "{oops" in text.stdout
    data = json.loads(invoke("--db", db, "show", sid, "--format", "json").stdout)
    assert (data["metadata"], data["metadata_valid"]) == ("{oops", False)


def test_show_ambiguous_or_unknown_prefix_exits_1(db: Path) -> None:
    ambiguous = invoke("--db", db, "show", ambiguous_prefix(db))
    assert ambiguous.exit_code == 1
    assert "several" in ambiguous.stderr and ambiguous.stderr.startswith("Error: ")
    unknown = invoke("--db", db, "show", "zzzz")
    assert unknown.exit_code == 1
    assert "no session" in unknown.stderr
    assert "Traceback" not in unknown.output


# -- end ---------------------------------------------------------------------------------------


def test_end_records_reason_time_and_actor(db: Path) -> None:
    sid = one(db, "active = 1")
    before_meta = json.loads(
        query(db, "SELECT metadata FROM remote_agent_sessions WHERE id = ?", (sid,))[0][0]
    )
    others = [r for r in dump(db) if r[0] != sid]
    result = invoke(
        "--db", db, "end", unique_prefix(db, sid), "--reason", "reset-requested",
        "--yes", "--actor", "alice",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ended {sid} (reset-requested)\n"
    active, ended_at, reason, meta = query(
        db,
        "SELECT active, ended_at, ended_reason, metadata FROM remote_agent_sessions WHERE id = ?",
        (sid,),
    )[0]
    assert (active, reason) == (0, "reset-requested")
    when = datetime.strptime(ended_at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - when) < timedelta(minutes=5)  # the database clock
    meta = json.loads(meta)
    assert meta["endedBy"]["actor"] == "alice"
    assert meta["endedBy"]["tool"] == "sessions-tui"
    assert {k: v for k, v in meta.items() if k != "endedBy"} == before_meta
    assert [r for r in dump(db) if r[0] != sid] == others


def test_end_already_ended_keeps_the_first_reason(db: Path) -> None:
    sid = one(db, "active = 1")
    first = invoke("--db", db, "end", sid, "--reason", "cwd-changed", "--yes")
    assert first.exit_code == 0
    row = query(
        db,
        "SELECT ended_at, ended_reason, metadata FROM remote_agent_sessions WHERE id = ?",
        (sid,),
    )
    again = invoke("--db", db, "end", sid, "--reason", "conversation-closed", "--yes")
    assert again.exit_code == 1
    assert again.stdout.startswith(f"already ended {sid} at ")
    assert "(cwd-changed) — left unchanged" in again.stdout
    assert (
        query(
            db,
            "SELECT ended_at, ended_reason, metadata FROM remote_agent_sessions WHERE id = ?",
            (sid,),
        )
        == row
    )

    legacy = one(db, "active = 0 AND ended_reason IS NULL")
    result = invoke("--db", db, "end", legacy, "--reason", "cwd-changed", "-y")
    assert result.exit_code == 1
    assert "(not recorded) — left unchanged" in result.stdout


def test_end_mixed_outcomes(db: Path) -> None:
    active = one(db, "active = 1")
    ended = one(db, "active = 0 AND ended_reason = 'reset-requested'")
    result = invoke(
        "--db", db, "end", active, "nothere", ended, active[:12], "--reason", "repo-removed", "-y"
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        f"ended {active} (repo-removed)",
        "not found nothere",
        lines[2],
    ]
    assert lines[2].startswith(f"already ended {ended} at ")
    assert lines[2].endswith("(reset-requested) — left unchanged")
    assert query(
        db, "SELECT active, ended_reason FROM remote_agent_sessions WHERE id = ?", (active,)
    ) == [(0, "repo-removed")]


def test_end_dry_run_changes_nothing(db: Path) -> None:
    active = one(db, "active = 1")
    ended = one(db, "active = 0 AND ended_reason IS NOT NULL")
    before = dump(db)
    result = invoke(
        "--db", db, "end", active[:10], "--reason", "context-reset", "--dry-run", "--actor", "bob"
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"would end {active} (currently active)" in out
    for part in ("active=false", "ended_reason=context-reset", "database clock", "bob"):
        assert part in out
    assert "dry run: nothing changed" in out
    mixed = invoke("--db", db, "end", active, ended, "--reason", "context-reset", "--dry-run")
    assert mixed.exit_code == 1  # the real run would not end them all
    assert "would be left unchanged" in mixed.stdout
    assert dump(db) == before


@pytest.mark.parametrize("reason", ["bogus", "plan-to-execute", "first-message", "session-expired"])
def test_end_refuses_a_non_deactivating_reason_before_opening_the_db(
    db: Path, tmp_path: Path, reason: str
) -> None:
    before = dump(db)
    result = invoke("--db", db, "end", one(db, "active = 1"), "--reason", reason, "--yes")
    assert result.exit_code == 2
    for trigger in DEACTIVATING:
        assert trigger.wire in result.stderr
    assert dump(db) == before
    # Validated before any database is looked for: a missing file is not reported.
    missing = invoke("--db", tmp_path / "missing.db", "end", "abc", "--reason", reason)
    assert missing.exit_code == 2
    assert "no database" not in missing.output


def test_end_prompt(db: Path) -> None:
    sid = one(db, "active = 1")
    before = dump(db)
    declined = invoke("--db", db, "end", sid, "--reason", "reset-requested", input="n\n")
    assert declined.exit_code == 1
    assert f"would end {sid}" in declined.stdout
    assert "aborted, nothing changed" in declined.stderr
    no_stdin = invoke("--db", db, "end", sid, "--reason", "reset-requested")
    assert no_stdin.exit_code == 1
    assert "aborted, nothing changed" in no_stdin.stderr
    assert dump(db) == before
    accepted = invoke("--db", db, "end", sid, "--reason", "reset-requested", input="y\n")
    assert accepted.exit_code == 0
    assert f"ended {sid} (reset-requested)" in accepted.stdout
    assert query(db, "SELECT active FROM remote_agent_sessions WHERE id = ?", (sid,)) == [(0,)]


def test_end_without_anything_active_does_not_prompt(db: Path) -> None:
    ended = one(db, "active = 0")
    result = invoke("--db", db, "end", ended, "--reason", "reset-requested")
    assert result.exit_code == 1
    assert "already ended" in result.stdout
    assert "aborted" not in result.output


def test_end_read_only_or_pre_016_is_refused(db: Path, old_db: Path) -> None:
    before = dump(db)
    ro = invoke("--db", db, "--read-only", "end", one(db, "active = 1"), "--reason", "cwd-changed")
    assert ro.exit_code == 1
    assert "read-only" in ro.stderr
    assert dump(db) == before
    old = invoke("--db", old_db, "end", "5e55104", "--reason", "cwd-changed", "--yes")
    assert old.exit_code == 1
    assert "ended_reason" in old.stderr and "sessions-tui migrate" in old.stderr
    # Reading a pre-016 database still works.
    listed = invoke("--db", old_db, "list", "--format", "json")
    assert json.loads(listed.stdout)["sessions"][0]["id"] == "5e55104"


def test_end_ambiguous_prefix_changes_nothing(db: Path) -> None:
    before = dump(db)
    result = invoke("--db", db, "end", ambiguous_prefix(db), "--reason", "cwd-changed", "--yes")
    assert result.exit_code == 1
    assert "several" in result.stderr
    assert dump(db) == before


# -- reasons -----------------------------------------------------------------------------------


def test_reasons_table_and_json() -> None:
    table = invoke("reasons")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    for trigger in Trigger:
        line = next(line for line in lines if line.startswith(trigger.wire + " "))
        assert trigger.behaviour.value in line and trigger.description in line
        assert (" yes " in line) == trigger.deactivates
    data = json.loads(invoke("reasons", "--format", "json").stdout)
    assert [r["reason"] for r in data["reasons"]] == [t.wire for t in Trigger]
    assert {r["reason"] for r in data["reasons"] if r["operator_may_end"]} == {
        t.wire for t in DEACTIVATING
    }
    assert all(set(r) == {"reason", "behaviour", "operator_may_end", "description"}
               for r in data["reasons"])  # fmt: skip


# -- migrate -----------------------------------------------------------------------------------


def _columns(path: Path) -> set[str]:
    return {r[1] for r in query(path, "PRAGMA table_info(remote_agent_sessions)")}


def test_migrate_sql_changes_nothing_then_migrate_applies(old_db: Path) -> None:
    digest = hashlib.sha256(old_db.read_bytes()).hexdigest()
    sql = invoke("--db", old_db, "migrate", "--sql")
    assert sql.exit_code == 0, sql.output
    assert "ALTER TABLE remote_agent_sessions ADD COLUMN ended_reason" in sql.stdout
    assert hashlib.sha256(old_db.read_bytes()).hexdigest() == digest
    assert "ended_reason" not in _columns(old_db)

    ro = invoke("--db", old_db, "--read-only", "migrate")
    assert ro.exit_code == 2

    applied = invoke("--db", old_db, "migrate")
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.startswith("applied ")
    assert "ended_reason" in _columns(old_db)
    assert query(old_db, "SELECT id, active FROM remote_agent_sessions") == [("5e55104", 1)]
    again = invoke("--db", old_db, "migrate")
    assert again.exit_code == 0
    assert "already up to date" in again.stdout
    ended = invoke("--db", old_db, "end", "5e55", "--reason", "cwd-changed", "--yes")
    assert ended.exit_code == 0, ended.output


def test_migrate_needs_an_existing_database(tmp_path: Path) -> None:
    result = invoke("--db", tmp_path / "nope.db", "migrate")
    assert result.exit_code == 1
    assert "sessions-tui --demo" in result.stderr
    assert not (tmp_path / "nope.db").exists()


# -- demo-db -----------------------------------------------------------------------------------


def test_demo_db_summary_and_determinism(tmp_path: Path) -> None:
    assert (cli_main.DEMO_DB_SESSIONS, cli_main.DEMO_DB_SEED) == (DEFAULT_SESSIONS, DEFAULT_SEED)
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    anchor = "2026-01-15T12:00:00Z"
    first = invoke("demo-db", a, "--sessions", 250, "--seed", 3, "--anchor", anchor)
    assert first.exit_code == 0, first.output
    out = first.stdout
    assert out.splitlines()[0] == f"wrote {a}"

    def number(label: str) -> int:
        match = re.search(rf"^\s+{label}\s+(\d+)", out, re.M)
        assert match, label
        return int(match.group(1))

    assert number("sessions") == 250 == query(a, "SELECT count(*) FROM remote_agent_sessions")[0][0]
    assert (
        number("conversations") == query(a, "SELECT count(*) FROM remote_agent_conversations")[0][0]
    )
    assert (
        number("active")
        == query(a, "SELECT count(*) FROM remote_agent_sessions WHERE active = 1")[0][0]
    )
    assert number("not recorded") == len(ids_where(a, "s.active = 0 AND s.ended_reason IS NULL"))
    assert number("unrecognised") == len(
        ids_where(a, "s.ended_reason IN ('session-expired', 'model-switched')")
    )
    assert number("stale") >= 0

    assert invoke("demo-db", b, "--sessions", 250, "--seed", 3, "--anchor", anchor).exit_code == 0
    assert invoke("demo-db", c, "--sessions", 250, "--seed", 4, "--anchor", anchor).exit_code == 0
    assert dump(a) == dump(b)
    assert dump(a) != dump(c)
    conv_cols = "id, platform_type, platform_conversation_id, codebase_id, title, last_activity_at"
    conv_sql = f"SELECT {conv_cols} FROM remote_agent_conversations ORDER BY id"
    assert query(a, conv_sql) == query(b, conv_sql)

    exists = invoke("demo-db", a, "--sessions", 10)
    assert exists.exit_code == 1
    assert "--force" in exists.stderr
    forced = invoke("demo-db", a, "--sessions", 10, "--force")
    assert forced.exit_code == 0
    assert query(a, "SELECT count(*) FROM remote_agent_sessions")[0][0] == 10
    assert invoke("demo-db", a, "--anchor", "someday").exit_code == 2


# -- database choice and errors ----------------------------------------------------------------


def test_missing_database_names_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[Settings] = []
    monkeypatch.setattr(cli_main, "launch_dashboard", launched.append)
    for args in (["list"], [], ["--db", tmp_path / "x.db", "show", "abc"]):
        result = invoke(*args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("Error: ")
        assert "sessions-tui --demo" in result.stderr
        assert "Traceback" not in result.output
    assert launched == []
    # $ARCHON_HOME/archon.db is the default.
    assert str(tmp_path / "archon-home" / "archon.db") in invoke("list").stderr


def test_password_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke("--url", "postgresql://u:SECRETPW@127.0.0.1:1/db", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "127.0.0.1" in result.stderr
    assert "SECRETPW" not in result.output
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:SECRETPW@127.0.0.1:1/db")
    from_env = invoke("show", "abc")
    assert from_env.exit_code == 1
    assert "SECRETPW" not in from_env.output
    bad = invoke("--url", "mysql://u:SECRETPW@h/db", "list")
    assert bad.exit_code == 1 and "SECRETPW" not in bad.output


def test_conflicting_database_options(db: Path) -> None:
    assert invoke("--db", db, "--url", "postgresql://h/db", "list").exit_code == 2
    assert invoke("--demo", "--db", db, "list").exit_code == 2


def test_not_a_service_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    result = invoke("--db", path, "list")
    assert result.exit_code == 1
    assert "not an Archon service database" in result.stderr


# -- the dashboard entry -----------------------------------------------------------------------


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Settings]]:
    calls: list[Settings] = []
    monkeypatch.setattr(cli_main, "launch_dashboard", calls.append)
    yield calls


def test_root_builds_dashboard_settings(db: Path, launched: list[Settings]) -> None:
    result = invoke("--db", db, "--read-only", "--refresh", 0, "--stale-after", "2h")
    assert result.exit_code == 0, result.output
    (settings,) = launched
    assert settings.target.kind == "sqlite"
    assert settings.target.path == db.resolve()
    assert settings.read_only is True
    assert settings.refresh_seconds == 0
    assert settings.stale_after == timedelta(hours=2)


def test_root_defaults(db: Path, tmp_path: Path, launched: list[Settings]) -> None:
    home = tmp_path / "archon-home"
    home.mkdir()
    shutil.copy(db, home / "archon.db")
    assert invoke().exit_code == 0
    (settings,) = launched
    assert settings.target.path == (home / "archon.db").resolve()
    assert settings.target.source == "$ARCHON_HOME"
    assert (settings.read_only, settings.refresh_seconds) == (False, 5)
    assert settings.stale_after == timedelta(hours=24)


def test_root_bad_options(db: Path, launched: list[Settings]) -> None:
    assert invoke("--db", db, "--stale-after", "soon").exit_code == 2
    assert invoke("--db", db, "--refresh", -1).exit_code == 2
    assert launched == []


def test_demo_builds_and_caches(tmp_path: Path, launched: list[Settings]) -> None:
    first = invoke("--demo", "list", "--format", "json", "--limit", 5)
    assert first.exit_code == 0, first.output
    assert "building the demo database" in first.stderr
    assert len(json.loads(first.stdout)["sessions"]) == 5
    cached = list((tmp_path / "cache" / "sessions-tui").glob("demo-*.db"))
    assert len(cached) == 1
    again = invoke("--demo")
    assert again.exit_code == 0
    assert "building" not in again.stderr
    (settings,) = launched
    assert settings.target.path == cached[0].resolve()


def test_version_and_module_entry_point() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert "0.1.0" in result.stdout
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "--version"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0 and "0.1.0" in proc.stdout


def test_cli_import_does_not_load_textual() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    code = (
        "import sys, tui.cli.main; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'sqlalchemy'}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """A PostgreSQL database with this tool's schema and the 300-session demo data."""
    target = resolve_target(url=pg_database)
    asyncio.run(write_demo(target, n_sessions=N_SESSIONS, anchor=ANCHOR))
    return pg_database


def pg_fetch(url: str, sql: str, *args: Any) -> list[Any]:
    import asyncpg

    async def go() -> list[Any]:
        conn = await asyncpg.connect(url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return asyncio.run(go())


@pytest.mark.postgres
def test_pg_list_json(pg_url: str) -> None:
    result = invoke("--url", pg_url, "list", "--format", "json", "--limit", 100)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    ids = [s["id"] for s in data["sessions"]]
    assert len(ids) == len(set(ids)) == 100
    assert isinstance(data["next_cursor"], str)
    expected = pg_fetch(
        pg_url, "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC LIMIT 100"
    )
    assert ids == [str(r["id"]) for r in expected]
    assert all(tuple(s) == SESSION_FIELDS for s in data["sessions"])
    assert all(ISO_Z.match(s["started_at"]) for s in data["sessions"])
    assert all(re.fullmatch(r"[0-9a-f-]{36}", s["id"]) for s in data["sessions"])
    unrec = invoke(
        "--url", pg_url, "list", "--format", "json", "--reason", "session-expired", "--limit", 100
    )
    expected = pg_fetch(
        pg_url, "SELECT id FROM remote_agent_sessions WHERE ended_reason = 'session-expired'"
    )
    assert {s["id"] for s in json.loads(unrec.stdout)["sessions"]} == {
        str(r["id"]) for r in expected
    }


@pytest.mark.postgres
def test_pg_list_walks_pages(pg_url: str) -> None:
    result = invoke("--url", pg_url, "list", "--format", "json", "--limit", 0)
    assert result.exit_code == 0, result.output
    ids = [s["id"] for s in json.loads(result.stdout)["sessions"]]
    assert len(ids) == len(set(ids)) == N_SESSIONS
    assert {str(r["id"]) for r in pg_fetch(pg_url, "SELECT id FROM remote_agent_sessions")} == set(
        ids
    )


@pytest.mark.postgres
def test_pg_show_by_prefix(pg_url: str) -> None:
    rows = pg_fetch(
        pg_url,
        "SELECT s.id, s.parent_session_id FROM remote_agent_sessions s "
        "WHERE s.parent_session_id IS NOT NULL ORDER BY s.id LIMIT 1",
    )
    sid, parent = str(rows[0]["id"]), str(rows[0]["parent_session_id"])
    result = invoke("--url", pg_url, "show", sid[:13], "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["session"]["id"] == sid
    assert [h["id"] for h in data["chain"]][-2:] == [parent, sid]
    assert data["chain"][-1]["current"] is True
    assert data["metadata_valid"] is True and "model" in data["metadata"]
    text = invoke("--url", pg_url, "show", sid[:13])
    assert text.exit_code == 0 and "← this session" in text.stdout


@pytest.mark.postgres
def test_pg_end_and_verify(pg_url: str) -> None:
    row = pg_fetch(
        pg_url, "SELECT id, metadata FROM remote_agent_sessions WHERE active ORDER BY id LIMIT 1"
    )[0]
    sid, before = str(row["id"]), json.loads(row["metadata"])
    result = invoke(
        "--url",
        pg_url,
        "end",
        sid[:13],
        "--reason",
        "worktree-removed",
        "--yes",
        "--actor",
        "carol",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ended {sid} (worktree-removed)\n"
    after = pg_fetch(
        pg_url,
        "SELECT active, ended_at, ended_reason, metadata FROM remote_agent_sessions WHERE id = $1",
        row["id"],
    )[0]
    assert after["active"] is False
    assert after["ended_reason"] == "worktree-removed"
    assert after["ended_at"] is not None
    meta = json.loads(after["metadata"])
    assert meta["endedBy"]["actor"] == "carol"
    assert {k: v for k, v in meta.items() if k != "endedBy"} == before
    again = invoke("--url", pg_url, "end", sid, "--reason", "cwd-changed", "--yes")
    assert again.exit_code == 1
    assert "(worktree-removed) — left unchanged" in again.stdout


@pytest.mark.postgres
def test_pg_error_hides_the_password(pg_url: str) -> None:
    from tests.support.pgserver import PASSWORD

    wrong_db = pg_url.rsplit("/", 1)[0] + "/no_such_database"
    result = invoke("--url", wrong_db, "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert PASSWORD not in result.output
