"""Property: whatever storable values the service's rows hold, the dashboard's table,
reason panel and detail never crash and never draw a raw control character, and its
end changes only the rows it ends.

SQLite (any column takes any value). Derandomized; 5 examples, about 20 s in CI
(`SESSIONS_TUI_PROPERTY_EXAMPLES` for more)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from textual.widgets import OptionList, Static

from tests.property.test_cli_properties import check_end
from tests.support.app_helpers import app_for, main_screen, ready, settle, wait_until
from tests.support.dbs import create_service_db
from tests.support.hostile_rows import Rows, insert_sqlite, raw_controls, sqlite_rows, stored_rows
from tui.app.screens.detail import DetailScreen
from tui.domain.columns import COLUMNS
from tui.store.target import sqlite_target

EXAMPLES = max(1, int(os.environ.get("SESSIONS_TUI_PROPERTY_EXAMPLES", "40")) // 8)
DETAILS = 3
"""Detail screens opened per example: each is a load and a screen push."""

pytestmark = pytest.mark.long


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("property-app") / "template.db"
    asyncio.run(create_service_db(f"sqlite:///{path}", era="v0.7"))
    return path


async def _drive(db: Path, rows: Rows) -> None:
    before = stored_rows(db)
    app = app_for(sqlite_target(db))
    async with app.run_test(size=(170, 45)) as pilot:
        await ready(pilot) if any(r["id"] for r in rows.sessions) else await settle(pilot)
        screen = main_screen(app)
        table = screen.table
        shown = table.ids
        assert sorted(shown) == sorted(r["id"] for r in rows.sessions if r["id"] is not None)
        drawn = [table.cell_text(i, c.key) for i in range(table.row_count) for c in COLUMNS]
        drawn += [
            str(screen.reason_panel.get_option_at_index(i).prompt)
            for i in range(screen.reason_panel.option_count)
        ]
        drawn.append(str(screen.status_bar.render()))
        assert not raw_controls("".join(drawn)), raw_controls("".join(drawn))
        for sid in shown[:DETAILS]:
            app.push_screen(DetailScreen(sid, end=screen.end_flow.start))
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, DetailScreen) and bool(app.screen.query("#detail-title"))
                ),
                "detail mounted",
            )
            detail = app.screen
            title = detail.query_one("#detail-title", Static)
            await wait_until(
                pilot,
                lambda t=title: "loading" not in str(t.render()),
                "loaded",  # type: ignore[misc]
            )
            await settle(pilot)
            texts = [str(w.render()) for w in detail.query(Static)]
            chain = detail.query_one("#chain", OptionList)
            texts += [str(chain.get_option_at_index(i).prompt) for i in range(chain.option_count)]
            assert not raw_controls("".join(texts)), raw_controls("".join(texts))
            app.pop_screen()
            await settle(pilot)
        if shown:
            screen.end_flow.end_sessions(shown, "reset-requested", "prop@ci")
            await settle(pilot)
    check_end(before, stored_rows(db), set(shown))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rows=sqlite_rows(max_rows=3))
def test_the_dashboard_survives_any_stored_row(template: Path, rows: Rows) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "archon.db"
        shutil.copy(template, db)
        insert_sqlite(db, rows)
        asyncio.run(_drive(db, rows))
