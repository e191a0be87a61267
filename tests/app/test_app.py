"""The dashboard, driven with Pilot against real databases (SQLite file and PostgreSQL).

Each test checks what the screen shows and, where something is written, what the
database holds afterwards.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.widgets import OptionList
from textual.worker import Worker, WorkerState

import tui.store.store as store_module
from tests.support.app_helpers import (
    ACTOR,
    app_for,
    cell_text,
    column_texts,
    confirm_targets,
    confirmation,
    db_session,
    facets_shown,
    main_screen,
    notifications,
    panel_count,
    ready,
    run_palette_command,
    settle,
    store_call_fails,
    wait_until,
)
from tests.support.dbs import add_legacy_session
from tests.support.locks import sessions_locked
from tui.app.messages import SessionsEnded
from tui.app.screens.detail import DetailScreen
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.app.screens.help import HelpScreen
from tui.app.widgets.reason_panel import ReasonPanel
from tui.domain.models import (
    NOT_RECORDED_TOKEN,
    UNRECOGNISED_TOKEN,
    SessionDetail,
    SessionFilter,
    Status,
)
from tui.domain.triggers import KNOWN_REASONS, Era, Trigger, Vocabulary
from tui.store import open_store
from tui.store.errors import StoreError
from tui.store.migrate import upgrade
from tui.store.store import make_engine
from tui.store.tables import sessions
from tui.store.target import DbTarget

SIZE = (100, 24)


WIDE = (170, 24)  # the status bar shows the whole database path only when wide


async def _store_page(
    target: DbTarget, flt: SessionFilter | None = None, limit: int = 100
) -> list[str]:
    store = await open_store(target)
    try:
        page = await store.list_sessions(flt, limit=limit)
    finally:
        await store.close()
    return [r.id for r in page.rows]


async def test_main_screen_shows_newest_first_keeps_cursor_and_selection_and_pages_on(
    service_db: DbTarget,
) -> None:
    """The first page, newest first; a refresh keeps the cursor and the selection;
    scrolling to the end fetches the next keyset page."""
    app = app_for(service_db, page_size=50)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        assert main.table.row_count == 50
        expected = await _store_page(service_db, limit=50)
        shown = main.table.ids
        assert shown == expected
        reasons = column_texts(app, "reason")
        statuses = column_texts(app, "status")
        for status, reason in zip(statuses, reasons, strict=True):
            if "active" in status or "stuck" in status:
                assert reason == "—"
            else:
                assert reason != "—"
        assert main.status_bar.counts is not None
        assert main.status_bar.counts.active + main.status_bar.counts.ended == 600
        assert str(service_db.display()) in str(main.status_bar.render())

        main.table.move_cursor(row=3)
        await pilot.press("space")
        main.table.move_cursor(row=7)
        selected = set(main.state.selected)
        current = main.table.current_id
        assert len(selected) == 1
        await pilot.press("r")
        await settle(pilot)
        assert main.table.current_id == current, "the refresh moved the cursor"
        assert main.state.selected == selected, "the refresh dropped the selection"
        assert cell_text(app, 3, "status").startswith("✓")

        main.table.move_cursor(row=49)
        await wait_until(pilot, lambda: main.table.row_count == 100, "second page")
        await settle(pilot)
        ids = main.table.ids
        assert len(set(ids)) == len(ids)
        assert ids == await _store_page(service_db, limit=100)


async def test_stored_values_spelled_like_the_panel_tokens_are_values_of_their_own(
    service_db: DbTarget,
) -> None:
    """A stored 'not-recorded' or 'unrecognised' is an unknown value like any other: its
    own panel entry and count, and filtering it shows that row, not the NULL reasons."""
    store = await open_store(service_db)
    try:
        page = await store.list_sessions(SessionFilter(reasons=frozenset({"cwd-changed"})))
        spelled = {"not-recorded": page.rows[0].id, "unrecognised": page.rows[1].id}
        legacy = (await store.reason_counts()).not_recorded
    finally:
        await store.close()
    engine = make_engine(service_db)
    try:
        async with engine.begin() as conn:
            for value, sid in spelled.items():
                await conn.execute(
                    sessions.update().where(sessions.c.id == sid).values(ended_reason=value)
                )
    finally:
        await engine.dispose()
    assert legacy > 1
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        panel = main.query_one(ReasonPanel)
        await wait_until(pilot, lambda: facets_shown(app), "facets")
        await settle(pilot)
        prompt = {
            panel.get_option_at_index(i).value: str(panel.get_option_at_index(i).prompt)
            for i in range(panel.option_count)
        }

        assert panel_count(prompt[NOT_RECORDED_TOKEN]) == f"{legacy:,}"
        for value, sid in spelled.items():
            assert prompt[value].startswith(f"⚠ {value}") and panel_count(prompt[value]) == "1"
            panel.focus()
            panel.highlighted = _option_index(panel, value)
            await pilot.press("space")
            await settle(pilot)
            assert main.table.ids == [sid]
            assert column_texts(app, "reason") == [f"⚠ {value}"]
            await pilot.press("space")  # untick before the next
            await settle(pilot)


def _option_index(panel: ReasonPanel, value: str) -> int:
    return next(i for i in range(panel.option_count) if panel.get_option_at_index(i).value == value)


async def test_reason_status_and_search_filters(service_db: DbTarget) -> None:
    """Reasons ticked in the panel narrow the list (two widen it: OR), Esc undoes them;
    the legacy NULL and the unrecognised values are shown as stored. The status keys
    and the search narrow it too."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        panel = main.query_one(ReasonPanel)
        panel.focus()
        panel.highlighted = _option_index(panel, "cwd-changed")
        await pilot.press("space")
        await settle(pilot)
        assert main.state.reasons == {"cwd-changed"}
        assert set(column_texts(app, "reason")) == {"cwd-changed"}
        expected = await _store_page(service_db, SessionFilter(reasons=frozenset({"cwd-changed"})))
        assert main.table.ids == expected
        assert "reason: cwd-changed" in str(main.query_one("#filters").render())
        # A second reason widens the filter (OR).
        panel.highlighted = _option_index(panel, "reset-requested")
        await pilot.press("space")
        await settle(pilot)
        assert set(column_texts(app, "reason")) == {"cwd-changed", "reset-requested"}
        # Escape undoes the reasons (the only filter here).
        main.table.focus()
        await pilot.press("escape")
        await settle(pilot)
        assert main.state.reasons == frozenset()
        assert panel.selected == []

        main.filters.only_reason(NOT_RECORDED_TOKEN)
        await settle(pilot)
        assert main.table.row_count > 0
        assert set(column_texts(app, "reason")) == {"not recorded"}
        main.filters.only_reason(UNRECOGNISED_TOKEN)
        await settle(pilot)
        shown = set(column_texts(app, "reason"))
        assert shown and shown <= {"⚠ session-expired", "⚠ model-switched"}
        prompts = [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]
        assert any("session-expired" in p for p in prompts)

        await pilot.press("C")  # clear them all before the status keys
        await settle(pilot)
        assert main.state.reasons == frozenset()
        await pilot.press("1")
        await settle(pilot)
        assert main.state.status is Status.ACTIVE
        assert all("active" in s or "stuck" in s for s in column_texts(app, "status"))
        await pilot.press("2")
        await settle(pilot)
        assert all(s.strip() == "ended" for s in column_texts(app, "status"))
        await pilot.press("3")
        await settle(pilot)
        assert main.state.status is Status.ALL
        await pilot.press("slash")
        assert main.query_one("#search").has_focus
        await pilot.press(*"codebase:infra")
        await pilot.press("enter")
        await settle(pilot)
        assert main.table.row_count > 0
        assert set(column_texts(app, "codebase")) == {"infra"}
        assert main.table.has_focus


