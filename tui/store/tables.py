"""The service's tables this tool reads, described once for both backends.

The service itself owns these tables; only the columns this tool reads or writes
are described. Some came with later service versions (`users`, `conversations.user_id`:
v0.4.0): a statement names them only where `SchemaInfo.has` finds them. Types vary by
backend (TEXT ids vs UUID, INTEGER vs BOOLEAN, text JSON vs JSONB, UTC text vs
TIMESTAMP), so each column gets a type that asks the backend of the dialect in use
(`Backend.id_type` and the like); Python sees one type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from tui.store.backends import backend_for
from tui.store.codec import text_id, utc_datetime

SESSIONS = "remote_agent_sessions"
CONVERSATIONS = "remote_agent_conversations"
CODEBASES = "remote_agent_codebases"
CODEBASE_ENV_VARS = "remote_agent_codebase_env_vars"
SCHEMA_VERSION = "remote_agent_schema_version"
USERS = "remote_agent_users"
WORKFLOW_RUNS = "remote_agent_workflow_runs"
AUDIT = "sessions_tui_audit"
"""The tool's own table (migrations/versions/0006_audit_table.py): one row per end."""


class UtcTimestamp(TypeDecorator[datetime]):
    """UTC text in SQLite, TIMESTAMP [WITH TIME ZONE] in PostgreSQL; aware datetimes in Python."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, timezone: bool = False) -> None:
        super().__init__()
        self.timezone = timezone

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        naive, aware = backend_for(dialect.name).traits.timestamp_types
        return dialect.type_descriptor(aware if self.timezone else naive)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if not isinstance(value, datetime):
            return value
        utc = value.astimezone(UTC) if value.tzinfo else value
        return backend_for(dialect.name).traits.bind_timestamp(utc, timezone=self.timezone)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return utc_datetime(value)


class Id(TypeDecorator[str]):
    """Hex TEXT in SQLite, UUID in PostgreSQL; always a str in Python."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(backend_for(dialect.name).traits.id_type)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return text_id(value)


class JsonText(TypeDecorator[str]):
    """JSON text in SQLite, JSONB in PostgreSQL; read back as the raw text either way."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(backend_for(dialect.name).traits.json_type)


class StoredActive(TypeDecorator[Any]):
    """`active` read as the driver returns it, without Boolean's `bool()`: SQLite keeps
    any value (2, 'yes', X'01'), and `codec.active_state` must see it to call it odd.
    Used only in select lists (`queries.stored_active`); writes use the column's type."""

    impl = sa.Integer
    cache_ok = True


metadata_obj = sa.MetaData()

codebases = sa.Table(
    CODEBASES,
    metadata_obj,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("repository_url", sa.Text),
    sa.Column("default_cwd", sa.Text),
    sa.Column("created_at", UtcTimestamp()),
    sa.Column("updated_at", UtcTimestamp()),
)

