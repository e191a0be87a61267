"""Store layer: SQLAlchemy Core over the service's tables. Imports nothing from Textual.

Names are loaded on first use: the dashboard draws its first frame before SQLAlchemy is
imported, and cheap callers (target resolution, errors) never import it.

What the shared SQL (`sql_*`, `store_writes`, `migrate`) requires of a database, so that
the author of a third backend (`backends.base.Backend`) knows what to check:

- row values compared as a whole: `(key, id) < (:key, :id)` for keyset pages
  (`sql_pages`), and an index on (key, id) used for that range;
- `UPDATE ... RETURNING` (the end, `store_writes`) in one statement with its WHERE;
- partial indexes (`CREATE INDEX ... WHERE active = true`, `tables.ACTIVE_INDEX`), used
  by a query whose own WHERE states the same predicate;
- `WITH RECURSIVE` (a session's ancestors, `sql_detail`);
- correlated `EXISTS` subqueries, scalar subqueries in the select list, `UNION ALL` of
  ordered and limited branches (as subqueries), `CASE`, `COALESCE`, `NULLIF`;
- `LIMIT` with `OFFSET`, and `ORDER BY ... NULLS LAST` (or the backend's spelling);
- `LIKE ... ESCAPE '\\'` with a case-insensitive match (`Backend.like`);
- a transaction per read in which every statement sees one snapshot (`Backend.snapshot`),
  and a write transaction that holds its lock from its first statement
  (`Backend.for_writes`);
- the service's column types as the backend maps them (ids, JSON metadata, zone-less or
  text timestamps), with a JSON object updated in place by one expression
  (`Backend.json_set`).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.store.errors import StoreError
    from tui.store.store import Store, open_store
    from tui.store.target import DbTarget, resolve_target

_WHERE = {
    "DbTarget": "tui.store.target",
    "resolve_target": "tui.store.target",
    "StoreError": "tui.store.errors",
    "Store": "tui.store.store",
    "open_store": "tui.store.store",
}

__all__ = ["DbTarget", "Store", "StoreError", "open_store", "resolve_target"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tui.store' has no attribute {name!r}")
    return getattr(import_module(module), name)
