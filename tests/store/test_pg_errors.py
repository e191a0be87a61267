"""PostgreSQL failures an operator meets: each is one clear line, from the CLI and from the app.

Wrong host, wrong credentials, a missing database and missing privileges, against a
real server; the password never appears anywhere.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from tests.support.app_helpers import app_for, main_screen, notifications, wait_until
from tests.support.dbs import create_service_db
from tests.support.pgserver import LIMITED_PASSWORD, LIMITED_USER, PgServer
from tui.cli.main import cli
from tui.store.target import url_target

pytestmark = pytest.mark.postgres

SECRET = "s3cr3t-PW-that-must-not-leak"


def _cases(pg_server: PgServer, database_url: str) -> dict[str, tuple[str, str]]:
    """name -> (url, words the message must contain)."""
    dbname = database_url.rsplit("/", 1)[1]
    port = pg_server.port
    return {
        "wrong host": (
            f"postgresql://postgres:{SECRET}@no-such-host.invalid:{port}/{dbname}",
            "host",
        ),
        "wrong credentials": (
            f"postgresql://postgres:{SECRET}@127.0.0.1:{port}/{dbname}",
            "authentication failed",
        ),
        "missing database": (pg_server.url("no_such_database_here"), "no_such_database_here"),
        "missing privileges": (
            pg_server.url(dbname, user=LIMITED_USER, password=LIMITED_PASSWORD),
            "privilege",
        ),
    }


def _password(url: str) -> str:
    password = make_url(url).password
    assert isinstance(password, str) and password
    return password


CASE_NAMES = ["wrong host", "wrong credentials", "missing database", "missing privileges"]


@pytest.fixture
def service_url(pg_database: str) -> str:
    import asyncio

    asyncio.run(create_service_db(pg_database, sessions=20))
    return pg_database


@pytest.mark.parametrize("case", CASE_NAMES)
def test_cli_says_what_is_wrong_in_one_line(
    case: str, pg_server: PgServer, service_url: str
) -> None:
    url, words = _cases(pg_server, service_url)[case]
    result = CliRunner().invoke(
        cli, ["--url", url, "list", "--format", "json"], env=dict(os.environ)
    )
    assert result.exit_code == 1, result.output
    err = result.stderr.strip()
    assert err.startswith("Error: ")
    assert len(err.splitlines()) == 1, err
    assert words in err.lower() or words in err, err
    assert _password(url) not in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", CASE_NAMES)
async def test_app_says_what_is_wrong(case: str, pg_server: PgServer, service_url: str) -> None:
    url, words = _cases(pg_server, service_url)[case]
    app = app_for(url_target(url))
    async with app.run_test(size=(170, 40), notifications=True) as pilot:
        bar = main_screen(app).status_bar
        await wait_until(pilot, lambda: "cannot" in bar.live or bool(notifications(app)), case)
        messages = notifications(app)
        shown = app.export_screenshot()
        text = " ".join([bar.live, *messages])
        assert words in text.lower() or words in text, text
        assert _password(url) not in shown and _password(url) not in text
        assert main_screen(app).table.row_count == 0
