"""The SQLite backend's warm first page, through sqlite3. No SQLAlchemy here (see driver)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_to_bytes

from tui.store import _warm_sql as sql
from tui.store.backends.driver import Driver, bind
from tui.store.errors import BadTarget, StoreError
from tui.store.target import DbTarget, sqlite_target

if TYPE_CHECKING:
    from tui.store.backends.reader import Reader


def decode_text(raw: bytes) -> str:
    """TEXT as stored: UTF-8, each invalid byte shown as U+FFFD. SQLite keeps what it
    is given, and strict decoding failed a whole query for one bad byte: every list,
    show and end on the database, for one title. The store's connections use it too."""
    return raw.decode("utf-8", "replace")


def file_uri(path: Path, mode: str) -> str:
    """The `file:` URI SQLite opens `path` by, and nothing else, in `mode` (ro, rw, rwc).

    Every byte of the path but letters, digits, `/` and `_.-~` is percent-escaped: in a
    URI a bare `%` starts an escape (`p%41.db` named `pA.db`), `#` a fragment and `?`
    the parameters (`h#x.db` named `h`, and its mode was lost: SQLite created `h`). The
    bytes are the filesystem's own (`os.fsencode`), so a name that is not UTF-8 opens too.
    """
    return f"file:{quote(os.fsencode(path), safe='/')}?mode={mode}"


class SqliteDriver(Driver):
    def display(self, target: DbTarget) -> str:
        """The file's path."""
        return str(target.path)

    def secret_url(self, target: DbTarget) -> str:
        """`sqlite:////absolute/path` (SQLAlchemy's form; the path is absolute), its bytes
        percent-escaped as in `file_uri`, which `url_target` decodes."""
        assert target.path is not None
        return f"sqlite:///{quote(os.fsencode(target.path), safe='/')}"

    def error(
        self,
        target: DbTarget,
        exc: BaseException,
        *,
        timeout: tuple[str, str, str, str] | None = None,
    ) -> StoreError:
        """A truncated or damaged file, a -shm or -wal this user cannot write, a read-only
        file system (`sqlite_causes`), else the driver's message (`sqlite_errors`). Both are
        needed only once an error is translated: imported here, off the first rows' way."""
        from tui.store.backends import sqlite_causes, sqlite_errors

        if isinstance(exc, StoreError):
            return exc
        where = self.display(target)
        found = None if target.path is None else sqlite_causes.explain(target.path, where, exc)
        return found or sqlite_errors.translate(exc, where, target.scrub)

    def parse_url(self, raw: str, rest: str, source: str) -> DbTarget:
        """`sqlite:///path` (and `sqlite+driver:`): the path percent-decoded, as SQLAlchemy
        decodes it (`%25` is a `%`, `%3F` a `?`, `%23` a `#`, `%20` a space: what
        `secret_url` writes); no query. A file, never `:memory:`."""
        database = rest[1:] if rest.startswith("/") else rest
        database = os.fsdecode(unquote_to_bytes(database.split("?", 1)[0]))
        if not database or database == ":memory:":
            raise BadTarget(
                f"{source}: a SQLite URL needs a file path (sqlite:///path/to/archon.db)"
            )
        return sqlite_target(database, source)

    def missing(self, target: DbTarget) -> bool:
        """A folder on the path this user may not search hides whether the file is
        there: not known missing (opening says it cannot be read)."""
        if target.path is None:
            return True
        try:
            return not stat.S_ISREG(target.path.stat().st_mode)
        except PermissionError:
            return False
        except OSError:
            return True

    async def first_rows(self, target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
        """`first_rows_now` on a thread: the read waits for a lock up to `wait`."""
        import asyncio

        return await asyncio.to_thread(self.first_rows_now, target, limit, wait)

    def first_rows_now(self, target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
        """Through sqlite3 on the calling thread, opened with mode=ro, so a missing file
        is not created (a thread of its own, `warm.start`, needs no event loop for it)."""
        import sqlite3

        if self.missing(target):
            return []
        assert target.path is not None
        db = sqlite3.connect(
            file_uri(target.path, "ro"),
            uri=True,
            timeout=wait,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            db.text_factory = decode_text
            for schema, (text, params) in enumerate(sql.SQLITE, 1):
                try:
                    return db.execute(text, bind(params, limit)).fetchall()
                except sqlite3.OperationalError:  # no such table or column: an older schema
                    if schema == len(sql.SQLITE):
                        raise
            return []
        finally:
            db.close()

    def reader(
        self,
        target: DbTarget,
        *,
        read_only: bool,
        lock_wait_ms: int,
        statement_timeout_ms: int | None,
    ) -> Reader:
        """`sqlite_reader`; no statement timeout, as on the engine: a read waits for a
        lock at most `lock_wait_ms`, the busy timeout."""
        from tui.store.backends.sqlite_reader import SqliteReader

        assert target.path is not None
        return SqliteReader(target.path, read_only=read_only, busy_timeout_ms=lock_wait_ms)


DRIVER = SqliteDriver()
