"""Errors the store raises, each with a one-line message an operator can act on.

Backend-neutral: each backend's driver side translates its own driver's exceptions
into these (`Driver.error`, reached through `DbTarget.error`), so that neither the CLI
nor the app ever shows a traceback or a password.
"""

from __future__ import annotations

import re

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


class UnknownRun(StoreError):
    """No workflow run has that id (or prefix), or the database has no runs table."""


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


class WriteConflict(StoreError):
    """The server rolled the transaction back for a deadlock or a serialization failure:
    running it again is safe for a compare-and-set (an end's batch is)."""


class LockTimeout(StoreError):
    """A statement waited for a lock longer than the server's lock timeout allows."""


def chain(exc: BaseException) -> list[BaseException]:
    """`exc` and every exception behind it (SQLAlchemy's `orig`, causes, contexts), each
    once, outermost first: a backend looks for its driver's error along it."""
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


def first_line(exc: BaseException) -> str:
    """The message's first line, without the driver's class name in front."""
    text = str(exc).strip().splitlines()
    return _DRIVER_PREFIX.sub("", text[0]) if text else type(exc).__name__
