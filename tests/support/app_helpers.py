"""Helpers for driving the dashboard in tests: wait for workers, read the screen and the DB."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import pytest
import sqlalchemy as sa
from textual.command import CommandList, CommandPalette
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Log
from textual.worker import WorkerCancelled

from tests.support.dbs import ANCHOR
from tui.app import SessionsApp, make_app
from tui.app.render import PANEL_LABEL_WIDTH
from tui.app.screens.main import MainScreen
from tui.settings import Settings
from tui.store.errors import StoreError
from tui.store.store import make_engine
from tui.store.tables import sessions
from tui.store.target import DbTarget

S = TypeVar("S", bound=Screen[Any])

NOW = ANCHOR + timedelta(minutes=30)
ACTOR = "tester@ci"


def app_for(target: DbTarget, *, early: bool = False, **overrides: Any) -> SessionsApp:
    """The same factory the CLI uses, with a fixed clock so relative times are stable;
    `early`: the first page begun before the app, as `sessions-tui` starts it."""
    options: dict[str, Any] = {"refresh_seconds": 0, "actor": ACTOR, "clock": lambda: NOW}
    options.update(overrides)
    settings = Settings(target=target, **options)
    begun = None
    if early:
        from tui.store import warm

        begun = warm.start(
            target, settings.page_size, stale_after=settings.stale_after, now=settings.clock()
        )
    app = make_app(settings, begun)
    record_toasts(app)
    return app


_TOASTS: WeakKeyDictionary[SessionsApp, list[str]] = WeakKeyDictionary()
"""Every toast each recorded app raised, in order."""


def record_toasts(app: SessionsApp) -> None:
    """Every toast goes through `App.notify` (a screen's or a widget's too): keep its text."""
    said = _TOASTS.setdefault(app, [])
    notify = app.notify

    def recorded(message: str, **options: Any) -> None:
        said.append(message)
        notify(message, **options)

    app.notify = recorded  # type: ignore[method-assign]


async def settle(pilot: Pilot[Any]) -> None:
    """Let every worker finish and every message they posted be handled. A worker
    cancelled meanwhile (a newer question superseded it) is finished too; a worker that
    failed raises its failure here."""
    app = pilot.app
    for _ in range(4):
        outcomes = await asyncio.gather(
            *(worker.wait() for worker in list(app.workers)), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, WorkerCancelled):
                raise outcome
        await pilot.pause()


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], bool], what: str, tries: int = 1000
) -> None:
    """Wait on a condition of the app (not a fixed sleep); fail with what was awaited."""
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for: {what}")


def confirm_targets(app: SessionsApp) -> list[str]:
    """The lines of the confirmation on screen (its `#targets` log), written when it
    mounts, a moment after it becomes the app's screen: [] until then."""
    try:
        return list(app.screen.query_one("#targets", Log).lines)
    except NoMatches:  # not composed yet
        return []


async def confirmation(pilot: Pilot[Any], app: SessionsApp, kind: type[S]) -> S:
    """The confirmation of `kind` once its targets are written (`confirm_targets`)."""
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, kind) and bool(confirm_targets(app)),
        f"the {kind.__name__} with its targets",
    )
    screen = app.screen
    assert isinstance(screen, kind)
    return screen


async def run_palette_command(pilot: Pilot[Any], typed: str, expect: str) -> None:
    """Open the command palette, type, wait until the first hit reads `expect`, run it."""
    app = pilot.app

    def first_hit() -> str:
        if not isinstance(app.screen, CommandPalette):
            return ""
        hits = app.screen.query_one(CommandList)
        return str(hits.get_option_at_index(0).prompt) if hits.option_count else ""

    await pilot.press("ctrl+p")
    await pilot.press(*typed)
    await wait_until(pilot, lambda: expect in first_hit(), f"palette hit {expect!r}")
    await pilot.press("enter")


