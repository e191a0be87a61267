"""Property: whatever storable values the service's rows hold, the CLI (`list` in every
format, `show`, `end --dry-run`, `end`) never crashes, never writes a raw control
character to a terminal, and never changes a row it did not end.

SQLite, where any column takes any value. Derandomized, so CI runs the same examples
every time: 40 examples, 40-60 s on the shared 2-core machine
(`SESSIONS_TUI_PROPERTY_EXAMPLES` searches further)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings

from tests.support.cli_env import TerminalRunner
from tests.support.dbs import create_service_db
from tests.support.hostile_rows import (
    BadUtf8,
    Rows,
    insert_sqlite,
    raw_controls,
    session_ids,
    sqlite_rows,
    stored_rows,
)
from tui.cli.main import cli

pytestmark = pytest.mark.long

EXAMPLES = int(os.environ.get("SESSIONS_TUI_PROPERTY_EXAMPLES", "40"))
"""40 in CI; set the variable for a longer search (the same derandomized order, further)."""
ENDED_COLUMNS = {"active", "ended_at", "ended_reason", "metadata", "active_type", "metadata_type"}
"""What an end may change: the compare-and-set's columns (and their storage types)."""


ISSUE_15_ROWS = Rows(
    sessions=[
        {  # a cycle through its parent, invalid UTF-8 reason, odd active, garbage start
            "id": "a" * 32,
            "conversation_id": "c" * 32,
            "ai_assistant_type": "claude",
            "active": "yes",
            "metadata": '{"k": "\\ud800"}',
            "started_at": "4102444800",
            "parent_session_id": "b" * 32,
            "ended_reason": BadUtf8(b"A\xed\xa0\x80B"),
        },
        {  # active, BLOB metadata, a BLOB reason, its parent the first
            "id": "b" * 32,
            "conversation_id": "c" * 32,
            "ai_assistant_type": "\x1b]52;c;ZXZpbA==\x07",
            "active": 1,
            "metadata": b"\x00\xff",
            "started_at": "not-a-date",
            "parent_session_id": "a" * 32,
            "ended_reason": b"reset-requested",
        },
        {  # no id; deep JSON
            "id": None,
            "conversation_id": "c" * 32,
            "ai_assistant_type": "claude",
            "active": 1,
            "metadata": "[" * 1200 + "]" * 1200,
        },
    ],
    conversations=[
        {
            "id": "c" * 32,
            "platform_type": "slack",
            "platform_conversation_id": "=HYPERLINK(1)",
            "title": BadUtf8(b"A\xed\xa0\x80B\x1b[2J"),
        }
    ],
)
"""The issue's findings in one database: a regression case run before the generated ones."""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database of today's service (v0.9), copied for every example."""
    path = tmp_path_factory.mktemp("property") / "template.db"
    asyncio.run(create_service_db(f"sqlite:///{path}", era="v0.7"))
    return path


def _run(db: Path, *args: str) -> Result:
    return _run_args(["--db", str(db)], *args)


def _run_args(db: list[str], *args: str) -> Result:
    """The CLI against `db` (`--db`/`--url`): no crash, no traceback, no raw control."""
    out = TerminalRunner().invoke(cli, [*db, *args])  # as an operator's terminal
    said = out.stdout + out.stderr
    assert out.exception is None or isinstance(out.exception, SystemExit), said
    assert out.exit_code in (0, 1), said
    assert "Traceback" not in said
    assert not raw_controls(said), (raw_controls(said), args, said[:2000])
    return out


def check_end(before: dict[Any, Any], after: dict[Any, Any], asked: set[str]) -> None:
    assert set(after) == set(before)
    for rowid, old in before.items():
        new, was = after[rowid], dict(old)
        now = dict(new)
        endable = (
            was["id"] is not None
            and was["id"].decode() in asked
            and was["active_type"] == b"integer"
            and was["active"] == 1
        )
        if not endable:
            assert new == old, "a row the tool did not end changed"
            continue
        assert now["active"] == 0 and now["ended_reason"] == b"reset-requested", now
        assert now["ended_at"] is not None
        changed = {k for k in was if was[k] != now[k]}
        assert changed <= ENDED_COLUMNS, changed
        meta = was["metadata"]
        try:
            is_object = was["metadata_type"] == b"text" and isinstance(json.loads(meta), dict)
        except (ValueError, RecursionError):
            is_object = False
        if is_object:
            assert b'"endedBy"' in now["metadata"]
        elif meta is not None and meta.strip():
            assert now["metadata"] == meta, "metadata that is no object is left untouched"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(rows=ISSUE_15_ROWS)
@given(rows=sqlite_rows())
def test_the_cli_survives_any_stored_row(template: Path, rows: Rows) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "archon.db"
        shutil.copy(template, db)
        insert_sqlite(db, rows)
        before = stored_rows(db)
        for fmt in ("table", "json", "csv"):
            _run(db, "list", "--status", "all", "--format", fmt, "--limit", "0")
        ids = session_ids(rows.sessions)
        for sid in ids:
            _run(db, "show", sid)
            _run(db, "show", sid, "--format", "json")
        end = ["end", *ids, "--reason", "reset-requested", "--actor", "prop@ci"]
        _run(db, *end, "--dry-run")
        assert stored_rows(db) == before, "a dry run wrote"
        _run(db, *end, "--yes")
        check_end(before, stored_rows(db), set(ids))