async def test_detail_shows_fields_metadata_and_chain_and_offers_its_own_keys(
    service_db: DbTarget,
) -> None:
    """Each screen's help and palette come from its bindings (ids unchanged): the detail
    screen offers its keys, not the list's, and its palette runs its own actions."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        # Pick a session with a parent, so the chain has at least two hops.
        store = await open_store(service_db)
        try:
            page = await store.list_sessions(limit=200)
            child = next(r for r in page.rows if r.parent_session_id)
            chain = await store.session_chain(child.id)
        finally:
            await store.close()
        screen = await _open_detail(pilot, app, child.id)
        fields = str(screen.query_one("#fields").render())
        assert child.id in fields
        assert "transition_reason" in fields
        assert '"model"' in str(screen.query_one("#metadata").render())
        options = screen.query_one("#chain")
        assert options.option_count == len(chain.hops) + len(chain.children)
        assert [options.get_option_at_index(i).id for i in range(len(chain.hops))] == [
            h.id for h in chain.hops
        ]
        await pilot.press("p")
        await wait_until(
            pilot,
            lambda: screen.detail is not None and screen.detail.row.id == child.parent_session_id,
            "parent",
        )
        await pilot.press("escape")  # back to the child, not to the list
        await wait_until(
            pilot, lambda: screen.detail is not None and screen.detail.row.id == child.id, "child"
        )
        assert app.screen is screen
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)

        ids = {b.id for _node, group in main.key_bindings() for b in group}
        assert ids == {
            *("quit", "help", "search", "status-active", "status-ended", "status-all"),
            *("reasons", "since", "sort", "end", "refresh", "pause", "back", "clear"),
            *("audit", "trends", "stuck", "select-all", "select-none", "toggle-panel", "wide"),
            *("select", "open", "row-up", "row-down", "page-up", "page-down"),
            *("row-first", "row-last"),
            *("row-up-k", "row-down-j", "half-page-up", "half-page-down"),
            *("row-first-g", "row-last-g", "copy-id", "sort-reverse", "export"),
            *("search-older", "runs"),
        }
        names = [c.name for c in main.palette_commands()]
        assert {"End session", "Refresh", "Clear filters", "Open detail", "Select"} <= set(names)
        assert "Up" not in names and "Quit" not in names  # cursor keys; Textual's own quit

        detail = await _open_detail(pilot, app, main.table.ids[0])
        ids = {b.id for _node, group in detail.key_bindings() for b in group}
        own = {f"detail-{key}" for key in ("back", "back-q", "parent", "end", "reload")}
        assert ids == {"help", "runs", *own}, "q goes back here: the App's quit is not offered"
        assert [c.name for c in detail.palette_commands()] == [
            "Help",
            "Back",
            "Parent",
            "End session",
            "Reload",
            "Workflow runs",
        ]
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.pause()
        text = app.export_screenshot().replace("&#160;", " ")
        assert "Parent" in text and "Reload" in text and "Clear filters" not in text
        await pilot.press("escape")
        await run_palette_command(pilot, "Back", "Back")
        await wait_until(pilot, lambda: app.screen is main, "back on the list")


async def _first_active(app) -> str:  # type: ignore[no-untyped-def]
    main = main_screen(app)
    for sid in main.table.ids:
        if main.state.rows[sid].active:
            return sid
    raise AssertionError("no active row on screen")


async def _open_picker_on_first_active(pilot, app) -> str:  # type: ignore[no-untyped-def]
    """Put the cursor on the first active row and press x; return that session's id."""
    sid = await _first_active(app)
    table = main_screen(app).table
    table.move_cursor(row=table.get_row_index(sid))
    await pilot.press("x")
    await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "reason picker")
    return sid


