"""What the store learns of a database when it opens it: its schema (`SchemaInfo`), the
server's facts (`read_server`) and the engine every connection comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from msgspec import Struct, field
from sqlalchemy.ext.asyncio import AsyncEngine

from tui.domain.triggers import SchemaMarkers
from tui.store import catalog, limits
from tui.store.audit_shape import has_targets, shape_problem
from tui.store.backends import backend_for
from tui.store.backends.base import Backend
from tui.store.errors import SchemaError
from tui.store.tables import (
    AUDIT,
    CODEBASE_ENV_VARS,
    CODEBASES,
    CONVERSATIONS,
    REQUIRED_SESSION_COLUMNS,
    SCHEMA_VERSION,
    SESSIONS,
    schema_version,
)
from tui.store.target import DEMO_HINT, DbTarget

RUN_COLUMNS = ("id", "conversation_id", "workflow_name", "status", "started_at", "last_activity_at")
"""What `queries.workflow_runs_statement` reads of remote_agent_workflow_runs."""


class SchemaInfo(Struct, frozen=True):
    """The database's schema as the tool found it at open: every service table with its
    columns (which service version applied it shows here), and the sessions' indexes."""

    has_ended_reason: bool
    session_columns: frozenset[str]
    session_indexes: frozenset[str]
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Every `remote_agent_*` table (or view) and its columns."""
    zone: str | None = None
    """The zone the service's `NOW()` writes started_at/ended_at in
    (`catalog.service_zone`); None where they are UTC text (SQLite)."""
    version_row: tuple[str | None, str | None] | None = None
    """`remote_agent_schema_version`'s (created_app_version, app_version), when it has a row."""
    audit_table: bool = False
    """The tool's audit table (`sessions_tui_audit`, migration 0006) exists."""
    audit_writable: bool = False
    """...and this connection's role may insert into it: ends keep audit rows."""
    schema: str | None = None
    """The schema the service's tables are in (`catalog.service_schema`); None on SQLite."""
    audit_problem: str | None = None
    """What is wrong with the audit table's shape (`audit_shape.shape_problem`): an end
    keeps no audit row then; None when it fits or is missing."""
    shadowed: tuple[str, ...] = ()
    """Schemas later on the search path that hold a `remote_agent_sessions` too, which
    unqualified names never reach (`catalog.tables_elsewhere`)."""
    audit_targets: bool = False
    """The audit table has migration 0009's `target` and `run_id`: run cancels keep rows."""

    @property
    def markers(self) -> SchemaMarkers:
        """What this schema says about the newest service version that opened it."""
        created, applied = self.version_row or (None, None)
        return SchemaMarkers(
            ended_reason=self.has_ended_reason,
            codebase_env_vars=self.has(CODEBASE_ENV_VARS),
            codebase_kind=self.has(CODEBASES, "kind"),
            schema_version_table=self.has(SCHEMA_VERSION),
            app_version=applied,
            created_app_version=created,
        )

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the table (and the column) exists."""
        columns = self.tables.get(table)
        return columns is not None and (column is None or column in columns)


def make_engine(
    target: DbTarget,
    *,
    read_only: bool = False,
    create: bool = False,
    statement_timeout_ms: int | None = None,
) -> AsyncEngine:
    """An engine set up by the target's backend (`Backend.make_engine`)."""
    return backend_for(target.kind).make_engine(
        target,
        read_only=read_only,
        create=create,
        lock_wait_ms=limits.SQLITE_BUSY_TIMEOUT_MS,
        statement_timeout_ms=statement_timeout_ms,
    )


_SHOWN_COLUMNS = frozenset(
    {"id", "conversation_id", "codebase_id", "ai_assistant_type", "assistant_session_id", "active"}
    | {
        "metadata",
        "started_at",
        "ended_at",
        "parent_session_id",
        "transition_reason",
        "ended_reason",
    }
)


