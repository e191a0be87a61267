"""A test's own `sqlite3` connection to a database file, closed when the block ends."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def sqlite_file(*args: Any, **kwargs: Any) -> Iterator[sqlite3.Connection]:
    """`sqlite3.connect(*args, **kwargs)` used as `with sqlite3.connect(...) as conn` uses
    it (committed when the block ends, rolled back on an error), then closed.

    `with sqlite3.connect(...)` alone never closes: the connection and its statement
    cache refer to each other, so it stays open, with its file handles and its WAL's
    shared lock, until Python's cyclic collector runs. A test that then links, replaces
    or deletes the file would depend on when that is."""
    conn = sqlite3.connect(*args, **kwargs)
    try:
        with conn:
            yield conn
    finally:
        conn.close()
