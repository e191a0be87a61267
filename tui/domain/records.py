"""How the tool's records are written: `msgspec.Struct`, frozen unless they are state.

A Struct's class is built in C when its module is imported, where a dataclass compiles
its `__init__`, `__repr__`, `__eq__` and `__hash__` from source (and `__setattr__` and
`__delattr__` for a frozen one) at import: the dashboard's first frame imports about sixty
records. Textual's messages stay dataclasses: they are Textual's classes.

Structs have no per-field `repr=False`: a record that holds a secret, or a whole file,
hides it with `repr_hiding`.
"""

from __future__ import annotations

from msgspec import Struct
from msgspec.structs import fields


def repr_hiding(record: Struct, *hidden: str) -> str:
    """`record`'s repr without the fields named in `hidden` (a password, the file as read)."""
    shown = ", ".join(
        f"{f.name}={getattr(record, f.name)!r}" for f in fields(record) if f.name not in hidden
    )
    return f"{type(record).__name__}({shown})"
