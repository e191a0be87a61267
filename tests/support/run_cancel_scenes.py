"""The run cancel's confirmation worth a picture: on the fixed runs database
(`run_scenes`), the running `deploy-staging` run highlighted in the runs list and the
cancel key pressed. Nothing is written: the scene stops at the dialog."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.support import run_scenes
from tests.support.app_helpers import wait_until
from tests.support.runs_app import key, runs_screen
from tui.app import SessionsApp
from tui.app.screens.run_cancel import ConfirmCancelRunsScreen

WORKFLOW = "deploy-staging"
"""The workflow of the running run the pictured cancel is about."""


async def cancel_confirmation(pilot: Pilot[Any]) -> None:
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await run_scenes.runs_list(pilot)
    screen = runs_screen(app)
    run = next(r.id for r in screen.rows.values() if r.workflow_name == WORKFLOW)
    rows = [str(r.key.value) for r in screen.table.ordered_rows]
    screen.table.move_cursor(row=rows.index(run))
    await pilot.press(key(app, "run-cancel"))
    await wait_until(
        pilot, lambda: isinstance(app.screen, ConfirmCancelRunsScreen), "the confirmation"
    )
    # Not `settle`: the cancel's worker waits on this very dialog.
    for _ in range(3):
        await pilot.pause()
