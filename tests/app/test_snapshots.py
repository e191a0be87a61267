"""Snapshot tests of the key screens (pytest-textual-snapshot), from the deterministic demo.

Update after an intended change with `python3 -m pytest tests/test_snapshots.py --snapshot-update`
and look at the report it writes before committing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import run_cancel_scenes, run_scenes, scenes

DETERMINISTIC = [name for name in scenes.SCENES if name not in scenes.LIVE_SCENES]


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_screen(name: str, snap_compare: Any) -> None:
    scenes.demo_db()
    assert snap_compare(
        scenes.scene_app(), terminal_size=scenes.SIZE, run_before=scenes.SCENES[name]
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 30), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen_at_terminal_sizes(size: tuple[int, int], snap_compare: Any) -> None:
    """The list at an 80x24 split, a laptop's 120x30 and a wide 200x50: the layout tests
    (tests/app/test_layout.py) say what must be on screen; these show how it looks."""
    scenes.demo_db()
    assert snap_compare(scenes.scene_app(), terminal_size=size, run_before=scenes.main_list)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_trends_screen_at_terminal_sizes(size: tuple[int, int], snap_compare: Any) -> None:
    """The trends chart at an 80x24 split (one cell a day, the legend beside it) and at
    200x50 (wider bars with gaps): the demo's 30 days, a day and a reason picked."""
    scenes.demo_db()
    assert snap_compare(scenes.scene_app(), terminal_size=size, run_before=scenes.trends_screen)


@pytest.mark.parametrize("count", [1, 50])
@pytest.mark.parametrize("step", ["picker", "confirmation"])
def test_ending_at_80x24(step: str, count: int, snap_compare: Any) -> None:
    """The reason picker (`worktree` typed) and the confirmation at 80x24, for one session
    and for 50: the writes scroll, Cancel and End stay on screen below them."""
    scenes.demo_db()
    scene = scenes.end_of(count, confirm=step == "confirmation")
    assert snap_compare(scenes.scene_app(), terminal_size=(80, 24), run_before=scene)


@pytest.mark.parametrize("name", list(run_scenes.RUN_SCENES))
def test_runs_screen(name: str, snap_compare: Any) -> None:
    """The workflow runs list (its stuck panel counted) and a run's detail, on a fixed
    database of runs (`run_scenes`)."""
    run_scenes.runs_db()
    assert snap_compare(
        run_scenes.runs_app(), terminal_size=scenes.SIZE, run_before=run_scenes.RUN_SCENES[name]
    )


def test_run_cancel_confirmation(snap_compare: Any) -> None:
    """The confirmation of a run cancel from the runs list: the run and its status now,
    the service's write, the cooperative note and the actor, Back focused."""
    run_scenes.runs_db()
    assert snap_compare(
        run_scenes.runs_app(),
        terminal_size=scenes.SIZE,
        run_before=run_cancel_scenes.cancel_confirmation,
    )
