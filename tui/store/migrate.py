"""Bring a database to the schema this tool needs, with Alembic, without losing a row
and without holding the live service up.

The service owns its tables; our revisions only add what is missing (tables on an
empty database, `ended_reason` on a pre-016 one, our own indexes) and are written
to be idempotent, so a service database from before or after its migration 016,
or an empty one, all end up the same, and a second run changes nothing.

The service keeps running meanwhile, so there is no single transaction: each revision
commits on its own (with its version row), and inside it each change runs in its own
short transaction or none (`tui.store.migration_ops`). A run stopped half-way leaves a
database the next run finishes. `plan` says beforehand what the service will feel
(`Backend.migration_notice`). A database holding other tables and none of the
service's is refused unless `create_service_schema` is asked for: it is another
program's file, or the wrong path.

Alembic's API is synchronous, so, following its "programmatic API with asyncio"
recipe, it runs inside `AsyncConnection.run_sync(...)`: the driver stays async
and the event loop keeps running while the database works. The connection and
URL come from here, never from an alembic.ini (there is none), so the password
never leaves the DbTarget and every error goes through `DbTarget.error`.
"""

from __future__ import annotations

import asyncio
import io
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from msgspec import Struct
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import tui
from tui.domain.wording import audit_shape_line
from tui.store.audit_shape import TARGET_COLUMNS, shape_problem
from tui.store.backends import backend_for, driver_for
from tui.store.backends.base import Backend, Catalog
from tui.store.catalog import (
    column_shapes,
    damage,
    index_names,
    read_catalog,
    service_views,
)
from tui.store.errors import (
    DatabaseLocked,
    DatabaseNotFound,
    FileUnreadable,
    LockTimeout,
    SchemaError,
    StoreError,
    unreadable,
)
from tui.store.store import make_engine
from tui.store.tables import RUN_INDEX_COLUMNS, RUN_INDEXES, TOOL_INDEXES, WORKFLOW_RUNS
from tui.store.target import DbTarget

VERSION_TABLE = "sessions_tui_alembic_version"
"""Our own version table: the service (or another tool) may well have an `alembic_version`."""

SESSIONS_TABLE = "remote_agent_sessions"

T = TypeVar("T")


class NotAServiceDatabase(SchemaError):
    """The database holds tables, none of them the service's: not ours to add to."""


AUDIT_TABLE = "sessions_tui_audit"
AUDIT_INDEXES = ("ix_sessions_tui_audit_at", "ix_sessions_tui_audit_actor")


class Upgraded(Struct, frozen=True):
    """What `migrate_to_head` did: the revisions it applied, and the objects of revisions
    already recorded that were missing and that it made again (`restored`)."""

    applied: list[str]
    restored: list[str]


def missing_objects(catalog: Catalog, audit_indexes: set[str]) -> list[str]:
    """The objects the head revision has that the database lacks (or holds unusable):
    the service's baseline tables, `ended_reason`, the tool's indexes (the runs' where
    the database has workflow runs) and audit table (with migration 0009's columns).
    `audit_indexes`: the audit table's index names, read apart."""
    missing = [t for t in BASELINE_TABLES if t not in catalog.tables]
    if SESSIONS_TABLE in catalog.tables and not catalog.has_column(SESSIONS_TABLE, "ended_reason"):
        missing.append(f"{SESSIONS_TABLE}.ended_reason")
    missing += [ix for ix in _tool_indexes(catalog) if not catalog.indexes.get(ix)]
    if AUDIT_TABLE not in catalog.tables:
        missing.append(AUDIT_TABLE)
    else:
        missing += [ix for ix in AUDIT_INDEXES if ix not in audit_indexes]
        missing += [
            f"{AUDIT_TABLE}.{c}" for c in TARGET_COLUMNS if not catalog.has_column(AUDIT_TABLE, c)
        ]
    return missing


def _tool_indexes(catalog: Catalog) -> tuple[str, ...]:
    """The tool's indexes this database should have: the sessions' always, the runs'
    where it has a runs table with the columns they hold."""
    runs = catalog.columns.get(WORKFLOW_RUNS, frozenset())
    return TOOL_INDEXES + (RUN_INDEXES if runs >= RUN_INDEX_COLUMNS else ())


def _read_missing(backend: Backend, sync_conn: Connection) -> list[str]:
    catalog = read_catalog(backend, sync_conn)
    audit_indexes = (
        index_names(backend, sync_conn, AUDIT_TABLE) if AUDIT_TABLE in catalog.tables else set()
    )
    return missing_objects(catalog, audit_indexes)


def _revision_modules(script: ScriptDirectory) -> list[Any]:
    """Every revision's module, oldest first."""
    return [r.module for r in reversed(list(script.walk_revisions("base", "heads")))]


