"""The service's own statement sequences, era by era, on the tables this tool reads.

Each operation below runs, in order, the statements the service runs for it at the tag
named (file:line@tag in the Archon repository; `016` is commit 99bbec9f79, the era the
tool calls 016). Only the clock differs: an operation `at` seconds ago spells the
service's clock then (`NOW() - interval`, `datetime('now', '-N seconds')`) where the
service writes `NOW()` or lets a column default to it. The service's writes to tables
this tool never reads (isolation environments, messages, workflow events) are left out;
the conversation's `isolation_env_id` is written as the service writes it.

- `new_conversation`: `getOrCreateConversation`, conversations.ts:84@016, :108@v0.2.13,
  :112@v0.6.0, :137@v0.9.0 (INSERT ... RETURNING *).
- `message`: `handleMessage`'s session steps. 016: orchestrator.ts:1080-1120@016 (the
  isolation is resolved first; a new one on a conversation with a codebase ends the
  active session with `isolation-changed`; `touchConversation`; `getActiveSession`; none:
  `transitionSession('first-message', {codebase_id: conversation.codebase_id})`, which
  is sessions.ts:96-116@016, a read, an UPDATE and an INSERT outside any transaction).
  v0.2.13 on: orchestrator-agent.ts:745-752@v0.2.13, :1446-1453@v0.6.0,
  :1545-1552@v0.9.0 (`touchConversation`, `getActiveSession`, none: `transitionSession`
  with no `codebase_id`: sessions.ts:103-157, one transaction).
- `set_project`: 016 `/repo` (command-handler.ts:843-862@016: the conversation's
  codebase and cwd, then the session ended `codebase-changed`); v0.6.0 on `/setproject`
  (orchestrator-agent.ts:2583-2601@v0.6.0, :2698-2716@v0.9.0: the session ended
  `project-changed`, then codebase, cwd NULL, isolation NULL). v0.2.13 had neither.
- `auto_attach`: a workflow run on a conversation without a project,
  orchestrator-agent.ts:1368@v0.2.13, :2728@v0.6.0, :2843@v0.9.0 (the conversation's
  codebase alone; the session is left as it is). 016: `/status` auto-link,
  command-handler.ts:351@016.
- `remove_project`: `deleteCodebase`, codebases.ts:107-119@016, :147-161@v0.2.13,
  :206-220@v0.6.0 and v0.9.0 (`/remove-project`: orchestrator-agent.ts:1264@v0.2.13,
  :2539@v0.6.0, :2654@v0.9.0): both tables' `codebase_id` set NULL, then the DELETE.
- `reset`: `/reset`, command-handler.ts:723@016, :1046@v0.2.13, :1181@v0.6.0,
  :1200@v0.9.0: `deactivateSession(id, 'reset-requested')`.
- `delete_conversation`: the delete-conversation API, `softDeleteConversation`,
  conversations.ts:223-226@016, :250-253@v0.2.13, :264-267@v0.6.0, :289-292@v0.9.0
  (`deleted_at`, `updated_at`; no session is ended).
- `racing_first_messages`: two service processes take a first message on one
  conversation at once (in one process, conversation-lock.ts orders messages per
  conversation). 016: both read no active session, both INSERT. v0.2.13 on, PostgreSQL:
  two transactions under READ COMMITTED, each reading no active session. v0.2.13 on,
  SQLite: transactions are serialised (sqlite.ts:97-113@v0.2.13: a second BEGIN on the
  one connection fails; sqlite.ts:23-30,106-130@v0.6.0: queued), so the second reads
  the first's session and ends it with its own trigger, `first-message`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

ERA_016, ERA_V0_2_13, ERA_V0_6_0 = "016", "v0.2.13", "v0.6.0"
SERVICE_ERAS = (ERA_016, ERA_V0_2_13, ERA_V0_6_0)
"""The stuck eras (the issue's): 016, v0.2.13 to v0.5.x, v0.6.0 on."""
SCHEMA_ERA = {ERA_016: "016", ERA_V0_2_13: "v0.4", ERA_V0_6_0: "v0.7"}
"""The test schema (`service_schema.ERAS`) each stuck era is built on."""
APP_VERSION = {ERA_016: "0.9.0", ERA_V0_2_13: "0.5.0", ERA_V0_6_0: "0.9.0"}


@dataclass
class Service:
    """One service of `era` writing to `engine`: the statements it runs, one at a time
    (each its own autocommit, as the service's pool runs them)."""

    engine: AsyncEngine
    era: str
    pg: bool
    ai: str = "claude"
    codebase_of: dict[str, str | None] = field(default_factory=dict)
    """The conversation's codebase, as the service holds it in memory after reading it."""

    def now(self, at: int) -> str:
        """The service's clock `at` seconds ago."""
        if self.pg:
            return "NOW()" if at == 0 else f"(NOW() - interval '{at} seconds')"
        return "datetime('now')" if at == 0 else f"datetime('now', '-{at} seconds')"

    async def _one(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        async with self.engine.begin() as conn:
            return await self._on(conn, sql, params)

    @staticmethod
    async def _on(conn: AsyncConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
        result = await conn.execute(sa.text(sql), params or {})
        return result.first() if result.returns_rows else None

    # -- the service's db functions ---------------------------------------------------

    async def register_project(self, name: str) -> str:
        row = await self._one(
            "INSERT INTO remote_agent_codebases (name, default_cwd) VALUES (:n, :cwd) RETURNING id",
            {"n": name, "cwd": f"/workspace/{name}"},
        )
        return str(row[0])

    async def new_conversation(
        self, platform_id: str, codebase: str | None = None, *, at: int = 0
    ) -> str:
        created = self.now(at)
        row = await self._one(
            "INSERT INTO remote_agent_conversations (platform_type,"
            " platform_conversation_id, ai_assistant_type, codebase_id, cwd,"
            " created_at, updated_at, last_activity_at)"
            f" VALUES ('slack', :p, :ai, :cb, NULL, {created}, {created}, {created})"
            " RETURNING id",
            {"p": platform_id, "ai": self.ai, "cb": codebase},
        )
        conv = str(row[0])
        self.codebase_of[conv] = codebase
        return conv

    async def active_session(self, conv: str) -> str | None:
        """`getActiveSession`: sessions.ts:18@016, :27 from v0.2.13 on."""
        row = await self._one(
            "SELECT id FROM remote_agent_sessions WHERE conversation_id = :c AND active = true"
            " LIMIT 1",
            {"c": conv},
        )
        return None if row is None else str(row[0])

    async def deactivate(self, sid: str, reason: str, *, at: int = 0) -> None:
        """`deactivateSession`: sessions.ts:62-65@016, :71-74 from v0.2.13 on."""
        await self._one(
            "UPDATE remote_agent_sessions SET active = false,"
            f" ended_at = {self.now(at)}, ended_reason = :r WHERE id = :i",
            {"r": reason, "i": sid},
        )

    async def update_conversation(self, conv: str, *, at: int = 0, **fields: Any) -> None:
        """`updateConversation`: the fields given, then `updated_at`."""
        sets = [f"{k} = :{k}" for k in fields] + [f"updated_at = {self.now(at)}"]
        await self._one(
            f"UPDATE remote_agent_conversations SET {', '.join(sets)} WHERE id = :id",
            {**fields, "id": conv},
        )
        if "codebase_id" in fields:
            self.codebase_of[conv] = fields["codebase_id"]

    async def touch(self, conv: str, *, at: int = 0) -> None:
        await self._one(
            f"UPDATE remote_agent_conversations SET last_activity_at = {self.now(at)}"
            " WHERE id = :c",
            {"c": conv},
        )

    async def _insert_session(
        self,
        conv: AsyncConnection | None,
        conversation: str,
        codebase: str | None,
        parent: str | None,
        reason: str,
        at: int,
    ) -> str:
        sql = (
            "INSERT INTO remote_agent_sessions (conversation_id, codebase_id,"
            " ai_assistant_type, assistant_session_id, parent_session_id, transition_reason,"
            " started_at)"
            f" VALUES (:c, :cb, :ai, NULL, :p, :r, {self.now(at)}) RETURNING id"
        )
        params = {"c": conversation, "cb": codebase, "ai": self.ai, "p": parent, "r": reason}
        row = await (self._one(sql, params) if conv is None else self._on(conv, sql, params))
        return str(row[0])

    async def transition(self, conversation: str, reason: str, *, at: int = 0) -> str:
        """`transitionSession`: outside a transaction in 016 (with the conversation's
        codebase), one transaction from v0.2.13 on (with none)."""
        if self.era == ERA_016:
            current = await self.active_session(conversation)
            if current is not None:
                await self.deactivate(current, reason, at=at)
            codebase = self.codebase_of.get(conversation)
            return await self._insert_session(None, conversation, codebase, current, reason, at)
        async with self.engine.begin() as tx:
            return await self._transition_in(tx, conversation, reason, at)

    async def _transition_in(
        self, tx: AsyncConnection, conversation: str, reason: str, at: int
    ) -> str:
        row = await self._on(
            tx,
            "SELECT id FROM remote_agent_sessions WHERE conversation_id = :c AND active = true"
            " LIMIT 1",
            {"c": conversation},
        )
        current = None if row is None else str(row[0])
        if current is not None:
            await self._on(
                tx,
                "UPDATE remote_agent_sessions SET active = false,"
                f" ended_at = {self.now(at)}, ended_reason = :r WHERE id = :i",
                {"r": reason, "i": current},
            )
        return await self._insert_session(tx, conversation, None, current, reason, at)

    # -- what an operator or a platform does -------------------------------------------

    async def message(self, conv: str, *, at: int = 0) -> str:
        """One message: the session it runs in (resumed or started)."""
        if self.era == ERA_016 and self.codebase_of.get(conv) is not None:
            # validateAndResolveIsolation (orchestrator.ts:138-185@016): a conversation
            # with a codebase and no isolation gets a new one, and a new isolation ends
            # the active session (orchestrator.ts:1087-1093@016).
            row = await self._one(
                "SELECT isolation_env_id FROM remote_agent_conversations WHERE id = :c",
                {"c": conv},
            )
            if row[0] is None:
                env = str(uuid.uuid4()) if self.pg else uuid.uuid4().hex  # its env row's id
                await self.update_conversation(
                    conv, at=at, isolation_env_id=env, cwd=f"/worktrees/{conv[:8]}"
                )
                if await self.active_session(conv) is not None:
                    await self.transition(conv, "isolation-changed", at=at)
        await self.touch(conv, at=at)
        current = await self.active_session(conv)
        if current is not None:
            return current
        return await self.transition(conv, "first-message", at=at)

    async def set_project(self, conv: str, codebase: str, *, at: int = 0) -> None:
        if self.era == ERA_016:
            await self.update_conversation(conv, at=at, codebase_id=codebase, cwd="/workspace/r")
            current = await self.active_session(conv)
            if current is not None:
                await self.deactivate(current, "codebase-changed", at=at)
            return
        if self.era != ERA_V0_6_0:
            raise ValueError(f"no project command on {self.era}")
        current = await self.active_session(conv)
        if current is not None:
            await self.deactivate(current, "project-changed", at=at)
        await self.update_conversation(
            conv, at=at, codebase_id=codebase, cwd=None, isolation_env_id=None
        )

    async def auto_attach(self, conv: str, codebase: str, *, at: int = 0) -> None:
        await self.update_conversation(conv, at=at, codebase_id=codebase)

    async def remove_project(self, codebase: str) -> None:
        await self._one(
            "UPDATE remote_agent_sessions SET codebase_id = NULL WHERE codebase_id = :i",
            {"i": codebase},
        )
        await self._one(
            "UPDATE remote_agent_conversations SET codebase_id = NULL WHERE codebase_id = :i",
            {"i": codebase},
        )
        await self._one("DELETE FROM remote_agent_codebases WHERE id = :i", {"i": codebase})
        for conv, cb in self.codebase_of.items():
            if cb == codebase:
                self.codebase_of[conv] = None

    async def reset(self, conv: str, *, at: int = 0) -> None:
        current = await self.active_session(conv)
        if current is not None:
            await self.deactivate(current, "reset-requested", at=at)

    async def delete_conversation(self, conv: str, *, at: int = 0) -> None:
        now = self.now(at)
        await self._one(
            f"UPDATE remote_agent_conversations SET deleted_at = {now}, updated_at = {now}"
            " WHERE id = :c",
            {"c": conv},
        )

    async def racing_first_messages(self, conv: str, *, at: int = 0) -> tuple[str, str]:
        """Two processes' first messages at once: (the first's session, the second's),
        the first's clock a second behind the second's."""
        later, at = at, at + 1
        await self.touch(conv, at=at)
        await self.touch(conv, at=at)
        if self.era == ERA_016:
            codebase = self.codebase_of.get(conv)
            assert await self.active_session(conv) is None
            assert await self.active_session(conv) is None
            first = await self._insert_session(None, conv, codebase, None, "first-message", at)
            second = await self._insert_session(None, conv, codebase, None, "first-message", later)
            return first, second
        if not self.pg:  # serialised: the second sees the first
            first = await self.transition(conv, "first-message", at=at)
            second = await self.transition(conv, "first-message", at=later)
            return first, second
        async with self.engine.connect() as a, self.engine.connect() as b:
            ta, tb = await a.begin(), await b.begin()
            for conn in (a, b):
                seen = await self._on(
                    conn,
                    "SELECT id FROM remote_agent_sessions WHERE conversation_id = :c"
                    " AND active = true LIMIT 1",
                    {"c": conv},
                )
                assert seen is None
            first = await self._insert_session(a, conv, None, None, "first-message", at)
            second = await self._insert_session(b, conv, None, None, "first-message", later)
            await ta.commit()
            await tb.commit()
        return first, second
