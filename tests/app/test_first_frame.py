"""The dashboard's first frame: what it imports before it (the list's own modules and
no more), and the rows in it when the page was read before the app started.

The first frame is measured against an empty Textual app (`tests/bench`, "Process
figures"), so every module it loads is paid for on every start. The screens the list
opens over itself are imported when first pushed, the standard library's heavier
modules (`tomllib`, `csv`, `zoneinfo`, `shlex`, …) where they are used, and SQLAlchemy
once the first rows are painted.

`FIRST_FRAME` is the declared list: a module that joins the path (or leaves it) changes
it here, on purpose.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.message import Message

from tests.support.app_helpers import ACTOR, NOW, main_screen, ready
from tui.app import data
from tui.app.app import make_app
from tui.app.messages import PageLoaded
from tui.settings import Settings
from tui.store import warm
from tui.store.target import DbTarget

ROOT = Path(__file__).resolve().parents[2]

FIRST_FRAME = frozenset(
    {
        "tui",
        "tui.app",
        "tui.app.app",
        "tui.app.commands",
        "tui.app.data",
        "tui.app.end_flow",
        "tui.app.failures",
        "tui.app.keys",
        "tui.app.link",
        "tui.app.list_commands",
        "tui.app.list_connection",
        "tui.app.list_controller",
        "tui.app.list_counts",
        "tui.app.list_filters",
        "tui.app.list_panels",
        "tui.app.list_reads",
        "tui.app.list_screens",
        "tui.app.messages",
        "tui.app.outcomes",
        "tui.app.picks",
        "tui.app.render",
        "tui.app.screens",
        "tui.app.screens.base",
        "tui.app.screens.main",
        "tui.app.screens.main_keys",
        "tui.app.selection",
        "tui.app.state",
        "tui.app.widgets",
        "tui.app.widgets.cursor_view",
        "tui.app.widgets.key_footer",
        "tui.app.widgets.kind_label",
        "tui.app.widgets.reason_panel",
        "tui.app.widgets.row_window",
        "tui.app.widgets.search_box",
        "tui.app.widgets.sessions_table",
        "tui.app.widgets.status_bar",
        "tui.app.widgets.stuck_panel",
        "tui.config",
        "tui.domain",
        "tui.domain.columns",
        "tui.domain.models",
        "tui.domain.records",
        "tui.domain.search",
        "tui.domain.stuck",
        "tui.domain.text",
        "tui.domain.timefmt",
        "tui.domain.trends",
        "tui.domain.triggers",
        "tui.domain.wording",
        "tui.settings",
        "tui.store",
        "tui.store._warm_sql",
        "tui.store.backends",
        "tui.store.codec",
        "tui.store.demo_size",
        "tui.store.errors",
        "tui.store.target",
        "tui.store.warm",
    }
)
"""Every module of this tool the dashboard has imported when it paints its first frame,
besides the bare-driver side of the database's backend (`DRIVER_SIDE`)."""

LAZY = (
    "tui.app.screens.audit",
    "tui.domain.audit",
    "tui.app.screens.detail",
    "tui.app.screens.end_session",
    "tui.app.screens.export",
    "tui.app.screens.help",
    "tui.app.screens.paged",
    "tui.app.screens.trends",
    "tui.app.widgets.trend_chart",
    "tui.domain.export",
    "tui.domain.session_detail",
    "tui.files",
)
"""Modules of screens the list opens over itself, of one session's detail, and of an
end's signature and audit row: imported when first used."""

NOT_BEFORE_ROWS = ("sqlalchemy", "alembic", "tomllib", "csv", "zoneinfo", "shlex", "pkgutil")
"""Packages nothing before the first rows needs (the config file is read by the CLI, not
by the dashboard; the zone is known once the Store has opened)."""

DRIVER_SIDE = {
    "sqlite": ("tui.store.backends.driver", "tui.store.backends.sqlite_"),
    "postgresql": ("tui.store.backends.driver", "tui.store.backends.postgresql_"),
}
"""Prefixes of the bare-driver modules of each backend (`backends.driver_for`), which read
the database's URL, name it on screen and read the warm page (on a thread, or in a child
`READ_APART`): not the backend's SQLAlchemy side (`sqlite.py`, `postgresql.py`)."""

