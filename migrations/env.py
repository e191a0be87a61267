"""Alembic environment for sessions-tui.

There is no alembic.ini: the connection (online) or the dialect name (offline,
``--sql``) always comes from the caller, `tui.store.migrate`, through
``config.attributes``. That way the URL (and its password) is resolved once,
the way the rest of the tool resolves it, and never written to a file.

Online, the caller follows Alembic's "programmatic API with asyncio" recipe: it
opens an AsyncConnection and calls ``conn.run_sync(...)``, so this module receives
a plain sync ``Connection`` outside any transaction; Alembic begins and commits one
transaction per revision (its version row included), and the revisions run their
index builds outside it (`tui.store.migration_ops`), so the live service never
waits for the whole run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tui.store.backends import backend_for
from tui.store.migrate import VERSION_TABLE

config = context.config


def _options(dialect_name: str) -> dict[str, Any]:
    """Options shared by online and offline runs, the backend's own included."""
    opts: dict[str, Any] = {
        "target_metadata": None,  # no autogenerate: the service owns the tables
        "version_table": VERSION_TABLE,
        # Both backends run DDL inside a transaction: say so, so that --sql output is
        # wrapped in BEGIN/COMMIT for the DBA (Alembic assumes SQLite does not).
        "transactional_ddl": True,
        # One transaction per revision, with its version row: the live service waits
        # for none of them long, and a run stopped half-way keeps what it finished.
        "transaction_per_migration": True,
        **backend_for(dialect_name).traits.alembic_options(),
    }
    on_apply = config.attributes.get("on_version_apply")
    if on_apply is not None:
        opts["on_version_apply"] = on_apply
    return opts


def run_migrations_offline() -> None:
    """Write the SQL to the config's output buffer; no database is touched."""
    dialect_name = config.attributes.get("dialect_name")
    if not dialect_name:
        raise RuntimeError("sessions-tui migrations: offline mode needs attributes['dialect_name']")
    context.configure(dialect_name=dialect_name, literal_binds=True, **_options(dialect_name))
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on a sync connection (called inside ``AsyncConnection.run_sync``)."""
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(engine: AsyncEngine) -> None:
    """Fallback when only an engine was given: Alembic owns the transactions, as above."""
    async with engine.connect() as conn:
        await conn.run_sync(do_run_migrations)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    engine = config.attributes.get("engine")
    if isinstance(engine, AsyncEngine):
        asyncio.run(run_async_migrations(engine))
        return
    raise RuntimeError(
        "sessions-tui migrations have no alembic.ini: run them with `sessions-tui migrate` "
        "(tui.store.migrate), which passes the connection in config.attributes"
    )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