def _restore(sync_conn: Connection, backend: Backend) -> None:
    """Run every revision's `upgrade` again, outside Alembic's bookkeeping (the version
    row stays): each is written to add only what is missing, so this brings every
    object of the recorded revisions into being and changes nothing else."""
    ctx = MigrationContext.configure(
        sync_conn,
        opts={
            "version_table": VERSION_TABLE,
            "transactional_ddl": True,
            **backend.traits.alembic_options(),
        },
    )
    with Operations.context(ctx):
        for module in _revision_modules(_script()):
            module.upgrade()
            sync_conn.commit()


def _restore_sql(dialect_name: str, catalog: Catalog, buf: io.StringIO) -> None:
    """`_restore` as SQL for the database `catalog` was read from: only what it lacks."""
    backend = backend_for(dialect_name)
    ctx = MigrationContext.configure(
        dialect_name=dialect_name,
        opts={
            "as_sql": True,
            "output_buffer": buf,
            "literal_binds": True,
            "transactional_ddl": True,
            "catalog": catalog,
            **backend.traits.alembic_options(),
        },
    )
    with Operations.context(ctx), ctx.begin_transaction():
        for module in _revision_modules(_script()):
            module.upgrade()


class MigrationPlan(Struct, frozen=True):
    """What `upgrade` would do, read before it starts: revisions, the sessions it works
    over, the indexes it builds, and what the live service will feel (`notice`, None
    when nothing needs the operator's agreement)."""

    current: str | None
    revisions: list[str]
    sessions: int
    indexes: tuple[str, ...]
    notice: str | None


def migrations_dir() -> Path:
    """Where the Alembic environment lives.

    A wheel ships it inside the package as `tui/_migrations` (pyproject force-includes
    it there); a source checkout has it at the repository's top level.
    """
    packaged = Path(tui.__file__).parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(tui.__file__).resolve().parent.parent / "migrations"


def _config(output_buffer: io.StringIO | None = None) -> Config:
    """An Alembic Config built in code: no alembic.ini, no URL in any file."""
    cfg = Config(output_buffer=output_buffer)
    # ConfigParser interpolates '%': a path containing one must be escaped.
    cfg.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    return cfg


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision this version of the tool knows."""
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise StoreError(f"no migrations found in {migrations_dir()}")
    return head


def _revisions_after(script: ScriptDirectory, current: str | None) -> list[str]:
    """Revision ids from just after `current` up to head, oldest first."""
    try:
        revs = list(script.iterate_revisions("heads", current or "base"))
    except (CommandError, RevisionError) as exc:
        raise StoreError(
            f"the database is at sessions-tui schema revision {current!r}, which this "
            f"version of sessions-tui does not know (is the tool older than the database?): {exc}"
        ) from None
    return [r.revision for r in reversed(revs)]


def _read_current(sync_conn: Connection) -> str | None:
    ctx = MigrationContext.configure(sync_conn, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


# Alembic installs its `context`/`op` proxies module-globally, and run_sync lets
# other tasks run while the database works: two migration calls in one process
# must take turns. One lock per event loop (tests and CLIs may run several loops).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _alembic_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


def _check_file(target: DbTarget, create: bool) -> None:
    """A database known to be missing (a file) is an error unless we were asked to create
    it; one this user may not read is said as such (`errors.unreadable`)."""
    try:
        backend_for(target.kind).file_identity(target)
    except PermissionError:
        raise FileUnreadable(unreadable(target.display())) from None
    except OSError:
        pass  # missing: said below, or created
    if not create and driver_for(target.kind).missing(target):
        raise DatabaseNotFound(
            f"no database at {target.display()} (from {target.source}); "
            "point --db at the service's database (the service creates it when it first "
            "starts), or make a demo one with `sessions-tui demo-db PATH`"
        )


def _refuse_foreign(target: DbTarget, catalog: Catalog, create_service_schema: bool) -> None:
    """Tables and none of the service's: another program's database, or the wrong path."""
    others = sorted(catalog.tables - {VERSION_TABLE})
    if create_service_schema or catalog.service_tables() or not others:
        return
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    raise NotAServiceDatabase(
        f"{target.display()} holds other tables ({shown}) and none of the Archon service's: "
        "check the path (or URL); to create the service's tables in it anyway, pass "
        "--create-service-schema"
    )


BASELINE_TABLES = ("remote_agent_codebases", "remote_agent_conversations", SESSIONS_TABLE)
"""The service's tables the baseline revision creates where they are missing."""


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _refuse_split(target: DbTarget, catalog: Catalog) -> None:
    """A service table missing from the schema the service's tables are in, while another
    schema on the search path holds it: creating it would split the service's tables
    over two schemas (and hide the other copy from unqualified names)."""
    if catalog.schema is None:
        return
    for table in BASELINE_TABLES:
        others = catalog.elsewhere.get(table)
        if table in catalog.tables or not others:
            continue
        held = ", ".join(quote_name(s) for s in others)
        schema = quote_name(catalog.schema)
        raise SchemaError(
            f"{target.display()}: {table} is in schema {held} but not in {schema}, where "
            f"the service's names resolve first; nothing was changed (migrate never makes "
            f"a second copy of a service table): drop the stray tables from {schema}, or "
            "set the role's search_path to the schema that holds them all"
        )


