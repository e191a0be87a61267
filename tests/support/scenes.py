"""The screens worth a picture, as Pilot scripts shared by the screenshot script and snapshots.

Every scene runs on the deterministic demo database (fixed seed and anchor) with a
fixed clock, so the pictures change only when the screens do.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.support.app_helpers import (
    NOW,
    main_screen,
    notifications,
    record_toasts,
    rows_shown,
    settle,
    sparks_drawn,
    wait_until,
)
from tests.support.dbs import ANCHOR
from tui.app import SessionsApp, make_app
from tui.app.screens.detail import DetailScreen
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.app.screens.trends import TrendsScreen
from tui.domain.stuck import StuckKind
from tui.domain.timefmt import utcnow
from tui.settings import Settings
from tui.store.demo import write_demo_db
from tui.store.target import DbTarget, sqlite_target

SIZE = (170, 46)
SHOWN_PATH = "/home/oncall/.archon/archon.db"
"""What the header shows for the scene databases, wherever their files are: pictures must
not change with temporary folders."""

Scene = Callable[[Pilot[Any]], Awaitable[None]]


class ShownAs(DbTarget, frozen=True):
    """The real file, with a fixed name in the header and in messages."""

    shown: str = SHOWN_PATH

    def display(self) -> str:
        return self.shown


@cache
def _folder() -> Path:
    """One private folder per process, removed at exit: nothing is reused across runs, so a
    file left by older code can never stand in for what this code builds."""
    folder = Path(tempfile.mkdtemp(prefix="sessions-tui-scenes-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def demo_db() -> Path:
    """The deterministic demo (fixed seed and anchor), built once per process."""
    path = _folder() / "archon.db"
    # Without workflow runs: the sessions' snapshots show a demo without the runs table.
    asyncio.run(write_demo_db(path, n_sessions=3000, anchor=ANCHOR, runs=False))
    return path


def live_demo_db() -> Path:
    """Anchored at the real now: ended_at comes from the database clock, which no test fakes."""
    path = _folder() / "live.db"
    asyncio.run(write_demo_db(path, n_sessions=3000, anchor=utcnow(), force=True, runs=False))
    return path


def scene_target(path: Path) -> DbTarget:
    real = sqlite_target(path)
    return ShownAs(kind=real.kind, source=real.source, path=real.path)


def scene_app(*, live: bool = False) -> SessionsApp:
    path = (_folder() / "live.db") if live else demo_db()
    settings = Settings(
        target=scene_target(path),
        refresh_seconds=0,
        actor="oncall@ops-laptop",
        clock=utcnow if live else (lambda: NOW),
        theme="textual-dark",
    )
    app = make_app(settings)
    record_toasts(app)
    return app


async def _ready(pilot: Pilot[Any]) -> None:
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await wait_until(pilot, lambda: app.store is not None and rows_shown(app) > 0, "rows")
    main = main_screen(app)
    await wait_until(
        pilot,
        lambda: not main.panels.sparks_shown or sparks_drawn(app),
        "the reason panel's sparklines (from 150 columns)",
    )
    await settle(pilot)


async def main_list(pilot: Pilot[Any]) -> None:
    await _ready(pilot)


async def reason_filter(pilot: Pilot[Any]) -> None:
    await _ready(pilot)
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    main_screen(app).filters.only_reason("cwd-changed")
    await settle(pilot)


async def detail_with_chain(pilot: Pilot[Any]) -> None:
    await _ready(pilot)
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    main = main_screen(app)
    row = next(i for i, sid in enumerate(main.table.ids) if main.state.rows[sid].parent_session_id)
    main.table.move_cursor(row=row)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
    screen = app.screen
    await wait_until(pilot, lambda: screen.detail is not None, "detail loaded")  # type: ignore[attr-defined]
    await settle(pilot)


async def _open_picker(pilot: Pilot[Any]) -> None:
    await _ready(pilot)
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await pilot.press("1")
    await settle(pilot)
    main_screen(app).table.move_cursor(row=0)
    await pilot.press("space", "space", "x")
    await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")


async def end_reason_picker(pilot: Pilot[Any]) -> None:
    await _open_picker(pilot)
    await pilot.press(*"chang")
    # A blinking cursor is drawn or not by the time of the shot: hold it drawn.
    pilot.app.screen.query_one("#narrow", Input).cursor_blink = False
    await pilot.pause()


async def confirmation(pilot: Pilot[Any]) -> None:
    await _open_picker(pilot)
    await pilot.press(*"cwd", "enter")
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
    await pilot.pause()


async def result(pilot: Pilot[Any]) -> None:
    await confirmation(pilot)
    await pilot.press("tab", "enter")
    app = pilot.app
    await wait_until(pilot, lambda: len(notifications(app)) >= 2, "outcome toasts")
    await settle(pilot)


async def stuck_select_all(pilot: Pilot[Any]) -> None:
    """The orphaned sessions (stuck panel), all selected, the picker suggesting the reason."""
    await _ready(pilot)
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    main = main_screen(app)
    main.filters.only_stuck(StuckKind.ORPHANED)
    await wait_until(pilot, lambda: bool(main.table.ids), "orphaned rows")
    await settle(pilot)
    await pilot.press("A")
    await wait_until(pilot, lambda: bool(main.state.selected), "selected all")
    await settle(pilot)  # what the selection set off (header, toast) is on screen first
    await pilot.press("x")
    await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
    # its input focused (the cursor drawn), so the shot does not race the focus
    await wait_until(
        pilot, lambda: app.focused is not None and app.focused.id == "narrow", "picker focused"
    )
    # A blinking cursor is drawn or not by the time of the shot: hold it drawn.
    narrow = app.screen.query_one("#narrow", Input)
    narrow.cursor_blink = False
    await pilot.pause()  # not settle: the end flow's worker waits on the picker


async def trends_screen(pilot: Pilot[Any]) -> None:
    """The trends screen over the demo's 30 days: the newest day and the largest reason
    picked, then one day earlier and the next reason (the cursor moved)."""
    await _ready(pilot)
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await pilot.press("T")
    await wait_until(pilot, lambda: isinstance(app.screen, TrendsScreen), "trends")
    screen = app.screen
    await wait_until(pilot, lambda: screen.trends is not None, "trends counted")  # type: ignore[attr-defined]
    await pilot.press("left", "down")
    await settle(pilot)


def end_of(count: int, *, confirm: bool, typed: str = "worktree") -> Scene:
    """`count` active sessions selected from the top, `x`, `typed` typed: the picker;
    with `confirm`, `enter` too: the confirmation (Cancel focused)."""

    async def scene(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        app: SessionsApp = pilot.app  # type: ignore[assignment]
        main = main_screen(app)
        await pilot.press("1")
        await settle(pilot)
        main.table.move_cursor(row=0)
        if count > 1:
            await pilot.press(*["space"] * count)
            await wait_until(pilot, lambda: len(main.state.selected) == count, "selected")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        await pilot.press(*typed)
        if confirm:
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirm")
        await pilot.pause()

    return scene


SCENES: dict[str, Scene] = {
    "main": main_list,
    "reason-filter": reason_filter,
    "detail-chain": detail_with_chain,
    "end-reason-picker": end_reason_picker,
    "end-confirmation": confirmation,
    "end-result": result,
    "stuck-select-all": stuck_select_all,
    "trends": trends_screen,
}
LIVE_SCENES = {"end-result"}
"""Scenes that write: they run on a demo anchored at the real now, and are not snapshots."""