async def test_end_a_session_through_picker_and_confirmation(service_db: DbTarget) -> None:
    """A typo in the picker is a toast, plain text like every toast (the modal's too:
    Textual gets it with markup off); the picker stays to type again."""
    app = app_for(service_db)
    shown: list[Notification] = []  # what reaches Textual: its Notify message

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            shown.append(message.notification)

    async with app.run_test(size=SIZE, notifications=True, message_hook=hook) as pilot:
        await ready(pilot)
        main = main_screen(app)
        sid = await _open_picker_on_first_active(pilot, app)
        picker = app.screen
        offered = [picker.query_one("#triggers").get_option_at_index(i).id for i in range(9)]
        assert "plan-to-execute" not in offered and "first-message" not in offered
        await pilot.press(*"zzz", "enter")
        await wait_until(
            pilot, lambda: "No reason matches what you typed" in notifications(app), "toast"
        )
        await wait_until(pilot, lambda: bool(shown), "the toast's Notify message")
        assert [n.markup for n in shown] == [False]
        assert app.screen is picker, "the picker stays after a typo"
        await pilot.press("backspace", "backspace", "backspace")
        await pilot.press(*"reset")
        narrowed = picker.query_one("#triggers")
        assert [narrowed.get_option_at_index(i).id for i in range(narrowed.option_count)] == [
            "reset-requested",
            "context-reset",
        ]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        confirm = app.screen
        assert confirm.focused is not None and confirm.focused.id == "cancel"
        writes = str(confirm.query_one("#writes").render())
        assert "reset-requested" in writes and ACTOR in writes and "ended_at" in writes
        await pilot.press("tab")
        assert confirm.focused is not None and confirm.focused.id == "confirm"
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: any("ended" in n for n in notifications(app)), "outcome toast"
        )
        await settle(pilot)
        assert f"ended {sid[:8]} (reset-requested)" in notifications(app)
        row_index = main.table.get_row_index(sid)
        assert cell_text(app, row_index, "reason") == "reset-requested"
        assert cell_text(app, row_index, "status").strip() == "ended"
        stored = await db_session(service_db, sid)
        assert stored["active"] is False
        assert stored["ended_reason"] == "reset-requested"
        assert stored["ended_at"] is not None
        assert stored["metadata"]["endedBy"]["actor"] == ACTOR
        assert stored["metadata"]["endedBy"]["tool"] == "sessions-tui"
        assert "model" in stored["metadata"]


async def _open_detail(pilot, app, sid: str) -> DetailScreen:  # type: ignore[no-untyped-def]
    """Enter on that row; return the detail screen once its session is loaded."""
    table = main_screen(app).table
    table.move_cursor(row=table.get_row_index(sid))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail screen")
    detail = app.screen
    assert isinstance(detail, DetailScreen)
    await wait_until(pilot, lambda: detail.detail is not None, "detail loaded")
    return detail


