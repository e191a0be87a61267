"""A small service database with users, owned, deleted and hidden conversations and
workflow runs: what the owner column, the `user:` filter, the marks and the runs are
checked against, on either backend.

Built on the service's own schema for an era (`create_service_db`), rows written through
the tool's table definitions so each backend gets its own types; every time is from
`ANCHOR`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from tests.support.dbs import ANCHOR, create_service_db
from tui.store.store import make_engine
from tui.store.tables import conversations, sessions, users, workflow_runs
from tui.store.target import DbTarget


def _id(n: int, kind: int) -> str:
    """A fixed UUID per (kind, n), the same text on both backends; the first eight
    characters (the tables' short id) differ between rows of a kind."""
    return f"{kind:02x}{n:06x}-0000-4000-8000-{n:012x}"


ADA, BOB, NOBODY = _id(1, 0xA0), _id(2, 0xA0), _id(3, 0xA0)
USERS = [
    {"id": ADA, "display_name": "Ada Lovelace", "email": "ada@example.com", "role": "admin"},
    {"id": BOB, "display_name": None, "email": "Bob@Example.com", "role": "member"},
    {"id": NOBODY, "display_name": None, "email": None, "role": "member"},
]


@dataclass(frozen=True)
class Conv:
    key: str
    user: str | None
    deleted: bool = False
    hidden: bool = False
    active: bool = False


CONVERSATIONS = [
    Conv("ada", ADA),
    Conv("bob", BOB),
    Conv("nobody", NOBODY),
    Conv("unowned", None),
    Conv("ada-deleted", ADA, deleted=True, active=True),
    Conv("hidden", None, hidden=True),
    Conv("both", BOB, deleted=True, hidden=True),
]
SESSION = {c.key: _id(i, 0x5E) for i, c in enumerate(CONVERSATIONS, 1)}
"""The one session of each conversation, by the conversation's key."""
CONVERSATION = {c.key: _id(i, 0xC0) for i, c in enumerate(CONVERSATIONS, 1)}
TITLE = {c.key: f"talk {c.key}" for c in CONVERSATIONS}
OWNER = {
    "ada": "Ada Lovelace",
    "bob": "Bob@Example.com",
    "nobody": NOBODY,
    "unowned": None,
    "ada-deleted": "Ada Lovelace",
    "hidden": None,
    "both": "Bob@Example.com",
}
"""What the owner column says of each session: display name, else email, else user id."""
RUNS = 7
"""Workflow runs of the `ada` conversation: more than the detail lists."""


def run_name(i: int) -> str:
    return f"workflow-{i}"


async def create_owner_db(url: str, *, era: str = "v0.7", runs: bool = True) -> DbTarget:
    """The conversations above, each with one session (started an hour apart, `ada` the
    oldest); from v0.4 on, with their users. `runs=False` drops the workflow runs table."""
    target = await create_service_db(url, era=era)
    with_users = era not in ("pre-016", "016", "v0.2.13")
    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            if with_users:
                await conn.execute(sa.insert(users), USERS)
            for i, conv in enumerate(CONVERSATIONS):
                started = ANCHOR - timedelta(hours=len(CONVERSATIONS) - i)
                row = {
                    "id": CONVERSATION[conv.key],
                    "platform_type": "slack",
                    "platform_conversation_id": f"C{i}",
                    "title": TITLE[conv.key],
                    "deleted_at": started + timedelta(minutes=30) if conv.deleted else None,
                    "hidden": conv.hidden,
                    "last_activity_at": started,
                }
                if with_users:
                    row["user_id"] = conv.user
                await conn.execute(sa.insert(conversations), row)
                await conn.execute(
                    sa.insert(sessions),
                    {
                        "id": SESSION[conv.key],
                        "conversation_id": CONVERSATION[conv.key],
                        "ai_assistant_type": "claude",
                        "active": conv.active,
                        "started_at": started,
                        "ended_at": None if conv.active else started + timedelta(minutes=20),
                        "ended_reason": None if conv.active else "reset-requested",
                    },
                )
            ada_runs = [
                {
                    "id": _id(i, 0x70),
                    "conversation_id": CONVERSATION["ada"],
                    "workflow_name": run_name(i),
                    "status": "running" if i == RUNS else "completed",
                    "started_at": ANCHOR - timedelta(days=RUNS - i),
                    "last_activity_at": ANCHOR - timedelta(days=RUNS - i, minutes=-5),
                }
                for i in range(1, RUNS + 1)
            ]
            await conn.execute(sa.insert(workflow_runs), ada_runs)
            if not runs:
                for table in ("workflow_node_sessions", "workflow_events", "workflow_runs"):
                    await conn.execute(sa.text(f"DROP TABLE IF EXISTS remote_agent_{table}"))
    finally:
        await engine.dispose()
    return target
