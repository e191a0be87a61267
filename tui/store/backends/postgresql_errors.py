"""The PostgreSQL backend's driver errors (asyncpg, the network) as `StoreError`s.

Standard library only (the driver side): asyncpg's exceptions are told by their class
name and SQLSTATE, so this module loads without asyncpg.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from tui.store.errors import (
    AuthFailed,
    ConnectionFailed,
    LockTimeout,
    PermissionDenied,
    QueryCancelled,
    QueryTimeout,
    ReadOnly,
    SchemaError,
    SchemaTooOld,
    StoreError,
    WriteConflict,
    chain,
    first_line,
)

_CONFLICT_STATES = frozenset({"40P01", "40001"})
_CONFLICT_NAMES = frozenset({"DeadlockDetectedError", "SerializationError"})
_CONNECTION_NAMES = frozenset(
    {
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "AdminShutdownError",
        "InterfaceError",
        "InternalClientError",
    }
)

TIMEOUT_SOURCES = {
    "user": "set for role {role} on the server",
    "database": "set for database {database} on the server",
    "database user": "set for role {role} in database {database} on the server",
    "configuration file": "set in the server's configuration file",
    "session": "set by SET in this session",
}
"""`pg_settings.source` of statement_timeout, as the operator's words; "client" (the
connection's own startup settings) is told apart by `timeout_origin`."""


def is_write_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure (SQLSTATE 40P01, 40001): the server rolled the
    transaction back, and running it again is safe for a compare-and-set."""
    return any(
        type(cur).__name__ in _CONFLICT_NAMES or getattr(cur, "sqlstate", None) in _CONFLICT_STATES
        for cur in chain(exc)
    )


def is_lock_timeout(exc: BaseException) -> bool:
    """PostgreSQL's `lock_timeout` fired (SQLSTATE 55P03, lock_not_available), anywhere in
    the chain of driver and SQLAlchemy exceptions."""
    return any(
        type(cur).__name__ == "LockNotAvailableError"
        or getattr(cur, "sqlstate", None) == "55P03"
        or "lock timeout" in str(cur).lower()
        for cur in chain(exc)
    )


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
    """`exc` worded from the first error along its chain (`errors.chain`) that says what
    happened; `where` names the server, `scrub` removes the password, `timeout_from`
    says where the statement timeout came from (`timeout_origin`)."""
    generic = f"{where}: {scrub(first_line(exc))}"
    if is_write_conflict(exc):
        return WriteConflict(generic)
    if is_lock_timeout(exc):
        return LockTimeout(generic)
    if any(type(cur).__name__ == "TargetServerAttributeNotMatched" for cur in chain(exc)):
        return ConnectionFailed(
            f"{where}: the server is not what the URL's target_session_attrs asks for "
            "(a standby where a primary or read-write is asked, or the reverse)"
        )
    for cur in chain(exc):
        name = type(cur).__name__
        msg = scrub(first_line(cur))
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
        if name == "UndefinedTableError":
            return SchemaError(f"{where}: not an Archon service database ({msg})")
        if name == "UndefinedColumnError":
            if "ended_reason" in low:
                return SchemaTooOld(f"{where}: no ended_reason column")
            return SchemaError(f"{where}: unexpected schema ({msg})")
        if "disk is full" in low or "no space left" in low:
            return StoreError(f"{where}: cannot write ({msg}): is the disk full?")
        if isinstance(cur, socket.gaierror):
            return ConnectionFailed(f"{where}: unknown host ({msg})")
        if isinstance(cur, (ConnectionError, TimeoutError)) or name in _CONNECTION_NAMES:
            return ConnectionFailed(f"{where}: connection failed ({msg})")
        if isinstance(cur, OSError):
            return ConnectionFailed(f"{where}: cannot connect ({msg})")
    return StoreError(generic)
