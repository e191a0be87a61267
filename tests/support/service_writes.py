"""Writing to a service database the way the service does: on connections that set no
time zone (PostgreSQL through psql), with its own clock (`NOW()`, `datetime('now')`)."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support.pgserver import PgServer

NEW_YORK = "America/New_York"


@dataclass
class ServiceDb:
    """A service database and a way to write to it as the service does."""

    url: str
    pg: bool
    server: PgServer | None = None
    dbname: str = ""
    path: Path | None = None

    def run(self, sql: str) -> str:
        """`sql` on a connection that sets no time zone, as the service's are."""
        if self.server is not None:
            return self.server.psql(sql, self.dbname)
        assert self.path is not None
        conn = sqlite3.connect(self.path)
        try:
            rows = conn.execute(sql).fetchall()
            conn.commit()
        finally:
            conn.close()
        return "\n".join("|".join(str(v) for v in r) for r in rows)

    def new_id(self) -> str:
        return str(uuid.uuid4()) if self.pg else uuid.uuid4().hex

    def now_minus(self, seconds: int) -> str:
        """The service's clock, `seconds` ago, as it writes it."""
        if self.pg:
            return f"NOW() - interval '{seconds} seconds'"
        return f"datetime('now', '-{seconds} seconds')"

    def run_each(self, *sqls: str) -> None:
        """Each of `sqls` in order, on one connection that sets no time zone; each commits
        on its own, as the service's statements do."""
        if self.server is not None:
            self.server.psql(";\n".join(sqls), self.dbname)
            return
        assert self.path is not None
        conn = sqlite3.connect(self.path)
        try:
            for sql in sqls:
                conn.execute(sql)
                conn.commit()
        finally:
            conn.close()

    def session(self, started: str, *, ended: str | None = None, reason: str | None = None) -> str:
        """A session (and its conversation) inserted the service's way."""
        sid, sqls = self._session_sql(started, ended, reason)
        self.run_each(*sqls)
        return sid

    def sessions(self, count: int, started: str) -> list[str]:
        """`count` active sessions, each as `session(started)` inserts it, on one connection."""
        made = [self._session_sql(started, None, None) for _ in range(count)]
        self.run_each(*(sql for _, sqls in made for sql in sqls))
        return [sid for sid, _ in made]

    def _session_sql(
        self, started: str, ended: str | None, reason: str | None
    ) -> tuple[str, tuple[str, str]]:
        conv, sid = self.new_id(), self.new_id()
        active = "false" if ended else "true"
        if not self.pg:
            active = "0" if ended else "1"
        why = f"'{reason}'" if reason else "NULL"
        return sid, (
            "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
            f" VALUES ('{conv}', 'slack', 'C-{conv[:8]}')",
            "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type, active,"
            " started_at, ended_at, ended_reason)"
            f" VALUES ('{sid}', '{conv}', 'claude', {active}, {started}, {ended or 'NULL'}, {why})",
        )

    def service_end(self, sid: str, reason: str) -> None:
        """The service's own `deactivateSession`: no `AND active`."""
        now = "NOW()" if self.pg else "datetime('now')"
        self.run(
            f"UPDATE remote_agent_sessions SET active = {'false' if self.pg else '0'},"
            f" ended_at = {now}, ended_reason = '{reason}' WHERE id = '{sid}'"
        )

    def retention_delete(self, days: int) -> None:
        """The service's cleanup (`deleteOldSessions` in packages/core/src/db/sessions.ts,
        v0.9.0, run with SESSION_RETENTION_DAYS): every ended session older than `days`."""
        cutoff = (
            f"NOW() - ('{days}' || ' days')::INTERVAL"
            if self.pg
            else f"datetime('now', '-' || '{days}' || ' days')"
        )
        self.run(
            "DELETE FROM remote_agent_sessions WHERE active = false"
            f" AND ended_at IS NOT NULL AND ended_at < {cutoff}"
        )