def main_screen(app: SessionsApp) -> MainScreen:
    """The list's owner: its state, table, workers and filters."""
    return app.main_screen


def rows_shown(app: SessionsApp) -> int:
    """Rows in the table; 0 while the main screen is still composing."""
    try:
        return main_screen(app).table.row_count
    except NoMatches:
        return 0


async def ready(pilot: Pilot[Any]) -> None:
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await wait_until(pilot, lambda: app.store is not None and rows_shown(app) > 0, "first page")
    await settle(pilot)


def cell_text(app: SessionsApp, row: int, column: str) -> str:
    return main_screen(app).table.cell_text(row, column)


def column_texts(app: SessionsApp, column: str) -> list[str]:
    table = main_screen(app).table
    return [table.cell_text(i, column) for i in range(table.row_count)]


def notifications(app: SessionsApp) -> list[str]:
    """The text of every toast a recorded app raised, in order: a toast leaves the screen
    after its timeout (5 s by default), and on a busy machine a check can come later."""
    recorded = _TOASTS.get(app)
    assert recorded is not None, "record_toasts(app) before running it"
    return list(recorded)


async def db_session(target: DbTarget, session_id: str) -> dict[str, Any]:
    """The row as stored, read with a fresh engine (not the app's store)."""
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        sessions.c.active,
                        sessions.c.ended_reason,
                        sessions.c.ended_at,
                        sa.type_coerce(sessions.c.metadata, sa.Text),
                    ).where(sessions.c.id == session_id)
                )
            ).one()
    finally:
        await engine.dispose()
    meta = row[3]
    return {
        "active": bool(row[0]),
        "ended_reason": row[1],
        "ended_at": row[2],
        "metadata": json.loads(meta) if isinstance(meta, str) else meta,
    }


def screen_lines(app: SessionsApp) -> list[str]:
    """The terminal as the operator sees it, one string a line (the composited screen)."""
    # Private read: Textual has no public way to the composited screen as text.
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def panel_count(label: str) -> str:
    """The count in a reason panel entry: the last number, before the sparkline the
    panel draws from 150 columns."""
    return [word for word in label.split() if word.replace(",", "").isdigit()][-1]


def panel_prompts(app: SessionsApp) -> dict[str, str]:
    """The reason panel's entries as shown, by the reason each one filters on."""
    panel = main_screen(app).reason_panel
    options = (panel.get_option_at_index(i) for i in range(panel.option_count))
    return {str(option.value): str(option.prompt) for option in options}


def facets_shown(app: SessionsApp) -> bool:
    """The reason panel shows counts: its subtitle says how many ended and active."""
    return "ended" in str(main_screen(app).reason_panel.border_subtitle or "")


def sparks_drawn(app: SessionsApp) -> bool:
    """The reason panel draws a sparkline after each count: an entry's first line is
    longer than name and count (a day with no end is a blank, so its width tells)."""
    prompts = panel_prompts(app).values()
    return any(len(p.split("\n", 1)[0]) > PANEL_LABEL_WIDTH for p in prompts)


async def click_on(pilot: Pilot[Any], selector: str) -> None:
    """Click a widget of the screen on top once that screen has mounted and its layout is
    current (a dialog that sizes itself on mount moves its buttons); fail if the click
    landed on another widget."""
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.is_mounted, f"{type(screen).__name__} mounted")
    await pilot.pause()  # lays the screen out anew if its mount changed the layout
    assert await pilot.click(selector), f"the click meant for {selector} landed elsewhere"


def store_call_fails(
    monkeypatch: pytest.MonkeyPatch, app: SessionsApp, name: str, message: str
) -> Callable[[], None]:
    """The open store's method `name` raises `StoreError(message)` until the returned
    call puts the real one back."""
    store = app.store
    assert store is not None, "the store is open"
    real = getattr(store, name)

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise StoreError(message)

    monkeypatch.setattr(store, name, broken)
    return lambda: monkeypatch.setattr(store, name, real)
