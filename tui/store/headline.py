"""A deployment's `Headline` (its service version and active count) read without opening
a Store, where the backend can: on the bare driver, in one read transaction, as a short
read (`Reader.run(short=True)`: SQLite's on the event loop, never waiting for a lock and
each statement within its CPU limit, else on a reading thread), so that opening the
Store (its engine, its connection's trips) and a thread's start and hand-back are not on
the way to a first row.

The statements are the Store's own, the part of them the headline needs: the service's
tables and columns (`CatalogQueries.service_columns`, what the version and a refusal are
read from; not the indexes and the audit table the Store's open also asks, which the
headline does not show), the service's schema-version row
(`store_schema.version_statement`), and the active count `Store.active_count` reads;
the version is detected from them as the Store detects it (`store_schema.schema_info`,
`detect_era`), and a database the Store would refuse is refused here in the same words
(`schema_info`'s, the driver's through `DbTarget.error`, an unreadable file's).

The reader may be the caller's (`bare_reader`), left open after the reading: its
connection's close need not come before the row it answers.
"""

from __future__ import annotations

from functools import cache
from time import monotonic
from typing import TYPE_CHECKING

import sqlalchemy as sa

from tui.domain.snapshot import Headline
from tui.domain.timefmt import utcnow
from tui.domain.triggers import detect_era
from tui.store import limits
from tui.store import queries as q
from tui.store.backends import backend_for, driver_for
from tui.store.errors import FileUnreadable, StoreError, unreadable
from tui.store.hot import Statements
from tui.store.store_counts import active_count_plan
from tui.store.store_schema import ServerFacts, schema_info, version_statement

if TYPE_CHECKING:
    from tui.store.backends.base import Backend
    from tui.store.backends.reader import Plan, Reader
    from tui.store.target import DbTarget


def reads_bare(target: DbTarget) -> bool:
    """Whether `read_bare` can read `target`'s headline: a backend whose open asks nothing
    more of a server than its catalog (standby, zone, schema, search path, timeout:
    SQLite)."""
    queries = backend_for(target.kind).queries
    server = (queries.standby, queries.zone, queries.schema, queries.elsewhere, queries.timeout)
    return server == (None,) * 5


def bare_reader(target: DbTarget) -> Reader:
    """A reader for `read_bare` on `target` (read-only, the engine's busy timeout), which
    the caller closes."""
    return driver_for(target.kind).reader(
        target,
        read_only=True,
        lock_wait_ms=limits.SQLITE_BUSY_TIMEOUT_MS,
        statement_timeout_ms=None,
    )


async def read_bare(target: DbTarget, reader: Reader | None = None) -> Headline:
    """The headline of `target` (read-only), as a Store opened on it would read it
    (`snapshot.read_headline`) with the detected era's vocabulary; StoreError as that
    open words it. Only where `reads_bare`. On `reader` (`bare_reader`'s), left open,
    else on one of its own, closed."""
    backend = backend_for(target.kind)
    try:  # as `open_store` asks first
        backend.file_identity(target)
    except PermissionError:
        raise FileUnreadable(unreadable(target.display())) from None
    except OSError:
        pass  # connecting says what is wrong
    started = monotonic()
    reading = bare_reader(target) if reader is None else reader
    statements = _statements(target.kind)
    where = target.display()
    try:
        version, active = await reading.run(lambda: _plan(backend, statements, where), short=True)
    except StoreError:
        raise
    except Exception as exc:
        raise target.error(exc) from None
    finally:
        if reader is None:
            await reading.close()
    return Headline(version=version, active=active, read_at=utcnow(), seconds=monotonic() - started)


@cache
def _statements(kind: str) -> Statements:
    """The headline's statements for `kind`'s driver, compiled once per process."""
    return Statements(backend_for(kind).traits.driver_dialect)


def _plan(backend: Backend, sql: Statements, where: str) -> Plan[tuple[str, int]]:
    """The service's tables and columns, the schema-version row where there is one, then
    the active count (each statement built and compiled once per process:
    `Statements.shaped`)."""
    columns = backend.queries.service_columns
    tables: dict[str, set[str]] = {}
    for table, column in (yield sql.shaped(("columns",), lambda: sa.text(columns))):
        tables.setdefault(str(table), set()).add(str(column))
    row = None
    stmt = version_statement(tables)
    if stmt is not None:
        found = (yield sql.shaped(("version",), lambda: stmt)).data
        row = (found[0][0], found[0][1]) if found else None
    facts = ServerFacts(tables, set(), standby=False, version_row=row, zone=None)
    schema = schema_info(where, facts)
    version = detect_era(schema.markers).vocabulary.name
    active = yield from active_count_plan(sql, q.Dialect(backend, schema.has_ended_reason))
    return version, active
