"""Rows the service's schema allows but the service never writes, set in a real database:
odd `active` values, garbage `started_at`, a NULL id."""

from __future__ import annotations

import sqlalchemy as sa

from tui.store.store import make_engine
from tui.store.target import DbTarget

ODD_ACTIVE_SQLITE = ("2", "-1", "'yes'", "'true'", "0.5", "X'01'", "NULL")
"""Every odd `active` SQLite stores as given (an INTEGER column keeps text and blobs)."""
ODD_ACTIVE_PG = ("NULL",)
"""PostgreSQL's BOOLEAN holds only true, false and NULL."""


def odd_active_values(target: DbTarget) -> tuple[str, ...]:
    return ODD_ACTIVE_PG if target.kind == "postgresql" else ODD_ACTIVE_SQLITE


async def execute(target: DbTarget, *statements: str) -> None:
    """Run SQL as written (literals included) in one transaction."""
    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            for sql in statements:
                await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


async def fetch(target: DbTarget, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(sa.text(sql))).all()]
    finally:
        await engine.dispose()


async def newest_ids(target: DbTarget, n: int) -> list[str]:
    rows = await fetch(
        target,
        f"SELECT CAST(id AS TEXT) FROM remote_agent_sessions ORDER BY started_at DESC, id DESC "
        f"LIMIT {n}",
    )
    return [str(r[0]) for r in rows]


async def set_active(target: DbTarget, literals_by_id: dict[str, str]) -> None:
    """`active` set to each SQL literal, on the session of that id."""
    await execute(
        target,
        *(
            f"UPDATE remote_agent_sessions SET active = {lit} WHERE id = '{sid}'"
            for sid, lit in literals_by_id.items()
        ),
    )


async def table_snapshot(target: DbTarget) -> list[str]:
    """Every stored session row, every column, as repr: compared before and after to
    show that nothing the tool did not end has changed."""
    rows = await fetch(target, "SELECT * FROM remote_agent_sessions")
    return sorted(repr(r) for r in rows)


def cli_args(target: DbTarget) -> list[str]:
    """`--db PATH` or `--url URL` (with the password) for the CLI."""
    from tests.support.dbs import sa_url

    if target.path is not None:
        return ["--db", str(target.path)]
    return ["--url", sa_url(target).set(drivername="postgresql").render_as_string(False)]