async def test_end_from_the_detail_screen_ends_the_session_shown_and_refuses_an_ended_one(
    service_db: DbTarget,
) -> None:
    """The palette's End on a detail screen means the session shown, not the table row
    underneath; and an ended session gets a warning, not a picker. The detail screen
    the end was started from is re-read: it must not stay "active"."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        child = next(
            sid
            for sid in main.table.ids
            if main.state.rows[sid].active and main.state.rows[sid].parent_session_id
        )
        detail = await _open_detail(pilot, app, child)
        await pilot.press("p")
        parent = main.state.rows[child].parent_session_id
        await wait_until(
            pilot,
            lambda: detail.detail is not None and detail.detail.row.id == parent,
            "parent",
        )
        assert detail.detail is not None and not detail.detail.row.active
        await run_palette_command(pilot, "End session", "End session")
        await wait_until(
            pilot, lambda: any("already ended" in n for n in notifications(app)), "warning"
        )
        await settle(pilot)
        assert app.screen is detail  # no picker for the table's row underneath
        assert (await db_session(service_db, child))["active"] is True
        await pilot.press("escape")  # back to the child, then to the list
        await wait_until(
            pilot, lambda: detail.detail is not None and detail.detail.row.id == child, "child"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main, "the list")
        ended = next(sid for sid in main.table.ids if not main.state.rows[sid].active)
        main.table.move_cursor(row=main.table.get_row_index(ended))
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, EndReasonScreen)
        assert sum("already ended: nothing to end" in n for n in notifications(app)) == 2

        sid = await _first_active(app)
        detail = await _open_detail(pilot, app, sid)
        assert "● active" in str(detail.query_one("#detail-title").render())
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        await pilot.press(*"worktree-removed", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        await pilot.press("tab", "enter")
        await wait_until(
            pilot,
            lambda: detail.detail is not None and not detail.detail.row.active,
            "detail re-read",
        )
        assert app.screen is detail
        title = str(detail.query_one("#detail-title").render())
        assert "ended" in title and "● active" not in title
        fields = str(detail.query_one("#fields").render())
        assert "worktree-removed" in fields, fields
        stored = await db_session(service_db, sid)
        assert stored["active"] is False and stored["ended_reason"] == "worktree-removed"
        await pilot.press("escape")
        await settle(pilot)
        assert cell_text(app, main.table.get_row_index(sid), "reason") == "worktree-removed"


def _break_get_session(app, monkeypatch: pytest.MonkeyPatch, message: str) -> None:  # type: ignore[no-untyped-def]
    """From now on the store's session read fails the way a dropped read does."""
    assert app.store is not None

    async def broken(session_id: str) -> None:
        raise StoreError(message)

    monkeypatch.setattr(app.store, "get_session", broken)


def _break_reads_by_id(app, monkeypatch: pytest.MonkeyPatch, message: str) -> None:  # type: ignore[no-untyped-def]
    """Once an end has been written, the store's reads of sessions by id (the re-read
    after it) fail the way a dropped read does; the plan's read before the write and
    the list's own pages still come."""
    store = app.store
    assert store is not None
    real_list, real_end = store.list_sessions, store.end_sessions
    written = False

    async def end(*args: Any, **kwargs: Any) -> Any:
        nonlocal written
        outcomes = await real_end(*args, **kwargs)
        written = True
        return outcomes

    async def broken(flt: SessionFilter | None = None, *args: Any, **kwargs: Any) -> Any:
        if written and flt is not None and flt.ids is not None:
            raise StoreError(message)
        return await real_list(flt, *args, **kwargs)

    monkeypatch.setattr(store, "end_sessions", end)
    monkeypatch.setattr(store, "list_sessions", broken)


