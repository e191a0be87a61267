"""Errors the store raises, each with a one-line message an operator can act on.

Driver exceptions are translated here, in one place, so that neither the CLI nor
the app ever shows a traceback or a password.
"""

from __future__ import annotations

import re
import socket
import sqlite3
from collections.abc import Callable

from tui.domain.models import EndOutcome

MIGRATE_HINT = "run `sessions-tui migrate` to add it (or `sessions-tui migrate --sql` for a DBA)"


class StoreError(Exception):
    """Base of every error the store lets out; `str()` is the operator's message."""

    retryable = False


class DatabaseNotFound(StoreError):
    pass


class BadTarget(StoreError):
    """The database was named in a form this tool cannot use (a MySQL URL, no URL at all):
    the command line's usage error, not the database's."""


class SchemaError(StoreError):
    """The file or server is reachable but does not hold the service's tables."""


class SchemaTooOld(StoreError):
    """`ended_reason` (service migration 016) is missing: readable, but not writable by us."""

    def __init__(self, what: str = "this database has no ended_reason column") -> None:
        super().__init__(f"{what}: {MIGRATE_HINT}")


class ReadOnly(StoreError):
    pass


class FileMoved(StoreError):
    """The path no longer names the SQLite file this store opened: it was replaced (a
    restore, a move), deleted, or made unreadable to this user. Nothing was sent to the
    file left open; reopening reads the one at the path (or says why it cannot)."""

    retryable = True


class FileUnreadable(StoreError):
    """The SQLite file at the path, or a folder on the way to it, may not be read by
    this user (chmod, a folder made untraversable). Retryable: permissions are given
    back, and the dashboard reopens the path when they are."""

    retryable = True


def unreadable(where: str) -> str:
    """The one line said when this user may not read the file: the path, what to do."""
    return (
        f"{where} cannot be read (permission denied): give this user read access to it "
        "and its folder, or run as its owner"
    )


class DatabaseLocked(StoreError):
    retryable = True


class QueryTimeout(StoreError):
    """A statement ran past the statement timeout (often: queued behind a lock)."""


class QueryCancelled(StoreError):
    """The operator cancelled a statement that was waiting."""


class ConnectionFailed(StoreError):
    """The server cannot be reached or the connection dropped; worth retrying."""

    retryable = True


class AuthFailed(StoreError):
    pass


class PermissionDenied(StoreError):
    pass


class UnknownSession(StoreError):
    pass


class AmbiguousId(StoreError):
    pass


class NoAuditTable(StoreError):
    """The tool's audit table is missing: `sessions-tui migrate` adds it."""


