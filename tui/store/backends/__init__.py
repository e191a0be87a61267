"""The database backends, each a pair of modules behind one interface.

`backend_for(kind)` is the SQLAlchemy side (`base.Backend`: engines, SQL, column
types, transactions, migrations); `driver_for(kind)` the bare-driver side
(`driver.Driver`: the warm first page), which loads without SQLAlchemy. `kind` is a
`DbTarget.kind`, which is also the name of the SQLAlchemy dialect. Each module is
imported on first use, so a SQLite user never loads PostgreSQL's dialect or driver.

This package's `__init__` is on the warm path: it imports nothing but the standard
library (the typing-only imports below excepted).
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from tui.store.backends.base import Backend
    from tui.store.backends.driver import Driver

KINDS = ("sqlite", "postgresql")
"""Every backend; `<kind>.py` holds its Backend and `<kind>_driver.py` its Driver."""

SCHEMES = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql"}
"""A URL's scheme (without its `+driver`) to the backend that reads it (`Driver.parse_url`)."""


def _module(kind: str, suffix: str = "") -> ModuleType:
    if kind not in KINDS:
        raise ValueError(f"no backend for {kind!r}; there are {', '.join(KINDS)}")
    return import_module(f"{__name__}.{kind}{suffix}")


@cache  # column types ask for each value they bind
def backend_for(kind: str) -> Backend:
    """The SQLAlchemy side of `kind`'s backend."""
    return cast("Backend", _module(kind).BACKEND)


def driver_for(kind: str) -> Driver:
    """The bare-driver side of `kind`'s backend."""
    return cast("Driver", _module(kind, "_driver").DRIVER)