async def test_a_failed_read_back_after_an_end_does_not_say_nothing_was_ended(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        sid = await _open_picker_on_first_active(pilot, app)
        _break_reads_by_id(app, monkeypatch, "the read failed")
        await pilot.press(*"cwd", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: any("read back" in n for n in notifications(app)), "toast")
        said = notifications(app)
        assert f"ended {sid[:8]} (cwd-changed)" in said
        assert not any("Nothing was ended" in n for n in said), said
        warning = next(n for n in said if "read back" in n)
        assert "the end was written" in warning.lower() and "the read failed" in warning
        stored = await db_session(service_db, sid)
        assert stored["active"] is False and stored["ended_reason"] == "cwd-changed"


async def test_a_failed_detail_load_says_so_and_a_popped_detail_screen_cancels_its_load(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed load says so in place of "loading", and reload retries. The load belongs
    to the screen: leaving it cancels the worker. The store call it was awaiting runs on
    (shielded) and settles; its answer reaches nothing."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        _break_get_session(app, monkeypatch, "no route \x1b[31m[b]red[/b]")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail screen")
        title = app.screen.query_one("#detail-title")
        await wait_until(pilot, lambda: "could not load" in str(title.render()), "failure")
        shown = str(title.render())
        assert "loading" not in shown
        assert "no route \\e[31m[b]red[/b]" in shown and "\x1b" not in shown
        monkeypatch.undo()
        await pilot.press("r")  # the reload binding retries
        await wait_until(pilot, lambda: app.screen.detail is not None, "detail loaded")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main, "back on the list")
        said = notifications(app)

        assert app.store is not None
        started, release = asyncio.Event(), asyncio.Event()
        real = app.store.get_session

        async def held(session_id: str) -> SessionDetail | None:
            started.set()
            await release.wait()
            return await real(session_id)

        monkeypatch.setattr(app.store, "get_session", held)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail screen")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await wait_until(pilot, started.is_set, "the load waiting in the store")
        (load,) = [w for w in app.workers if w.node is detail and w.group == "detail"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: load.state is WorkerState.CANCELLED, "load cancelled")
        assert app.screen is main_screen(app)
        assert len(app.inflight) == 1, "the store call itself runs on, shielded"
        release.set()
        await wait_until(pilot, lambda: len(app.inflight) == 0, "the call settled")
        await settle(pilot)
        assert detail.detail is None, "the answer went nowhere"
        assert notifications(app) == said, "the cancelled load raised a toast"


def _end_workers(app) -> list[Worker[Any]]:  # type: ignore[no-untyped-def]
    return [w for w in app.workers if w.group == "end"]


async def test_the_end_flow_is_one_worker_awaiting_each_dialog(service_db: DbTarget) -> None:
    """Picker, then confirmation, then the write: one worker on the main screen, which
    posts one SessionsEnded. Cancelling at either dialog ends it having written nothing;
    Cancel is the confirmation's default."""
    ended: list[SessionsEnded] = []

    def hook(message: Message) -> None:
        if isinstance(message, SessionsEnded):
            ended.append(message)

    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True, message_hook=hook) as pilot:
        await ready(pilot)
        main = main_screen(app)
        sid = await _open_picker_on_first_active(pilot, app)
        before = await db_session(service_db, sid)

        # 1. Escape at the picker.
        (flow,) = _end_workers(app)
        assert flow.node is main and flow.is_running, "the flow awaits the picker"
        await pilot.press("escape")
        await wait_until(pilot, lambda: flow.is_finished, "the flow ends at the picker")
        assert flow.state is WorkerState.SUCCESS and app.screen is main

        # 2. Escape at the confirmation.
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        (flow,) = _end_workers(app)
        await pilot.press(*"cwd", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        assert flow.is_running, "the same worker now awaits the confirmation"
        await pilot.press("escape")
        await wait_until(pilot, lambda: flow.is_finished, "the flow ends at the confirmation")
        assert flow.state is WorkerState.SUCCESS and app.screen is main
        await settle(pilot)
        assert ended == [] and not any("ended" in n for n in notifications(app))
        assert await db_session(service_db, sid) == before, "a cancelled flow wrote nothing"

        # 3. Enter at the confirmation: Cancel is the default.
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        (flow,) = _end_workers(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        await pilot.press("enter")  # Cancel has the focus
        await wait_until(pilot, lambda: flow.is_finished, "the flow ends at the default")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmEndScreen)
        stored = await db_session(service_db, sid)
        assert stored["active"] is True and stored["ended_reason"] is None

        # 4. Through to the end: one result, from that one worker.
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        (flow,) = _end_workers(app)
        await pilot.press(*"cwd", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: flow.is_finished, "the flow wrote")
        await settle(pilot)
        assert flow.state is WorkerState.SUCCESS
        assert [[o.id for o in m.outcomes] for m in ended] == [[sid]]
        assert f"ended {sid[:8]} (cwd-changed)" in notifications(app)
        stored = await db_session(service_db, sid)
        assert stored["active"] is False and stored["ended_reason"] == "cwd-changed"


SMALL = Vocabulary(
    Era("small", "a smaller era", None, None),
    (Trigger.FIRST_MESSAGE, Trigger.PLAN_TO_EXECUTE, Trigger.CWD_CHANGED, Trigger.CONTEXT_RESET),
)


async def test_the_panel_picker_and_palette_take_the_stores_vocabulary(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store whose vocabulary has fewer triggers: the panel lists those (and then what
    the counts find), the palette filters on those, the picker offers exactly their
    deactivating ones, and the end goes through with one of them."""
    opens = store_module.open_store
    monkeypatch.setattr(store_module, "open_store", functools.partial(opens, vocabulary=SMALL))
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        panel = main.reason_panel
        values = [panel.get_option_at_index(i).value for i in range(panel.option_count)]
        assert values[:5] == [*SMALL.wires, NOT_RECORDED_TOKEN]
        assert set(values[5:]) <= set(KNOWN_REASONS) - set(SMALL.wires) | {
            "session-expired",
            "model-switched",
        }, "after the vocabulary, only values the counts found"
        filters = [c.name for c in main.palette_commands() if c.name.startswith("Filter reason")]
        assert filters == [
            *(f"Filter reason: {wire}" for wire in SMALL.wires),
            "Filter reason: not recorded",
            "Filter reason: unrecognised",
        ]

        sid = await _open_picker_on_first_active(pilot, app)
        triggers = app.screen.query_one("#triggers", OptionList)
        offered = [triggers.get_option_at_index(i).id for i in range(triggers.option_count)]
        assert offered == ["cwd-changed", "context-reset"]
        await pilot.press(*"context", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: any("ended" in n for n in notifications(app)), "toast")
        stored = await db_session(service_db, sid)
        assert stored["active"] is False and stored["ended_reason"] == "context-reset"


async def test_multi_select_ends_each_and_reports_each(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("1")
        await settle(pilot)
        first, second = main.table.ids[:2]
        main.table.move_cursor(row=0)
        await pilot.press("space", "space")
        assert main.state.selected == {first, second}
        assert cell_text(app, 0, "status").startswith("✓")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, EndReasonScreen), "picker")
        await pilot.press(*"context", "enter")
        await confirmation(pilot, app, ConfirmEndScreen)
        targets = "\n".join(confirm_targets(app))
        assert first in targets and second in targets
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: len(notifications(app)) >= 2, "two outcome toasts")
        await settle(pilot)
        for sid in (first, second):
            assert f"ended {sid[:8]} (context-reset)" in notifications(app)
            assert (await db_session(service_db, sid))["ended_reason"] == "context-reset"
        assert main.state.selected == set()


async def test_race_already_ended_while_modal_open(service_db: DbTarget) -> None:
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        sid = await _open_picker_on_first_active(pilot, app)
        # Someone else, on another connection, ends it first.
        other = await open_store(service_db)
        try:
            await other.end_sessions([sid], "cwd-changed", actor="other@elsewhere")
        finally:
            await other.close()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmEndScreen), "confirmation")
        await pilot.press("tab", "enter")
        await wait_until(
            pilot, lambda: any("already ended" in n for n in notifications(app)), "toast"
        )
        toast = next(n for n in notifications(app) if "already ended" in n)
        assert sid[:8] in toast and "cwd-changed" in toast and "nothing was overwritten" in toast
        stored = await db_session(service_db, sid)
        assert stored["ended_reason"] == "cwd-changed"
        assert stored["metadata"]["endedBy"]["actor"] == "other@elsewhere"
        await settle(pilot)
        assert cell_text(app, main.table.get_row_index(sid), "reason") == "cwd-changed"


async def test_read_only_disables_ending(service_db: DbTarget) -> None:
    app = app_for(service_db, read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        assert "read-only" in str(main.status_bar.render())
        assert main.check_action("end", ()) is None
        sid = await _first_active(app)
        main.table.move_cursor(row=main.table.get_row_index(sid))
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, EndReasonScreen)
        assert notifications(app) == ["Ending is disabled: opened read-only (--read-only)"]
        main.end_flow.start([sid])
        await settle(pilot)
        assert notifications(app)[-1] == "Ending is disabled: opened read-only (--read-only)"
        assert (await db_session(service_db, sid))["active"] is True


async def test_database_without_ended_reason_opens_and_says_how_to_migrate(
    old_service_db: DbTarget,
) -> None:
    await add_legacy_session(old_service_db)
    app = app_for(old_service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        assert main.table.row_count == 1
        bar = str(main.status_bar.render())
        assert "sessions-tui migrate" in bar
        assert main.check_action("end", ()) is None


async def test_a_large_database_without_the_tools_indexes_says_how_to_fix_it(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the counts show the table is large, a database the tool has not migrated
    gets one warning that names the command; a migrated one, or a small one, none."""
    from tui.app import list_counts

    async def hints(*thresholds: int) -> list[list[str]]:
        """In one app, at each threshold in turn: the index toasts raised so far, after
        a full count (the first page's, then a refresh's)."""
        monkeypatch.setattr(list_counts, "INDEX_HINT_SESSIONS", thresholds[0])
        app = app_for(service_db)
        said: list[list[str]] = []
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot)
            main = main_screen(app)
            await wait_until(pilot, lambda: main.status_bar.counts is not None, "counts")
            for step, threshold in enumerate(thresholds):
                if step:
                    monkeypatch.setattr(list_counts, "INDEX_HINT_SESSIONS", threshold)
                    await pilot.press("r")
                await settle(pilot)
                said.append([n for n in notifications(app) if "index" in n])
        return said

    small, large, again = await hints(10**9, 100, 100)
    assert small == []  # 600 sessions: nothing to say
    shown = large
    assert len(shown) == 1, shown
    assert "sessions-tui migrate" in shown[0] and "read the whole sessions table" in shown[0]
    assert again == shown, "a second full count must not repeat it"
    await upgrade(service_db)
    assert await hints(100, 100) == [[], []]


async def test_hostile_strings_render_literally(service_db: DbTarget) -> None:
    hostile = "[bold red]boom[/] \x1b[31mred\x1b[0m\nnext"
    engine = make_engine(service_db)
    store = await open_store(service_db)
    try:
        page = await store.list_sessions(limit=1)
        sid = page.rows[0].id
        conv = page.rows[0].conversation_id
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE remote_agent_conversations SET title = :t WHERE id = :i"),
                {"t": hostile, "i": conv},
            )
            await conn.execute(
                sessions.update()
                .where(sessions.c.id == sid)
                .values(ended_reason="[blink]x\x1b]0;pwn\x07", active=False)
            )
    finally:
        await store.close()
        await engine.dispose()
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        row = main.table.get_row_index(sid)
        title = cell_text(app, row, "conversation")
        assert title.startswith("[bold red]boom[/] \\e[31mred")
        assert "\x1b" not in title and "\n" not in title
        reason = cell_text(app, row, "reason")
        assert reason == "⚠ [blink]x\\e]0;pwn\\x07"
        svg = app.export_screenshot()
        assert "[bold red]boom[/]" in svg.replace("&#160;", " ")
        # The filters line carries the stored reason and the typed search: still literal.
        panel = main.query_one(ReasonPanel)
        panel.focus()
        panel.highlighted = _option_index(panel, "[blink]x\x1b]0;pwn\x07")
        await pilot.press("space")
        await settle(pilot)
        assert main.table.ids == [sid]
        await pilot.press("slash", *"[/]", "enter")
        await settle(pilot)
        line = str(main.query_one("#filters").render())
        assert "reason: [blink]x\\e]0;pwn\\x07" in line
        assert "text: '[/]'" in line
        assert "\x1b" not in line
        assert main.table.ids == [sid]  # "[/]" is searched as text: it is in the title


