"""`migrate` on a database it cannot migrate says what is wrong, never "already up to
date": a damaged SQLite file, a service table that is a view (both after the database
was brought to head, when the recorded revision alone says nothing is left to do)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from tests.support.dbs import create_service_db
from tests.support.odd_rows import cli_args, execute, fetch
from tests.support.sqlite_files import sqlite_file
from tui.cli.main import cli
from tui.store.target import DbTarget


def _migrate(target: DbTarget, *more: str) -> tuple[int, str]:
    out = CliRunner().invoke(cli, [*cli_args(target), "migrate", "--yes", *more])
    return out.exit_code, out.output


def test_a_view_is_named(service_db: DbTarget) -> None:
    assert _migrate(service_db)[0] == 0
    asyncio.run(
        execute(
            service_db,
            "ALTER TABLE remote_agent_sessions RENAME TO kept_sessions",
            "CREATE VIEW remote_agent_sessions AS SELECT * FROM kept_sessions",
        )
    )
    for more in ((), ("--sql",)):
        code, said = _migrate(service_db, *more)
        assert code == 1, said
        assert "remote_agent_sessions is a view, not a table" in said
        assert "up to date" not in said


def test_a_damaged_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "archon.db"
    target = asyncio.run(create_service_db(f"sqlite:///{path}", sessions=200))
    assert _migrate(target)[0] == 0
    with sqlite_file(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'remote_agent_sessions'"
        ).fetchone()[0]
    with path.open("r+b") as f:  # the table's root page: no longer a b-tree page
        f.seek((root - 1) * size)
        f.write(b"\x0d" + b"\xff" * 200)
    code, said = _migrate(target)
    assert code == 1, said
    assert "is damaged (" in said and "nothing was changed" in said
    assert "up to date" not in said and len(said.strip().splitlines()) == 1


def test_objects_missing_at_head_are_made_again(service_db: DbTarget) -> None:
    """The version row says head, but an operator dropped an index and the audit table:
    `info` says they are missing, `migrate --sql` writes what makes them, and `migrate`
    makes them (never "already up to date" while something is missing)."""
    assert _migrate(service_db)[0] == 0
    asyncio.run(
        execute(
            service_db,
            "DROP INDEX ix_sessions_tui_started",
            "DROP TABLE sessions_tui_audit",
        )
    )
    shown = CliRunner().invoke(cli, [*cli_args(service_db), "info"])
    assert "ix_sessions_tui_started: missing" in shown.output, shown.output

    code, sql = _migrate(service_db, "--sql")
    assert code == 0, sql
    assert "ix_sessions_tui_started, sessions_tui_audit" in sql
    assert "CREATE TABLE IF NOT EXISTS sessions_tui_audit" in sql
    assert "ix_sessions_tui_started ON remote_agent_sessions (started_at, id)" in sql
    assert "ix_sessions_tui_reason_started" not in sql  # present: not written
    assert "INSERT INTO sessions_tui_alembic_version" not in sql

    code, said = _migrate(service_db)
    assert code == 0, said
    assert "up to date" not in said
    assert "restored ix_sessions_tui_started" in said
    assert "restored sessions_tui_audit" in said
    indexes = asyncio.run(fetch(service_db, "SELECT count(*) FROM sessions_tui_alembic_version"))
    assert indexes == [(1,)]
    shown = CliRunner().invoke(cli, [*cli_args(service_db), "info", "--format", "json"])
    assert all(json.loads(shown.output)["tool"]["indexes"].values()), shown.output
    assert asyncio.run(fetch(service_db, "SELECT count(*) FROM sessions_tui_audit")) == [(0,)]
    code, said = _migrate(service_db)
    assert code == 0 and "already up to date" in said, said
