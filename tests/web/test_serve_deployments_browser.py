"""`sessions-tui --all serve` in a real browser: the overview of two deployments, a
SQLite file and a PostgreSQL database, served writable (`--write --actor`) with one of
them read-only in the config file.

As an operator would see it: both rows arrive live, the read-only one's hostile title
shown as text; each tab's process carries no database, path or password on its command
line; the read-only deployment refuses to end in its own words although the server was
started with --write, and nothing is written; the other offers the end.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from selenium.webdriver.common.keys import Keys

from tests.support.browser import chromium, press, serving, wait_for, wait_for_screen
from tests.support.dbs import sa_url
from tests.support.pgserver import PgServer
from tests.support.templates import ServiceTemplates
from tui.store.store import open_store
from tui.store.target import DbTarget

pytestmark = [pytest.mark.web, pytest.mark.postgres, pytest.mark.usefixtures("browser_ready")]

TITLE = "[b]Prod[/b] (EU)"
"""The read-only deployment's title: markup as data, shown as typed."""


@pytest.fixture
def sqlite_db(tmp_path: Path, service_templates: ServiceTemplates) -> DbTarget:
    return service_templates.copy(f"sqlite:///{tmp_path / 'staging.db'}", None, sessions=300)


@pytest.fixture
def pg_db(pg_database: str, pg_server: PgServer, service_templates: ServiceTemplates) -> DbTarget:
    return service_templates.copy(pg_database, pg_server, sessions=300)


def _active(target: DbTarget) -> int:
    async def count() -> int:
        store = await open_store(target, read_only=True)
        try:
            return (await store.counts()).active
        finally:
            await store.close()

    return asyncio.run(count())


def test_served_overview_of_two_deployments_in_chromium(
    tmp_path: Path, sqlite_db: DbTarget, pg_db: DbTarget
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[deployments.staging]\ndb = "{sqlite_db.path}"\ncolour = "green"\n'
        '\n[deployments.prod]\nurl_env = "PROD_DATABASE_URL"\nread_only = true\n'
        f'colour = "red"\ntitle = "{TITLE}"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SESSIONS_TUI_CONFIG": str(config), "PROD_DATABASE_URL": pg_db.secret_url()}
    pg_url = sa_url(pg_db)
    secrets = [str(sqlite_db.path), "staging.db", str(pg_url.database)]
    secrets += [pg_url.password] if pg_url.password else []
    active = _active(pg_db), _active(sqlite_db)

    with (
        serving(["--all"], "--write", "--actor", "oncall-web", env=env) as served,
        chromium() as driver,
    ):
        assert "serving 2 deployments (staging, prod) (ends signed by oncall-web; " in (
            served.printed
        )
        driver.get(served.url)
        dashboards = wait_for(served.dashboards, 30, "the tab's dashboard process")
        argv = dashboards[0].cmdline()
        assert "--read-only" not in argv
        for arg in (*argv, *(a for seen in served.argv.values() for a in seen)):
            assert not [s for s in secrets if s in arg], arg
        assert not [s for s in secrets if s in driver.page_source]

        def row(shown: str, name: str) -> str:
            return next((line for line in shown.splitlines() if name in line), "")

        shown = wait_for_screen(
            driver,
            lambda s: "● live" in row(s, "staging") and "● live" in row(s, TITLE),
            "both deployments' rows, live",
        )
        assert f"{TITLE} (read-only)" in row(shown, TITLE)
        assert f" {active[0]:,} " in row(shown, TITLE)
        assert f" {active[1]:,} " in row(shown, "staging")

        press(driver, Keys.ARROW_DOWN + Keys.ENTER)  # the second row: prod
        wait_for_screen(
            driver,
            lambda s: "◆ " + TITLE in s and "read-only" in row(s, "◆ ") and "● live" in s,
            "prod's sessions list, its banner read-only",
        )
        press(driver, "x")
        shown = wait_for_screen(driver, lambda s: "Ending is disabled" in s, "the refusal")
        assert f"{TITLE} is read-only" in " ".join(shown.split())
        assert _active(pg_db) == active[0]

        press(driver, "D")  # the overview, then the first row: staging, writable
        wait_for_screen(driver, lambda s: "● live" in row(s, "staging"), "the overview")
        press(driver, Keys.ARROW_UP + Keys.ENTER)
        wait_for_screen(driver, lambda s: "◆ staging" in s, "staging's sessions list")
        press(driver, "1")  # active: the newest active session is highlighted
        wait_for_screen(driver, lambda s: "status: active" in s, "the active sessions")
        press(driver, "x")
        wait_for_screen(driver, lambda s: "worktree-removed" in s, "the reason picker")
        press(driver, Keys.ESCAPE)

    assert _active(sqlite_db) == active[1]
