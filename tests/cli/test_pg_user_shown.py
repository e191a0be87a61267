"""A PostgreSQL user whose name holds `@` or `:` is shown percent-escaped wherever the
database is named (`info`, an error, the dashboard's header), so that the URL shown
reads back as the same user, host and database: `ops@team:1` was shown as
`postgresql://ops@team:1@127.0.0.1:PORT/db`, which names user `ops`, host `team`.
Against a real server, as a role of that name; the password is never shown. A server
only: a SQLite file has no user."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.app_helpers import app_for, main_screen, ready
from tests.support.cli_env import invoke, isolate
from tests.support.dbs import create_service_db
from tests.support.pgserver import PgServer
from tui.store.target import url_target

pytestmark = pytest.mark.postgres

PASSWORD = "pw-of-the-odd-role"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


@pytest.fixture
def odd_role(pg_server: PgServer, pg_database: str) -> Iterator[tuple[str, str]]:
    """A login role named `ops@team:…` that may read the service database; yields its
    name and the database's name."""
    asyncio.run(create_service_db(pg_database, sessions=20))
    role = f"ops@team:{uuid.uuid4().hex[:6]}"
    ident = '"' + role.replace('"', '""') + '"'
    dbname = pg_database.rsplit("/", 1)[1]
    pg_server.psql(f"CREATE ROLE {ident} LOGIN PASSWORD '{PASSWORD}'")
    pg_server.psql(
        f"GRANT USAGE ON SCHEMA public TO {ident}; "
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ident}",
        dbname,
    )
    try:
        yield role, dbname
    finally:
        pg_server.psql(f"DROP OWNED BY {ident}", dbname)
        pg_server.psql(f"DROP ROLE {ident}")


def _shown(pg_server: PgServer, role: str, dbname: str) -> str:
    return f"postgresql://{quote(role, safe='')}@{pg_server.host}:{pg_server.port}/{dbname}"


def test_info_and_errors_show_the_user_escaped(
    pg_server: PgServer, odd_role: tuple[str, str]
) -> None:
    role, dbname = odd_role
    shown = _shown(pg_server, role, dbname)
    assert "%40team%3A" in shown
    url = pg_server.url(dbname, user=role, password=PASSWORD)

    info = invoke("--url", url, "info", "--format", "json")
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["database"] == shown
    assert url_target(shown).username == role, "the shown URL reads back as the same user"
    assert PASSWORD not in info.output

    wrong = pg_server.url(dbname, user=role, password="not-" + PASSWORD)
    failed = invoke("--url", wrong, "list")
    assert failed.exit_code == 1, failed.output
    (line,) = failed.stderr.splitlines()
    assert line.startswith(f"Error: {shown}: authentication failed"), line
    assert "not-" + PASSWORD not in failed.output


async def test_the_header_shows_the_user_escaped(
    pg_server: PgServer, odd_role: tuple[str, str]
) -> None:
    role, dbname = odd_role
    app = app_for(url_target(pg_server.url(dbname, user=role, password=PASSWORD)))
    async with app.run_test(size=(200, 40)) as pilot:
        await ready(pilot)
        header = str(main_screen(app).status_bar.render())
    assert _shown(pg_server, role, dbname) in header
    assert PASSWORD not in header
