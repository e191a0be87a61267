"""The command line, end to end, on real databases.

Every test that reads or changes sessions through the CLI runs once per backend (SQLite
file, PostgreSQL database) from one body, via the `cli_db` fixture; only the tests about
SQLite files as such (missing or foreign files, demo-db, pre-016 migration, dashboard
settings) are SQLite-only. Expected results are computed independently with sqlite3 or
asyncpg from the same database the CLI reads, never from the store under test.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import hashlib
import io
import itertools
import json
import os
import pty
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import tui.cli.common as cli_common
import tui.cli.schema as cli_schema
from tests.support.cli_env import invoke, isolate
from tests.support.dbs import create_service_db
from tests.support.pgserver import PASSWORD
from tests.support.service_schema import service_ddl, statements
from tests.support.templates import ServiceTemplates
from tui.domain.columns import FIELD_KEYS
from tui.domain.triggers import KNOWN_REASONS, MIGRATION_016, Trigger
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
    isolate(tmp_path, monkeypatch)


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


@dataclass
class CliDb:
    """A demo database on one backend, as the CLI sees it and as tests check it.

    `fetch` reads it independently of the store under test (sqlite3 or asyncpg). Test SQL
    uses `?` placeholders on both backends; values come back normalised: UUIDs as text,
    timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]` text (naive UTC). Booleans stay as the
    driver gives them (SQLite 0/1, PostgreSQL bool: compare with `bool(...)`), and JSON
    columns come back as text on both (`json.loads` them).
    """

    backend: str
    args: list[str]
    """The CLI's global options that select this database."""
    missing: list[str]
    """Global options naming a database that does not exist, next to this one."""
    location: str

    def fetch(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.location)
            try:
                rows = conn.execute(sql, tuple(_sqlite_param(p) for p in params)).fetchall()
                conn.commit()
            finally:
                conn.close()
            return [tuple(_normalise(v) for v in row) for row in rows]
        return [tuple(_normalise(v) for v in row) for row in _pg_fetch(self.location, sql, params)]

    def execute(self, sql: str, *params: Any) -> None:
        """A write the CLI should then see (committed)."""
        self.fetch(sql, *params)


def _sqlite_param(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def _normalise(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        fmt = "%Y-%m-%d %H:%M:%S.%f" if value.microsecond else "%Y-%m-%d %H:%M:%S"
        return value.strftime(fmt)
    return value


def _pg_fetch(url: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    import asyncpg

    counter = itertools.count(1)
    pg_sql = re.sub(r"\?", lambda _: f"${next(counter)}", sql)

    async def go() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(r.values()) for r in await conn.fetch(pg_sql, *params)]
        finally:
            await conn.close()

    return asyncio.run(go())


def sqlite_db(path: Path) -> CliDb:
    return CliDb(
        "sqlite", ["--db", str(path)], ["--db", str(path.with_name("missing.db"))], str(path)
    )


def _write_demo(url: str) -> None:
    asyncio.run(write_demo(resolve_target(url=url), n_sessions=N_SESSIONS, anchor=ANCHOR))


@pytest.fixture
def cli_db(backend: str, request: pytest.FixtureRequest) -> CliDb:
    """The 300-session demo database, built once per backend and copied for each test,
    free for the test to change."""
    if backend == "sqlite":
        return sqlite_db(request.getfixturevalue("db"))
    url = str(request.getfixturevalue("pg_database_url"))
    templates: ServiceTemplates = request.getfixturevalue("service_templates")
    templates.copy_built(
        url, request.getfixturevalue("pg_server"), ("write_demo", N_SESSIONS), _write_demo
    )
    missing = url.rsplit("/", 1)[0] + "/no_such_database"
    return CliDb("postgresql", ["--url", url], ["--url", missing], url)


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def ids_where(database: CliDb, where: str = "1=1", *params: Any) -> set[str]:
    return {r[0] for r in database.fetch(f"{SESSIONS_SQL} WHERE {where}", *params)}


def dump(database: CliDb) -> list[tuple[Any, ...]]:
    return database.fetch("SELECT * FROM remote_agent_sessions ORDER BY id")


def list_json(database: CliDb, *args: Any) -> dict[str, Any]:
    result = invoke(*database.args, "list", "--format", "json", "--limit", 0, *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def listed_ids(database: CliDb, *args: Any) -> list[str]:
    return [s["id"] for s in list_json(database, *args)["sessions"]]


def one(database: CliDb, where: str, *params: Any) -> str:
    rows = database.fetch(
        f"SELECT id FROM remote_agent_sessions WHERE {where} ORDER BY id", *params
    )
    assert rows, where
    return str(rows[0][0])


def unique_prefix(database: CliDb, full: str, length: int = 10) -> str:
    prefix = full[:length]
    count = database.fetch(
        "SELECT count(*) FROM remote_agent_sessions WHERE CAST(id AS TEXT) LIKE ?", prefix + "%"
    )
    assert count[0][0] == 1
    return prefix


def ambiguous_prefix(database: CliDb) -> str:
    rows = database.fetch(
        "SELECT substr(CAST(id AS TEXT), 1, 1) AS p, count(*) FROM remote_agent_sessions "
        "GROUP BY p HAVING count(*) > 1 ORDER BY p",
    )
    return str(rows[0][0])


ID_PATTERN = {
    "sqlite": r"[0-9a-f]{32}",
    "postgresql": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
}
"""How each backend's service writes session ids (the demo follows it)."""


# -- list --------------------------------------------------------------------------------------


def test_list_json_shape_is_stable(cli_db: CliDb) -> None:
    result = invoke(*cli_db.args, "list", "--format", "json", "--limit", 20)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["sessions", "next_cursor"]
    assert isinstance(data["next_cursor"], str)
    sessions = data["sessions"]
    assert len(sessions) == 20
    for s in sessions:
        assert tuple(s) == FIELD_KEYS
        assert re.fullmatch(ID_PATTERN[cli_db.backend], s["id"])
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
    expected = cli_db.fetch(
        "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC LIMIT 20"
    )
    assert [s["id"] for s in sessions] == [r[0] for r in expected]
    # Whole ids and UTC timestamps, exactly as stored.
    for s in sessions:
        row = cli_db.fetch(
            "SELECT started_at, conversation_id, ended_reason, active "
            "FROM remote_agent_sessions WHERE id = ?",
            s["id"],
        )[0]
        assert s["started_at"] == row[0][:19].replace(" ", "T") + "Z"  # to the second
        assert (s["conversation_id"], s["ended_reason"]) == (row[1], row[2])
        assert s["active"] is bool(row[3])


def test_list_json_all_rows_and_reason_statuses(cli_db: CliDb) -> None:
    data = list_json(cli_db)
    assert data["next_cursor"] is None
    ids = [s["id"] for s in data["sessions"]]
    assert len(ids) == len(set(ids)) == N_SESSIONS
    assert set(ids) == ids_where(cli_db)
    statuses = {s["reason_status"] for s in data["sessions"]}
    assert statuses == {"active", "known", "unrecognised", "not-recorded"}


def test_list_csv(cli_db: CliDb) -> None:
    result = invoke(*cli_db.args, "list", "--format", "csv", "--limit", 0)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == FIELD_KEYS
    body = [dict(zip(FIELD_KEYS, r, strict=True)) for r in rows[1:]]
    assert len(body) == N_SESSIONS
    assert {r["id"] for r in body} == ids_where(cli_db)
    assert {r["id"] for r in body if r["active"] == "true"} == ids_where(cli_db, "s.active")
    assert {r["active"] for r in body} == {"true", "false"}
    assert all(ISO_Z.match(r["started_at"]) for r in body)


def test_list_table_shows_reasons_the_operator_can_read(cli_db: CliDb) -> None:
    result = invoke(*cli_db.args, "list", "--limit", N_SESSIONS)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "STATUS",
        "ID",
        "PLATFORM",
        "CONVERSATION",
        "OWNER",
        "CODEBASE",
        "AGENT",
        "STARTED",
        "ENDED",
        "LASTED",
        "STUCK",
        "ENDED_REASON",
    ]
    assert len(lines) == N_SESSIONS + 1
    assert any(line.endswith("not recorded") for line in lines)
    assert any(line.endswith("⚠ session-expired") for line in lines)
    assert any(line.endswith("reset-requested") for line in lines)
    active_lines = [line for line in lines if line.startswith(("active", "stuck"))]
    assert len(active_lines) == len(ids_where(cli_db, "s.active"))
    assert all(line.endswith("—") for line in active_lines)
    # Short ids, aligned columns: the reason column starts at the same place on every line.
    some_id = one(cli_db, "1=1")
    assert any(re.search(rf"\b{some_id[:8]}\b", line) for line in lines)
    assert some_id not in result.stdout
    reason_at = lines[0].index("ENDED_REASON")
    for line in lines[1:]:
        assert line[reason_at - 2 : reason_at] == "  " and line[reason_at] != " ", line


def test_list_and_show_say_stale_like_the_dashboard(cli_db: CliDb) -> None:
    """`--stale-after` decides, as on the dashboard; JSON keeps only the `active` boolean."""
    active = {sid[:8] for sid in ids_where(cli_db, "s.active")}

    def statuses(stale_after: str) -> dict[str, str]:
        listed = invoke(
            *cli_db.args, "--stale-after", stale_after, "list", "--status", "active", "--limit", 0
        )
        assert listed.exit_code == 0, listed.output
        return {line.split()[1]: line.split()[0] for line in listed.stdout.splitlines()[1:]}

    calm = invoke(
        *cli_db.args, "--stale-after", "1000w", "list", "--status", "active", "--format", "json"
    )
    kinds = {s["id"][:8]: s["stuck"] for s in json.loads(calm.stdout)["sessions"]}
    assert not any("idle" in k for k in kinds.values())
    # the demo's other kinds stay stuck whatever --stale-after says
    assert statuses("1000w") == {i: "stuck" if kinds[i] else "active" for i in active}
    assert statuses("1s") == dict.fromkeys(active, "stuck")  # the demo's anchor is past
    (sid,) = [s for s in ids_where(cli_db, "s.active") if not kinds[s[:8]]][:1]
    assert (
        "\n  status                stuck\n"
        in invoke(*cli_db.args, "--stale-after", "1s", "show", sid).stdout
    )
    assert (
        "\n  status                active\n"
        in invoke(*cli_db.args, "--stale-after", "1000w", "show", sid).stdout
    )
    data = list_json(cli_db, "--status", "active")
    assert {s["active"] for s in data["sessions"]} == {True}
    assert all(tuple(s) == FIELD_KEYS for s in data["sessions"])


def test_list_table_default_limit_says_more_match(cli_db: CliDb) -> None:
    result = invoke(*cli_db.args, "list")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 51
    assert "more match" in result.stderr


def test_list_table_nothing_matches(cli_db: CliDb) -> None:
    result = invoke(*cli_db.args, "list", "--platform", "no-such-platform")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no sessions match" in result.stderr


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("--status", "active"), "s.active"),
        (("--status", "ended"), "NOT s.active"),
        (("--reason", "reset-requested"), "s.ended_reason = 'reset-requested'"),
        (("--reason", "session-expired"), "s.ended_reason = 'session-expired'"),
        (("--reason", "not-recorded"), "NOT s.active AND s.ended_reason IS NULL"),
        (
            ("--reason", "unrecognised"),
            "s.ended_reason IS NOT NULL AND s.ended_reason NOT IN ({})".format(
                ", ".join(f"'{r}'" for r in KNOWN_REASONS)
            ),
        ),
        (
            ("--reason", "cwd-changed", "--reason", "not-recorded"),
            "s.ended_reason = 'cwd-changed' OR (NOT s.active AND s.ended_reason IS NULL)",
        ),
        (("--platform", "telegram"), "c.platform_type = 'telegram'"),
        (("--codebase", "payments-api"), "cb.name = 'payments-api'"),
        (("--assistant", "codex"), "s.ai_assistant_type = 'codex'"),
        (
            ("--search", "memory"),
            "lower(c.title) LIKE '%memory%' OR lower(cb.name) LIKE '%memory%' "
            "OR lower(c.platform_conversation_id) LIKE '%memory%'",
        ),
        (
            ("--status", "ended", "--platform", "slack", "--reason", "conversation-closed"),
            "NOT s.active AND c.platform_type = 'slack' AND s.ended_reason = 'conversation-closed'",
        ),
        (("--since", "2026-01-01T00:00:00Z"), "s.started_at >= '2026-01-01 00:00:00'"),
    ],
)
def test_list_filters(cli_db: CliDb, args: tuple[str, ...], where: str) -> None:
    expected = ids_where(cli_db, where)
    assert expected, "the demo data should exercise this filter"
    assert expected != ids_where(cli_db), "the filter should exclude something"
    got = listed_ids(cli_db, *args)
    assert len(got) == len(set(got))
    assert set(got) == expected


def test_a_stored_value_spelled_like_a_filter_word_is_its_own_value(cli_db: CliDb) -> None:
    """`not-recorded` names the NULL reasons; `=not-recorded` is a stored value so spelled."""
    sid = one(cli_db, "NOT active AND ended_reason = 'cwd-changed'")
    cli_db.execute(
        "UPDATE remote_agent_sessions SET ended_reason = 'not-recorded' WHERE id = ?", sid
    )
    assert listed_ids(cli_db, "--reason", "=not-recorded") == [sid]
    legacy = ids_where(cli_db, "NOT s.active AND s.ended_reason IS NULL")
    assert legacy and set(listed_ids(cli_db, "--reason", "not-recorded")) == legacy
    assert sid in listed_ids(cli_db, "--reason", "unrecognised")


def test_list_filter_by_codebase_id_and_search_by_id(cli_db: CliDb) -> None:
    cb_id = cli_db.fetch("SELECT id FROM remote_agent_codebases WHERE name = 'infra'")[0][0]
    expected = ids_where(cli_db, "cb.name = 'infra'")
    assert expected
    assert set(listed_ids(cli_db, "--codebase", cb_id)) == expected
    assert set(listed_ids(cli_db, "--codebase", cb_id.upper())) == expected
    sid = one(cli_db, "NOT active")
    assert sid in listed_ids(cli_db, "--search", sid[:12])


def test_list_since_a_duration(cli_db: CliDb) -> None:
    # The demo data spans the 30 days before ANCHOR: cut it in the middle.
    days = (datetime.now(UTC) - ANCHOR).days + 15

    def cutoff() -> datetime:
        return (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None, microsecond=0)

    before = ids_where(cli_db, "s.started_at >= ?", cutoff())
    got = set(listed_ids(cli_db, "--since", f"{days}d"))
    after = ids_where(cli_db, "s.started_at >= ?", cutoff())
    assert after <= got <= before
    assert 0 < len(got) < N_SESSIONS


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        (("list", "--since", "yesterday"), "neither a duration"),
        (("list", "--status", "gone"), "gone"),
        (("list", "--limit", -1), "--limit"),
        (("list", "--since", "10000000d"), "longer than 100 years"),
        (("list", "--since", "99999999999999999999d"), "longer than 100 years"),
        (("--stale-after", "99999999999999999999d", "list"), "longer than 100 years"),
        (("--refresh", "0.001", "list"), "at least 0.5 seconds"),
        (("--refresh", "nan", "list"), "not a number"),
        (("--refresh", "inf", "list"), "--refresh"),
    ],
)
def test_bad_options_are_usage_errors(cli_db: CliDb, bad: tuple[Any, ...], said: str) -> None:
    """One line and exit 2: a huge duration was an OverflowError traceback, and a
    microsecond refresh froze the dashboard's keyboard."""
    result = invoke(*cli_db.args, *bad)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert said in result.stderr, result.stderr


@pytest.mark.parametrize("sort", ["started", "ended", "duration"])
def test_list_limit_above_a_page_walks_pages(cli_db: CliDb, sort: str) -> None:
    limit = 250  # more than the CLI's page of 100
    result = invoke(*cli_db.args, "list", "--format", "json", "--sort", sort, "--limit", limit)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    ids = [s["id"] for s in data["sessions"]]
    assert len(ids) == len(set(ids)) == limit
    assert data["next_cursor"] is not None
    if sort == "started":
        expected = cli_db.fetch(
            f"SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC LIMIT {limit}"
        )
        assert ids == [r[0] for r in expected]
    elif sort == "ended":
        ended = [s["ended_at"] or "9999" for s in data["sessions"]]
        assert ended == sorted(ended, reverse=True)
    else:
        durations = [s["duration_seconds"] for s in data["sessions"]]
        assert all(a >= b - 2 for a, b in itertools.pairwise(durations))


def test_list_csv_and_table_stream_every_page(cli_db: CliDb) -> None:
    result = invoke(*cli_db.args, "list", "--format", "csv", "--limit", 0, "--sort", "ended")
    assert result.exit_code == 0, result.output
    ids = [r[0] for r in csv.reader(io.StringIO(result.stdout))][1:]
    assert len(ids) == len(set(ids)) == N_SESSIONS
    assert set(ids) == ids_where(cli_db)
    table = invoke(*cli_db.args, "list", "--limit", 230)
    assert table.exit_code == 0, table.output
    assert len(table.stdout.splitlines()) == 231
    assert len({line.split()[1] for line in table.stdout.splitlines()[1:]}) == 230


@pytest.mark.parametrize("sort", ["started", "ended"])
def test_list_cursor_continues_where_json_stopped(cli_db: CliDb, sort: str) -> None:
    whole = listed_ids(cli_db, "--sort", sort)
    assert set(whole) == ids_where(cli_db)
    first = invoke(*cli_db.args, "list", "--format", "json", "--sort", sort, "--limit", 120)
    assert first.exit_code == 0, first.output
    token = json.loads(first.stdout)["next_cursor"]
    assert [s["id"] for s in json.loads(first.stdout)["sessions"]] == whole[:120]
    second = invoke(
        *cli_db.args, "list", "--format", "json", "--sort", sort, "--limit", 120, "--cursor", token
    )
    assert second.exit_code == 0, second.output
    got = [s["id"] for s in json.loads(second.stdout)["sessions"]]
    assert got == whole[120:240]
    wrong_sort = invoke(*cli_db.args, "list", "--sort", "duration", "--cursor", token)
    assert wrong_sort.exit_code == 2
    garbage = invoke(*cli_db.args, "list", "--cursor", "not-a-cursor!")
    assert garbage.exit_code == 2


# -- hostile strings ---------------------------------------------------------------------------


def test_hostile_strings_are_neutralised_in_table_and_text(cli_db: CliDb) -> None:
    hostile = "ESC \x1b[31mred\x1b[0m [bold]x[/bold]\nforged line\x07\u202etxt"
    sid = one(cli_db, "active")
    conv = cli_db.fetch("SELECT conversation_id FROM remote_agent_sessions WHERE id = ?", sid)
    cli_db.execute(
        "UPDATE remote_agent_conversations SET title = ? WHERE id = ?", hostile, conv[0][0]
    )
    cli_db.execute(
        "UPDATE remote_agent_sessions SET ended_reason = ?, active = FALSE, ended_at = started_at "
        "WHERE id = ?",
        "\x1b]0;pwned\x07",
        sid,
    )
    n_conv = cli_db.fetch(
        "SELECT count(*) FROM remote_agent_sessions WHERE conversation_id = ?", conv[0][0]
    )[0][0]

    table = invoke(*cli_db.args, "list", "--limit", N_SESSIONS, "--search", "forged")
    assert table.exit_code == 0
    for ch in ("\x1b", "\x07", "\u202e"):
        assert ch not in table.output
    assert "\\e[31mred" in table.stdout
    assert "[bold]x" in table.stdout  # literal text, not markup
    assert len(table.stdout.splitlines()) == n_conv + 1  # the newline did not forge a row
    assert "⚠ \\e]0;pwned" in table.stdout  # marked: never read as a known reason

    text = invoke(*cli_db.args, "show", sid)
    assert text.exit_code == 0
    assert "\x1b" not in text.output and "\x07" not in text.output
    assert "\\e]0;pwned" in text.stdout

    raw = invoke(*cli_db.args, "list", "--format", "json", "--search", "forged")
    assert "\x1b" not in raw.stdout and "\u202e" not in raw.stdout
    titles = {s["title"] for s in json.loads(raw.stdout)["sessions"]}
    assert titles == {hostile}  # JSON keeps the raw value, escaped


# -- show --------------------------------------------------------------------------------------


def _chain_in_db(database: CliDb, sid: str) -> tuple[list[str], list[str]]:
    hops = [sid]
    while True:
        parent = database.fetch(
            "SELECT parent_session_id FROM remote_agent_sessions WHERE id = ?", hops[0]
        )[0][0]
        if parent is None:
            break
        hops.insert(0, parent)
    children = database.fetch(
        "SELECT id FROM remote_agent_sessions WHERE parent_session_id = ? ORDER BY started_at",
        sid,
    )
    return hops, [r[0] for r in children]


def _mid_chain(database: CliDb) -> str:
    return one(
        database,
        "parent_session_id IS NOT NULL AND EXISTS (SELECT 1 FROM remote_agent_sessions c "
        "WHERE c.parent_session_id = remote_agent_sessions.id)",
    )


def test_show_by_prefix_text(cli_db: CliDb) -> None:
    sid = _mid_chain(cli_db)
    hops, children = _chain_in_db(cli_db, sid)
    assert len(hops) >= 2 and children
    result = invoke(*cli_db.args, "show", unique_prefix(cli_db, sid))
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
    platform = cli_db.fetch(
        "SELECT c.platform_conversation_id FROM remote_agent_sessions s "
        "JOIN remote_agent_conversations c ON c.id = s.conversation_id WHERE s.id = ?",
        sid,
    )[0][0]
    assert platform in out


def test_show_json_with_chain(cli_db: CliDb) -> None:
    sid = _mid_chain(cli_db)
    hops, children = _chain_in_db(cli_db, sid)
    result = invoke(*cli_db.args, "show", unique_prefix(cli_db, sid), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "session",
        "ended_by",
        "overwritten",
        "conversation",
        "codebase",
        "extra",
        "metadata",
        "metadata_valid",
        "chain",
        "chain_truncated",
        "children",
        "workflow_runs",
        "codebase_of",
    ]
    assert data["session"]["id"] == sid
    assert set(FIELD_KEYS) <= set(data["session"])
    assert [h["id"] for h in data["chain"]] == hops
    assert [h["current"] for h in data["chain"]] == [h == sid for h in hops]
    assert [c["id"] for c in data["children"]] == children
    for hop in data["chain"][:-1]:
        assert hop["active"] is False
        assert hop["reason_status"] in ("known", "unrecognised", "not-recorded")
    assert data["chain"][1]["transition_reason"] is not None
    assert data["metadata_valid"] is True
    stored = cli_db.fetch("SELECT metadata FROM remote_agent_sessions WHERE id = ?", sid)[0][0]
    assert data["metadata"] == json.loads(stored)
    assert isinstance(data["metadata"], dict) and "model" in data["metadata"]
    assert data["conversation"]["id"] == data["session"]["conversation_id"]


def test_show_invalid_metadata_is_shown_raw(db: Path) -> None:
    # SQLite only: PostgreSQL's JSONB column cannot hold invalid JSON.
    database = sqlite_db(db)
    sid = one(database, "active")
    database.execute("UPDATE remote_agent_sessions SET metadata = ? WHERE id = ?", "{oops", sid)
    text = invoke("--db", db, "show", sid)
    assert text.exit_code == 0
    assert "not valid JSON" in text.stdout and "{oops" in text.stdout
    data = json.loads(invoke("--db", db, "show", sid, "--format", "json").stdout)
    assert (data["metadata"], data["metadata_valid"]) == ("{oops", False)


def test_show_ambiguous_or_unknown_prefix_exits_1(cli_db: CliDb) -> None:
    ambiguous = invoke(*cli_db.args, "show", ambiguous_prefix(cli_db))
    assert ambiguous.exit_code == 1
    assert "several" in ambiguous.stderr and ambiguous.stderr.startswith("Error: ")
    unknown = invoke(*cli_db.args, "show", "zzzz")
    assert unknown.exit_code == 1
    assert "no session" in unknown.stderr
    assert "Traceback" not in unknown.output


# -- end ---------------------------------------------------------------------------------------


def test_end_records_reason_time_and_actor(cli_db: CliDb) -> None:
    sid = one(cli_db, "active")
    before_meta = json.loads(
        cli_db.fetch("SELECT metadata FROM remote_agent_sessions WHERE id = ?", sid)[0][0]
    )
    others = [r for r in dump(cli_db) if r[0] != sid]
    result = invoke(
        *cli_db.args, "end", unique_prefix(cli_db, sid), "--reason", "reset-requested",
        "--yes", "--actor", "alice",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ended {sid} (reset-requested)\n"
    active, ended_at, reason, meta = cli_db.fetch(
        "SELECT active, ended_at, ended_reason, metadata FROM remote_agent_sessions WHERE id = ?",
        sid,
    )[0]
    assert (bool(active), reason) == (False, "reset-requested")
    when = datetime.fromisoformat(ended_at).replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - when) < timedelta(minutes=5)  # the database clock, in UTC
    meta = json.loads(meta)
    assert meta["endedBy"]["actor"] == "alice"
    assert meta["endedBy"]["tool"] == "sessions-tui"
    assert {k: v for k, v in meta.items() if k != "endedBy"} == before_meta
    assert [r for r in dump(cli_db) if r[0] != sid] == others


def test_end_already_ended_keeps_the_first_reason(cli_db: CliDb) -> None:
    sid = one(cli_db, "active")
    first = invoke(*cli_db.args, "end", sid, "--reason", "cwd-changed", "--yes")
    assert first.exit_code == 0
    row_sql = "SELECT ended_at, ended_reason, metadata FROM remote_agent_sessions WHERE id = ?"
    row = cli_db.fetch(row_sql, sid)
    assert row[0][1] == "cwd-changed"
    again = invoke(*cli_db.args, "end", sid, "--reason", "conversation-closed", "--yes")
    assert again.exit_code == 1
    assert again.stdout.startswith(f"already ended {sid} at ")
    assert "(cwd-changed) — nothing was overwritten" in again.stdout
    assert cli_db.fetch(row_sql, sid) == row

    legacy = one(cli_db, "NOT active AND ended_reason IS NULL")
    before = dump(cli_db)
    result = invoke(*cli_db.args, "end", legacy, "--reason", "cwd-changed", "-y")
    assert result.exit_code == 1
    assert "(not recorded) — nothing was overwritten" in result.stdout
    assert dump(cli_db) == before


def test_end_mixed_outcomes(cli_db: CliDb) -> None:
    active = one(cli_db, "active")
    ended = one(cli_db, "NOT active AND ended_reason = 'reset-requested'")
    result = invoke(
        *cli_db.args, "end", active, "nothere", ended, active[:12], "--reason", "repo-removed", "-y"
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [f"ended {active} (repo-removed)", lines[1]]
    assert lines[1].startswith(f"already ended {ended} at ")
    assert lines[1].endswith("(reset-requested) — nothing was overwritten")
    assert result.stderr.splitlines() == ["not found nothere: no such session"]
    rows = cli_db.fetch(
        "SELECT id, active, ended_reason FROM remote_agent_sessions WHERE id IN (?, ?) ORDER BY id",
        active,
        ended,
    )
    assert sorted((r[0], bool(r[1]), r[2]) for r in rows) == sorted(
        [(active, False, "repo-removed"), (ended, False, "reset-requested")]
    )


def test_end_dry_run_changes_nothing(cli_db: CliDb) -> None:
    active = one(cli_db, "active")
    ended = one(cli_db, "NOT active AND ended_reason IS NOT NULL")
    before = dump(cli_db)
    result = invoke(
        *cli_db.args, "end", active[:10], "--reason", "context-reset", "--dry-run", "--actor", "bob"
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"would end {active} (currently active)" in out
    for part in ("active=false", "ended_reason=context-reset", "database clock", "bob"):
        assert part in out
    assert "dry run: nothing changed" in out
    mixed = invoke(*cli_db.args, "end", active, ended, "--reason", "context-reset", "--dry-run")
    assert mixed.exit_code == 1  # the real run would not end them all
    assert "would be left unchanged" in mixed.stdout
    assert dump(cli_db) == before


@pytest.mark.parametrize("reason", ["bogus", "plan-to-execute", "first-message", "session-expired"])
def test_end_refuses_a_non_deactivating_reason_before_writing(cli_db: CliDb, reason: str) -> None:
    before = dump(cli_db)
    for confirm in (("--yes",), ("--dry-run",), ()):
        result = invoke(*cli_db.args, "end", one(cli_db, "active"), "--reason", reason, *confirm)
        assert result.exit_code == 2
        assert "of service 016 (main)" in result.stderr  # the version it was checked against
        for trigger in MIGRATION_016.deactivating:
            assert trigger.wire in result.stderr
        assert "would end" not in result.stdout and "Traceback" not in result.output
    # Refused before anything else, even on a database that cannot be ended on.
    read_only = invoke(*cli_db.args, "--read-only", "end", "nothere", "--reason", reason)
    assert read_only.exit_code == 2 and "read-only" not in read_only.output
    assert dump(cli_db) == before


def test_end_checks_the_reason_against_the_opened_databases_vocabulary(
    cli_db: CliDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trigger list in force comes from the store, at run time, not from an import."""
    import tui.store.store as store_module
    from tui.domain.triggers import Era, Vocabulary

    narrow = Vocabulary(Era("test", "a test era", None, None), (Trigger.CWD_CHANGED,))
    opens = store_module.open_store
    monkeypatch.setattr(store_module, "open_store", functools.partial(opens, vocabulary=narrow))
    before = dump(cli_db)
    refused = invoke(*cli_db.args, "end", one(cli_db, "active"), "--reason", "repo-removed", "-y")
    assert refused.exit_code == 2
    assert "of a test era; valid reasons: cwd-changed" in refused.stderr
    assert dump(cli_db) == before
    listed = invoke(*cli_db.args, "reasons", "--format", "json")
    rows = json.loads(listed.stdout)["reasons"]
    assert [r["reason"] for r in rows if r["end_accepts"]] == ["cwd-changed"]
    assert "of a test era" in invoke(*cli_db.args, "reasons").stdout
    accepted = invoke(*cli_db.args, "end", one(cli_db, "active"), "--reason", "cwd-changed", "-y")
    assert accepted.exit_code == 0, accepted.output


def test_end_on_a_missing_database_says_so(cli_db: CliDb) -> None:
    """Which reasons are valid depends on the database: without one, that is the error."""
    missing = invoke(*cli_db.missing, "end", "abc", "--reason", "bogus")
    assert missing.exit_code == 1
    assert "Traceback" not in missing.output


def test_end_prompt(cli_db: CliDb) -> None:
    sid = one(cli_db, "active")
    before = dump(cli_db)
    declined = invoke(*cli_db.args, "end", sid, "--reason", "reset-requested", input="n\n")
    assert declined.exit_code == 1
    assert f"would end {sid}" in declined.stdout
    assert "aborted, nothing changed" in declined.stderr
    no_stdin = invoke(*cli_db.args, "end", sid, "--reason", "reset-requested")
    assert no_stdin.exit_code == 1
    assert "aborted, nothing changed" in no_stdin.stderr
    assert dump(cli_db) == before
    accepted = invoke(*cli_db.args, "end", sid, "--reason", "reset-requested", input="y\n")
    assert accepted.exit_code == 0
    assert f"ended {sid} (reset-requested)" in accepted.stdout
    row = cli_db.fetch("SELECT active, ended_reason FROM remote_agent_sessions WHERE id = ?", sid)
    assert [(bool(a), r) for a, r in row] == [(False, "reset-requested")]


def test_end_without_anything_active_does_not_prompt(cli_db: CliDb) -> None:
    ended = one(cli_db, "NOT active")
    before = dump(cli_db)
    result = invoke(*cli_db.args, "end", ended, "--reason", "reset-requested")
    assert result.exit_code == 1
    assert "already ended" in result.stdout
    assert "aborted" not in result.output
    assert dump(cli_db) == before


def test_end_read_only_is_refused(cli_db: CliDb) -> None:
    before = dump(cli_db)
    sid = one(cli_db, "active")
    for confirm in ((), ("--yes",)):
        ro = invoke(*cli_db.args, "--read-only", "end", sid, "--reason", "cwd-changed", *confirm)
        assert ro.exit_code == 1
        assert "read-only" in ro.stderr
        assert dump(cli_db) == before


def test_end_on_a_pre_016_database_is_refused(old_db: Path) -> None:
    before = query(old_db, "SELECT * FROM remote_agent_sessions")
    old = invoke("--db", old_db, "end", "5e55104", "--reason", "cwd-changed", "--yes")
    assert old.exit_code == 1
    assert "ended_reason" in old.stderr and "sessions-tui migrate" in old.stderr
    assert query(old_db, "SELECT * FROM remote_agent_sessions") == before
    # Reading a pre-016 database still works.
    listed = invoke("--db", old_db, "list", "--format", "json")
    assert json.loads(listed.stdout)["sessions"][0]["id"] == "5e55104"


def test_end_ambiguous_prefix_changes_nothing(cli_db: CliDb) -> None:
    before = dump(cli_db)
    result = invoke(
        *cli_db.args, "end", ambiguous_prefix(cli_db), "--reason", "cwd-changed", "--yes"
    )
    assert result.exit_code == 1
    assert "several" in result.stderr
    assert dump(cli_db) == before


# -- reasons -----------------------------------------------------------------------------------


def test_reasons_table_and_json(cli_db: CliDb) -> None:
    """With a database: the whole history, and END? for what its version (016) accepts."""
    table = invoke(*cli_db.args, "reasons")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    for trigger in Trigger:
        line = next(line for line in lines if line.startswith(trigger.wire + " "))
        assert trigger.behaviour.value in line
        assert trigger.description.split()[0] in line
        assert (" yes " in line) == (trigger in MIGRATION_016.deactivating)
    data = json.loads(invoke(*cli_db.args, "reasons", "--format", "json").stdout)
    assert [r["reason"] for r in data["reasons"]] == [t.wire for t in Trigger]
    assert {r["reason"] for r in data["reasons"] if r["end_accepts"]} == {
        t.wire for t in MIGRATION_016.deactivating
    }
    keys = {"reason", "behaviour", "since", "until", "in_force", "end_accepts", "description"}
    assert all(set(r) == keys for r in data["reasons"])


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

    asked = invoke("--db", old_db, "migrate")  # stdin is not a terminal: no one can answer
    assert asked.exit_code == 2
    assert "holds 1 session:" in asked.stderr and "--yes" in asked.stderr
    assert hashlib.sha256(old_db.read_bytes()).hexdigest() == digest

    applied = invoke("--db", old_db, "migrate", "--yes")
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


def _migrate_on_a_terminal(path: Path, answer: str) -> tuple[int, str]:
    """The real CLI in a child process whose stdin and stderr are a terminal (a pty):
    wait for the question, type `answer`, return the exit code and what it said."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from tui.cli.main import main; main()", "--db", path, "migrate"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        cwd=Path(__file__).resolve().parents[2],
    )
    os.close(slave)
    said = b""
    try:
        while b"Go ahead?" not in said:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, f"no question within 60 s: {said!r}"
            said += os.read(master, 4096)
        os.write(master, answer.encode() + b"\n")
        out, _ = proc.communicate(timeout=120)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, said.decode(errors="replace") + out.decode()


def test_migrate_asks_on_a_terminal(old_db: Path) -> None:
    """SQLite: before the service's writes wait for an index, say so and ask."""
    digest = hashlib.sha256(old_db.read_bytes()).hexdigest()
    code, said = _migrate_on_a_terminal(old_db, "n")
    assert code == 1
    assert "holds 1 session:" in said and "the service's writes" in said
    assert "aborted, nothing changed" in said
    assert hashlib.sha256(old_db.read_bytes()).hexdigest() == digest

    code, said = _migrate_on_a_terminal(old_db, "y")
    assert code == 0, said
    assert "applied 0005_live_index" in said
    assert "ended_reason" in _columns(old_db)
    assert query(old_db, "SELECT id, active FROM remote_agent_sessions") == [("5e55104", 1)]
    again = invoke("--db", old_db, "migrate")  # nothing to do: nothing to ask
    assert again.exit_code == 0 and "already up to date" in again.stdout


def test_migrate_refuses_another_programs_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.commit()
    conn.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for args in (("migrate", "--yes"), ("migrate", "--sql")):
        result = invoke("--db", path, *args)
        assert result.exit_code == 1
        assert "holds other tables (notes)" in result.stderr
        assert "--create-service-schema" in result.stderr
        assert "Traceback" not in result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest

    made = invoke("--db", path, "migrate", "--create-service-schema")
    assert made.exit_code == 0, made.output
    assert query(path, "SELECT body FROM notes") == [("keep me",)]
    assert invoke("--db", path, "list").exit_code == 0


def test_migrate_sql_runs_in_the_sqlite_shell(tmp_path: Path) -> None:
    """Today's service database: the DBA's SQL adds only the tool's indexes and its own
    audit table (made by 0006, its target columns added by 0009), runs as it is in the
    sqlite3 shell (or executescript without it), and leaves what `migrate` leaves."""
    paths = [tmp_path / "dba.db", tmp_path / "tool.db"]
    for path in paths:
        asyncio.run(create_service_db(f"sqlite:///{path}", era="v0.7", sessions=60))
    before = query(paths[0], "SELECT * FROM remote_agent_sessions ORDER BY id")

    sql = invoke("--db", paths[0], "migrate", "--sql")
    assert sql.exit_code == 0, sql.output
    assert "ALTER TABLE remote_agent_" not in sql.stdout  # the tool's own audit table only
    assert "CREATE TABLE IF NOT EXISTS remote_agent_" not in sql.stdout
    assert "CREATE TABLE IF NOT EXISTS sessions_tui_audit" in sql.stdout
    shell = shutil.which("sqlite3")
    if shell:
        done = subprocess.run(
            [shell, "-bail", str(paths[0])], input=sql.stdout, capture_output=True, text=True
        )
        assert done.returncode == 0 and not done.stderr, done.stderr
    else:
        conn = sqlite3.connect(paths[0])
        conn.executescript(sql.stdout)
        conn.close()
    assert invoke("--db", paths[1], "migrate", "--yes").exit_code == 0

    def schema(path: Path) -> list[tuple[Any, ...]]:
        """sqlite_master, its DDL with whitespace folded (Alembic indents offline DDL
        with spaces, online with tabs)."""
        rows = query(path, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
        return [(*r[:3], " ".join((r[3] or "").split())) for r in rows]

    assert schema(paths[0]) == schema(paths[1])
    assert query(paths[0], "SELECT * FROM remote_agent_sessions ORDER BY id") == before
    again = invoke("--db", paths[0], "migrate")
    assert again.exit_code == 0 and "already up to date" in again.stdout


# -- demo-db -----------------------------------------------------------------------------------


def test_demo_db_summary_and_determinism(tmp_path: Path) -> None:
    assert (cli_schema.DEMO_SESSIONS, cli_schema.DEMO_SEED) == (DEFAULT_SESSIONS, DEFAULT_SEED)
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
    assert number("not recorded") == len(
        ids_where(sqlite_db(a), "s.active = 0 AND s.ended_reason IS NULL")
    )
    assert number("unrecognised") == len(
        ids_where(sqlite_db(a), "s.ended_reason IN ('session-expired', 'model-switched')")
    )
    # The demo leaves a session idle by opening it more than 2 days before the anchor and
    # never ending it; the sessions it keeps open all start later (seed 3).
    idle = ids_where(sqlite_db(a), "s.active = 1 AND s.started_at < '2026-01-13 12:00:00'")
    assert number("idle") == len(idle) > 0

    assert invoke("demo-db", b, "--sessions", 250, "--seed", 3, "--anchor", anchor).exit_code == 0
    assert invoke("demo-db", c, "--sessions", 250, "--seed", 4, "--anchor", anchor).exit_code == 0
    assert dump(sqlite_db(a)) == dump(sqlite_db(b))
    assert dump(sqlite_db(a)) != dump(sqlite_db(c))
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
    monkeypatch.setattr(cli_common, "launch_dashboard", launched.append)
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
    # A URL the tool cannot use is a usage error (exit 2), and still masked.
    bad = invoke("--url", "mysql://u:SECRETPW@h/db", "list")
    assert bad.exit_code == 2 and "SECRETPW" not in bad.output


@pytest.mark.parametrize(
    ("password", "url", "shown"),
    [
        (
            "postgres",
            "postgresql://u:postgres@127.0.0.1:1/archon",
            "postgresql://u:***@127.0.0.1:1/archon",
        ),
        (
            "a",
            "postgresql://admin:a@127.0.0.1:1/archon",
            "postgresql://admin:***@127.0.0.1:1/archon",
        ),
        (
            "p@ss w/rd",
            "postgresql://u:p%40ss%20w%2Frd@127.0.0.1:1/db",
            "postgresql://u:***@127.0.0.1:1/db",
        ),
    ],
)
def test_the_password_is_masked_without_garbling_the_message(
    password: str, url: str, shown: str
) -> None:
    """Only the password goes: a plain replace made `postgres` turn "postgresql" into
    "***ql", and a one-letter password starred that letter everywhere."""
    from tui.store.target import mask_password

    assert mask_password(f"{url}: connection failed", password) == f"{shown}: connection failed"
    result = invoke("--url", url, "list")
    assert result.exit_code == 1 and "Traceback" not in result.output
    # The CLI names the server without the password at all, and the rest intact.
    assert shown.replace(":***@", "@") + ": connection failed" in result.stderr, result.stderr
    assert "***" not in result.stderr


def test_a_missing_database_is_an_error_that_hides_the_password(cli_db: CliDb) -> None:
    result = invoke(*cli_db.missing, "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output
    assert PASSWORD not in result.output
    shown = invoke(*cli_db.missing, "show", "abc")
    assert shown.exit_code == 1
    assert shown.stderr.startswith("Error: ") and PASSWORD not in shown.output


def test_conflicting_database_options(db: Path) -> None:
    assert invoke("--db", db, "--url", "postgresql://h/db", "list").exit_code == 2
    assert invoke("--demo", "--db", db, "list").exit_code == 2


def test_not_a_service_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    result = invoke("--db", path, "list")
    assert result.exit_code == 1
    assert "not an Archon service database" in result.stderr
    assert "check the path" in result.stderr and "migrate" not in result.stderr


# -- the dashboard entry -----------------------------------------------------------------------


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Settings]]:
    calls: list[Settings] = []
    monkeypatch.setattr(cli_common, "launch_dashboard", calls.append)
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
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "--version"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0 and "0.1.0" in proc.stdout


def test_cli_import_does_not_load_textual() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    code = (
        "import sys, tui.cli.main; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'sqlalchemy'}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("sort", "order_by"),
    [
        ("started", "started_at ASC, id ASC"),
        ("ended", "CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END ASC, ended_at ASC, id ASC"),
    ],
)
def test_list_sort_ascending_pages_as_order_by(cli_db: CliDb, sort: str, order_by: str) -> None:
    """`--asc` walks the same order from its other end; its cursor continues it, and a
    cursor of the other direction is refused."""
    want = [
        str(r[0]) for r in cli_db.fetch(f"SELECT id FROM remote_agent_sessions ORDER BY {order_by}")
    ]
    args = [*cli_db.args, "list", "--format", "json", "--sort", sort, "--asc"]
    first = invoke(*args, "--limit", 70)
    assert first.exit_code == 0, first.output
    token = json.loads(first.stdout)["next_cursor"]
    second = invoke(*args, "--limit", 0, "--cursor", token)
    assert second.exit_code == 0, second.output
    got = [
        s["id"]
        for s in json.loads(first.stdout)["sessions"] + json.loads(second.stdout)["sessions"]
    ]
    assert got == want
    other_way = invoke(*cli_db.args, "list", "--sort", sort, "--cursor", token)
    assert other_way.exit_code == 2
