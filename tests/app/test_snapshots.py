"""Snapshot tests of the key screens (pytest-textual-snapshot), from the deterministic demo.

Update after an intended change with `python3 -m pytest tests/test_snapshots.py --snapshot-update`
and look at the report it writes before committing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import scenes

DETERMINISTIC = [name for name in scenes.SCENES if name not in scenes.LIVE_SCENES]


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_screen(name: str, snap_compare: Any) -> None:
    scenes.demo_db()
    assert snap_compare(
        scenes.scene_app(), terminal_size=scenes.SIZE, run_before=scenes.SCENES[name]
    )
