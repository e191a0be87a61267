"""The store's plumbing: its state, read transactions, the questions it answers without
reading (`can_end`, `vocabulary`), and the rows it decodes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tui.domain.models import (
    AlreadyEnded,
    ChainHop,
    OddActive,
    SessionRow,
    Status,
)
from tui.domain.stuck import StuckKind, not_detectable
from tui.domain.timefmt import utcnow
from tui.domain.triggers import Detection, Vocabulary, detect_era
from tui.domain.wording import END_SESSIONS, Refusal, standby_refusal
from tui.store import delta, limits
from tui.store import queries as q
from tui.store.backends import backend_for, driver_for
from tui.store.backends.reader import Plan
from tui.store.codec import (
    active_state,
    session_row,
    text_value,
    zone_info,
)
from tui.store.errors import (
    FileMoved,
    SchemaTooOld,
    StoreError,
    unreadable,
)
from tui.store.hot import Statements
from tui.store.store_schema import RUN_COLUMNS, SchemaInfo
from tui.store.tables import (
    ACTIVE_INDEX,
    CONVERSATIONS,
    SERVICE_CONVERSATION_INDEXES,
    TOOL_INDEXES,
    USERS,
    WORKFLOW_RUNS,
    sessions,
)
from tui.store.target import DbTarget

PAGE_SIZE = 100
DEFAULT_STALE_AFTER = timedelta(hours=24)
"""When an active session is `idle` unless told otherwise (`--stale-after`)."""
STANDBY_REASON = standby_refusal(END_SESSIONS)
"""Why a standby cannot end sessions, and where the operator can."""
READ_ONLY_REASON = "opened read-only (--read-only)"


T = TypeVar("T")


def _row(r: Row[Any], d: q.Dialect) -> SessionRow:
    """A read row with every kind it is in, `idle` judged now (the dialect's clock)."""
    return session_row(r._mapping).with_idle(d.clock(), d.stale_after)


def _hop(r: Row[Any]) -> ChainHop:
    m = r._mapping
    state, odd = active_state(m["active"])
    return ChainHop(
        id=m["id"],
        active=bool(state),
        active_value=odd,
        started_at=m["started_at"],
        ended_at=m["ended_at"],
        transition_reason=m["transition_reason"],
        ended_reason=m["ended_reason"],
        parent_session_id=m["parent_session_id"],
    )


def _plain(value: Any, zone: tzinfo | None = None) -> Any:
    """Make a raw column value printable/JSON-able without losing it.

    A zone-less timestamp (the service's `TIMESTAMP DEFAULT NOW()` columns) was written
    in `zone`, the service's: it is shown in UTC, like every other time."""
    value = text_value(value)
    if isinstance(value, datetime):
        if value.tzinfo is None and zone is not None:
            value = value.replace(tzinfo=zone)
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat(sep=" ")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _unwritten(sid: str, r: Mapping[Any, Any]) -> AlreadyEnded | OddActive:
    """A row the compare-and-set left alone, as the database holds it: ended before
    (with its time and reason, never overwritten), or with an odd `active`
    (`codec.active_state`: stored as given, never ended), said for what it is."""
    state, odd = active_state(r["active"])
    if state is None:
        return OddActive(sid, odd or "")
    return AlreadyEnded(sid, r["ended_at"], r["ended_reason"])


class StoreBase:
    """The store's state and plumbing (`Store` is the class to use)."""

    def __init__(
        self,
        target: DbTarget,
        engine: AsyncEngine,
        schema: SchemaInfo,
        read_only: bool,
        *,
        standby: bool = False,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        clock: Callable[[], datetime] = utcnow,
        identity: tuple[int, int] | None = None,
        read_only_why: str | Refusal | None = None,
        timeout: tuple[str, str, str, str] | None = None,
        vocabulary: Vocabulary | None = None,
        statement_timeout_ms: int | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        """The statement timeout in force and where it was set (`ServerFacts.timeout`),
        for the message of a query it cancels; None where there is none."""
        self.read_only_why = read_only_why or READ_ONLY_REASON
        """What `can_end` and `can_cancel_runs` say when read-only: the flag, or how this
        tool was started (a served dashboard names `serve --write --actor` and the write
        refused: `read_only_refusal`)."""
        self.identity = identity
        """What the path named when the store opened (`Backend.file_identity`): the file
        every pooled connection holds. None: no file (a server)."""
        self.engine = engine
        self.schema = schema
        self.read_only = read_only
        self.standby = standby
        """The server is a read-only replica of another (a PostgreSQL hot standby), as
        found at open: every read works, no write is ever attempted (`can_end`)."""
        self.detection: Detection = detect_era(schema.markers)
        """The service version this database is from, and how the tool knows (`info`)."""
        self._vocabulary = vocabulary or self.detection.vocabulary
        undetectable = {
            kind: why
            for kind in StuckKind
            if (
                why := not_detectable(
                    kind,
                    self.detection.era,
                    sqlite=target.kind == "sqlite",
                    soft_delete=schema.has(CONVERSATIONS, "deleted_at"),
                )
            )
            is not None
        }
        self.undetectable: dict[StuckKind, str] = undetectable
        """The kinds this service version's writes cannot produce, each with why: not
        computed (`stuck_counts` gives None, no row is in one)."""
        self.d = q.Dialect(
            backend_for(target.kind),
            schema.has_ended_reason,
            zone=schema.zone or "UTC",
            has_owner=schema.has(USERS, "display_name")
            and schema.has(USERS, "email")
            and schema.has(CONVERSATIONS, "user_id"),
            has_deleted=schema.has(CONVERSATIONS, "deleted_at"),
            has_hidden=schema.has(CONVERSATIONS, "hidden"),
            has_conversation_codebase=schema.has(CONVERSATIONS, "codebase_id"),
            has_active_index=ACTIVE_INDEX in schema.session_indexes,
            undetectable=frozenset(undetectable),
            has_conversation_index=bool(SERVICE_CONVERSATION_INDEXES & schema.session_indexes),
            stale_after=stale_after,
            clock=clock,
        )
        self._zone = zone_info(schema.zone)
        self.recount_after = limits.FULL_RECOUNT_SECONDS
        self._settled: dict[Status, delta.Settled] = {}
        self._reading: set[int] = set()
        """The server ids of the engine's connections reading now (`cancel_reads`)."""
        self.reader = driver_for(target.kind).reader(
            target,
            read_only=read_only,
            lock_wait_ms=limits.SQLITE_BUSY_TIMEOUT_MS,
            statement_timeout_ms=statement_timeout_ms,
        )
        """The hot reads' own connections on the bare driver (`_hot`)."""
        self.sql = Statements(self.d.backend.traits.driver_dialect)
        """The hot reads' statements, compiled once per shape for that driver."""

    def _error(self, exc: BaseException) -> StoreError:
        return self.target.error(exc, timeout=self.timeout)

    @asynccontextmanager
    async def _read(self, *, snapshot: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read transaction; `snapshot` makes every statement in it see the same data."""
        try:
            async with self.engine.connect() as conn:
                reader = await self.d.backend.reader_id(conn)
                if reader is not None:
                    self._reading.add(reader)
                try:
                    options = self.d.backend.traits.snapshot_options
                    if snapshot and options:
                        await conn.execution_options(**options)
                    yield conn
                finally:
                    self._reading.discard(reader)  # type: ignore[arg-type]
        except StoreError:
            raise
        except Exception as exc:
            raise self._error(exc) from None

    async def _hot(
        self,
        plan: Callable[[], Plan[T]],
        *,
        setup: Sequence[str] = (),
        snapshot: bool = False,
        short: bool = False,
    ) -> T:
        """A hot read (`backends.reader`): the plan's statements on the bare driver, in
        one read transaction, its errors worded as the engine's are. `short`: a keyset
        page or a refresh's delta, which the reader may run without a thread hop."""
        self.sql.noted(setup)
        try:
            return await self.reader.run(plan, setup=setup, snapshot=snapshot, short=short)
        except StoreError:
            raise
        except Exception as exc:
            raise self._error(exc) from None

    async def cancel_reads(self) -> int:
        """Stop the reads running now on the server (PostgreSQL), e.g. queued behind a
        lock: each fails with QueryCancelled. Writes are never cancelled. How many were."""
        readers = sorted(self._reading | self.reader.reading)
        cancel = self.d.backend.traits.cancel_sql
        if not readers or cancel is None:
            return 0
        try:
            async with self.engine.connect() as conn:
                result = await conn.execute(sa.text(cancel), {"ids": readers})
                return int(result.scalar_one())
        except Exception as exc:
            raise self._error(exc) from None

    @property
    def vocabulary(self) -> Vocabulary:
        """The triggers in force for the service version that made this database: the
        reason panel, the end picker, the palette and `end --reason` all take it from here.
        The detected era's, unless the store was opened with another (`open_store`)."""
        return self._vocabulary

    @property
    def can_end(self) -> str | None:
        """None when ending is allowed; otherwise the reason it is not, for the UI to show.

        A standby comes first: it refuses writes whatever this tool was told, and the
        operator's fix is another server, not another flag."""
        if self.standby:
            return STANDBY_REASON
        if self.read_only:
            return self.read_only_refusal(END_SESSIONS)
        if not self.schema.has_ended_reason:
            return str(SchemaTooOld())
        return None

    def read_only_refusal(self, action: str) -> str:
        """Why a read-only store refuses `action` (`wording.END_SESSIONS`, …): the reason
        it was opened with, said for that action where it is a `Refusal`."""
        why = self.read_only_why
        return why if isinstance(why, str) else why(action)

    @property
    def audit_kept(self) -> bool:
        """Whether an end writes its audit rows: the table exists and this role may
        write it, and it has the shape an end writes (`SchemaInfo.audit_problem`).
        Without, ending works and says so (`wording.no_audit_note`)."""
        return self.schema.audit_writable and self.schema.audit_problem is None

    @property
    def _delta_indexed(self) -> bool:
        """Without these, each of the live statement's branches scans the table: eight
        scans cost more than the one of a full count."""
        return q.LIVE_INDEXES.issubset(self.schema.session_indexes)

    @property
    def missing_indexes(self) -> tuple[str, ...]:
        """The tool's indexes this database lacks: then filters and counts read the table."""
        return tuple(ix for ix in TOOL_INDEXES if ix not in self.schema.session_indexes)

    async def close(self) -> None:
        try:
            await self.reader.close()
        finally:
            await self.engine.dispose()

    def file_changed(self) -> str | None:
        """None while the path names the file this store opened and this user may read
        it (always, on a server); otherwise what happened to it, in the operator's
        words. A stat: cheap enough for every refresh tick and every write."""
        if self.identity is None:
            return None
        try:
            now = self.d.backend.file_identity(self.target)
        except PermissionError:
            return unreadable(self.target.display())
        except OSError:
            return f"{self.target.display()} was deleted (or can no longer be reached)"
        if now != self.identity:
            return f"{self.target.display()} was replaced by another file"
        return None

    def check_file(self) -> None:
        """FileMoved unless the path still names the open file: what `end_sessions` asks
        first, and each batch again once it holds the write lock, so an end never goes
        to a file that is no longer the one at the path (nor one swapped in mid-end)."""
        why = self.file_changed()
        if why is not None:
            raise FileMoved(f"{why}; nothing was written to it: reopen and try again")

    async def ping(self) -> None:
        """Whether the sessions table can be read again: `SELECT 1` needs no lock, so it
        answered while another process held SQLite's exclusive lock."""
        async with self._read() as conn:
            await conn.execute(sa.select(sa.literal(1)).select_from(sessions).limit(1))

    @property
    def has_owners(self) -> bool:
        """Whether sessions can have an owner: the service's users (v0.4.0 on)."""
        return self.d.has_owner

    @property
    def has_workflow_runs(self) -> bool:
        """Whether the detail can list runs: every column the statement names is there."""
        return all(self.schema.has(WORKFLOW_RUNS, col) for col in RUN_COLUMNS)
