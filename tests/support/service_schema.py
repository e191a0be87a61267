"""The service's own schema for the tables this tool reads, era by era.

These are *not* this project's migrations: they stand for a database the service
created and kept applying its schema to, so tests can prove the tool opens, reads and
migrates what it did not create. The service applies its schema additively on every
connect, so each era is the one before plus what that release added:

- `pre-016`: sessions without `ended_reason`;
- `016` (2026-02-16, main): `ended_reason`;
- `v0.2.13` (2026-04-07): `remote_agent_codebase_env_vars` (added 2026-04-02);
- `v0.4` (2026-05-28): `remote_agent_users`, `remote_agent_conversations.user_id`;
- `v0.6` (2026-07-20): `remote_agent_codebases.kind`;
- `v0.7` (2026-08-02): `remote_agent_schema_version`, one row;
- `v0.8` (2026-08-06, through today's v0.9): the runs' `output_root`, the events'
  `event_order`.

`remote_agent_workflow_runs` and `remote_agent_workflow_events` predate 016 and are in
every era; the runs gained `working_path` (v0.2.13, migration 019), `user_id` (v0.4),
`parent_run_id` (v0.7) and `output_root` (v0.8); PostgreSQL's status default was
`running` (migration 008) until v0.2.13 (018_fix_workflow_status_default.sql);
`remote_agent_workflow_node_sessions` came with v0.6 (migration 022). `RUNS_OUTCOME`
adds the runs' `outcome`, which only main after v0.9.0 has (6594996d3, 2026-08-20).
See `tui.domain.runs` for the sources.
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


ERAS = ("pre-016", "016", "v0.2.13", "v0.4", "v0.6", "v0.7", "v0.8")
"""Oldest first; each era's schema is the previous one's plus its additions."""

_ADDED: dict[str, dict[str, str]] = {
    "016": {"sqlite": "", "postgresql": ""},
    "v0.2.13": {
        "sqlite": """
