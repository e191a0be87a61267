"""The catalog read the same way for every backend: each backend gives its queries
(`backends.base.CatalogQueries`), this module runs them and reads their rows.

Sync functions over a SQLAlchemy `Connection` (run through `run_sync` by the store, or
on the migration's own connection).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tui.store.backends.base import Backend, Catalog

SESSIONS = "remote_agent_sessions"
AUDIT = "sessions_tui_audit"


def _rows(conn: Connection, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(sa.text(sql), params))


def read_catalog(backend: Backend, conn: Connection) -> Catalog:
    """The tables, service columns (and the audit table's) and session indexes, the
    service's schema and the service tables other schemas on the path hold: what a
    migration must know."""
    q = backend.queries
    tables = frozenset(str(r[0]) for r in _rows(conn, q.tables))
    columns = {t: frozenset(c) for t, c in service_columns(backend, conn).items()}
    if AUDIT in tables:  # this tool's own table: what migration 0009 adds to it
        columns[AUDIT] = frozenset(column_shapes(backend, conn, AUDIT))
    indexes = {str(name): bool(usable) for name, usable in _rows(conn, q.session_indexes)}
    return Catalog(
        tables,
        columns,
        indexes,
        schema=service_schema(backend, conn),
        elsewhere=tables_elsewhere(backend, conn),
    )


def service_columns(backend: Backend, conn: Connection) -> dict[str, set[str]]:
    """Every `remote_agent_*` table and its columns, in one catalog query."""
    found: dict[str, set[str]] = {}
    for table, column in _rows(conn, backend.queries.service_columns):
        found.setdefault(str(table), set()).add(str(column))
    return found


def service_views(backend: Backend, conn: Connection) -> set[str]:
    """The `remote_agent_*` names that are views, not tables."""
    return {str(r[0]) for r in _rows(conn, backend.queries.views)}


def index_names(backend: Backend, conn: Connection, table: str) -> set[str]:
    """The names of `table`'s usable indexes."""
    return {str(r[0]) for r in _rows(conn, backend.queries.index_names, t=table)}


def column_shapes(
    backend: Backend, conn: Connection, table: str
) -> dict[str, tuple[str, bool, bool]]:
    """Each column of this tool's `table`: its declared type (lower case, without a
    length), NOT NULL, and whether the database fills it when an INSERT leaves it out;
    {} when there is no such table."""
    return {
        str(name): (str(declared or "").split("(")[0].strip().lower(), bool(notnull), bool(filled))
        for name, declared, notnull, filled in _rows(conn, backend.queries.column_shapes, t=table)
    }


def tool_table(backend: Backend, conn: Connection, table: str) -> tuple[bool, bool]:
    """Whether this tool's own `table` exists, and whether this connection's role may
    insert into it: an end writes its audit rows only where both hold."""
    found = _rows(conn, backend.queries.tool_table, t=table)
    return bool(found), bool(found and found[0][0])


def is_standby(backend: Backend, conn: Connection) -> bool:
    """Whether the server is a hot standby (never, where the database has none)."""
    sql = backend.queries.standby
    return sql is not None and bool(conn.execute(sa.text(sql)).scalar_one())


def service_zone(backend: Backend, conn: Connection) -> str | None:
    """The zone the service's `NOW()` writes its zone-less timestamps in; None where they
    are UTC text."""
    sql = backend.queries.zone
    return None if sql is None else str(conn.execute(sa.text(sql)).scalar_one())


def service_schema(backend: Backend, conn: Connection) -> str | None:
    """The schema the service's tables are in; None where the database has one
    namespace, or where the search path names no schema that exists."""
    sql = backend.queries.schema
    found = None if sql is None else conn.execute(sa.text(sql)).first()
    return None if found is None else str(found[0])


def tables_elsewhere(backend: Backend, conn: Connection) -> dict[str, tuple[str, ...]]:
    """Each `remote_agent_*` table that a schema on the search path other than the
    service's holds, mapped to those schemas' names in path order."""
    sql = backend.queries.elsewhere
    found: dict[str, tuple[str, ...]] = {}
    for table, schema in [] if sql is None else _rows(conn, sql):
        found[str(table)] = (*found.get(str(table), ()), str(schema))
    return found


def timeout_setting(backend: Backend, conn: Connection) -> tuple[str, str, str, str] | None:
    """The statement timeout this connection has: its value, where it came from, the
    role and the database; None where there is none or it is off."""
    sql = backend.queries.timeout
    row = None if sql is None else conn.execute(sa.text(sql)).first()
    if row is None or row[0] == "0":
        return None
    return str(row[0]), str(row[1]), str(row[2]), str(row[3])


Opening = tuple[dict[str, set[str]], set[str], tuple[bool, bool], dict[str, tuple[str, bool, bool]]]
"""What `opening` answers."""


def opening(backend: Backend, conn: Connection, sessions: str, audit: str) -> Opening:
    """What opening a store asks first: `service_columns`, `index_names` of `sessions`
    (none where it does not exist), `tool_table` and `column_shapes` of `audit`; in one
    statement where the backend gives `opening`, else one by one. The same answers
    either way."""
    sql = backend.queries.opening
    if sql is None:
        tables = service_columns(backend, conn)
        indexes = index_names(backend, conn, sessions) if sessions in tables else set()
        return (
            tables,
            indexes,
            tool_table(backend, conn, audit),
            column_shapes(backend, conn, audit),
        )
    return opening_answers(_rows(conn, sql, sessions=sessions, audit=audit), sessions)


def opening_answers(rows: Iterable[Sequence[Any]], sessions: str) -> Opening:
    """`opening`'s answers from the rows of the backend's one `opening` statement, run
    with `sessions` and `audit` bound."""
    found: dict[str, set[str]] = {}
    names: set[str] = set()
    writable: list[bool] = []
    shapes: dict[str, tuple[str, bool, bool]] = {}
    for kind, a, b, c, d in rows:
        if kind == "c":
            found.setdefault(str(a), set()).add(str(b))
        elif kind == "i":
            names.add(str(a))
        elif kind == "t":
            writable.append(bool(a))
        else:
            shapes[str(a)] = (str(b or "").split("(")[0].strip().lower(), bool(c), bool(d))
    audit_table = (bool(writable), bool(writable and writable[0]))
    return found, names if sessions in found else set(), audit_table, shapes


def damage(backend: Backend, conn: Connection) -> str | None:
    """What is wrong with the storage itself, where the backend can tell cheaply; None
    when nothing is, or it cannot tell (a server looks after its own pages)."""
    sql = backend.queries.damage
    if sql is None:
        return None
    found = [str(r[0]) for r in _rows(conn, sql)]
    if found == ["ok"]:
        return None
    lines = " ".join(found).replace("*** in database main ***", "").split()
    return " ".join(lines)
