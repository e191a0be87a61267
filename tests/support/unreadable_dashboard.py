"""Drives the dashboard while its database is made unreadable, then readable again.

Run as a process that file modes apply to (`tests.support.unprivileged`): `python -m
tests.support.unreadable_dashboard DB SESSION_ID file|folder OUT.json`. It takes
away read access (the file's mode, or the folder's), waits for the header to say so,
tries an end, gives access back, waits for the dashboard to be live again and ends
the session. What it saw goes to OUT.json for the test to judge; a condition that
never came fails the run (exit 1, the awaited condition named).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from tests.support.app_helpers import app_for, main_screen, notifications, ready, wait_until
from tests.support.sqlite_files import sqlite_file
from tui.app.app import SessionsApp
from tui.store.target import sqlite_target

REFRESH_SECONDS = 0.5


def _header(app: SessionsApp) -> str:
    return str(main_screen(app).status_bar.render())


def _row(path: Path, sid: str) -> list[Any]:
    with sqlite_file(path) as conn:
        found = conn.execute(
            "SELECT active, ended_reason FROM remote_agent_sessions WHERE id = ?", (sid,)
        ).fetchone()
    return list(found)


async def drive(path: Path, sid: str, what: str) -> dict[str, Any]:
    blocked, mode = (path, 0o644) if what == "file" else (path.parent, 0o755)
    seen: dict[str, Any] = {}
    app = app_for(sqlite_target(path), refresh_seconds=REFRESH_SECONDS)
    # Wide: the header names the file by its whole path, a long temporary one here.
    async with app.run_test(size=(250, 45), notifications=True) as pilot:
        await ready(pilot)
        screen = main_screen(app)
        seen["rows_before"] = screen.table.row_count
        seen["header_before"] = _header(app)
        blocked.chmod(0)
        try:
            await wait_until(pilot, lambda: "cannot be read" in _header(app), "header: unreadable")
            seen["header_unreadable"] = _header(app)
            screen.end_flow.end_sessions([sid], "reset-requested", "tester@ci")
            await wait_until(
                pilot,
                lambda: any(n.startswith("Nothing was ended") for n in notifications(app)),
                "the end refused",
            )
            seen["header_still"] = _header(app)
            seen["rows_kept"] = screen.table.row_count
        finally:
            blocked.chmod(mode)
        seen["row_after_refused_end"] = _row(path, sid)
        await wait_until(
            pilot,
            lambda: app.store is not None and "● live" in _header(app),
            "live again once readable",
        )
        seen["header_recovered"] = _header(app)
        screen.end_flow.end_sessions([sid], "reset-requested", "tester@ci")
        await wait_until(
            pilot,
            lambda: any(n.startswith(f"ended {sid[:8]}") for n in notifications(app)),
            "the end after recovery",
        )
        seen["toasts"] = notifications(app)
    return seen


def main(argv: list[str]) -> int:
    path, sid, what, out = Path(argv[0]), argv[1], argv[2], Path(argv[3])
    seen = asyncio.run(drive(path, sid, what))
    out.write_text(json.dumps(seen, indent=1))
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main(sys.argv[1:]))