def _refuse_broken(target: DbTarget, backend: Backend, conn: Connection) -> None:
    """A damaged file, an audit table of another shape than an end writes, or a service
    table that is a view: said as what it is, never "already up to date" (the recorded
    revision may well be head)."""
    found = damage(backend, conn)
    if found is not None:
        raise SchemaError(
            f"{target.display()} is damaged ({found}); nothing was changed: restore it "
            "from a backup, or salvage its rows with `sqlite3 FILE .recover`"
        )
    problem = shape_problem(column_shapes(backend, conn, AUDIT_TABLE), backend.traits.audit_types)
    if problem is not None:
        raise SchemaError(f"{target.display()}: nothing was changed: {audit_shape_line(problem)}")
    views = sorted(service_views(backend, conn))
    if views:
        raise SchemaError(
            f"{target.display()}: {', '.join(views)} is a view, not a table; nothing was "
            "changed: migrate adds columns and indexes to the service's own tables, so point "
            "it at the database that holds them"
        )


def _error(target: DbTarget, exc: BaseException) -> StoreError:
    found = target.error(exc)
    if isinstance(found, LockTimeout):
        return DatabaseLocked(
            f"{target.display()}: the session tables are busy (a long transaction holds a "
            f"lock); every row is intact and what was done is kept: run migrate again"
        )
    return found


async def _with_connection(
    target: DbTarget,
    fn: Callable[[Connection], T],
    *,
    read_only: bool,
    create: bool = False,
    write: bool = False,
) -> T:
    """Run the sync `fn` on a connection of a fresh engine, translating every error.

    With `write`, `fn` owns the transactions (Alembic begins and commits one per
    revision); each holds the write lock from its start (`Traits.write_options`), so a
    concurrent writer (the service) makes us wait rather than fail half-way on a lock
    upgrade. Whatever is left uncommitted when `fn` fails is rolled back.
    """
    _check_file(target, create)
    engine: AsyncEngine = make_engine(target, read_only=read_only, create=create)
    try:
        async with engine.connect() as conn:
            if not write:
                return await conn.run_sync(fn)
            options = backend_for(target.kind).traits.write_options
            if options:
                conn = await conn.execution_options(**options)
            return await conn.run_sync(fn)
    except StoreError:
        raise
    except Exception as exc:
        raise _error(target, exc) from None
    finally:
        await engine.dispose()


async def current_revision(target: DbTarget) -> str | None:
    """The sessions-tui revision the database is at; None if it was never migrated by us."""
    async with _alembic_lock():
        return await _with_connection(target, _read_current, read_only=True)


async def pending(target: DbTarget) -> list[str]:
    """Revision ids `upgrade` would apply, oldest first (all of them on a fresh database)."""
    async with _alembic_lock():
        current = await _with_connection(target, _read_current, read_only=True)
        return _revisions_after(_script(), current)


async def plan(target: DbTarget, *, create_service_schema: bool = False) -> MigrationPlan:
    """What `upgrade` would do, read-only; raises NotAServiceDatabase as `upgrade` would."""
    backend = backend_for(target.kind)

    def _read(sync_conn: Connection) -> tuple[str | None, Catalog, int]:
        catalog = read_catalog(backend, sync_conn)
        current = _read_current(sync_conn)
        sessions = 0
        if SESSIONS_TABLE in catalog.tables:
            count = sa.text(f"SELECT count(*) FROM {SESSIONS_TABLE}")
            sessions = int(sync_conn.execute(count).scalar_one())
        return current, catalog, sessions

    async with _alembic_lock():
        current, catalog, sessions = await _with_connection(target, _read, read_only=True)
    _refuse_foreign(target, catalog, create_service_schema)
    _refuse_split(target, catalog)
    revisions = _revisions_after(_script(), current)
    indexes = tuple(ix for ix in _tool_indexes(catalog) if not catalog.indexes.get(ix))
    notice = backend.migration_notice(sessions, len(indexes)) if revisions or indexes else None
    return MigrationPlan(current, revisions, sessions, indexes, notice)


async def upgrade(
    target: DbTarget, *, create: bool = False, create_service_schema: bool = False
) -> list[str]:
    """`migrate_to_head`, returning the ids of the revisions applied ([] when at head)."""
    done = await migrate_to_head(target, create=create, create_service_schema=create_service_schema)
    return done.applied


