"""A realistic, deterministic demo database, written through the same tables as real data.

Same seed and anchor, same rows, every timestamp derived from the anchor and none after
it: screenshots and tests can rely on it. Caches of a demo file are keyed on this
module's source (`tui.settings.demo_key`), so a changed generator is never served an
old file. Rows are
generated lazily and inserted in chunks, so a million sessions never sit in memory.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from msgspec import Struct, field
from sqlalchemy.ext.asyncio import AsyncConnection

from tui.domain.triggers import BY_WIRE, Trigger
from tui.store.backends import backend_for
from tui.store.backends.base import Backend
from tui.store.catalog import service_zone
from tui.store.codec import zone_info
from tui.store.demo_runs import populate_runs
from tui.store.demo_size import DEMO_SEED, DEMO_SESSIONS
from tui.store.errors import StoreError
from tui.store.tables import CONVERSATIONS as CONVERSATIONS_TABLE
from tui.store.tables import USERS as USERS_TABLE
from tui.store.tables import codebases, conversations, sessions, users
from tui.store.target import DbTarget, sqlite_target

DEFAULT_SEED = DEMO_SEED
DEFAULT_SESSIONS = DEMO_SESSIONS
CHUNK = 5000

CODEBASES = [
    ("archon", "https://github.com/example/archon", "/srv/repos/archon"),
    ("web-dashboard", "https://github.com/example/web-dashboard", "/srv/repos/web-dashboard"),
    ("payments-api", "https://github.com/example/payments-api", "/srv/repos/payments-api"),
    ("infra", "https://github.com/example/infra", "/srv/repos/infra"),
    ("docs-site", "https://github.com/example/docs-site", "/srv/repos/docs-site"),
    ("mobile-app", "https://github.com/example/mobile-app", "/srv/repos/mobile-app"),
    ("data-pipeline", "https://github.com/example/data-pipeline", "/srv/repos/data-pipeline"),
    ("auth-service", "https://github.com/example/auth-service", "/srv/repos/auth-service"),
]
PLATFORMS = [("slack", 40), ("telegram", 20), ("github", 20), ("discord", 10), ("web", 10)]
ASSISTANTS = [("claude", 80), ("codex", 20)]
REASON_WEIGHTS = [
    (Trigger.RESET_REQUESTED.wire, 30),
    (Trigger.PLAN_TO_EXECUTE.wire, 20),
    (Trigger.CONVERSATION_CLOSED.wire, 14),
    (Trigger.CWD_CHANGED.wire, 8),
    (Trigger.CODEBASE_CHANGED.wire, 6),
    (Trigger.ISOLATION_CHANGED.wire, 5),
    (Trigger.CONTEXT_RESET.wire, 5),
    (Trigger.WORKTREE_REMOVED.wire, 4),
    (Trigger.CODEBASE_CLONED.wire, 3),
    (Trigger.REPO_REMOVED.wire, 2),
    ("session-expired", 1),
    ("model-switched", 1),
]
"""A realistic skew; the last two are values a newer service writes and this tool does not know."""
TOPICS = [
    "Fix flaky login test",
    "Add pagination to /orders",
    "Bump dependencies",
    "Investigate memory leak in worker",
    "Refactor billing webhooks",
    "Write migration for user settings",
    "Review PR #{n}",
    "Issue #{n}: crash on empty cart",
    "Deploy checklist for v{n}",
    "Explain the retry logic",
    "Speed up CI",
    "Port cron jobs to queue",
]
HOSTILE_TITLES = [
    "[bold red]not markup[/] title",
    "ESC \x1b[31mred\x1b[0m and a bell \x07",
    "line\nbreak and tab\tinside",
]
USERS = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Linus T", "linus@example.com"),
    ("Margaret Hamilton", "margaret@example.com"),
    (None, "ops-bot@example.com"),
    (None, "ken@example.com"),
    ("Barbara Liskov", None),
    (None, None),
]
"""The service's users (v0.4.0 on): display name and email, either may be missing."""
USER_WEIGHTS = [30, 20, 15, 10, 10, 5, 5, 5]
"""A skew, so one user's filter is common and another's rare."""
OWNED_FRACTION = 0.85
"""Conversations with a user; the rest came from platforms without sign-in."""
DELETED_FRACTION = 0.02
HIDDEN_FRACTION = 0.03
LEGACY_FRACTION = 0.12
ORPHANED_FRACTION = 0.10
"""Active sessions whose conversation the service soft-deleted (on top of the deleted
conversations drawn for every conversation, which rarely hold an active session)."""
DUPLICATE_FRACTION = 0.12
"""Active sessions whose previous session in the chain never ended: two active sessions
on one conversation."""
"""Oldest ended sessions predate the service's migration 016: their reason is NULL."""


