"""The service's own DDL for the three tables this tool reads, as the service writes it.

These are *not* this project's migrations: they stand for a database the service
created, before (`ended_reason=False`) or after (`True`) its migration 016, so
tests can prove the tool opens and migrates what it did not create.
"""

from __future__ import annotations

SQLITE = """
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
);
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
);
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
  transition_reason TEXT{ended_reason}
);
CREATE INDEX IF NOT EXISTS idx_conversations_platform
  ON remote_agent_conversations(platform_type, platform_conversation_id);
CREATE INDEX IF NOT EXISTS idx_sessions_conversation ON remote_agent_sessions(conversation_id);
CREATE INDEX IF NOT EXISTS idx_sessions_active ON remote_agent_sessions(active);
"""

POSTGRESQL = """
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE IF NOT EXISTS remote_agent_codebases (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name VARCHAR(255) NOT NULL,
  repository_url VARCHAR(500),
  default_cwd VARCHAR(500) NOT NULL,
  default_branch VARCHAR(255),
  ai_assistant_type VARCHAR(20) DEFAULT 'claude',
  commands JSONB DEFAULT '{{}}'::jsonb,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);
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
);
CREATE INDEX IF NOT EXISTS idx_remote_agent_conversations_codebase
  ON remote_agent_conversations(codebase_id);
CREATE TABLE IF NOT EXISTS remote_agent_sessions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id UUID REFERENCES remote_agent_conversations(id) ON DELETE CASCADE,
  codebase_id UUID REFERENCES remote_agent_codebases(id) ON DELETE SET NULL,
  ai_assistant_type VARCHAR(20) NOT NULL,
  assistant_session_id VARCHAR(255),
  active BOOLEAN DEFAULT true,
  metadata JSONB DEFAULT '{{}}'::jsonb,
  parent_session_id UUID REFERENCES remote_agent_sessions(id),
  transition_reason TEXT,{ended_reason}
  started_at TIMESTAMP DEFAULT NOW(),
  ended_at TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_remote_agent_sessions_conversation
  ON remote_agent_sessions(conversation_id, active);
CREATE INDEX IF NOT EXISTS idx_remote_agent_sessions_codebase
  ON remote_agent_sessions(codebase_id);
CREATE INDEX IF NOT EXISTS idx_sessions_parent ON remote_agent_sessions(parent_session_id);
"""


def service_ddl(backend: str, *, ended_reason: bool = True) -> str:
    """The service's schema for `backend` ("sqlite" or "postgresql"), before or after 016."""
    if backend == "sqlite":
        return SQLITE.replace("{ended_reason}", ",\n  ended_reason TEXT" if ended_reason else "")
    col = "\n  ended_reason TEXT," if ended_reason else ""
    return POSTGRESQL.format(ended_reason=col)


def statements(ddl: str) -> list[str]:
    """Split DDL into single statements (asyncpg and sqlite3.execute take one at a time)."""
    return [part.strip() for part in ddl.split(";") if part.strip()]
