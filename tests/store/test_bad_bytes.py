"""One invalid UTF-8 byte in a stored title costs that cell, not the database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from tests.support.app_helpers import app_for, column_texts, notifications, ready, settle
from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tui.cli.main import cli
from tui.domain.models import SessionFilter
from tui.store.store import open_store
from tui.store.target import sqlite_target
from tui.store.warm import first_page


async def _with_a_bad_title(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "archon.db"
    await create_service_db(f"sqlite:///{db}", sessions=60)
    with sqlite_file(db) as conn:
        sid, conv = conn.execute(
            "SELECT id, conversation_id FROM remote_agent_sessions ORDER BY started_at DESC"
        ).fetchone()
        conn.execute(
            "UPDATE remote_agent_conversations SET title = CAST(X'41EDA08042' AS TEXT) "
            "WHERE id = ?",
            (conv,),
        )
        conn.execute(
            "UPDATE remote_agent_sessions SET active = 1, ended_at = NULL, ended_reason = NULL "
            "WHERE id = ?",
            (sid,),
        )
    return db, sid


def test_list_show_and_end_work_and_the_cell_is_marked(tmp_path: Path) -> None:
    db, sid = asyncio.run(_with_a_bad_title(tmp_path))
    runner = CliRunner()
    listed = runner.invoke(cli, ["--db", str(db), "list", "--format", "json", "--limit", "0"])
    assert listed.exit_code == 0, listed.output
    rows = {s["id"]: s for s in json.loads(listed.stdout)["sessions"]}
    assert len(rows) == 60
    assert rows[sid]["title"] == "A\ufffd\ufffd\ufffdB", "the bad bytes, marked, the rest kept"
    shown = runner.invoke(cli, ["--db", str(db), "show", sid])
    assert shown.exit_code == 0 and "A\ufffd\ufffd\ufffdB" in shown.stdout
    ended = runner.invoke(
        cli, ["--db", str(db), "end", sid, "--reason", "reset-requested", "--yes"]
    )
    assert ended.exit_code == 0, ended.output


def test_the_store_and_the_warm_page_read_the_same_cell(tmp_path: Path) -> None:
    async def both() -> tuple[str | None, str | None]:
        db, _ = await _with_a_bad_title(tmp_path)
        store = await open_store(sqlite_target(db))
        try:
            page = await store.list_sessions(SessionFilter(), limit=5)
        finally:
            await store.close()
        warm = await first_page(sqlite_target(db), 5)
        assert warm is not None
        return page.rows[0].title, warm.rows[0].title

    stored, warm = asyncio.run(both())
    assert stored == warm == "A\ufffd\ufffd\ufffdB"


async def test_the_dashboard_shows_every_row(tmp_path: Path) -> None:
    db, _ = await _with_a_bad_title(tmp_path)
    app = app_for(sqlite_target(db))
    async with app.run_test(size=(170, 45)) as pilot:
        await ready(pilot)
        assert app.main_screen.table.row_count == 60
        assert "A\ufffd\ufffd\ufffdB" in column_texts(app, "conversation")


async def _with_blobs(tmp_path: Path) -> tuple[Path, str, str]:
    """An ended session whose reason is a BLOB, an active one whose metadata is."""
    db = tmp_path / "archon.db"
    await create_service_db(f"sqlite:///{db}", sessions=80)
    with sqlite_file(db) as conn:
        ended, active = (
            r[0]
            for r in conn.execute(
                "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC LIMIT 2"
            )
        )
        conn.execute(
            "UPDATE remote_agent_sessions SET active = 0, ended_at = started_at, "
            "ended_reason = CAST('blob-reason' AS BLOB) WHERE id = ?",
            (ended,),
        )
        conn.execute(
            "UPDATE remote_agent_sessions SET active = 1, ended_at = NULL, ended_reason = NULL,"
            " metadata = CAST('{\"k\": 1}' AS BLOB) WHERE id = ?",
            (active,),
        )
    return db, ended, active


def test_blob_values_are_read_as_the_text_they_spell(tmp_path: Path) -> None:
    db, ended, active = asyncio.run(_with_blobs(tmp_path))
    runner = CliRunner()
    listed = runner.invoke(cli, ["--db", str(db), "list", "--format", "json", "--limit", "0"])
    assert listed.exit_code == 0, listed.output
    rows = {s["id"]: s for s in json.loads(listed.stdout)["sessions"]}
    assert rows[ended]["ended_reason"] == "blob-reason"
    assert rows[ended]["reason_status"] == "unrecognised"
    for sid in (ended, active):
        shown = runner.invoke(cli, ["--db", str(db), "show", sid, "--format", "json"])
        assert shown.exit_code == 0, shown.output
    shown = json.loads(
        runner.invoke(cli, ["--db", str(db), "show", active, "--format", "json"]).stdout
    )
    assert shown["metadata"] == {"k": 1}
    done = runner.invoke(cli, ["--db", str(db), "end", active, "--reason", "reset-requested", "-y"])
    assert done.exit_code == 0, done.output
    with sqlite_file(db) as conn:
        (state,) = conn.execute(
            "SELECT active FROM remote_agent_sessions WHERE id = ?", (active,)
        ).fetchone()
    assert state == 0


async def test_the_dashboard_counts_a_blob_reason(tmp_path: Path) -> None:
    db, _, _ = await _with_blobs(tmp_path)
    app = app_for(sqlite_target(db))
    async with app.run_test(size=(170, 45), notifications=True) as pilot:
        await ready(pilot)
        await settle(pilot)
        panel = app.main_screen.reason_panel
        prompts = [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]
        assert any("blob-reason" in p for p in prompts), prompts
        assert not any("TypeError" in n for n in notifications(app))
