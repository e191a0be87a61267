"""What the revisions in migrations/versions do, short enough for a live service.

A revision says *what* must exist (a table, a column, an index); the backend of the
database says *how* to add it without holding the service up (`Backend.add_column`,
`Backend.create_index`). Every change runs outside the revision's transaction, in its
own (SQLite: one write lock per index) or none (PostgreSQL: CREATE INDEX CONCURRENTLY),
and each is skipped where the database already has it, so a run interrupted half-way
is finished by the next and a second run changes nothing.

Offline (`migrate --sql`) the same calls write SQL for the database the catalog was
read from (`config.attributes["catalog"]`, set by `tui.store.migrate.upgrade_sql`):
only what it lacks, so a DBA can feed it to `sqlite3` or `psql` as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic import context, op
from alembic.runtime.migration import MigrationContext
from sqlalchemy.sql.elements import ColumnElement

from tui.store.backends import backend_for
from tui.store.backends.base import Backend, Catalog
from tui.store.catalog import column_shapes

_TABLE_NAME = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")


def _context() -> tuple[MigrationContext, Backend]:
    ctx = op.get_context()
    return ctx, backend_for(ctx.dialect.name)


def _offline_catalog() -> Catalog:
    """The catalog `upgrade_sql` read (in the config's attributes, or, when the
    revisions are run again outside Alembic's environment, in the migration context's
    options); an empty one (everything missing) without it."""
    found = op.get_context().opts.get("catalog")
    if found is None:
        found = context.config.attributes.get("catalog") if context.config else None
    return found if isinstance(found, Catalog) else Catalog()


def ensure_tables(ddl: Sequence[str]) -> None:
    """`CREATE TABLE IF NOT EXISTS` statements; offline, only those of missing tables."""
    ctx, _backend = _context()
    tables = _offline_catalog().tables if ctx.as_sql else frozenset[str]()
    for statement in ddl:
        match = _TABLE_NAME.search(statement)
        if ctx.as_sql and match and match.group(1) in tables:
            continue
        op.execute(statement.strip())


def ensure_column(table: str, column: str, comment: str) -> None:
    """A nullable TEXT column, added only where missing."""
    ctx, backend = _context()
    if ctx.as_sql:
        for statement in backend.add_column_sql(_offline_catalog(), table, column, comment):
            op.execute(statement)
        return
    with ctx.autocommit_block():
        assert ctx.connection is not None
        backend.add_column(ctx.connection, table, column, comment)


def ensure_index(
    name: str, table: str, columns: str, where: ColumnElement[bool] | None = None
) -> None:
    """One index, built in its own transaction (or none), unless a usable one exists.
    `where` makes it partial; it is written in the database's own spelling (SQLite's
    `active = 1`, PostgreSQL's `active = true`), compiled as the queries compile it, so
    the queries that say the same use it."""
    ctx, backend = _context()
    predicate = None
    if where is not None:
        compiled = where.compile(dialect=ctx.dialect, compile_kwargs={"literal_binds": True})
        predicate = str(compiled)
    if ctx.as_sql:
        statements = backend.create_index_sql(_offline_catalog(), name, table, columns, predicate)
        if statements:
            with ctx.autocommit_block():
                for statement in statements:
                    op.execute(statement)
        return
    with ctx.autocommit_block():
        assert ctx.connection is not None
        backend.create_index(ctx.connection, name, table, columns, predicate)


def ensure_tool_column(table: str, column: str, declaration: str) -> None:
    """A column of this tool's own `table` (`declaration`: its type, NOT NULL, default),
    added only where missing, in its own short transaction. The service never touches
    the table, so the lock the ALTER takes keeps only this tool's own writes waiting.
    Offline, only where the catalog read shows the table without it (or no table yet:
    an earlier revision of the same script creates it)."""
    ctx, _backend = _context()
    add = f"ALTER TABLE {table} ADD COLUMN {column} {declaration}"
    if ctx.as_sql:
        catalog = _offline_catalog()
        if table not in catalog.tables or not catalog.has_column(table, column):
            op.execute(add)
        return
    with ctx.autocommit_block():
        assert ctx.connection is not None
        if column not in column_shapes(_backend, ctx.connection, table):
            ctx.connection.exec_driver_sql(add)