async def test_pause_and_help_and_palette(service_db: DbTarget) -> None:
    app = app_for(service_db, refresh_seconds=600)  # live; no refresh comes meanwhile
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        assert "live" in main.status_bar.live
        await pilot.press("p")
        assert "paused" in main.status_bar.live
        await pilot.press("p")
        assert "live" in main.status_bar.live
        await run_palette_command(pilot, "Filter reason: repo", "repo-removed")
        await settle(pilot)
        assert main.state.reasons == {"repo-removed"}
        # Tall enough for the whole help (it scrolls in a shorter terminal).
        await pilot.resize_terminal(SIZE[0], 90)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.pause()
        text = app.export_screenshot().replace("&#160;", " ")
        assert "End session" in text and "unrecognised" in text
        assert text.count("Open detail") == 1  # from the table's own binding, once


@pytest.mark.postgres
async def test_server_restart_under_a_running_dashboard(pg_server, pg_database) -> None:  # type: ignore[no-untyped-def]
    from tests.support.dbs import create_service_db

    target = await create_service_db(pg_database, sessions=200)
    app = app_for(target)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        shown = main.table.row_count
        pg_server.stop()
        try:
            await pilot.press("r")
            await wait_until(pilot, lambda: not app.connected, "disconnected", tries=500)
            assert "disconnected" in main.status_bar.live
            assert main.table.row_count == shown  # what it shows is kept
            # An end attempt while down fails clearly and is not retried.
            main.end_flow.end_sessions([next(iter(main.state.rows))], "reset-requested", ACTOR)
            await wait_until(
                pilot,
                lambda: any("Nothing was ended" in n for n in notifications(app)),
                "end failure",
            )
        finally:
            pg_server.start()
        await wait_until(pilot, lambda: app.connected, "reconnected", tries=800)
        await settle(pilot)
        assert "disconnected" not in main.status_bar.live, main.status_bar.live
        assert main.table.row_count == shown


