"""Baseline: the service's three tables, created only where they are missing.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-02-20

The DDL mirrors the service's own schema (before its migration 016) column for
column, per dialect, so a database this tool creates is one the service can
adopt. Every statement is `CREATE TABLE IF NOT EXISTS`: on a service database it
changes nothing, and no row is ever touched. `ended_reason` is left to 0002 so
the same path serves pre- and post-016 databases.

PostgreSQL ids use gen_random_uuid(), built into PostgreSQL 13+, so the
pgcrypto extension (which the service creates) is not required.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from tui.store.migration_ops import ensure_tables

revision: str = "0001_baseline"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE: tuple[str, ...] = (
    """
CREATE TABLE IF NOT EXISTS remote_agent_codebases (
  id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  name TEXT NOT NULL,
  repository_url TEXT,
  default_cwd TEXT NOT NULL,
  default_branch TEXT DEFAULT 'main',
  ai_assistant_type TEXT DEFAULT 'claude',
  commands TEXT DEFAULT '{}',
  created_at TEXT DEFAULT (datetime('now')),
  updated_at TEXT DEFAULT (datetime('now'))
)
""",
    """
CREATE TABLE IF NOT EXISTS remote_agent_conversations (
  id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  platform_type TEXT NOT NULL,
  platform_conversation_id TEXT NOT NULL,
  ai_assistant_type TEXT DEFAULT 'claude',
  codebase_id TEXT REFERENCES remote_agent_codebases(id) ON DELETE SET NULL,
  cwd TEXT,
  isolation_env_id TEXT,
  title TEXT,
  deleted_at TEXT,
  hidden INTEGER DEFAULT 0,
  created_at TEXT DEFAULT (datetime('now')),
  updated_at TEXT DEFAULT (datetime('now')),
  last_activity_at TEXT DEFAULT (datetime('now')),
  UNIQUE(platform_type, platform_conversation_id)
)
""",
    """
CREATE TABLE IF NOT EXISTS remote_agent_sessions (
  id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  conversation_id TEXT NOT NULL REFERENCES remote_agent_conversations(id) ON DELETE CASCADE,
  codebase_id TEXT REFERENCES remote_agent_codebases(id) ON DELETE SET NULL,
  ai_assistant_type TEXT NOT NULL DEFAULT 'claude',
  assistant_session_id TEXT,
  active INTEGER DEFAULT 1,
  metadata TEXT DEFAULT '{}',
  started_at TEXT DEFAULT (datetime('now')),
  ended_at TEXT,
  parent_session_id TEXT REFERENCES remote_agent_sessions(id),
  transition_reason TEXT
)
""",
)

POSTGRESQL: tuple[str, ...] = (
    """
CREATE TABLE IF NOT EXISTS remote_agent_codebases (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name VARCHAR(255) NOT NULL,
  repository_url VARCHAR(500),
  default_cwd VARCHAR(500) NOT NULL,
  default_branch VARCHAR(255),
  ai_assistant_type VARCHAR(20) DEFAULT 'claude',
  commands JSONB DEFAULT '{}'::jsonb,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
)
""",
    """
CREATE TABLE IF NOT EXISTS remote_agent_conversations (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  platform_type VARCHAR(20) NOT NULL,
  platform_conversation_id VARCHAR(255) NOT NULL,
  codebase_id UUID REFERENCES remote_agent_codebases(id) ON DELETE SET NULL,
  cwd VARCHAR(500),
  ai_assistant_type VARCHAR(20) DEFAULT 'claude',
  isolation_env_id UUID,
  title VARCHAR(255),
  deleted_at TIMESTAMP WITH TIME ZONE,
  hidden BOOLEAN DEFAULT FALSE,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW(),
  last_activity_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  UNIQUE(platform_type, platform_conversation_id)
)
""",
    """
CREATE TABLE IF NOT EXISTS remote_agent_sessions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id UUID REFERENCES remote_agent_conversations(id) ON DELETE CASCADE,
  codebase_id UUID REFERENCES remote_agent_codebases(id) ON DELETE SET NULL,
  ai_assistant_type VARCHAR(20) NOT NULL,
  assistant_session_id VARCHAR(255),
  active BOOLEAN DEFAULT true,
  metadata JSONB DEFAULT '{}'::jsonb,
  parent_session_id UUID REFERENCES remote_agent_sessions(id),
  transition_reason TEXT,
  started_at TIMESTAMP DEFAULT NOW(),
  ended_at TIMESTAMP
)
""",
)


DDL = {"sqlite": SQLITE, "postgresql": POSTGRESQL}


def upgrade() -> None:
    """Create whichever of the three tables is missing; existing ones are left as they are."""
    ensure_tables(DDL[op.get_context().dialect.name])


def downgrade() -> None:
    """Deliberately a no-op: the tables and their rows belong to the service.

    Downgrading sessions-tui must never drop the service's data, and this
    revision cannot tell tables it created from tables the service created.
    """