class EndInterrupted(StoreError):
    """An end stopped after part of it was committed, or without knowing whether its
    last commit was: what the database holds is in the fields, never a guess.

    `outcomes`: the sessions whose outcome is known (committed batches; the batch whose
    commit answer was lost, as re-read). `left_active`: sessions known not written.
    `unresolved`: sessions whose state could not be re-read. `unknown`: a commit's
    answer was lost (the connection dropped between sending it and its reply).
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        outcomes: tuple[EndOutcome, ...],
        left_active: tuple[str, ...],
        unresolved: tuple[str, ...],
        unknown: bool,
    ) -> None:
        super().__init__(message)
        self.outcomes = outcomes
        self.left_active = left_active
        self.unresolved = unresolved
        self.unknown = unknown


_CONFLICT_STATES = frozenset({"40P01", "40001"})
_CONFLICT_NAMES = frozenset({"DeadlockDetectedError", "SerializationError"})


def is_write_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure (SQLSTATE 40P01, 40001): the server rolled the
    transaction back, and running it again is safe for a compare-and-set."""
    return any(
        type(cur).__name__ in _CONFLICT_NAMES or getattr(cur, "sqlstate", None) in _CONFLICT_STATES
        for cur in _chain(exc)
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        orig = getattr(cur, "orig", None)
        cur = orig if isinstance(orig, BaseException) else (cur.__cause__ or cur.__context__)
    return seen


_DRIVER_PREFIX = re.compile(r"^\((?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*\)\s*")
"""SQLAlchemy's `(sqlite3.OperationalError) ` before a driver's message: a Python class
name, noise to an operator."""


def is_lock_timeout(exc: BaseException) -> bool:
    """PostgreSQL's `lock_timeout` fired (SQLSTATE 55P03, lock_not_available), anywhere in
    the chain of driver and SQLAlchemy exceptions."""
    return any(
        type(cur).__name__ == "LockNotAvailableError"
        or getattr(cur, "sqlstate", None) == "55P03"
        or "lock timeout" in str(cur).lower()
        for cur in _chain(exc)
    )


def _first_line(exc: BaseException) -> str:
    """The message's first line, without the driver's class name in front."""
    text = str(exc).strip().splitlines()
    return _DRIVER_PREFIX.sub("", text[0]) if text else type(exc).__name__


TIMEOUT_SOURCES = {
    "user": "set for role {role} on the server",
    "database": "set for database {database} on the server",
    "database user": "set for role {role} in database {database} on the server",
    "configuration file": "set in the server's configuration file",
    "session": "set by SET in this session",
}
"""`pg_settings.source` of statement_timeout, as the operator's words; "client" (the
connection's own startup settings) is told apart by `timeout_origin`."""


def timeout_origin(
    setting: str,
    source: str,
    *,
    role: str,
    database: str,
    in_url: bool,
) -> str:
    """Where the statement timeout a query hits comes from, e.g. "statement_timeout
    200ms, set for role x on the server": `source` is the server's `pg_settings.source`;
    a client setting is the URL's `options` (`in_url`) or else this tool's own
    (the config file's `statement_timeout`, 30 s unless set)."""
    if source == "client":
        where = (
            "set in the URL's options"
            if in_url
            else "sessions-tui's statement_timeout (the config file's, or its default)"
        )
    else:
        where = TIMEOUT_SOURCES.get(source, f"set on the server ({source})")
    return f"statement_timeout {setting}, " + where.format(role=role, database=database)


def translate(
    exc: BaseException,
    where: str,
    scrub: Callable[[str], str],
    *,
    timeout_from: str | None = None,
) -> StoreError:
    """Map a driver exception to a StoreError naming the problem and the database;
    `timeout_from` says where the statement timeout came from (`timeout_origin`)."""
    if isinstance(exc, StoreError):
        return exc
    if any(type(cur).__name__ == "TargetServerAttributeNotMatched" for cur in _chain(exc)):
        return ConnectionFailed(
            f"{where}: the server is not what the URL's target_session_attrs asks for "
            "(a standby where a primary or read-write is asked, or the reverse)"
        )
    for cur in _chain(exc):
        name = type(cur).__name__
        msg = scrub(_first_line(cur))
        low = msg.lower()
        if name == "QueryCanceledError" or getattr(cur, "sqlstate", None) == "57014":
            if "statement timeout" in low:
                return QueryTimeout(
                    f"{where}: the query ran longer than the statement timeout "
                    f"({timeout_from or 'statement_timeout'}): is another connection "
                    "holding a lock on the sessions table?"
                )
            return QueryCancelled(f"{where}: the query was cancelled")
        if name == "InvalidPasswordError" or "password authentication failed" in low:
            return AuthFailed(f"{where}: authentication failed ({msg})")
        if name == "InvalidAuthorizationSpecificationError":
            return AuthFailed(f"{where}: login refused ({msg})")
        if name == "InvalidCatalogNameError" or ("database" in low and "does not exist" in low):
            return SchemaError(f"{where}: {msg}")
        if name == "InsufficientPrivilegeError" or "permission denied" in low:
            return PermissionDenied(f"{where}: missing privileges ({msg})")
        if name == "ReadOnlySQLTransactionError" or "read-only" in low or "readonly" in low:
            return ReadOnly(f"{where}: the database is open read-only ({msg})")
        if name in ("UndefinedTableError",) or "no such table" in low:
            return SchemaError(f"{where}: not an Archon service database ({msg})")
        if name in ("UndefinedColumnError",) or "no such column" in low:
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
        if isinstance(cur, socket.gaierror):
            return ConnectionFailed(f"{where}: unknown host ({msg})")
        if isinstance(cur, (ConnectionError, TimeoutError)) or name in (
            "ConnectionDoesNotExistError",
            "ConnectionFailureError",
            "CannotConnectNowError",
            "AdminShutdownError",
            "InterfaceError",
            "InternalClientError",
        ):
            return ConnectionFailed(f"{where}: connection failed ({msg})")
        if isinstance(cur, OSError) and not isinstance(cur, sqlite3.Error):
            return ConnectionFailed(f"{where}: cannot connect ({msg})")
    return StoreError(f"{where}: {scrub(_first_line(exc))}")