async def test_sqlite_lock_is_reported_and_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite only: another process holds the file lock (PostgreSQL: see the restart test)."""
    import sqlite3

    from tests.support.dbs import create_service_db

    service_db = await create_service_db(f"sqlite:///{tmp_path}/archon.db", sessions=200)

    monkeypatch.setattr("tui.store.limits.SQLITE_BUSY_TIMEOUT_MS", 100)
    app = app_for(service_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        shown = main.table.row_count
        blocker = sqlite3.connect(str(service_db.path))
        blocker.execute("PRAGMA journal_mode")  # stays as the file has it
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            sid = await _first_active(app)
            main.end_flow.end_sessions([sid], "reset-requested", ACTOR)
            await wait_until(
                pilot,
                lambda: any("Nothing was ended" in n for n in notifications(app)),
                "lock error",
            )
            assert any("locked" in n for n in notifications(app))
            assert main.table.row_count == shown
        finally:
            blocker.rollback()
            blocker.close()
        await wait_until(pilot, lambda: app.connected, "recovered", tries=500)
        assert (await db_session(service_db, sid))["active"] is True


async def test_a_lock_outlasting_the_refresh_interval_shows_disconnected_until_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ticks faster than SQLite's busy timeout: each used to cancel the read just before
    it failed, so the header said "live" for as long as the lock was held; and the
    probe (`SELECT 1`, which takes no lock) said "Reconnected" while it still was."""
    import sqlite3

    from tests.support.dbs import create_service_db

    service_db = await create_service_db(f"sqlite:///{tmp_path}/archon.db", sessions=200)
    monkeypatch.setattr("tui.store.limits.SQLITE_BUSY_TIMEOUT_MS", 500)
    monkeypatch.setattr("tui.app.link.PROBE_EVERY", 0.2)
    app = app_for(service_db, refresh_seconds=0.2)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await settle(pilot)
        blocker = sqlite3.connect(str(service_db.path))
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            await wait_until(pilot, lambda: not app.connected, "disconnected", tries=500)
            assert "disconnected" in main.status_bar.live
            await pilot.pause(2.0)  # several probes, each failing on the lock
            assert not app.connected and "disconnected" in main.status_bar.live
            assert not any("Reconnected" in n for n in notifications(app))
        finally:
            blocker.rollback()
            blocker.close()
        await wait_until(pilot, lambda: app.connected, "reconnected", tries=500)
        assert "live" in main.status_bar.live


