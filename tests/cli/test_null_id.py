"""Sessions with a NULL id (SQLite's TEXT PRIMARY KEY allows it; a PostgreSQL primary
key cannot be NULL): never listed, paged or ended, said apart in one line by `list`,
`info` and the dashboard. And a dashboard that crashes exits non-zero."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from tests.support.app_helpers import app_for, notifications, ready, wait_until
from tests.support.dbs import create_service_db
from tests.support.odd_rows import execute, fetch
from tui.cli.main import cli
from tui.store.target import DbTarget

NOTICE = "2 sessions without an id: cannot be shown or ended"


async def _db(tmp_path: Path) -> DbTarget:
    target = await create_service_db(f"sqlite:///{tmp_path / 'archon.db'}", sessions=30)
    await execute(
        target,
        "INSERT INTO remote_agent_sessions (id, conversation_id, active, started_at) "
        "SELECT NULL, conversation_id, 1, datetime('now') FROM remote_agent_sessions LIMIT 2",
    )
    return target


def test_list_and_info_say_how_many_and_list_the_rest(tmp_path: Path) -> None:
    target = asyncio.run(_db(tmp_path))
    db = ["--db", str(target.path)]
    named = asyncio.run(
        fetch(target, "SELECT count(*) FROM remote_agent_sessions WHERE id IS NOT NULL")
    )
    for fmt in ("table", "json", "csv"):
        out = CliRunner().invoke(cli, [*db, "list", "--format", fmt, "--limit", "0"])
        assert out.exit_code == 0, out.output
        assert f"warning: {NOTICE}" in out.stderr
    listed = CliRunner().invoke(cli, [*db, "list", "--format", "json", "--limit", "0"]).stdout
    assert len(json.loads(listed)["sessions"]) == named[0][0]
    paged = CliRunner().invoke(cli, [*db, "list", "--format", "json", "--limit", "7"])
    assert paged.exit_code == 0 and json.loads(paged.stdout)["next_cursor"]
    info = json.loads(CliRunner().invoke(cli, [*db, "info", "--format", "json"]).stdout)
    assert info["sessions"]["without_id"] == 2


async def test_the_dashboard_lists_the_rest_and_warns(tmp_path: Path) -> None:
    target = await _db(tmp_path)
    app = app_for(target)
    async with app.run_test(size=(170, 45)) as pilot:
        await ready(pilot)
        assert app.main_screen.table.row_count == 30
        await wait_until(pilot, lambda: NOTICE in notifications(app), "the warning")


def test_a_crashed_dashboard_exits_non_zero(tmp_path: Path) -> None:
    """The exit status of `sessions-tui` after an exception in the app (here one put in
    the main screen's mount): Textual's return code, not 0."""
    target = asyncio.run(create_service_db(f"sqlite:///{tmp_path / 'archon.db'}", sessions=5))
    script = textwrap.dedent(
        """
        import sys
        from tui.app.screens import main as screen

        def crash(self):
            raise RuntimeError("crashed on purpose")

        screen.MainScreen.on_mount = crash
        from tui.cli.main import main
        main(["--db", sys.argv[1]])
        """
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, "-c", script, str(target.path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        env=env,
        cwd=root,
    )
    assert b"crashed on purpose" in done.stdout + done.stderr
    assert done.returncode != 0