READ_APART = {"sqlite": ("aiosqlite",), "postgresql": ("asyncpg",)}
"""Each backend's asyncio driver packages, not loaded by the dashboard before its first
rows: SQLite's warm page is read through sqlite3 on its own thread, PostgreSQL's by a
child interpreter (`Driver.warm_apart`, `warm_child`)."""

IMPORTS = "import tui.settings, tui.store.warm, tui.store.target, tui.app.app\n"
"""What `launch_dashboard` and the benchmark's harness import to start the dashboard."""

FIRST_ROWS = """
import json, sys
from tui.settings import Settings
from tui.store import warm
from tui.store.target import url_target

target = url_target(sys.argv[1])
settings = Settings(target=target)
stale, now = settings.stale_after, settings.clock()
early = warm.start(target, settings.page_size, stale_after=stale, now=now)

from tui.app.app import SessionsApp

seen = []


class FirstRows(SessionsApp):
    def first_rows_painted(self):
        if not seen:
            seen.append({"modules": sorted(sys.modules), "warm": early.result() is not None})
            self.exit()


FirstRows(settings, early).run(headless=True, size=(160, 45))
print(json.dumps(seen[0] if seen else None))
"""


def _run(code: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _top(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_importing_the_dashboard_loads_the_declared_modules_only() -> None:
    code = IMPORTS + "import json, sys; print(json.dumps(sorted(sys.modules)))\n"
    loaded: list[str] = json.loads(_run(code))
    ours = {m for m in loaded if m == "tui" or m.startswith("tui.")}
    assert ours == FIRST_FRAME, (
        f"new on the path: {sorted(ours - FIRST_FRAME)}; gone: {sorted(FIRST_FRAME - ours)}"
    )
    assert not _top(loaded) & set(NOT_BEFORE_ROWS), sorted(_top(loaded) & set(NOT_BEFORE_ROWS))


def test_the_first_rows_come_before_any_other_screen_or_sqlalchemy(service_db: DbTarget) -> None:
    """The real dashboard, run to its first rows on a real database (the warm page, then
    the first rows painted): the modules loaded by then are the declared ones and none
    of the other screens, nor the backend's asyncio driver (`READ_APART`)."""
    first: dict[str, Any] | None = json.loads(_run(FIRST_ROWS, service_db.secret_url()))
    assert first is not None, "the first rows were never painted"
    assert first["warm"], "the first rows were not the warm page"
    loaded: list[str] = first["modules"]
    ours = {m for m in loaded if m == "tui" or m.startswith("tui.")}
    driver = {m for m in ours if m.startswith(DRIVER_SIDE[service_db.kind])}
    assert not set(LAZY) & ours, sorted(set(LAZY) & ours)
    assert ours - driver == FIRST_FRAME, sorted((ours - driver) ^ FIRST_FRAME)
    assert not _top(loaded) & set(NOT_BEFORE_ROWS), sorted(_top(loaded) & set(NOT_BEFORE_ROWS))
    apart = set(READ_APART[service_db.kind])
    assert not _top(loaded) & apart, sorted(_top(loaded) & apart)


async def test_a_page_read_before_the_app_started_is_in_the_first_frame(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `sessions-tui` starts: the first page is begun before Textual is imported and
    is read by the time the main screen is built. It is applied before the screen's
    first layout (its ScreenResume, which paints the first frame), not a frame later."""
    read_by_the_app: list[object] = []

    async def read_now(*args: Any, **kwargs: Any) -> object:
        read_by_the_app.append(args)
        return None

    monkeypatch.setattr(data, "first_page", read_now)
    settings = Settings(target=service_db, refresh_seconds=0, actor=ACTOR, clock=lambda: NOW)
    begun = warm.start(
        service_db, settings.page_size, stale_after=settings.stale_after, now=settings.clock()
    )
    page = await asyncio.wrap_future(begun)
    assert page is not None and page.rows
    seen: list[Message] = []
    app = make_app(settings, begun)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot)
        main = main_screen(app)
        warm_page = next(m for m in seen if isinstance(m, PageLoaded))
        resumed = next(m for m in seen if isinstance(m, events.ScreenResume))
        assert warm_page.warm and seen.index(warm_page) < seen.index(resumed)
        assert not read_by_the_app, "the page read before the app was read again"
        assert list(main.state.order)[: len(page.rows)] == [r.id for r in page.rows]
