"""PostgreSQL's default search path is `"$user", public`: a role that owns an empty
schema of its own name still reads the service's tables from `public`, and so must the
tool. `info` names the schema the service's tables are in; `migrate` creates its own
objects next to them and never an empty copy of a service table in another schema.

The service role here owns the service's tables in `public` (as the service's own
migrations make them) and a schema of its name, as `CREATE SCHEMA AUTHORIZATION` gives."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.dbs import create_service_db
from tests.support.pgserver import PgServer

pytestmark = pytest.mark.postgres

SESSIONS = 120
SERVICE_TABLES = ("remote_agent_codebases", "remote_agent_conversations", "remote_agent_sessions")
RUN_TABLES = ("remote_agent_workflow_runs", "remote_agent_workflow_events")
"""The service creates every table of its schema as one role: the runs' too."""


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


def _role_with_own_schema(pg_server: PgServer, pg_database: str) -> tuple[str, str]:
    """The service's database, its tables owned by a role that also owns an empty
    schema of its own name; the role's URL and name."""
    asyncio.run(create_service_db(pg_database, sessions=SESSIONS))
    dbname = pg_database.rsplit("/", 1)[1]
    role = "svc_" + uuid.uuid4().hex[:10]
    pg_server.psql(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")
    owners = "".join(f"ALTER TABLE {t} OWNER TO {role};" for t in SERVICE_TABLES + RUN_TABLES)
    pg_server.psql(
        f"GRANT CREATE ON SCHEMA public TO {role}; {owners}"
        f"CREATE SCHEMA {role} AUTHORIZATION {role};",
        dbname,
    )
    return pg_server.url(dbname, user=role, password=f"pw-{role}"), role


def _tables_in(pg_server: PgServer, dbname: str, schema: str) -> list[str]:
    out = pg_server.psql(
        f"SELECT relname FROM pg_class WHERE relnamespace = '{schema}'::regnamespace"
        " AND relkind = 'r' ORDER BY relname",
        dbname,
    )
    return out.splitlines()


def test_the_roles_own_empty_schema_does_not_hide_the_service(
    pg_server: PgServer, pg_database: str
) -> None:
    url, role = _role_with_own_schema(pg_server, pg_database)
    dbname = pg_database.rsplit("/", 1)[1]

    shown = invoke("--url", url, "info", "--format", "json")
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.stdout)
    assert found["schema"] == "public"
    assert found["sessions"]["active"] + found["sessions"]["ended"] == SESSIONS
    text = invoke("--url", url, "info")
    assert text.exit_code == 0, text.output
    assert any(line.split() == ["schema", "public"] for line in text.stdout.splitlines())

    migrated = invoke("--url", url, "migrate", "--yes")
    assert migrated.exit_code == 0, migrated.output
    assert _tables_in(pg_server, dbname, role) == []
    public = _tables_in(pg_server, dbname, "public")
    assert {"sessions_tui_alembic_version", "sessions_tui_audit", *SERVICE_TABLES} <= set(public)
    indexes = pg_server.psql(
        "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"
        " AND indexname LIKE 'ix_sessions_tui_%'",
        dbname,
    )
    assert int(indexes) == 12  # the eight on the sessions, the audit's two, the runs' two

    listed = invoke("--url", url, "list", "--limit", "0", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)["sessions"]) == SESSIONS
    again = invoke("--url", url, "migrate", "--yes")
    assert again.exit_code == 0, again.output
    assert "already up to date" in again.stdout


def test_no_service_table_is_created_while_another_schema_on_the_path_has_it(
    pg_server: PgServer, pg_database: str
) -> None:
    """A schema earlier on the path that holds the sessions and no other service table:
    creating the others there would split the service's tables in two; refused,
    naming both schemas, and nothing is created."""
    url, role = _role_with_own_schema(pg_server, pg_database)
    dbname = pg_database.rsplit("/", 1)[1]
    pg_server.psql(
        f"CREATE TABLE {role}.remote_agent_sessions (LIKE public.remote_agent_sessions);"
        f"ALTER TABLE {role}.remote_agent_sessions OWNER TO {role};",
        dbname,
    )
    for more in ((), ("--sql",)):
        refused = invoke("--url", url, "migrate", "--yes", *more)
        assert refused.exit_code == 1, refused.output
        said = refused.output.strip().splitlines()
        assert len(said) == 1, said
        assert "remote_agent_codebases" in said[0] and '"public"' in said[0], said
        assert f'"{role}"' in said[0], said
    assert _tables_in(pg_server, dbname, role) == ["remote_agent_sessions"]


def test_info_names_a_schema_the_path_shadows(pg_server: PgServer, pg_database: str) -> None:
    """Empty copies of the service's tables in the role's schema (what `migrate` once
    made there): the role's names resolve to them, so `info` names that schema and says
    that `public`, later on the path, holds a remote_agent_sessions it does not read."""
    url, role = _role_with_own_schema(pg_server, pg_database)
    dbname = pg_database.rsplit("/", 1)[1]
    copies = "".join(
        f"CREATE TABLE {role}.{t} (LIKE public.{t} INCLUDING ALL);"
        f"ALTER TABLE {role}.{t} OWNER TO {role};"
        for t in SERVICE_TABLES
    )
    pg_server.psql(copies, dbname)
    shown = invoke("--url", url, "info", "--format", "json")
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.stdout)
    assert found["schema"] == role
    assert found["shadowed_schemas"] == ["public"]
    assert found["sessions"]["active"] + found["sessions"]["ended"] == 0
    text = " ".join(invoke("--url", url, "info").stdout.split())
    assert f"schema {role} (first on the search path; public also holds" in text, text
