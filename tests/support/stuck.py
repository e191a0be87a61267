"""A service database (today's schema) holding every kind of stuck session, the healthy
cases that must never be flagged, and sessions in two kinds at once.

Rows are written the way the service writes them: its own clock (`NOW()`,
`datetime('now')`) minus an age, so `idle` (a day of quiet, the default `--stale-after`)
holds whatever the time zone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from tests.support.dbs import create_service_db
from tui.domain.stuck import StuckKind
from tui.store.store import make_engine
from tui.store.target import DbTarget

IDLE, ORPHANED, DUPLICATE, DRIFTED, GONE = (
    StuckKind.IDLE,
    StuckKind.ORPHANED,
    StuckKind.DUPLICATE,
    StuckKind.DRIFTED,
    StuckKind.CODEBASE_GONE,
)
HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Conv:
    codebase: str | None
    quiet: int
    """Seconds since the conversation's last activity."""
    deleted: bool = False


@dataclass(frozen=True)
class Sess:
    conv: str
    codebase: str | None
    age: int
    """Seconds since it started."""
    ended: bool = False
    kinds: tuple[StuckKind, ...] = ()
    """What the tool must find it in."""


CONVERSATIONS: dict[str, Conv] = {
    "healthy": Conv("A", 60),
    "deleted-ended": Conv("A", 60, deleted=True),
    "quiet": Conv("A", 3 * DAY),
    "deleted": Conv("A", 60, deleted=True),
    "two-active": Conv("A", 60),
    "moved": Conv("B", 60),
    "unbound": Conv(None, 60),
    "gone": Conv("A", 60),
    "deleted-moved": Conv("B", 60, deleted=True),
    "quiet-two": Conv("A", 3 * DAY),
}

SESSIONS: dict[str, Sess] = {
    # never flagged
    "healthy": Sess("healthy", "A", 120),
    "ended-on-deleted": Sess("deleted-ended", "A", 2 * DAY, ended=True),
    "ended-on-moved": Sess("moved", "A", 2 * DAY, ended=True),
    "newest-of-two": Sess("two-active", "A", HOUR),
    # one kind each
    "idle": Sess("quiet", "A", 4 * DAY, kinds=(IDLE,)),
    "orphaned": Sess("deleted", "A", HOUR, kinds=(ORPHANED,)),
    "duplicate": Sess("two-active", "A", 2 * HOUR, kinds=(DUPLICATE,)),
    "drifted": Sess("moved", "A", HOUR, kinds=(DRIFTED,)),
    "drifted-unbound": Sess("unbound", "A", HOUR, kinds=(DRIFTED,)),
    "codebase-gone": Sess("gone", None, HOUR, kinds=(GONE,)),
    # two kinds at once
    "orphaned-drifted": Sess("deleted-moved", "A", HOUR, kinds=(ORPHANED, DRIFTED)),
    "idle-duplicate": Sess("quiet-two", "A", 3 * DAY + HOUR, kinds=(IDLE, DUPLICATE)),
    "idle-newest": Sess("quiet-two", "A", 3 * DAY + 60, kinds=(IDLE,)),
}

COUNTS: dict[StuckKind, int] = {
    kind: sum(kind in s.kinds for s in SESSIONS.values()) for kind in StuckKind
}
"""What `Store.stuck_counts()` must say of the scene with no other filter."""


@dataclass(frozen=True)
class StuckScene:
    url: str
    target: DbTarget
    ids: dict[str, str]
    """Session name -> id."""

    def name_of(self, session_id: str) -> str:
        return {v: k for k, v in self.ids.items()}[session_id]

    def of_kind(self, kind: StuckKind) -> set[str]:
        return {self.ids[n] for n, s in SESSIONS.items() if kind in s.kinds}


def _ago(pg: bool, seconds: int) -> str:
    if pg:
        return f"NOW() - interval '{seconds} seconds'"
    return f"datetime('now', '-{seconds} seconds')"


def _new_id(pg: bool) -> str:
    return str(uuid.uuid4()) if pg else uuid.uuid4().hex


async def create_stuck_db(url: str, *, era: str = "v0.7", app_version: str = "0.9.0") -> StuckScene:
    """The scene above in a new service database of `era` (sessions of its trigger list)."""
    target = await create_service_db(url, era=era, app_version=app_version)
    pg = target.kind == "postgresql"
    true, false = ("true", "false") if pg else ("1", "0")
    codebases = {name: _new_id(pg) for name in ("A", "B")}
    convs = {name: _new_id(pg) for name in CONVERSATIONS}
    ids = {name: _new_id(pg) for name in SESSIONS}

    def cb(name: str | None) -> str:
        return "NULL" if name is None else f"'{codebases[name]}'"

    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            for name, cid in codebases.items():
                await conn.execute(
                    sa.text(
                        "INSERT INTO remote_agent_codebases (id, name, default_cwd)"
                        f" VALUES ('{cid}', 'repo-{name}', '/work/{name}')"
                    )
                )
            for name, conv in CONVERSATIONS.items():
                deleted = _ago(pg, 30) if conv.deleted else "NULL"
                await conn.execute(
                    sa.text(
                        "INSERT INTO remote_agent_conversations (id, platform_type,"
                        " platform_conversation_id, codebase_id, title, last_activity_at,"
                        " deleted_at)"
                        f" VALUES ('{convs[name]}', 'slack', 'C-{name}', {cb(conv.codebase)},"
                        f" 'conv {name}', {_ago(pg, conv.quiet)}, {deleted})"
                    )
                )
            for name, sess in SESSIONS.items():
                ended = _ago(pg, 60) if sess.ended else "NULL"
                reason = "'reset-requested'" if sess.ended else "NULL"
                await conn.execute(
                    sa.text(
                        "INSERT INTO remote_agent_sessions (id, conversation_id, codebase_id,"
                        " ai_assistant_type, active, started_at, ended_at, ended_reason)"
                        f" VALUES ('{ids[name]}', '{convs[sess.conv]}', {cb(sess.codebase)},"
                        f" 'claude', {false if sess.ended else true}, {_ago(pg, sess.age)},"
                        f" {ended}, {reason})"
                    )
                )
    finally:
        await engine.dispose()
    return StuckScene(url, target, ids)
