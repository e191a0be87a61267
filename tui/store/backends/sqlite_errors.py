"""The SQLite backend's driver errors (sqlite3, aiosqlite, the OS) as `StoreError`s.

Standard library only (the driver side). The cause beside the file comes first
(`sqlite_causes`), then the driver's message is worded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from tui.store.errors import (
    ConnectionFailed,
    DatabaseLocked,
    DatabaseNotFound,
    PermissionDenied,
    ReadOnly,
    SchemaError,
    SchemaTooOld,
    StoreError,
    chain,
    first_line,
)

_CONNECTION_NAMES = frozenset({"InterfaceError"})
"""sqlite3's (and SQLAlchemy's wrapper of it) error for a connection it cannot use."""


def translate(exc: BaseException, where: str, scrub: Callable[[str], str]) -> StoreError:
    """`exc` worded from the first error along its chain (`errors.chain`) that says what
    happened; `where` names the file, `scrub` removes any secret."""
    for cur in chain(exc):
        name = type(cur).__name__
        msg = scrub(first_line(cur))
        low = msg.lower()
        if "permission denied" in low:
            return PermissionDenied(f"{where}: missing privileges ({msg})")
        if "read-only" in low or "readonly" in low:
            return ReadOnly(f"{where}: the database is open read-only ({msg})")
        if "no such table" in low:
            return SchemaError(f"{where}: not an Archon service database ({msg})")
        if "no such column" in low:
            if "ended_reason" in low:
                return SchemaTooOld(f"{where}: no ended_reason column")
            return SchemaError(f"{where}: unexpected schema ({msg})")
        if "database is locked" in low or "database table is locked" in low:
            return DatabaseLocked(f"{where}: the database is locked by another process; try again")
        if "file is not a database" in low or "malformed" in low:
            return SchemaError(f"{where}: not a SQLite database ({msg})")
        if "disk i/o error" in low or "disk is full" in low or "no space left" in low:
            return StoreError(f"{where}: cannot write ({msg}): is the disk full?")
        if "unable to open database file" in low:
            return DatabaseNotFound(f"{where}: cannot open the file ({msg})")
        if isinstance(cur, (ConnectionError, TimeoutError)) or name in _CONNECTION_NAMES:
            return ConnectionFailed(f"{where}: connection failed ({msg})")
        if isinstance(cur, OSError) and not isinstance(cur, sqlite3.Error):
            return ConnectionFailed(f"{where}: cannot connect ({msg})")
    return StoreError(f"{where}: {scrub(first_line(exc))}")
