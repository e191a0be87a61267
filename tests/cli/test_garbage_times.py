"""A started_at that is no time ('not-a-date', '4102444800'; SQLite keeps any text, a
PostgreSQL TIMESTAMP cannot hold them): shown as stored and marked, in no `--since`
window, and sorted as stored text (above every date, newest first) without a row lost
or repeated between pages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from tests.support.app_helpers import app_for, column_texts, ready
from tests.support.dbs import create_service_db
from tests.support.odd_rows import execute, fetch
from tui.cli.main import cli
from tui.domain.models import Cursor, SessionFilter, SortKey
from tui.store.store import open_store
from tui.store.target import DbTarget

GARBAGE = {"gd-text": "not-a-date", "gd-epoch": "4102444800"}


async def _db(tmp_path: Path) -> DbTarget:
    target = await create_service_db(f"sqlite:///{tmp_path / 'archon.db'}", sessions=40)
    conv = (await fetch(target, "SELECT id FROM remote_agent_conversations LIMIT 1"))[0][0]
    await execute(
        target,
        *(
            "INSERT INTO remote_agent_sessions (id, conversation_id, active, started_at, ended_at)"
            f" VALUES ('{sid}', '{conv}', 0, '{text}', datetime('now'))"
            for sid, text in GARBAGE.items()
        ),
        "INSERT INTO remote_agent_sessions (id, conversation_id, active, started_at)"
        f" VALUES ('fresh', '{conv}', 1, datetime('now', '-5 minutes'))",
    )
    return target


def test_shown_marked_and_in_no_window(tmp_path: Path) -> None:
    target = asyncio.run(_db(tmp_path))
    args = ["--db", str(target.path), "list", "--format", "json", "--limit", "0"]
    every = {s["id"]: s for s in json.loads(CliRunner().invoke(cli, args).stdout)["sessions"]}
    for sid, text in GARBAGE.items():
        assert every[sid]["started_at"] is None
        assert every[sid]["started_at_stored"] == text
    assert every["fresh"]["started_at_stored"] is None
    recent = CliRunner().invoke(cli, [*args, "--since", "1h"])
    assert recent.exit_code == 0, recent.output
    assert [s["id"] for s in json.loads(recent.stdout)["sessions"]] == ["fresh"]
    table = CliRunner().invoke(cli, ["--db", str(target.path), "list", "--limit", "0"]).stdout
    for sid, text in GARBAGE.items():
        line = next(ln for ln in table.splitlines() if f" {sid} " in ln)
        assert f"⚠ {text}" in line
    shown = CliRunner().invoke(cli, ["--db", str(target.path), "show", "gd-text"]).stdout
    assert "⚠ not-a-date (stored text, not a time)" in shown


def test_every_sort_pages_every_row_once(tmp_path: Path) -> None:
    async def walk() -> None:
        target = await _db(tmp_path)
        store = await open_store(target)
        try:
            total = (await fetch(target, "SELECT count(*) FROM remote_agent_sessions"))[0][0]
            for sort in SortKey:
                seen: list[str] = []
                cursor: Cursor | None = None
                while True:
                    page = await store.list_sessions(SessionFilter(), sort, cursor, limit=7)
                    seen += [r.id for r in page.rows]
                    if page.next_cursor is None:
                        break
                    cursor = page.next_cursor
                assert len(seen) == len(set(seen)) == total, sort
                if sort is SortKey.STARTED:  # stored text above every date, newest first
                    assert seen[:2] == ["gd-text", "gd-epoch"]
        finally:
            await store.close()

    asyncio.run(walk())


async def test_the_dashboard_shows_the_stored_text(tmp_path: Path) -> None:
    target = await _db(tmp_path)
    app = app_for(target)
    async with app.run_test(size=(170, 45)) as pilot:
        await ready(pilot)
        started = [t.strip() for t in column_texts(app, "started")]
        assert "⚠ not-a-date" in started and "⚠ 4102444800" in started