async def migrate_to_head(
    target: DbTarget, *, create: bool = False, create_service_schema: bool = False
) -> Upgraded:
    """Apply every pending revision up to head, then make again any object of the
    recorded revisions that is missing (an index dropped by hand, a version row that
    says head over a database that lacks something): the database's state decides,
    never the version row alone.

    `create=True` lets SQLite create a missing file; otherwise a missing file raises
    DatabaseNotFound rather than silently making an empty database somewhere. A database
    with other tables and none of the service's raises NotAServiceDatabase unless
    `create_service_schema`.
    """
    applied: list[str] = []
    backend = backend_for(target.kind)

    def _record(*, step: MigrationInfo, **_kw: Any) -> None:
        applied.extend(step.up_revision_ids)

    def _run(sync_conn: Connection) -> None:
        _refuse_broken(target, backend, sync_conn)
        catalog = read_catalog(backend, sync_conn)
        _refuse_foreign(target, catalog, create_service_schema)
        _refuse_split(target, catalog)
        for statement in backend.traits.migration_lock_sql:
            sync_conn.exec_driver_sql(statement)
        cfg = _config()
        cfg.attributes["connection"] = sync_conn
        cfg.attributes["on_version_apply"] = _record
        # Validates the recorded revision before touching anything.
        _revisions_after(ScriptDirectory.from_config(cfg), _read_current(sync_conn))
        # Alembic begins and commits one transaction per revision itself (env.py).
        sync_conn.commit()
        command.upgrade(cfg, "head")
        sync_conn.commit()
        missing = _read_missing(backend, sync_conn)
        sync_conn.commit()
        if missing:
            _restore(sync_conn, backend)
            restored.extend(missing)

    restored: list[str] = []
    async with _alembic_lock():
        await _with_connection(target, _run, read_only=False, create=create, write=True)
    return Upgraded(applied, restored)


async def upgrade_sql(target: DbTarget, *, create_service_schema: bool = False) -> str:
    """The SQL a DBA would run to bring this database from its current revision to head.

    The current revision and the catalog are read online (read-only), so the SQL holds
    only what this database lacks and runs as it is (`sqlite3 FILE < out.sql`,
    `psql -f out.sql`); it comes from Alembic's offline mode, so nothing is executed and
    the database is not changed. Generated for the database as it is now: run it soon.
    """
    backend = backend_for(target.kind)

    def _read(sync_conn: Connection) -> tuple[str | None, Catalog, list[str]]:
        _refuse_broken(target, backend, sync_conn)
        current = _read_current(sync_conn)
        return current, read_catalog(backend, sync_conn), _read_missing(backend, sync_conn)

    async with _alembic_lock():
        current, catalog, missing = await _with_connection(target, _read, read_only=True)
        _refuse_foreign(target, catalog, create_service_schema)
        _refuse_split(target, catalog)
        todo = _revisions_after(_script(), current)
        head = head_revision()
        header = (
            f"-- sessions-tui schema migration for {target.kind}, "
            f"from {current or 'no sessions-tui revision'} to {head},\n"
            f"-- written for {target.display()} as it is now (only what it lacks).\n"
            f"-- Stop at the first error (psql -v ON_ERROR_STOP=1; the sqlite3 shell with\n"
            f"-- -bail): each index is built outside the revisions' transactions.\n"
        )
        pins = backend.pin_schema_sql(catalog)
        if pins:
            header += (
                f"-- Everything is created next to the service's tables, in schema "
                f"{quote_name(catalog.schema or '')}:\n" + "".join(f"{p};\n" for p in pins)
            )
        if not todo and not missing:
            return header + "-- The database is already at head: nothing to run.\n"
        buf = io.StringIO()
        if not todo:
            header += "-- The database is at head, but lacks: " + ", ".join(missing) + ".\n"
            await asyncio.to_thread(_restore_sql, target.kind, catalog, buf)
            return header + buf.getvalue()
        cfg = _config(buf)
        cfg.attributes["dialect_name"] = target.kind
        cfg.attributes["catalog"] = catalog
        # Loading the scripts is file IO: keep it off the event loop.
        await asyncio.to_thread(_offline_upgrade, cfg, current)
        return header + buf.getvalue()


def _offline_upgrade(cfg: Config, current: str | None) -> None:
    command.upgrade(cfg, f"{current}:head" if current else "head", sql=True)


def revision_ids() -> Sequence[str]:
    """Every revision id, oldest first."""
    return _revisions_after(_script(), None)


__all__ = [
    "VERSION_TABLE",
    "MigrationPlan",
    "NotAServiceDatabase",
    "Upgraded",
    "current_revision",
    "head_revision",
    "migrate_to_head",
    "migrations_dir",
    "missing_objects",
    "pending",
    "plan",
    "revision_ids",
    "upgrade",
    "upgrade_sql",
]