async def test_loading_is_shown_only_for_a_late_page(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page that comes quickly paints straight over the old rows: no "loading…"
    repaint first (a whole-table redraw and a frame). A page held up says so."""
    app = app_for(service_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        monkeypatch.setattr("tui.app.list_reads.LOADING_AFTER", 2.0)
        before = main.table.border_subtitle
        main.filters.set_status(Status.ENDED)
        assert main.table.border_subtitle == before, "not marked loading at once"
        await settle(pilot)
        assert "loaded" in main.table.border_subtitle
        past: list[bool] = []  # a timer of the same delay, set later, fires later
        main.set_timer(2.0, lambda: past.append(True))
        await wait_until(pilot, lambda: bool(past), "the loading mark's delay to pass")
        assert "loaded" in main.table.border_subtitle, "the page stopped the loading mark"
        assert not main.table.stale
        assert {cell_text(app, i, "status").strip() for i in range(5)} == {"ended"}

        monkeypatch.setattr("tui.app.list_reads.LOADING_AFTER", 0.05)
        async with sessions_locked(service_db):
            main.filters.set_status(Status.ACTIVE)
            await wait_until(
                pilot,
                lambda: str(main.table.border_subtitle).startswith("loading…"),
                "loading…",
            )
            assert "ended" in cell_text(app, 0, "status"), "the old rows stay until the page"
            assert main.table.stale, "dimmed: they answer the question before"
        await wait_until(pilot, lambda: "loaded" in main.table.border_subtitle, "the late page")
        assert cell_text(app, 0, "status")[2:] in ("active", "stuck")


async def test_the_reason_panel_counts_in_its_own_worker_and_says_when_that_fails(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reasons are counted by the panel's worker: a failed count is one toast with
    the error, the rows stay, and the next question's counts show again."""
    app = app_for(service_db)
    counters: set[object] = set()
    counted: list[WorkerState] = []

    def seen(message: Message) -> None:
        if isinstance(message, Worker.StateChanged) and message.worker.group == "facets":
            counters.add(message.worker.node)
            counted.append(message.state)

    async with app.run_test(size=SIZE, notifications=True, message_hook=seen) as pilot:
        await ready(pilot)
        main = main_screen(app)
        assert counters == {main.reason_panel}, counters
        counts_back = store_call_fails(monkeypatch, app, "reason_counts", "the reason count failed")
        await pilot.press("2")  # a new question: the panel is asked to count
        await wait_until(
            pilot,
            lambda: any("the reason count failed" in n for n in notifications(app)),
            "the failure toast",
        )
        await settle(pilot)
        assert main.table.ids, "the rows are not lost with the count"
        counts_back()
        before = len(counted)
        await pilot.press("1")  # a question not counted yet (the first one's are kept)
        await wait_until(pilot, lambda: WorkerState.SUCCESS in counted[before:], "counted again")
        await settle(pilot)
        assert "ended ·" in str(main.reason_panel.border_subtitle)
