"""Store layer: SQLAlchemy Core over the service's tables. Imports nothing from Textual.

Names are loaded on first use: the dashboard draws its first frame before SQLAlchemy is
imported, and cheap callers (target resolution, errors) never import it.

What the shared SQL requires of a database (row values, RETURNING, partial indexes,
recursive CTEs, ...) is the checklist in `backends.base`, for a third backend's author.
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