class ServerFacts(Struct, frozen=True):
    """What the tool reads of a database when it opens it, over one connection."""

    tables: dict[str, set[str]]
    """Every `remote_agent_*` table and its columns."""
    indexes: set[str]
    """The sessions table's indexes."""
    standby: bool
    """A hot standby: reads only."""
    version_row: tuple[str | None, str | None] | None
    """The service's schema-version row (created_app_version, app_version), if any."""
    zone: str | None
    """The zone the service writes its zone-less timestamps in (`catalog.service_zone`)."""
    audit: tuple[bool, bool] = (False, False)
    """The tool's audit table: exists, and this role may write it (`catalog.tool_table`)."""
    schema: str | None = None
    """The schema the service's tables are in (`catalog.service_schema`)."""
    timeout: tuple[str, str, str, str] | None = None
    """The statement timeout in force and where from (`catalog.timeout_setting`)."""
    audit_problem: str | None = None
    """What is wrong with the audit table's shape, if anything (`audit_shape`)."""
    shadowed: tuple[str, ...] = ()
    """Schemas later on the path that hold a `remote_agent_sessions` too."""
    audit_targets: bool = False
    """The audit table has migration 0009's columns (`audit_shape.has_targets`)."""


async def read_server(engine: AsyncEngine, backend: Backend) -> ServerFacts:
    """The schema as it is now, whether the server is a standby, and the service's
    schema-version row when the table has one."""

    def _inspect(sync_conn: Any) -> tuple[Any, ...]:
        tables, indexes, tool_audit, shapes = catalog.opening(backend, sync_conn, SESSIONS, AUDIT)
        return (
            tables,
            indexes,
            catalog.is_standby(backend, sync_conn),
            catalog.service_zone(backend, sync_conn),
            tool_audit,
            catalog.service_schema(backend, sync_conn),
            catalog.timeout_setting(backend, sync_conn),
            shapes,
            catalog.tables_elsewhere(backend, sync_conn),
        )

    async with engine.connect() as conn:
        facts = await conn.run_sync(_inspect)
        tables, indexes, standby, zone, tool_audit, schema, timeout, shapes, elsewhere = facts
        problem = shape_problem(shapes, backend.traits.audit_types)
        row = None
        stmt = version_statement(tables)
        if stmt is not None:
            found = (await conn.execute(stmt)).first()
            row = (found[0], found[1]) if found is not None else None
        return ServerFacts(
            tables,
            indexes,
            standby,
            row,
            zone,
            tool_audit,
            schema,
            timeout,
            problem,
            elsewhere.get(SESSIONS, ()),
            has_targets(shapes),
        )


def version_statement(tables: Mapping[str, set[str]]) -> sa.Select[Any] | None:
    """The service's schema-version row (created_app_version, app_version), where the
    table has those columns (`tables`: every service table and its columns); None where
    it has not."""
    if not {"created_app_version", "app_version"} <= tables.get(SCHEMA_VERSION, set()):
        return None
    sv = schema_version
    return sa.select(sv.c.created_app_version, sv.c.app_version).where(sv.c.id == 1)


def schema_info(where: str, facts: ServerFacts) -> SchemaInfo:
    """The schema `facts` found, once it is a service database this tool can read:
    SchemaError naming `where` (the database as shown) for a missing table or a
    sessions table too old."""
    tables, indexes = facts.tables, facts.indexes
    missing = [t for t in (SESSIONS, CONVERSATIONS, CODEBASES) if t not in tables]
    if missing:
        raise SchemaError(
            f"{where} is not an Archon service database (missing table {', '.join(missing)}): "
            f"check the path (--db, --url, DATABASE_URL), or try `{DEMO_HINT}`"
        )
    cols = tables[SESSIONS]
    lacking = REQUIRED_SESSION_COLUMNS - cols
    if lacking:
        raise SchemaError(
            f"{where}: remote_agent_sessions lacks {', '.join(sorted(lacking))}; "
            "this service version is too old for this tool"
        )
    return SchemaInfo(
        has_ended_reason="ended_reason" in cols,
        session_columns=frozenset(cols),
        session_indexes=frozenset(indexes),
        tables={name: frozenset(columns) for name, columns in tables.items()},
        version_row=facts.version_row,
        zone=facts.zone,
        audit_table=facts.audit[0],
        audit_writable=facts.audit[1],
        schema=facts.schema,
        audit_problem=facts.audit_problem,
        shadowed=facts.shadowed,
        audit_targets=facts.audit_targets,
    )
