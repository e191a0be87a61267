"""A symlink on the SQLite path swapped under a running dashboard (a deploy's
`ln -s B tmp && mv -T tmp cur`, on the file's own name or on a folder of the path,
`current -> releases/N`): the refresh tick sees that the path names another file, says
so, and reopens the file at the path; the rows shown and an end are that file's, and
nothing is written to the file the link named before."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.app_helpers import (
    app_for,
    column_texts,
    main_screen,
    notifications,
    ready,
    settle,
    wait_until,
)
from tests.support.swaps import LAYOUTS, SWAPPED_IN, swappable
from tui.app.app import SessionsApp
from tui.store.target import sqlite_target


def _header(app: SessionsApp) -> str:
    return str(main_screen(app).status_bar.render())


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_a_swapped_symlink_is_reopened_and_ended_at_the_path(
    tmp_path: Path, layout: str
) -> None:
    swap = await swappable(tmp_path, layout)
    app = app_for(sqlite_target(swap.path), refresh_seconds=0.5)
    # Wide: the header shows the whole path only when it has the room.
    async with app.run_test(size=(170, 24)) as pilot:
        await ready(pilot)
        assert main_screen(app).table.row_count == 60
        assert str(swap.path) in _header(app), "the header names the path as given"
        swap.swap()
        await wait_until(
            pilot,
            lambda: (
                f"{swap.path} was replaced by another file — reopening the file at the path"
                in notifications(app)
            ),
            "a toast says the path names another file",
        )
        await wait_until(
            pilot,
            lambda: main_screen(app).table.row_count == 50 and "live" in _header(app),
            "the rows of the file the path names now",
        )
        assert SWAPPED_IN in column_texts(app, "conversation")
        main_screen(app).end_flow.end_sessions([swap.sid], "reset-requested", "tester@ci")
        await settle(pilot)
        assert f"ended {swap.sid[:8]} (reset-requested)" in notifications(app)
    assert swap.row(swap.second) == (0, "reset-requested"), "the end is in the file at the path"
    assert swap.row(swap.first) == (1, None), "nothing went to the file the link named before"


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_an_end_right_after_a_swap_writes_nowhere_and_says_so(
    tmp_path: Path, layout: str
) -> None:
    """No refresh tick in between (auto-refresh off): the end itself notices that the
    path names another file, writes to neither, says so, and the file at the path is
    opened for the next one."""
    swap = await swappable(tmp_path, layout)
    app = app_for(sqlite_target(swap.path), refresh_seconds=0)
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot)
        swap.swap()
        main_screen(app).end_flow.end_sessions([swap.sid], "reset-requested", "tester@ci")
        await wait_until(
            pilot,
            lambda: any(
                n.startswith("Nothing was ended: the database file changed")
                for n in notifications(app)
            ),
            "the end refused",
        )
        await wait_until(
            pilot,
            lambda: main_screen(app).table.row_count == 50,
            "the rows of the file the path names now",
        )
        await settle(pilot)
    assert swap.row(swap.first) == swap.row(swap.second) == (1, None), "written nowhere"
