"""The PostgreSQL backend's warm first page, through asyncpg, and the settings every
connection of this tool has. No SQLAlchemy here (see driver)."""

from __future__ import annotations

import contextlib
from typing import Any

from tui.store import _warm_sql as sql
from tui.store.backends.driver import Driver, bind
from tui.store.target import DbTarget


def server_settings(*, read_only: bool) -> dict[str, str]:
    """Every PostgreSQL session of this tool: named, in UTC, read-only when asked."""
    from tui import TOOL_NAME

    settings = {"application_name": TOOL_NAME, "timezone": "UTC"}
    if read_only:
        settings["default_transaction_read_only"] = "on"
    return settings


class PostgresqlDriver(Driver):
    def display(self, target: DbTarget) -> str:
        """`postgresql://user@host:port/db`, the service's form without the password."""
        host = target.host or "localhost"
        port = f":{target.port}" if target.port else ""
        user = f"{target.username}@" if target.username else ""
        return f"postgresql://{user}{host}{port}/{target.database or ''}"

    def missing(self, target: DbTarget) -> bool:
        """Never known beforehand: the server says so when connected to."""
        return False

    async def first_rows(self, target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
        """In a read-only session. Declines a URL with connection options: the Store
        passes those through SQLAlchemy, and this connection would not have them."""
        if target.query:
            return []
        import asyncpg

        conn = await asyncpg.connect(
            host=target.host,
            port=target.port,
            user=target.username,
            password=target.password,
            database=target.database,
            ssl=target.ssl,
            timeout=wait,
            server_settings=server_settings(read_only=True),
        )
        try:
            for schema, (text, params) in enumerate(sql.POSTGRESQL, 1):
                try:
                    records = await conn.fetch(text, *bind(params, limit), timeout=wait)
                except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
                    if schema == len(sql.POSTGRESQL):  # an older schema: the Store's turn
                        raise
                    continue
                break
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=wait)
        return [tuple(r) for r in records]


DRIVER = PostgresqlDriver()
