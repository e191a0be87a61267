"""Store layer: SQLAlchemy Core over the service's tables. Imports nothing from Textual."""

from tui.store.errors import StoreError
from tui.store.store import Store, open_store
from tui.store.target import DbTarget, resolve_target

__all__ = ["DbTarget", "Store", "StoreError", "open_store", "resolve_target"]
