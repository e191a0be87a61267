"""`sessions-tui serve` in a real browser: Debian's chromium, headless, through selenium.

One run, as an operator would see it: the page loads, each tab starts its own dashboard
process (whose command line carries no database), the first rows reach the page, a key
filters, ending is refused (served read-only) and nothing is written, and an export
arrives as a download equal to what `list` prints. Every process `serve` started is gone
once it stops (`tests/support/browser.serving`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.support.browser import (
    chromium,
    press,
    screen,
    serving,
    wait_for,
    wait_for_screen,
)
from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tui.cli.main import cli

pytestmark = [pytest.mark.web, pytest.mark.usefixtures("browser_ready")]


def _one(path: Path, sql: str) -> str:
    with sqlite_file(path) as db:
        return str(db.execute(sql).fetchone()[0])


def test_served_dashboard_in_chromium(tmp_path: Path) -> None:
    path = tmp_path / "archon.db"
    asyncio.run(create_service_db(f"sqlite:///{path}", era="v0.7", sessions=300))
    newest = _one(path, "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC")
    newest_ended = _one(
        path,
        "SELECT id FROM remote_agent_sessions WHERE active = 0 ORDER BY started_at DESC, id DESC",
    )
    active_before = _one(path, "SELECT count(*) FROM remote_agent_sessions WHERE active = 1")
    ended = int(_one(path, "SELECT count(*) FROM remote_agent_sessions WHERE active = 0"))
    assert newest != newest_ended, "the fixture's newest session must be active"
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    with serving(["--db", str(path)]) as served, chromium(downloads) as driver:
        driver.get(served.url)
        terminal = driver.find_element(By.ID, "terminal")
        assert terminal.get_attribute("data-session-websocket-url") == (
            f"ws://127.0.0.1:{served.port}/ws"
        )
        assert str(path) not in driver.page_source

        dashboards = wait_for(served.dashboards, 30, "the tab's dashboard process")
        argv = dashboards[0].cmdline()
        assert "--read-only" in argv
        assert not any(str(path) in arg or "archon.db" in arg for arg in argv), argv

        wait_for_screen(driver, lambda s: newest[:8] in s, "the first rows on the page")
        wait_for_screen(driver, lambda s: "● live" in s.splitlines()[0], "the database open")

        press(driver, "x")  # the newest session is highlighted, and active
        shown = wait_for_screen(driver, lambda s: "Ending is disabled" in s, "the refusal")
        assert "served read-only" in shown
        assert _one(path, f"SELECT active FROM remote_agent_sessions WHERE id = '{newest}'") == "1"

        press(driver, "2")  # status: ended
        # The rows and the header's count come from two workers: wait for both.
        shown = wait_for_screen(
            driver,
            lambda s: (
                newest_ended[:8] in s
                and newest[:8] not in s
                and f"filtered {ended}" in s.splitlines()[0]
            ),
            f"the ended sessions alone, and 'filtered {ended}' in the header",
        )
        assert "status: ended" in shown

        press(driver, "e")
        wait_for_screen(driver, lambda s: "your browser downloads it" in s, "the export form")
        press(driver, "\n")
        wait_for_screen(driver, lambda s: f"Exported {ended} sessions" in s, "the export")
        files = wait_for(
            lambda: [p for p in downloads.glob("sessions-*.csv") if p.stat().st_size],
            60,
            f"the exported CSV in the browser's downloads (tabs {driver.window_handles})",
        )

    listed = CliRunner().invoke(
        cli, ["--db", str(path), "list", "--status", "ended", "--format", "csv", "--limit", "0"]
    )
    assert listed.exit_code == 0, listed.output
    assert files[0].read_text(encoding="utf-8") == listed.output
    assert _one(path, "SELECT count(*) FROM remote_agent_sessions WHERE active = 1") == (
        active_before
    )


def test_served_with_write_signs_the_end_with_the_actor(tmp_path: Path) -> None:
    path = tmp_path / "archon.db"
    asyncio.run(create_service_db(f"sqlite:///{path}", era="v0.7", sessions=300))
    newest = _one(
        path,
        "SELECT id FROM remote_agent_sessions WHERE active = 1 ORDER BY started_at DESC, id DESC",
    )

    with (
        serving(["--db", str(path)], "--write", "--actor", "oncall-web") as served,
        chromium() as driver,
    ):
        driver.get(served.url)
        dashboards = wait_for(served.dashboards, 30, "the tab's dashboard process")
        assert "--read-only" not in dashboards[0].cmdline()
        wait_for_screen(driver, lambda s: "● live" in s.splitlines()[0], "the database open")
        press(driver, "1")  # active: the newest active session is highlighted
        wait_for_screen(driver, lambda s: "status: active" in s, "the active sessions")
        assert newest[:8] in screen(driver)

        press(driver, "x")
        # The picker's own title: the list's reason panel names worktree-removed too.
        wait_for_screen(driver, lambda s: "End 1 session: why?" in s, "the reason picker")
        press(driver, "worktree-removed\n")
        shown = wait_for_screen(
            driver, lambda s: "End 1 session with reason worktree-removed?" in s, "the confirmation"
        )
        assert '"actor": "oncall-web"' in shown
        press(driver, Keys.TAB + Keys.ENTER)
        wait_for(
            lambda: (
                _one(path, f"SELECT active FROM remote_agent_sessions WHERE id = '{newest}'") == "0"
            ),
            30,
            "the end in the database",
        )

    ended_by = json.loads(
        _one(path, f"SELECT metadata FROM remote_agent_sessions WHERE id = '{newest}'")
    )["endedBy"]
    assert ended_by["actor"] == "oncall-web"
    assert ended_by["reason"] == "worktree-removed"
    assert _one(path, f"SELECT ended_reason FROM remote_agent_sessions WHERE id = '{newest}'") == (
        "worktree-removed"
    )
