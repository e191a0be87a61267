"""Metadata the service's schema accepts but no one formats: nested a thousand levels,
megabytes long, holding a lone surrogate. Shown, exported and ended, never a crash."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from tests.support.app_helpers import app_for, main_screen, ready, settle, wait_until
from tests.support.dbs import create_service_db, sa_url
from tui.app.screens.detail import DetailScreen
from tui.app.screens.record import METADATA_PREVIEW
from tui.cli.main import cli
from tui.domain.models import Metadata, SessionFilter, Status
from tui.store.store import make_engine, open_store
from tui.store.target import DbTarget

DEEP = "[" * 1500 + "]" * 1500
HUGE = json.dumps({f"key{i}": "x" * 90 for i in range(110_000)})  # about 10 MB
SURROGATE = '{"k": "\\ud800"}'


def _url(target: DbTarget) -> list[str]:
    if target.path is not None:
        return ["--db", str(target.path)]
    return ["--url", sa_url(target).set(drivername="postgresql").render_as_string(False)]


async def _first_active(target: DbTarget) -> str:
    store = await open_store(target)
    try:
        page = await store.list_sessions(SessionFilter(status=Status.ACTIVE), limit=1)
        return page.rows[0].id
    finally:
        await store.close()


async def _set_metadata(target: DbTarget, sid: str, raw: str) -> None:
    """As the service would store it: JSONB parsed by PostgreSQL, text in SQLite."""
    value = "CAST(:m AS jsonb)" if target.kind == "postgresql" else ":m"
    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(f"UPDATE remote_agent_sessions SET metadata = {value} WHERE id = :i"),
                {"m": raw, "i": sid},
            )
    finally:
        await engine.dispose()


def test_deep_json_is_kept_as_stored() -> None:
    meta = Metadata.decode(DEEP)
    assert meta.valid and meta.too_deep
    assert meta.pretty() == DEEP and meta.plain == DEEP
    assert Metadata.decode('{"a": [[1]]}').plain == {"a": [[1]]}


def test_show_and_end_on_deep_metadata(service_db: DbTarget) -> None:
    _show_and_end(service_db, DEEP)


def test_show_and_end_on_a_lone_surrogate(tmp_path: Path) -> None:
    """SQLite only: PostgreSQL's JSONB refuses a lone surrogate escape."""
    target = asyncio.run(create_service_db(f"sqlite:///{tmp_path / 'a.db'}", sessions=300))
    _show_and_end(target, SURROGATE)


def _show_and_end(service_db: DbTarget, raw: str) -> None:
    sid = asyncio.run(_first_active(service_db))
    asyncio.run(_set_metadata(service_db, sid, raw))
    runner = CliRunner()
    text = runner.invoke(cli, [*_url(service_db), "show", sid])
    assert text.exit_code == 0, text.output
    as_json = runner.invoke(cli, [*_url(service_db), "show", sid, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    json.loads(as_json.stdout)
    ended = runner.invoke(cli, [*_url(service_db), "end", sid, "--reason", "reset-requested", "-y"])
    assert ended.exit_code == 0, ended.output


async def test_the_detail_screen_previews_ten_megabytes(service_db: DbTarget) -> None:
    sid = await _first_active(service_db)
    await _set_metadata(service_db, sid, HUGE)
    app = app_for(service_db)
    async with app.run_test(size=(170, 45)) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("1")
        await settle(pilot)
        main.table.move_cursor(row=main.table.get_row_index(sid))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        await wait_until(pilot, lambda: screen.detail is not None, "detail loaded", tries=1000)
        await settle(pilot)
        shown = str(screen.query_one("#metadata").render())
        assert len(shown) < METADATA_PREVIEW + 1_000
        assert f"{len(HUGE):,} characters in all" in shown
        assert f"sessions-tui show {sid} --format json" in shown
