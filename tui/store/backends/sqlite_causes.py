"""The true cause of a SQLite error, read from the file, its neighbours and its folder.

SQLite's own words mislead an operator: a truncated copy is "database disk image is
malformed" (which read as "not a SQLite database"), a `-shm` file this user cannot
write and a file system mounted read-only are "attempt to write a readonly database"
(which read as "opened read-only"), and a WAL-mode file on a read-only mount is
"unable to open database file" (which read as a missing file). Here each is named by
what is true of the file, in one line. Standard library only (the driver side).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tui.store.errors import PermissionDenied, ReadOnly, SchemaError, StoreError

HEADER = b"SQLite format 3\x00"
HEADER_SIZE = 100
SALVAGE = "restore it from a backup, or salvage its rows with `sqlite3 FILE .recover`"


def sqlite_error_name(exc: BaseException) -> str | None:
    """SQLite's result code name (`SQLITE_READONLY`, `SQLITE_CORRUPT`, …) of the first
    driver error in the chain; None when there is none."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        if isinstance(cur, sqlite3.Error):
            return getattr(cur, "sqlite_errorname", None)
        orig = getattr(cur, "orig", None)
        cur = orig if isinstance(orig, BaseException) else (cur.__cause__ or cur.__context__)
    return None


def explain(path: Path, where: str, exc: BaseException) -> StoreError | None:
    """The cause of `exc` on the file at `path` (shown as `where`), or None when the file
    says nothing more than the driver's message (then `sqlite_errors.translate` words it)."""
    name = sqlite_error_name(exc) or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        short = truncation(path)
        if short is not None:
            return SchemaError(f"{where} is truncated ({short}): {SALVAGE}")
        if name.startswith("SQLITE_CORRUPT"):
            return SchemaError(f"{where} is damaged (database disk image is malformed): {SALVAGE}")
        return None
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
        return _unwritable(path, where, opening=name.startswith("SQLITE_CANTOPEN"))
    return None


def truncation(path: Path) -> str | None:
    """How the file is shorter than a whole database, from its 100-byte header: shorter
    than the header, than the size the header records, or not whole pages; None when
    it is not (or is no SQLite file at all). Reads the header: only asked of a file
    SQLite called damaged."""
    try:
        size = os.stat(path).st_size
        with open(path, "rb") as file:
            head = file.read(HEADER_SIZE)
    except OSError:
        return None
    if not head.startswith(HEADER[: len(head)]) or not head:
        return None
    if len(head) < HEADER_SIZE:
        return f"{size:,} bytes, shorter than SQLite's {HEADER_SIZE}-byte header"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return None
    pages = int.from_bytes(head[28:32], "big")
    if pages and head[92:96] == head[24:28]:  # the size in the header is current
        expected = pages * page_size
        if size < expected:
            return f"{size:,} bytes where its header says {expected:,}"
    if size % page_size:
        return f"{size:,} bytes, not a whole number of {page_size:,}-byte pages"
    return None


def _unwritable(path: Path, where: str, *, opening: bool) -> StoreError | None:
    """Why SQLite could not write (or, `opening`, open) a file this user may read: asked
    of the kernel (stat, access, statvfs), never by opening the file, whose POSIX locks
    this process's connections hold."""
    try:
        os.stat(path)
    except OSError:
        return None  # missing: the callers say so
    if not os.access(path, os.R_OK):
        return None  # unreadable: `errors.unreadable`
    real = Path(os.path.realpath(path))
    folder = real.parent
    if _read_only_fs(folder):
        if opening:  # only WAL needs to create files to read
            return ReadOnly(
                f"{where} is in WAL mode on a read-only file system: SQLite cannot create "
                "its -shm and -wal files beside it; mount it read-write, or copy it to a "
                "writable folder"
            )
        return ReadOnly(
            f"{where} is on a read-only file system: nothing can be written to it; "
            "mount it read-write to end sessions or migrate"
        )
    for suffix, what in (("-shm", "its WAL index"), ("-wal", "its write-ahead log")):
        side = real.with_name(real.name + suffix)
        if os.path.lexists(side) and not os.access(side, os.R_OK | os.W_OK):
            return PermissionDenied(
                f"{where}: this user cannot write {side} ({what}), which SQLite writes "
                "with every change: give this user write access to it, or run as its owner"
            )
    if not os.access(real, os.W_OK):
        return PermissionDenied(
            f"{where} cannot be written by this user: give this user write access to it, "
            "or run as its owner"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        return PermissionDenied(
            f"{where}: this user cannot create files in {folder}, where SQLite keeps the "
            "database's journal: give this user write access to the folder, or run as its owner"
        )
    return None


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
