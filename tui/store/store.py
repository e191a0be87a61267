"""The Store: the only door from the CLI and the app to the database.

Every public method is async, returns domain models and raises only StoreError. `Store`
is composed of one class per concern, each in its module: `store_base` (state and
plumbing), `store_reads`, `store_counts`, `store_window` (counts over a search's
window), `store_writes`, `store_runs` (workflow runs), `store_run_trends`, `run_writes`
(run cancels); `store_schema` reads what a database is when it opens; `limits` holds
the waits and batch sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from tui.domain.audit import (
    default_actor,
)
from tui.domain.timefmt import utcnow
from tui.domain.triggers import Vocabulary
from tui.domain.wording import Refusal
from tui.store.backends import backend_for
from tui.store.codec import (
    parse_sqlite_ts,
)
from tui.store.errors import (
    FileUnreadable,
    SchemaError,
    unreadable,
)
from tui.store.limits import END_BATCH, SEARCH_WINDOW
from tui.store.run_writes import RunWrites
from tui.store.store_base import DEFAULT_STALE_AFTER, PAGE_SIZE, STANDBY_REASON
from tui.store.store_run_trends import StoreRunTrends
from tui.store.store_schema import SchemaInfo, make_engine, read_server, schema_info
from tui.store.store_window import StoreWindowCounts
from tui.store.store_writes import StoreWrites
from tui.store.target import DbTarget


class Store(RunWrites, StoreWrites, StoreWindowCounts, StoreRunTrends):
    """Async access to the session tables of one database."""


async def open_store(
    target: DbTarget,
    *,
    read_only: bool = False,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    clock: Callable[[], datetime] = utcnow,
    statement_timeout: float | None = None,
    read_only_why: str | Refusal | None = None,
    vocabulary: Vocabulary | None = None,
) -> Store:
    """Open a database as it is: check its schema, never change it. `stale_after` is
    when an active session is `idle`, by `clock`; `statement_timeout` (seconds) bounds
    every statement where the server can (PostgreSQL); `read_only_why` is what a
    read-only store says when asked to write (default: the `--read-only` flag; a
    `Refusal` names the write refused);
    `vocabulary` replaces the triggers of the detected era (default: those)."""
    backend = backend_for(target.kind)
    try:  # before connecting: a file swapped in between is then noticed, never missed
        identity = backend.file_identity(target)
    except PermissionError:
        raise FileUnreadable(unreadable(target.display())) from None
    except OSError:
        identity = None  # connecting says what is wrong
    timeout_ms = int(statement_timeout * 1000) if statement_timeout else None
    engine = make_engine(target, read_only=read_only, statement_timeout_ms=timeout_ms)
    where = target.display()
    try:
        facts = await read_server(engine, backend)
    except Exception as exc:
        await engine.dispose()
        raise target.error(exc) from None
    try:
        schema = schema_info(where, facts)
    except SchemaError:
        await engine.dispose()
        raise
    return Store(
        target,
        engine,
        schema,
        read_only,
        standby=facts.standby,
        stale_after=stale_after,
        clock=clock,
        identity=identity,
        read_only_why=read_only_why,
        timeout=facts.timeout,
        vocabulary=vocabulary,
        statement_timeout_ms=timeout_ms,
    )


__all__ = [
    "DEFAULT_STALE_AFTER",
    "END_BATCH",
    "PAGE_SIZE",
    "SEARCH_WINDOW",
    "STANDBY_REASON",
    "SchemaInfo",
    "Store",
    "default_actor",
    "make_engine",
    "open_store",
    "parse_sqlite_ts",
]
