"""The dashboard's key bindings, derived from the `BINDINGS` of every class in `tui.app`.

Every binding with an id can be moved by the config file's `[keys]` (Textual's keymap).
The ids, the check of a `[keys]` table and the key a text names all come from here, so a
new screen's bindings are movable, checked and named without being listed anywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from functools import cache
from types import ModuleType

from msgspec import Struct
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget


class Owned(Struct, frozen=True):
    """A binding and the class that declares it."""

    owner: type[DOMNode]
    binding: Binding


@cache
def declared() -> tuple[Owned, ...]:
    """Every binding a class of `tui.app` declares itself, in module order.

    Imports every module of the package, so a screen no other module imports yet (or a
    widget only one screen uses) is found all the same."""
    import importlib
    import pkgutil

    import tui.app as package

    found: list[Owned] = []
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        found.extend(_owned(importlib.import_module(info.name)))
    return tuple(found)


def _owned(module: ModuleType) -> Iterator[Owned]:
    """The bindings the classes of `module` declare themselves, in name order."""
    for _name, cls in sorted(vars(module).items()):
        if not isinstance(cls, type) or cls.__module__ != module.__name__:
            continue
        if issubclass(cls, DOMNode):
            for binding in cls.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding):
                    yield Owned(cls, binding)


@cache
def _binding(binding_id: str) -> Binding:
    """The binding with this id. Each id is declared once (`declared`), so it is looked
    for among the modules of `tui.app` already imported first: naming a key of the list
    imports no other screen (they are imported when first pushed)."""
    loaded = [m for n, m in list(sys.modules.items()) if n.startswith("tui.app.") and m]
    for owned in (o for module in loaded for o in _owned(module)):
        if owned.binding.id == binding_id:
            return owned.binding
    for owned in declared():
        if owned.binding.id == binding_id:
            return owned.binding
    raise KeyError(binding_id)


def binding_ids() -> dict[str, str]:
    """Every key binding the config file's `[keys]` can move: id → its keys today."""
    ids: dict[str, str] = {}
    for owned in declared():
        if owned.binding.id:
            ids.setdefault(owned.binding.id, owned.binding.key)
    return ids


def live(binding: Binding, keymap: Mapping[str, str]) -> Binding:
    """The binding as the keymap leaves it: a moved binding has the keymap's keys and
    no fixed display (as Textual's keymap makes it)."""
    moved = keymap.get(binding.id or "")
    return binding.with_key(moved) if moved else binding


def shown(binding: Binding) -> str:
    """How help, the palette and the hints write a binding's key."""
    return binding.key_display or binding.key


SPOKEN = {"escape": "esc", "slash": "/", "question_mark": "?"}
"""How a text names a key whose Textual name is a word: esc, / and ?."""


def key_of(binding_id: str, keymap: Mapping[str, str]) -> str:
    """The key of the binding with this id as a toast or a hint names it, after the
    keymap: its fixed display, else its first key (`escape` as esc)."""
    binding = live(_binding(binding_id), keymap)
    if binding.key_display:
        return binding.key_display
    first = binding.key.split(",")[0].strip()
    return SPOKEN.get(first, first)


def builtin_key(cls: type[DOMNode], action: str) -> str:
    """The key a class binds to `action` itself, as a text names it: a binding of
    Textual's own (the App's quit, an OptionList's enter), which has no id and which
    `[keys]` does not move."""
    for klass in cls.__mro__:
        for binding in vars(klass).get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.action == action:
                first = binding.key.split(",")[0].strip()
                return binding.key_display or SPOKEN.get(first, first)
    raise KeyError(f"{cls.__name__} binds no key to {action}")


def _keys(binding: Binding, keymap: Mapping[str, str]) -> set[str]:
    return {k.strip() for k in live(binding, keymap).key.split(",") if k.strip()}


def _same_scope(a: type[DOMNode], b: type[DOMNode]) -> bool:
    """Whether bindings of `a` and `b` can answer the same key press: the App's are
    everywhere; a screen's also where a subclass of it is shown; a widget's in every
    screen whose module uses it."""
    if issubclass(a, App) or issubclass(b, App) or issubclass(a, b) or issubclass(b, a):
        return True
    for screen, widget in ((a, b), (b, a)):
        if issubclass(screen, Screen) and issubclass(widget, Widget):
            names = vars(sys.modules[screen.__module__]).values()
            if any(isinstance(v, type) and issubclass(v, widget) for v in names):
                return True
    return False


def key_problem(keymap: Mapping[str, str]) -> str | None:
    """What is wrong with a `[keys]` table, as `keys.<id>: why`; None when it can be used.

    An id must name a binding; a key moved onto one that another binding answers in
    the same scope (`end = "q"` on the list, where q quits) would take it over."""
    ids = binding_ids()
    for binding_id in keymap:
        if binding_id not in ids:
            return (
                f"keys.{binding_id}: no key binding has this id (`sessions-tui config` lists them)"
            )
    every = declared()
    for moved in every:
        if moved.binding.id not in keymap:
            continue
        keys = _keys(moved.binding, keymap)
        for other in every:
            if other.binding.id == moved.binding.id or not _same_scope(moved.owner, other.owner):
                continue
            if other.binding.id is None and not other.binding.description:
                continue  # an unnamed key of a widget's own (a dialog's tab order)
            taken = keys & _keys(other.binding, keymap)
            if taken:
                key = sorted(taken)[0]
                return (
                    f"keys.{moved.binding.id}: {key!r} is already the key of "
                    f"{other.binding.id or other.binding.action} "
                    f"({other.binding.description or other.binding.action}) "
                    "on the same screen"
                )
    return None