ALTER TABLE remote_agent_workflow_runs ADD COLUMN working_path TEXT;
CREATE TABLE IF NOT EXISTS remote_agent_codebase_env_vars (
  id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  codebase_id TEXT NOT NULL REFERENCES remote_agent_codebases(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  UNIQUE(codebase_id, key)
);
""",
        "postgresql": """
ALTER TABLE remote_agent_workflow_runs ALTER COLUMN status SET DEFAULT 'pending';
ALTER TABLE remote_agent_workflow_runs ADD COLUMN IF NOT EXISTS working_path TEXT;
CREATE TABLE IF NOT EXISTS remote_agent_codebase_env_vars (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  codebase_id UUID NOT NULL REFERENCES remote_agent_codebases(id) ON DELETE CASCADE,
  key VARCHAR(255) NOT NULL,
  value TEXT NOT NULL,
  UNIQUE(codebase_id, key)
);
""",
    },
    "v0.4": {
        "sqlite": """
CREATE TABLE IF NOT EXISTS remote_agent_users (
  id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  display_name TEXT,
  email TEXT,
  role TEXT NOT NULL DEFAULT 'admin',
  created_at TEXT DEFAULT (datetime('now')),
  updated_at TEXT DEFAULT (datetime('now'))
);
ALTER TABLE remote_agent_conversations
  ADD COLUMN user_id TEXT REFERENCES remote_agent_users(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS idx_conversations_user_id
  ON remote_agent_conversations(user_id) WHERE user_id IS NOT NULL;
ALTER TABLE remote_agent_workflow_runs
  ADD COLUMN user_id TEXT REFERENCES remote_agent_users(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS idx_workflow_runs_user_id
  ON remote_agent_workflow_runs(user_id) WHERE user_id IS NOT NULL;
""",
        "postgresql": """
CREATE TABLE IF NOT EXISTS remote_agent_users (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  display_name VARCHAR(255),
  email VARCHAR(255),
  role VARCHAR(16) NOT NULL DEFAULT 'admin',
  created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
ALTER TABLE remote_agent_conversations
  ADD COLUMN IF NOT EXISTS user_id UUID REFERENCES remote_agent_users(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS idx_conversations_user_id
  ON remote_agent_conversations(user_id) WHERE user_id IS NOT NULL;
ALTER TABLE remote_agent_workflow_runs
  ADD COLUMN IF NOT EXISTS user_id UUID REFERENCES remote_agent_users(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS idx_workflow_runs_user_id
  ON remote_agent_workflow_runs(user_id) WHERE user_id IS NOT NULL;
""",
    },
    "v0.6": {
        "sqlite": """
CREATE TABLE IF NOT EXISTS remote_agent_workflow_node_sessions (
  workflow_name TEXT NOT NULL,
  node_id TEXT NOT NULL,
  scope_key TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_session_id TEXT NOT NULL,
  last_run_id TEXT REFERENCES remote_agent_workflow_runs(id) ON DELETE SET NULL,
  created_at TEXT DEFAULT (datetime('now')),
  updated_at TEXT DEFAULT (datetime('now')),
  PRIMARY KEY (workflow_name, node_id, scope_key, provider)
);
ALTER TABLE remote_agent_codebases ADD COLUMN kind TEXT NOT NULL DEFAULT 'repo'
  CHECK (kind IN ('repo', 'folder'));
""",
        "postgresql": """
CREATE TABLE IF NOT EXISTS remote_agent_workflow_node_sessions (
  workflow_name VARCHAR(255) NOT NULL,
  node_id VARCHAR(255) NOT NULL,
  scope_key TEXT NOT NULL,
  provider VARCHAR(50) NOT NULL,
  provider_session_id TEXT NOT NULL,
  last_run_id UUID REFERENCES remote_agent_workflow_runs(id) ON DELETE SET NULL,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  PRIMARY KEY (workflow_name, node_id, scope_key, provider)
);
ALTER TABLE remote_agent_codebases ADD COLUMN IF NOT EXISTS kind VARCHAR(10) NOT NULL
  DEFAULT 'repo' CHECK (kind IN ('repo', 'folder'));
""",
    },
    "v0.7": {
        "sqlite": """
ALTER TABLE remote_agent_workflow_runs
  ADD COLUMN parent_run_id TEXT REFERENCES remote_agent_workflow_runs(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS idx_workflow_runs_parent_run
  ON remote_agent_workflow_runs(parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS remote_agent_schema_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  created_app_version TEXT,
  app_version TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (datetime('now')),
  applied_at TEXT NOT NULL DEFAULT (datetime('now'))
);
""",
        "postgresql": """
ALTER TABLE remote_agent_workflow_runs
  ADD COLUMN IF NOT EXISTS parent_run_id UUID
    REFERENCES remote_agent_workflow_runs(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS idx_workflow_runs_parent_run
  ON remote_agent_workflow_runs(parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS remote_agent_schema_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  created_app_version VARCHAR(64),
  app_version VARCHAR(64) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);
""",
    },
    "v0.8": {
        "sqlite": """
ALTER TABLE remote_agent_workflow_runs ADD COLUMN output_root TEXT;
ALTER TABLE remote_agent_workflow_events ADD COLUMN event_order INTEGER;
CREATE UNIQUE INDEX IF NOT EXISTS idx_workflow_events_run_order
  ON remote_agent_workflow_events(workflow_run_id, event_order) WHERE event_order IS NOT NULL;
""",
        "postgresql": """
ALTER TABLE remote_agent_workflow_runs ADD COLUMN IF NOT EXISTS output_root TEXT;
ALTER TABLE remote_agent_workflow_events ADD COLUMN IF NOT EXISTS event_order BIGINT;
CREATE SEQUENCE IF NOT EXISTS remote_agent_workflow_events_event_order_seq
  OWNED BY remote_agent_workflow_events.event_order;
ALTER TABLE remote_agent_workflow_events
  ALTER COLUMN event_order SET DEFAULT nextval('remote_agent_workflow_events_event_order_seq');
""",
    },
}

RUNS_OUTCOME = {
    "sqlite": """
ALTER TABLE remote_agent_workflow_runs
  ADD COLUMN outcome TEXT CHECK (outcome IN ('succeeded', 'failed'));
""",
    "postgresql": """
ALTER TABLE remote_agent_workflow_runs
  ADD COLUMN IF NOT EXISTS outcome VARCHAR(20) CHECK (outcome IN ('succeeded', 'failed'));
""",
}
"""What main after v0.9.0 adds (6594996d3): the runs' `outcome`, in no tagged release."""

WORKFLOW_RUNS = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS remote_agent_workflow_runs (
  id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  workflow_name TEXT NOT NULL,
  conversation_id TEXT REFERENCES remote_agent_conversations(id) ON DELETE CASCADE,
  codebase_id TEXT REFERENCES remote_agent_codebases(id) ON DELETE SET NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  user_message TEXT NOT NULL DEFAULT '',
  current_step_index INTEGER,
  metadata TEXT DEFAULT '{}',
  parent_conversation_id TEXT REFERENCES remote_agent_conversations(id) ON DELETE SET NULL,
  started_at TEXT DEFAULT (datetime('now')),
  completed_at TEXT,
  last_activity_at TEXT DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_conversation
  ON remote_agent_workflow_runs(conversation_id);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_status ON remote_agent_workflow_runs(status);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_last_activity
  ON remote_agent_workflow_runs(last_activity_at) WHERE status = 'running';
CREATE TABLE IF NOT EXISTS remote_agent_workflow_events (
  id TEXT PRIMARY KEY DEFAULT (lower(hex(randomblob(16)))),
  workflow_run_id TEXT NOT NULL REFERENCES remote_agent_workflow_runs(id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  step_index INTEGER,
  step_name TEXT,
  data TEXT DEFAULT '{}',
  created_at TEXT DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS idx_workflow_events_run_id
  ON remote_agent_workflow_events(workflow_run_id);
""",
    "postgresql": """
CREATE TABLE IF NOT EXISTS remote_agent_workflow_runs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_name VARCHAR(255) NOT NULL,
  conversation_id UUID REFERENCES remote_agent_conversations(id) ON DELETE CASCADE,
  codebase_id UUID REFERENCES remote_agent_codebases(id) ON DELETE SET NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'running',
  user_message TEXT NOT NULL DEFAULT '',
  current_step_index INTEGER,
  metadata JSONB DEFAULT '{}',
  parent_conversation_id UUID REFERENCES remote_agent_conversations(id) ON DELETE SET NULL,
  started_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  completed_at TIMESTAMP WITH TIME ZONE,
  last_activity_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_conversation
  ON remote_agent_workflow_runs(conversation_id);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_status ON remote_agent_workflow_runs(status);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_last_activity
  ON remote_agent_workflow_runs(last_activity_at) WHERE status = 'running';
CREATE TABLE IF NOT EXISTS remote_agent_workflow_events (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_run_id UUID NOT NULL REFERENCES remote_agent_workflow_runs(id) ON DELETE CASCADE,
  event_type VARCHAR(50) NOT NULL,
  step_index INTEGER,
  step_name VARCHAR(255),
  data JSONB DEFAULT '{}',
  created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_workflow_events_run_id
  ON remote_agent_workflow_events(workflow_run_id);
""",
}


def service_ddl(backend: str, *, ended_reason: bool = True, era: str | None = None) -> str:
    """The service's schema for `backend` ("sqlite" or "postgresql") as of `era` (see
    ERAS); `ended_reason=False` alone is the `pre-016` era, and the default is `016`.

    The `v0.7` era creates `remote_agent_schema_version` empty: the service writes its
    row on connect, `schema_version_row` stands for that write.
    """
    era = era or ("016" if ended_reason else "pre-016")
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}; one of {', '.join(ERAS)}")
    with_reason = era != "pre-016"
    if backend == "sqlite":
        base = SQLITE.replace("{ended_reason}", ",\n  ended_reason TEXT" if with_reason else "")
    else:
        base = POSTGRESQL.format(ended_reason="\n  ended_reason TEXT," if with_reason else "")
    parts = [base, WORKFLOW_RUNS[backend]]
    for name in ERAS[2 : ERAS.index(era) + 1]:
        parts.append(_ADDED[name][backend])
    return "\n".join(parts)


def schema_version_row(app_version: str, created_app_version: str | None = None) -> str:
    """The row a v0.7+ service writes on connect: which build last applied the schema, and
    which created the database (NULL when it predates the table)."""
    created = "NULL" if created_app_version is None else f"'{created_app_version}'"
    return (
        "INSERT INTO remote_agent_schema_version (id, created_app_version, app_version) "
        f"VALUES (1, {created}, '{app_version}')"
    )


def statements(ddl: str) -> list[str]:
    """Split DDL into single statements (asyncpg and sqlite3.execute take one at a time)."""
    return [part.strip() for part in ddl.split(";") if part.strip()]
