"""The backend interface stays narrow: what a third backend's author must write.

`Backend` (the SQLAlchemy side) has at most 25 public methods; the rest of what differs
between databases is data (`Traits`, `CatalogQueries`) that the store's shared code
reads. No backend grows a public method of its own that the store could come to call.
"""

from __future__ import annotations

import inspect

import pytest

from tui.store.backends import KINDS, SCHEMES, backend_for, driver_for
from tui.store.backends import base as base_module
from tui.store.backends.base import Backend, CatalogQueries, Traits
from tui.store.backends.driver import Driver

MAX_BACKEND_METHODS = 25
MAX_DRIVER_METHODS = 8


def public_methods(cls: type) -> set[str]:
    """The public callables a class defines or inherits (its interface), properties aside."""
    return {
        name
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(value) or inspect.ismethod(value))
    }


def test_the_backend_interface_has_at_most_25_methods() -> None:
    methods = public_methods(Backend)
    assert len(methods) <= MAX_BACKEND_METHODS, sorted(methods)


def test_the_driver_interface_stays_small() -> None:
    methods = public_methods(Driver)
    assert len(methods) <= MAX_DRIVER_METHODS, sorted(methods)


@pytest.mark.parametrize("kind", KINDS)
def test_a_backend_has_no_public_method_beyond_the_interface(kind: str) -> None:
    """What the store may call is the interface: a backend's extra public method would be
    a second, uncounted one."""
    backend, driver = type(backend_for(kind)), type(driver_for(kind))
    assert public_methods(backend) - public_methods(Backend) == set()
    assert public_methods(driver) - public_methods(Driver) == set()
    assert isinstance(backend_for(kind).traits, Traits)
    assert isinstance(backend_for(kind).queries, CatalogQueries)


def test_every_url_scheme_names_a_backend() -> None:
    assert set(SCHEMES.values()) == set(KINDS)
    assert set(KINDS) <= set(SCHEMES)


def test_the_base_module_lists_what_the_shared_sql_requires() -> None:
    """The checklist a third backend's author reads before writing one."""
    doc = base_module.__doc__ or ""
    checklist = [line for line in doc.splitlines() if line.lstrip().startswith("- [ ]")]
    for required in (
        "row values",
        "RETURNING",
        "partial indexes",
        "WITH RECURSIVE",
        "snapshot",
        "LIKE",
        "CatalogQueries",
        "Driver.error",
    ):
        assert any(required in line for line in checklist), required
