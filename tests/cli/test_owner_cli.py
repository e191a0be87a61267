"""The owner column, `list --user`, the deleted/hidden marks and the workflow runs of
`show`, through the CLI on real databases of today's schema and of migration 016's."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest

from tests.support.cli_env import invoke
from tests.support.owners import (
    ADA,
    CONVERSATIONS,
    NOBODY,
    OWNER,
    RUNS,
    SESSION,
    TITLE,
    create_owner_db,
    run_name,
)
from tui.domain.columns import FIELD_KEYS
from tui.domain.models import RECENT_RUNS
from tui.domain.wording import DASH, DELETED_MARK, HIDDEN_MARK, NO_OWNERS


def _listed(url: str, *extra: str) -> list[dict[str, object]]:
    result = invoke("--url", url, "list", "--format", "json", "--limit", "0", *extra)
    assert result.exit_code == 0, result.output
    sessions: list[dict[str, object]] = json.loads(result.stdout)["sessions"]
    return sessions


def _keys(sessions: list[dict[str, object]]) -> set[str]:
    by_id = {sid: key for key, sid in SESSION.items()}
    return {by_id[str(s["id"])] for s in sessions}


@pytest.fixture
def owner_url(empty_db_url: str) -> str:
    asyncio.run(create_owner_db(empty_db_url))
    return empty_db_url


def test_the_table_shows_owner_and_marks(owner_url: str) -> None:
    result = invoke("--url", owner_url, "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines[0].split()
    assert header[header.index("CONVERSATION") + 1] == "OWNER"
    for conv in CONVERSATIONS:
        (line,) = [x for x in lines if SESSION[conv.key][:8] in x]
        marks = (DELETED_MARK if conv.deleted else "") + (HIDDEN_MARK if conv.hidden else "")
        assert (f"{marks} {TITLE[conv.key]}" if marks else TITLE[conv.key]) in line, line
        assert (OWNER[conv.key] or DASH) in line, line


def test_json_and_csv_end_with_owner_and_the_conversation_state(owner_url: str) -> None:
    at = FIELD_KEYS.index("owner")  # appended together; later keys come after them
    assert FIELD_KEYS[at : at + 3] == ("owner", "conversation_deleted", "conversation_hidden")
    sessions = _listed(owner_url)
    assert [tuple(s) for s in sessions] == [FIELD_KEYS] * len(CONVERSATIONS)
    by_key = {k: s for k in _keys(sessions) for s in sessions if s["id"] == SESSION[k]}
    for conv in CONVERSATIONS:
        got = by_key[conv.key]
        assert got["owner"] == OWNER[conv.key]
        assert got["conversation_deleted"] is conv.deleted
        assert got["conversation_hidden"] is conv.hidden
    result = invoke("--url", owner_url, "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["id"]: r["owner"] for r in rows} == {SESSION[k]: v or "" for k, v in OWNER.items()}
    assert {r["id"] for r in rows if r["conversation_deleted"] == "true"} == {
        SESSION["ada-deleted"],
        SESSION["both"],
    }


@pytest.mark.parametrize(
    ("who", "keys"),
    [
        ("ada lovelace", {"ada", "ada-deleted"}),
        ("ADA@example.COM", {"ada", "ada-deleted"}),
        (ADA.upper(), {"ada", "ada-deleted"}),
        (NOBODY, {"nobody"}),
        ("bob@example.com", {"bob", "both"}),
        ("someone else", set()),
    ],
)
def test_list_user_by_name_email_or_id(owner_url: str, who: str, keys: set[str]) -> None:
    assert _keys(_listed(owner_url, "--user", who)) == keys
    said = invoke("--url", owner_url, "list", "--user", who)
    assert "note:" not in said.stderr


def test_show_names_the_owner_the_state_and_the_latest_runs(owner_url: str) -> None:
    result = invoke("--url", owner_url, "show", SESSION["ada"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.split() == ["owner", "Ada", "Lovelace"] for line in lines), lines
    start = lines.index(f"Workflow runs (latest {RECENT_RUNS}, newest first)")
    shown = [line.split()[:2] for line in lines[start + 1 : start + 1 + RECENT_RUNS]]
    newest = range(RUNS, RUNS - RECENT_RUNS, -1)
    assert shown == [[run_name(i), "running" if i == RUNS else "completed"] for i in newest]
    assert lines[start + 1 + RECENT_RUNS] == ""  # no more than five

    deleted = invoke("--url", owner_url, "show", SESSION["both"]).stdout.splitlines()
    assert f"Conversation ({DELETED_MARK}{HIDDEN_MARK} deleted, hidden)" in deleted
    assert (
        f"  {DASH}"
        in deleted[deleted.index(f"Workflow runs (latest {RECENT_RUNS}, newest first)") + 1]
    )

    data = json.loads(invoke("--url", owner_url, "show", SESSION["ada"], "--format", "json").stdout)
    assert data["session"]["owner"] == "Ada Lovelace"
    assert [r["workflow_name"] for r in data["workflow_runs"]] == [run_name(i) for i in newest]
    assert data["workflow_runs"][0]["started_at"] == "2026-11-20T12:00:00Z"


def test_before_users_the_owner_is_a_dash_and_no_one_matches(empty_db_url: str) -> None:
    asyncio.run(create_owner_db(empty_db_url, era="016", runs=False))
    sessions = _listed(empty_db_url)
    assert {s["owner"] for s in sessions} == {None}
    assert {s["id"] for s in sessions if s["conversation_hidden"]} == {
        SESSION["hidden"],
        SESSION["both"],
    }
    assert _listed(empty_db_url, "--user", "ada lovelace") == []
    said = invoke("--url", empty_db_url, "list", "--user", "ada lovelace")
    assert said.exit_code == 0
    assert said.stderr.splitlines()[0] == f"note: {NO_OWNERS}: --user matches no session"
    table = invoke("--url", empty_db_url, "list").stdout.splitlines()
    owner_at = table[0].index("OWNER")
    assert {line[owner_at] for line in table[1:] if line.strip()} == {DASH}
    text = invoke("--url", empty_db_url, "show", SESSION["ada"]).stdout
    assert "Workflow runs" not in text  # the table is gone: nothing, not an empty list
    data = json.loads(
        invoke("--url", empty_db_url, "show", SESSION["ada"], "--format", "json").stdout
    )
    assert data["workflow_runs"] is None