conversations = sa.Table(
    CONVERSATIONS,
    metadata_obj,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("platform_type", sa.Text),
    sa.Column("platform_conversation_id", sa.Text),
    sa.Column("codebase_id", Id()),
    sa.Column("cwd", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("created_at", UtcTimestamp()),
    sa.Column("updated_at", UtcTimestamp()),
    sa.Column("last_activity_at", UtcTimestamp(timezone=True)),
    sa.Column("deleted_at", UtcTimestamp(timezone=True)),
    sa.Column("hidden", sa.Boolean(create_constraint=False)),
    sa.Column("user_id", Id()),  # the service's v0.4.0 on
)

users = sa.Table(  # the service's v0.4.0 on
    USERS,
    metadata_obj,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("display_name", sa.Text),
    sa.Column("email", sa.Text),
    sa.Column("role", sa.Text),
)

workflow_runs = sa.Table(
    WORKFLOW_RUNS,
    metadata_obj,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("conversation_id", Id()),
    sa.Column("workflow_name", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("started_at", UtcTimestamp(timezone=True)),
    sa.Column("completed_at", UtcTimestamp(timezone=True)),
    sa.Column("last_activity_at", UtcTimestamp(timezone=True)),
)

sessions = sa.Table(
    SESSIONS,
    metadata_obj,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("conversation_id", Id()),
    sa.Column("codebase_id", Id()),
    sa.Column("ai_assistant_type", sa.Text),
    sa.Column("assistant_session_id", sa.Text),
    sa.Column("active", sa.Boolean(create_constraint=False)),
    sa.Column("metadata", JsonText()),
    sa.Column("started_at", UtcTimestamp()),
    sa.Column("ended_at", UtcTimestamp()),
    sa.Column("parent_session_id", Id()),
    sa.Column("transition_reason", sa.Text),
    sa.Column("ended_reason", sa.Text),
)

schema_version = sa.Table(
    SCHEMA_VERSION,
    metadata_obj,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_app_version", sa.Text),
    sa.Column("app_version", sa.Text),
)
"""The service's one-row record (v0.7.0 on) of the build that created the database and the
one that last applied its schema: read, never written."""

audit = sa.Table(
    AUDIT,
    metadata_obj,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("end_id", sa.Text),
    sa.Column("at", UtcTimestamp(timezone=True)),
    sa.Column("session_id", sa.Text),
    sa.Column("conversation_id", sa.Text),
    sa.Column("owner", sa.Text),
    sa.Column("outcome", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("found_reason", sa.Text),
    sa.Column("found_ended_at", UtcTimestamp(timezone=True)),
    sa.Column("actor", sa.Text),
    sa.Column("tool_version", sa.Text),
    sa.Column("kinds", sa.Text),
    sa.Column("target", sa.Text),  # migration 0009 on
    sa.Column("run_id", sa.Text),  # migration 0009 on
)
"""This tool's record of every end and run cancel it wrote, kept after the service
deletes the session or run (no foreign key: the service's retention DELETE never reaches
it). Ids are kept as text, whatever type the service's ids have. `target` and `run_id`
exist from migration 0009 on (`SchemaInfo.audit_targets`): a statement names them only
then."""
AUDIT_TARGET_COLUMNS = frozenset({"target", "run_id"})

REQUIRED_SESSION_COLUMNS = frozenset(
    {"id", "conversation_id", "codebase_id", "ai_assistant_type", "active", "metadata"}
    | {"started_at", "ended_at", "parent_session_id", "transition_reason"}
)
"""Columns without which the tool cannot work; `ended_reason` is handled apart (migration 016)."""

ACTIVE_INDEX = "ix_sessions_tui_active_conv"
"""The active sessions alone, by conversation (migrations/versions/0008_active_index.py):
what the stuck counts read, so their cost follows the active sessions, not the table."""
ACTIVE_INDEX_COLUMNS = "conversation_id, started_at, id, codebase_id, active"
ACTIVE_ROWS: ColumnElement[bool] = sa.column("active", sa.Boolean) == sa.true()
"""The partial predicate of `ACTIVE_INDEX`: the queries' own `active = true` (`active = 1`
on SQLite), unqualified. A query uses a partial index only when its WHERE says the same,
and the odd values SQLite can hold (2, 'yes', NULL, see `codec.active_state`) are in
neither, so the index holds exactly the rows the queries call active."""

SERVICE_CONVERSATION_INDEXES = frozenset(
    {
        "idx_sessions_conversation",
        "idx_remote_agent_sessions_conversation",
        "idx_sessions_conversation_started",
    }
)
"""The service's indexes led by sessions(conversation_id) (its schema, by name): with one,
a session's other sessions in its conversation are a seek, not a scan."""

TOOL_INDEXES = (  # migrations/versions/0003_filter_indexes.py, 0004_*, 0005_*, 0007_*, 0008_*
    "ix_sessions_tui_reason_started",
    "ix_sessions_tui_active_started",
    "ix_sessions_tui_started",
    "ix_sessions_tui_parent",
    "ix_sessions_tui_facets",
    "ix_sessions_tui_live",
    "ix_sessions_tui_ended",
    ACTIVE_INDEX,
)
"""The indexes `sessions-tui migrate` adds to remote_agent_sessions. Without them the tool
still works, but filters and counts read the whole table; tests/store/test_migrations.py checks
this list against what the migrations create."""
