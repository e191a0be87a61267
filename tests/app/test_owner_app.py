"""The dashboard's owner column, `user:` search token, conversation marks and the detail's
workflow runs, driven with Pilot on real databases of today's schema and of 016's."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.app_helpers import app_for, column_texts, main_screen, ready, settle, wait_until
from tests.support.owners import (
    CONVERSATIONS,
    OWNER,
    RUNS,
    SESSION,
    TITLE,
    create_owner_db,
    run_name,
)
from tui.app.screens.detail import DetailScreen
from tui.domain.models import RECENT_RUNS
from tui.domain.wording import DASH, DELETED_MARK, HIDDEN_MARK
from tui.store.target import DbTarget

SIZE = (100, 24)


@pytest.fixture
def owner_db(empty_db_url: str) -> DbTarget:
    """Today's schema: users, owned, deleted and hidden conversations, workflow runs."""
    return asyncio.run(create_owner_db(empty_db_url))


@pytest.fixture
def old_owner_db(empty_db_url: str) -> DbTarget:
    """Migration 016's schema (no users), without the workflow runs table."""
    return asyncio.run(create_owner_db(empty_db_url, era="016", runs=False))


def _cells(app, column: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    table = main_screen(app).table
    keys = {sid: key for key, sid in SESSION.items()}
    return {keys[sid]: text for sid, text in zip(table.ids, column_texts(app, column), strict=True)}


async def test_owner_column_marks_and_user_token(owner_db: DbTarget) -> None:
    app = app_for(owner_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        owners = _cells(app, "owner")
        # The dashboard cell is 12 wide: compare what fits, before its ellipsis.
        for key, owner in OWNER.items():
            shown = owners[key].strip().rstrip("…")
            assert (owner or DASH).startswith(shown) and shown, (key, owners[key])
        conversations = _cells(app, "conversation")
        for conv in CONVERSATIONS:
            marks = (DELETED_MARK if conv.deleted else "") + (HIDDEN_MARK if conv.hidden else "")
            expected = f"{marks} {TITLE[conv.key]}" if marks else TITLE[conv.key]
            assert conversations[conv.key].strip() == expected

        main = main_screen(app)
        await pilot.press("slash")
        await pilot.press(*"user:ADA@example.com")
        await pilot.press("enter")
        await settle(pilot)
        assert set(_cells(app, "owner")) == {"ada", "ada-deleted"}
        assert main.state.search.user == "ADA@example.com"
        assert "user: ADA@example.com" in str(main.query_one("#filters").render())

        await pilot.press("slash")
        await pilot.press("ctrl+u")  # clear the box
        await pilot.press(*'user:"bob@EXAMPLE.com" talk')
        await pilot.press("enter")
        await settle(pilot)
        assert set(_cells(app, "owner")) == {"bob", "both"}


async def test_detail_shows_owner_state_and_latest_runs(owner_db: DbTarget) -> None:
    app = app_for(owner_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = main_screen(app).table
        for key in ("ada", "both"):
            table.move_cursor(row=table.get_row_index(SESSION[key]))
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await wait_until(pilot, lambda: detail.detail is not None, "detail loaded")  # noqa: B023
            fields = str(detail.query_one("#fields").render())
            conversation = str(detail.query_one("#conversation").render())
            runs = str(detail.query_one("#runs").render()).splitlines()
            if key == "ada":
                assert "Ada Lovelace" in fields
                assert conversation.startswith("Conversation\n")
                newest = range(RUNS, RUNS - RECENT_RUNS, -1)
                assert [line.split()[0] for line in runs[1:]] == [run_name(i) for i in newest]
                assert runs[1].split()[1] == "running"
            else:
                assert "Bob@Example.com" in fields
                assert conversation.startswith(
                    f"Conversation ({DELETED_MARK}{HIDDEN_MARK} deleted, hidden)"
                )
                assert [line.strip() for line in runs[1:]] == [DASH]
            await pilot.press("escape")
            await settle(pilot)


async def test_before_users_dashes_no_match_and_no_runs_section(old_owner_db: DbTarget) -> None:
    app = app_for(old_owner_db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert {c.strip() for c in column_texts(app, "owner")} == {DASH}
        table = main_screen(app).table
        table.move_cursor(row=table.get_row_index(SESSION["ada"]))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await wait_until(pilot, lambda: detail.detail is not None, "detail loaded")
        assert not detail.query_one("#runs").display
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"user:ada")
        await pilot.press("enter")
        await settle(pilot)
        assert main_screen(app).table.row_count == 0