class DemoSummary(Struct):
    path: str
    sessions: int = 0
    conversations: int = 0
    codebases: int = 0
    active: int = 0
    idle: int = 0
    legacy: int = 0
    unrecognised: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values = [v for v, _ in weighted]
    weights = [w for _, w in weighted]
    return rng.choices(values, weights)[0]


class DemoGenerator:
    """Yields codebase, conversation and session rows as plain dicts."""

    def __init__(
        self, n_sessions: int, seed: int = DEFAULT_SEED, anchor: datetime | None = None
    ) -> None:
        self.n = n_sessions
        self.rng = random.Random(seed)
        # Owners and deleted/hidden conversations draw from their own generator, so the
        # sessions are the same rows whether or not a database has users.
        self.side = random.Random(seed * 7919 + 1)
        # The stuck kinds draw from theirs, so every other row is as it was without them.
        self.stuck = random.Random(seed * 104729 + 3)
        self.user_ids = [
            str(uuid.UUID(int=self.side.getrandbits(128), version=4)).replace("-", "")
            for _ in USERS
        ]
        anchor = anchor or datetime.now(UTC)
        self.anchor = anchor.astimezone(UTC).replace(microsecond=0)
        span_days = 30 if n_sessions <= 5000 else 180
        self.start = self.anchor - timedelta(days=span_days)
        self.cutoff = self.start + (self.anchor - self.start) * LEGACY_FRACTION
        self.summary = DemoSummary(path="")

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4)).replace("-", "")

    def codebase_rows(self) -> list[dict[str, Any]]:
        self.codebase_ids = [self.new_id() for _ in CODEBASES]
        self.summary.codebases = len(CODEBASES)
        made = self.start - timedelta(days=1)  # registered before the first conversation
        return [
            {
                "id": cid,
                "name": name,
                "repository_url": url,
                "default_cwd": cwd,
                "created_at": made,
                "updated_at": made,
            }
            for cid, (name, url, cwd) in zip(self.codebase_ids, CODEBASES, strict=True)
        ]

    def user_rows(self) -> list[dict[str, Any]]:
        """The users, for a database that has the service's users table (v0.4.0 on)."""
        return [
            {"id": uid, "display_name": name, "email": email, "role": "member"}
            for uid, (name, email) in zip(self.user_ids, USERS, strict=True)
        ]

    def _side_facts(self, made: datetime) -> dict[str, Any]:
        """A conversation's owner, soft delete and hidden flag, from the side generator."""
        side = self.side
        owned = side.random() < OWNED_FRACTION
        user = side.choices(self.user_ids, USER_WEIGHTS)[0]
        deleted = side.random() < DELETED_FRACTION
        return {
            "user_id": user if owned else None,
            "deleted_at": made if deleted else None,
            "hidden": side.random() < HIDDEN_FRACTION,
        }

    def batches(self) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        """(conversations, sessions) chunks; every session's conversation comes in its chunk."""
        rng = self.rng
        convs: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        made = 0
        conv_no = 0
        span = (self.anchor - self.start).total_seconds()
        while made < self.n:
            conv_no += 1
            chain_len = min(self.n - made, max(1, int(rng.expovariate(1 / 4)) + 1))
            platform = _pick(rng, PLATFORMS)
            codebase = rng.randrange(len(CODEBASES)) if rng.random() < 0.9 else None
            cb_id = self.codebase_ids[codebase] if codebase is not None else None
            assistant = _pick(rng, ASSISTANTS)
            # Chains are spread evenly over the span so ids and times interleave realistically.
            t = self.start + timedelta(seconds=span * made / self.n + rng.random() * 600)
            t = min(t, self.anchor - timedelta(minutes=15))
            title = rng.choice(TOPICS).format(n=rng.randrange(10, 999))
            if conv_no % 97 == 0:
                title = HOSTILE_TITLES[(conv_no // 97) % len(HOSTILE_TITLES)]
            conv_id = self.new_id()
            conv: dict[str, Any] = {
                "id": conv_id,
                "platform_type": platform,
                "platform_conversation_id": f"{platform[:2].upper()}{rng.getrandbits(40):010x}",
                "codebase_id": cb_id,
                "cwd": CODEBASES[codebase][2] if codebase is not None else None,
                "title": title,
                "created_at": t,
                "last_activity_at": t,
            }
            parent: str | None = None
            transition = "first-message"
            for k in range(chain_len):
                sid = self.new_id()
                started = t
                duration = timedelta(minutes=rng.expovariate(1 / 45) + 1)
                # A session still running at the anchor is the chain's last, and active.
                running = started + duration >= self.anchor
                last = k == chain_len - 1 or running
                stays_open = last and (started + duration > self.anchor - timedelta(days=2))
                goes_idle = last and not stays_open and rng.random() < 0.03
                meta: dict[str, Any] = {
                    "model": "claude-sonnet-4" if assistant == "claude" else "gpt-5-codex",
                    "turns": rng.randrange(1, 60),
                }
                if rng.random() < 0.3:
                    meta["plan"] = {"steps": rng.randrange(2, 9), "approved": rng.random() < 0.7}
                row: dict[str, Any] = {
                    "id": sid,
                    "conversation_id": conv_id,
                    "codebase_id": cb_id,
                    "ai_assistant_type": assistant,
                    "assistant_session_id": f"as_{rng.getrandbits(48):012x}",
                    "metadata": json.dumps(meta),
                    "started_at": started,
                    "parent_session_id": parent,
                    "transition_reason": transition,
                }
                if stays_open or goes_idle:
                    row.update(active=True, ended_at=None, ended_reason=None)
                    self.summary.active += 1
                    if goes_idle:
                        self.summary.idle += 1
                    self._make_stuck(row, conv, rows[-1] if k else None)
                    # Never after the anchor: a session started minutes ago is quiet since.
                    conv["last_activity_at"] = min(
                        started + min(duration, timedelta(hours=2)), self.anchor
                    )
                else:
                    ended = min(started + duration, self.anchor - timedelta(minutes=1))
                    reason: str | None = _pick(rng, REASON_WEIGHTS)
                    if last and reason == Trigger.PLAN_TO_EXECUTE.wire:
                        reason = Trigger.CONVERSATION_CLOSED.wire
                    if ended < self.cutoff:
                        reason = None
                        self.summary.legacy += 1
                    elif reason not in BY_WIRE:
                        self.summary.unrecognised += 1
                    row.update(active=False, ended_at=ended, ended_reason=reason)
                    key = reason or "not-recorded"
                    self.summary.reasons[key] = self.summary.reasons.get(key, 0) + 1
                    conv["last_activity_at"] = ended
                    t = ended + timedelta(seconds=rng.randrange(5, 3600))
                    transition = reason or "reset-requested"
                rows.append(row)
                parent = sid
                if last or t >= self.anchor:
                    break
            conv["updated_at"] = conv["last_activity_at"]
            conv.update(self._side_facts(conv["last_activity_at"]))
            if conv.pop("_orphaned", False):
                conv["deleted_at"] = conv["last_activity_at"]
            convs.append(conv)
            made += k + 1
            self.summary.conversations += 1
            if len(rows) >= CHUNK:
                yield convs, rows
                convs, rows = [], []
        self.summary.sessions = made
        if rows:
            yield convs, rows

    def _make_stuck(
        self, row: dict[str, Any], conv: dict[str, Any], previous: dict[str, Any] | None
    ) -> None:
        """Leave an active session stuck the ways the service does, now and then: its
        conversation soft-deleted, or the session before it in the chain never ended
        (idle comes from the quiet sessions)."""
        pick, twice = self.stuck.random(), self.stuck.random()  # two draws, always
        if pick > 1 - ORPHANED_FRACTION:
            conv["_orphaned"] = True  # deleted once its side facts are drawn
        if previous is not None and twice < DUPLICATE_FRACTION:
            self._unaccount(previous)
            previous.update(active=True, ended_at=None, ended_reason=None)
            self.summary.active += 1

    def _unaccount(self, row: dict[str, Any]) -> None:
        """Take an ended row out of the summary's counts (it stays active after all)."""
        reason = row["ended_reason"]
        key = reason or "not-recorded"
        self.summary.reasons[key] -= 1
        if reason is None:
            self.summary.legacy -= 1
        elif reason not in BY_WIRE:
            self.summary.unrecognised -= 1


ZONELESS = {
    "codebases": ("created_at", "updated_at"),
    "conversations": ("created_at", "updated_at"),
    "sessions": ("started_at", "ended_at"),
}
"""The demo's columns the service writes with `NOW()` into a zone-less TIMESTAMP."""


SERVICE_INDEXES = (
    sa.Index(
        "idx_conversations_platform",
        conversations.c.platform_type,
        conversations.c.platform_conversation_id,
    ),
    sa.Index("idx_conversations_codebase", conversations.c.codebase_id),
    sa.Index("idx_sessions_conversation", sessions.c.conversation_id),
    sa.Index("idx_sessions_active", sessions.c.active),
    sa.Index("idx_sessions_codebase", sessions.c.codebase_id),
)
"""The indexes the service creates on the tables the demo has (its SQLite schema, v0.9):
a demo is a database as the service would leave it, then migrated by this tool, so the
tool's reads are timed and planned against what an operator's database has."""


def _service_indexes(sync_conn: sa.Connection) -> None:
    for index in SERVICE_INDEXES:
        index.create(sync_conn, checkfirst=True)


def _has_users(sync_conn: sa.Connection) -> bool:
    insp = sa.inspect(sync_conn)
    if not insp.has_table(USERS_TABLE):
        return False
    return any(c["name"] == "user_id" for c in insp.get_columns(CONVERSATIONS_TABLE))


async def populate(conn: AsyncConnection, gen: DemoGenerator) -> DemoSummary:
    """Insert the generator's rows through the shared table definitions: their zone-less
    times as the service would have written them (in its zone, `catalog.service_zone`),
    users and owners only where the schema has them (the service's v0.4.0 on; not this
    tool's demo, whose migrations create only the tables the service had at 016)."""
    backend = backend_for(conn.dialect.name)
    zone = zone_info(await conn.run_sync(lambda c: service_zone(backend, c)))
    with_users = await conn.run_sync(_has_users)

    def rows_of(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _as_bound(backend, _wall_clock(rows, ZONELESS[table], zone))

    await conn.execute(sa.insert(codebases), rows_of("codebases", gen.codebase_rows()))
    if with_users:
        await conn.execute(sa.insert(users), _as_bound(backend, gen.user_rows()))
    for convs, rows in gen.batches():
        if not with_users:
            for conv in convs:
                del conv["user_id"]
        await conn.execute(sa.insert(conversations), rows_of("conversations", convs))
        await conn.execute(sa.insert(sessions), rows_of("sessions", rows))
    return gen.summary


_ID_COLUMNS = ("id", "conversation_id", "codebase_id", "parent_session_id", "user_id")


def _as_bound(backend: Backend, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Demo rows (hex ids, JSON text) in the form the backend's columns take: ids as UUID
    text where ids are UUIDs, metadata as the object where JSON is not bound as text."""
    traits = backend.traits
    if not traits.uuid_ids and traits.json_text:
        return rows
    out = []
    for row in rows:
        fixed = dict(row)
        if traits.uuid_ids:
            for key in _ID_COLUMNS:
                if fixed.get(key):
                    fixed[key] = str(uuid.UUID(fixed[key]))
        if not traits.json_text and "metadata" in fixed:
            fixed["metadata"] = json.loads(fixed["metadata"])
        out.append(fixed)
    return out


def _wall_clock(
    rows: list[dict[str, Any]], columns: tuple[str, ...], zone: tzinfo | None
) -> list[dict[str, Any]]:
    """`columns` of each row as zone-less wall-clock times in `zone`; as they are when
    there is no zone (UTC text)."""
    if zone is None:
        return rows
    out = []
    for row in rows:
        fixed = dict(row)
        for key in columns:
            value = fixed.get(key)
            if isinstance(value, datetime) and value.tzinfo is not None:
                fixed[key] = value.astimezone(zone).replace(tzinfo=None)
        out.append(fixed)
    return out


async def write_demo(
    target: DbTarget,
    *,
    n_sessions: int = DEFAULT_SESSIONS,
    seed: int = DEFAULT_SEED,
    anchor: datetime | None = None,
    runs: bool = True,
) -> DemoSummary:
    """Migrate the target to this tool's schema, fill it with demo rows and add the
    service's own indexes (`SERVICE_INDEXES`); with `runs`, the service's workflow runs
    tables too, in their v0.9 shape (`demo_runs`)."""
    from tui.store.migrate import upgrade
    from tui.store.store import make_engine

    await upgrade(target, create=True)
    engine = make_engine(target, create=True)
    try:
        async with engine.connect() as conn:
            bulk = backend_for(target.kind).traits.bulk_load_sql
            if bulk:  # outside SQLAlchemy's transaction: some settings cannot change in one
                raw: Any = (await conn.get_raw_connection()).driver_connection
                for statement in bulk:
                    await raw.execute(statement)
            async with conn.begin():
                gen = DemoGenerator(n_sessions, seed, anchor)
                summary = await populate(conn, gen)
                if runs:
                    await populate_runs(conn, seed, gen.anchor)
            async with conn.begin():
                await conn.run_sync(_service_indexes)
    finally:
        await engine.dispose()
    summary.path = target.display()
    return summary


async def write_demo_db(
    path: Path,
    *,
    n_sessions: int = DEFAULT_SESSIONS,
    seed: int = DEFAULT_SEED,
    anchor: datetime | None = None,
    force: bool = False,
    runs: bool = True,
) -> DemoSummary:
    """Build a demo SQLite file atomically: a half-written demo never appears at `path`."""
    path = path.expanduser().resolve()
    if path.exists() and not force:
        raise StoreError(f"{path} already exists; pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
        leftover.unlink(missing_ok=True)
    try:
        summary = await write_demo(
            sqlite_target(tmp), n_sessions=n_sessions, seed=seed, anchor=anchor, runs=runs
        )
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
    summary.path = str(path)
    return summary
