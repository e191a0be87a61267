"""The Store: the only door from the CLI and the app to the database.

Every public method is async, returns domain models and raises only StoreError.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from time import monotonic
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tui.domain.audit import (
    OUTCOME_ALREADY_ENDED,
    OUTCOME_ENDED,
    AuditCursor,
    AuditEntry,
    AuditPage,
    audit_json,
    audit_record,
    default_actor,
    ended_by,
    kinds_from_text,
    kinds_text,
)
from tui.domain.models import (
    AlreadyEnded,
    ChainHop,
    Counts,
    Cursor,
    Ended,
    EndOutcome,
    Metadata,
    NotFound,
    OddActive,
    Page,
    ReasonFacets,
    SessionChain,
    SessionDetail,
    SessionFilter,
    SessionRow,
    SortKey,
    Status,
    WorkflowRun,
)
from tui.domain.stuck import StuckKind, not_detectable
from tui.domain.timefmt import utcnow
from tui.domain.trends import TrendBy, Trends, TrendWindow
from tui.domain.triggers import Detection, SchemaMarkers, Vocabulary, detect_era
from tui.domain.wording import NO_AUDIT_TABLE, audit_shape_line, interrupted_line
from tui.store import delta
from tui.store import queries as q
from tui.store.audit_shape import shape_problem
from tui.store.backends import backend_for
from tui.store.backends.base import Backend
from tui.store.codec import (
    active_state,
    parse_sqlite_ts,
    session_row,
    text_value,
    utc_datetime,
    zone_info,
)
from tui.store.errors import (
    AmbiguousId,
    ConnectionFailed,
    EndInterrupted,
    FileMoved,
    FileUnreadable,
    NoAuditTable,
    ReadOnly,
    SchemaError,
    SchemaTooOld,
    StoreError,
    UnknownSession,
    is_write_conflict,
    timeout_origin,
    unreadable,
)
from tui.store.tables import (
    ACTIVE_INDEX,
    AUDIT,
    CODEBASE_ENV_VARS,
    CODEBASES,
    CONVERSATIONS,
    REQUIRED_SESSION_COLUMNS,
    SCHEMA_VERSION,
    SERVICE_CONVERSATION_INDEXES,
    SESSIONS,
    TOOL_INDEXES,
    USERS,
    WORKFLOW_RUNS,
    audit,
    schema_version,
    sessions,
)
from tui.store.target import DEMO_HINT, DbTarget, option_settings

SQLITE_BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for a lock another connection holds, where the client
sets it (SQLite's busy_timeout): `make_engine` passes it to the backend."""
SEARCH_WINDOW = q.SEARCH_WINDOW
FULL_RECOUNT_SECONDS = 300.0
"""How old the settled reason counts may get before a full count replaces them."""
SETTLE_MARGIN = timedelta(minutes=10)
"""Sessions ended this long before a full count are settled: no write still in flight
can land before the mark (the service's writes take milliseconds)."""
PAGE_SIZE = 100
DEFAULT_STALE_AFTER = timedelta(hours=24)
"""When an active session is `idle` unless told otherwise (`--stale-after`)."""
STANDBY_REASON = "read-only standby (hot standby): end sessions on the primary"
READ_ONLY_REASON = "opened read-only (--read-only)"
"""Why a standby cannot end sessions, and where the operator can."""
END_BATCH = 250
"""Sessions ended per transaction. Each batch holds the write lock (SQLite's one per
file; PostgreSQL's row locks) for its own statements only, so the service's writes
wait for one batch, never for the whole end (see tests/bench/README.md)."""
CONFLICT_ATTEMPTS = 5
"""Tries per batch that the server rolls back for a deadlock or serialization failure."""
CONFLICT_PAUSE_S = 0.05
"""The pause before the next try, doubled each time."""
REREAD_ATTEMPTS = 5
REREAD_PAUSE_S = 0.2
"""After a commit whose answer was lost: tries at re-reading the rows (the pool opens a
new connection each time), the pause doubling from this (about 6 s in all)."""
RUN_COLUMNS = ("id", "conversation_id", "workflow_name", "status", "started_at", "last_activity_at")
"""What `queries.workflow_runs_statement` reads of remote_agent_workflow_runs."""


@dataclass(frozen=True)
class SchemaInfo:
    """The database's schema as the tool found it at open: every service table with its
    columns (which service version applied it shows here), and the sessions' indexes."""

    has_ended_reason: bool
    session_columns: frozenset[str]
    session_indexes: frozenset[str]
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Every `remote_agent_*` table (or view) and its columns."""
    zone: str | None = None
    """The zone the service's `NOW()` writes started_at/ended_at in
    (`Backend.service_zone`); None where they are UTC text (SQLite)."""
    version_row: tuple[str | None, str | None] | None = None
    """`remote_agent_schema_version`'s (created_app_version, app_version), when it has a row."""
    audit_table: bool = False
    """The tool's audit table (`sessions_tui_audit`, migration 0006) exists."""
    audit_writable: bool = False
    """...and this connection's role may insert into it: ends keep audit rows."""
    schema: str | None = None
    """The schema the service's tables are in (`Backend.service_schema`); None on SQLite."""
    audit_problem: str | None = None
    """What is wrong with the audit table's shape (`audit_shape.shape_problem`): an end
    keeps no audit row then; None when it fits or is missing."""
    shadowed: tuple[str, ...] = ()
    """Schemas later on the search path that hold a `remote_agent_sessions` too, which
    unqualified names never reach (`Backend.tables_elsewhere`)."""

    @property
    def markers(self) -> SchemaMarkers:
        """What this schema says about the newest service version that opened it."""
        created, applied = self.version_row or (None, None)
        return SchemaMarkers(
            ended_reason=self.has_ended_reason,
            codebase_env_vars=self.has(CODEBASE_ENV_VARS),
            codebase_kind=self.has(CODEBASES, "kind"),
            schema_version_table=self.has(SCHEMA_VERSION),
            app_version=applied,
            created_app_version=created,
        )

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the table (and the column) exists."""
        columns = self.tables.get(table)
        return columns is not None and (column is None or column in columns)


def make_engine(
    target: DbTarget,
    *,
    read_only: bool = False,
    create: bool = False,
    statement_timeout_ms: int | None = None,
) -> AsyncEngine:
    """An engine set up by the target's backend (`Backend.make_engine`)."""
    return backend_for(target.kind).make_engine(
        target,
        read_only=read_only,
        create=create,
        lock_wait_ms=SQLITE_BUSY_TIMEOUT_MS,
        statement_timeout_ms=statement_timeout_ms,
    )


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


INTERRUPTED = StoreError("interrupted")
"""The cause an end cancelled part-way reports (Ctrl-C)."""


class _CommitUnknown(Exception):
    """The commit was sent, and the connection failed before its answer came back."""

    def __init__(self, error: StoreError) -> None:
        super().__init__(str(error))
        self.error = error


class Store:
    """Async access to the session tables of one database."""

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
        read_only_why: str | None = None,
        timeout_from: str | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.target = target
        self.timeout_from = timeout_from
        """Where the statement timeout comes from (`errors.timeout_origin`), for the
        message of a query it cancels; None where there is none."""
        self.read_only_why = read_only_why or READ_ONLY_REASON
        """What `can_end` says when read-only: the flag, or how this tool was started
        (a served dashboard names `serve --write --actor`)."""
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
        self.recount_after = FULL_RECOUNT_SECONDS
        self._settled: dict[Status, delta.Settled] = {}
        self._stuck_statements: dict[tuple[q.Dialect, SessionFilter], sa.Select[Any]] = {}
        """`stuck_counts_statement` per status-only filter: built once (building and
        keying it costs more CPU than running it over 2,000 active sessions); "now" for
        `idle` is a parameter computed at each run."""
        self._reading: set[int] = set()
        """The server ids of the connections reading now (`cancel_reads`)."""

    # -- plumbing -----------------------------------------------------------------

    def _error(self, exc: BaseException) -> StoreError:
        return self.target.error(exc, timeout_from=self.timeout_from)

    @asynccontextmanager
    async def _read(self, *, snapshot: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read transaction; `snapshot` makes every statement in it see the same data."""
        try:
            async with self.engine.connect() as conn:
                reader = await self.d.backend.reader_id(conn)
                if reader is not None:
                    self._reading.add(reader)
                try:
                    if snapshot:
                        await self.d.backend.snapshot(conn)
                    yield conn
                finally:
                    self._reading.discard(reader)  # type: ignore[arg-type]
        except StoreError:
            raise
        except Exception as exc:
            raise self._error(exc) from None

    async def cancel_reads(self) -> int:
        """Stop the reads running now on the server (PostgreSQL), e.g. queued behind a
        lock: each fails with QueryCancelled. Writes are never cancelled. How many were."""
        readers = sorted(self._reading)
        if not readers:
            return 0
        try:
            async with self.engine.connect() as conn:
                return await self.d.backend.cancel_readers(conn, readers)
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
            return self.read_only_why
        if not self.schema.has_ended_reason:
            return str(SchemaTooOld())
        return None

    @property
    def audit_kept(self) -> bool:
        """Whether an end writes its audit rows: the table exists and this role may
        write it, and it has the shape an end writes (`SchemaInfo.audit_problem`).
        Without, ending works and says so (`wording.no_audit_note`)."""
        return self.schema.audit_writable and self.schema.audit_problem is None

    @property
    def _delta_indexed(self) -> bool:
        """Without these, each of the live statement's branches scans the table: eight
        scans cost more than the one of a full count (1.1 s against 0.96 s at 1M)."""
        return q.LIVE_INDEXES.issubset(self.schema.session_indexes)

    @property
    def missing_indexes(self) -> tuple[str, ...]:
        """The tool's indexes this database lacks: then filters and counts read the table."""
        return tuple(ix for ix in TOOL_INDEXES if ix not in self.schema.session_indexes)

    async def close(self) -> None:
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

    # -- reads ----------------------------------------------------------------------

    async def list_sessions(
        self,
        flt: SessionFilter | None = None,
        sort: SortKey = SortKey.STARTED,
        cursor: Cursor | None = None,
        limit: int = PAGE_SIZE,
        *,
        ascending: bool = False,
    ) -> Page:
        """One keyset page, newest first, and the cursor for the next one (None at the end).

        `ascending` walks the same order from its other end (oldest/smallest first): the
        list's last rows without reading the ones before them."""
        flt = flt or SessionFilter()
        limit = max(1, min(limit, 10_000))
        # The duration sort pins "now" on the first page so active rows keep their place.
        as_of: datetime | None = cursor.as_of if cursor else None
        if as_of is None and sort is SortKey.DURATION:
            as_of = utcnow()
        params = {"as_of": as_of} if sort is SortKey.DURATION else {}
        narrowing = bool((flt.search and flt.search.strip()) or (flt.user and flt.user.strip()))
        windowed = narrowing and sort is SortKey.STARTED and not ascending
        async with self._read() as conn:
            result: Sequence[Row[Any]] | None = None
            if windowed:  # a search or an owner that matches near the top stops there
                rows, floor = await self._window_rows(conn, flt, cursor, limit, SEARCH_WINDOW)
                if len(rows) > limit or floor is None:  # the exact page, or the list's rest
                    result = rows
            if result is None:
                cursor = cursor or q.first_segment(sort, ascending=ascending)
                stmt = q.list_statement(self.d, flt, sort, cursor, limit, ascending=ascending)
                result = (await conn.execute(stmt, params)).all()
                following = (
                    q.next_segment(self.d, cursor, ascending=ascending, sort=sort)
                    if cursor is not None
                    else None
                )
                if following is not None and len(result) <= limit:  # rows with a NULL key
                    left = limit - len(result)
                    stmt = q.list_statement(self.d, flt, sort, following, left, ascending=ascending)
                    result = [*result, *(await conn.execute(stmt, params)).all()]
        return self._page(result, limit, as_of)

    async def search_window(
        self, flt: SessionFilter, cursor: Cursor | None, limit: int, window: int
    ) -> Page:
        """A newest-first page of a search that looks at no more than `window` sessions
        below the cursor: a search that matches nothing costs one window, not the table.

        A full page found in the window is the list's exact page (its cursor goes on as
        usual). Otherwise the page holds what the window had, and `resume` says where
        the next window starts (None: the window reached the end of the list, then read
        as `list_sessions` would, rows without a start time included). `searched` is the
        number of sessions the window covered."""
        limit = max(1, min(limit, 10_000))
        async with self._read() as conn:
            rows, floor = await self._window_rows(conn, flt, cursor, limit, window)
            resume = None
            if floor is not None and len(rows) <= limit:
                last = (await conn.execute(q.lowest_id_at(self.d, floor))).scalar_one()
                resume = Cursor(key=floor, id=str(last))
        page = self._page(rows, limit, None)
        return Page(page.rows, page.next_cursor, resume, window)

    async def _window_rows(
        self,
        conn: AsyncConnection,
        flt: SessionFilter,
        cursor: Cursor | None,
        limit: int,
        window: int,
    ) -> tuple[list[Row[Any]], Any]:
        """Up to `limit + 1` rows, newest first below the cursor, of those that `window`
        sessions hold, and the window's floor (the start time it went down to).

        The floor is read first, `window` rows down the started_at index (an OFFSET on
        the index alone), then the window is walked as a range down to that constant:
        what the window holds is all it costs, whether anything matches or not. More
        than `limit` rows: the list's exact page. A floor of None: the rest of the list
        fit in the window, so the rows are the list's own answer, complete. Otherwise
        the window had only these; the rows below the floor are unread.

        Rows without a start time stay where the list's order puts them: the started_at
        index holds them together, first (PostgreSQL: read before the dated windows) or
        last (SQLite: read only once the dated rows end within a window)."""
        d, started = self.d, SortKey.STARTED
        before: list[Row[Any]] = []
        nulls_first = d.backend.segment_after(Cursor(key=None, id="")) is not None
        if nulls_first and (cursor is None or cursor.key is None):
            top = cursor or Cursor(key=None, id="", segment_top=True)
            before = list((await conn.execute(q.list_statement(d, flt, started, top, limit))).all())
            if len(before) > limit:
                return before, None
            limit, cursor = limit - len(before), None
        dated_top = Cursor(key=0, id="", segment_top=True) if nulls_first else None
        below = (await conn.execute(q.window_boundary(d, cursor, window))).scalars().all()
        floor = below[0] if len(below) == 2 else None
        if floor is None:  # the rest of the list fits in one window
            start = cursor if cursor is not None else dated_top
            stmt = q.list_statement(d, flt, started, start, limit)
            result: list[Row[Any]] = list((await conn.execute(stmt)).all())
            following = q.next_segment(d, start) if start is not None else None
            if following is not None and len(result) <= limit:
                stmt = q.list_statement(d, flt, started, following, limit - len(result))
                result += (await conn.execute(stmt)).all()
        else:
            stmt = q.bounded_search_statement(d, flt, cursor, limit, floor)
            result = list((await conn.execute(stmt)).all())
        return [*before, *result], floor

    def _page(self, result: Sequence[Row[Any]], limit: int, as_of: datetime | None) -> Page:
        rows = [_row(r, self.d) for r in result[:limit]]
        next_cursor = None
        if len(result) > limit:
            last = result[limit - 1]._mapping
            next_cursor = Cursor(key=last["_sort_key"], id=last["id"], as_of=as_of)
        return Page(rows=rows, next_cursor=next_cursor)

    async def reason_counts(
        self, flt: SessionFilter | None = None, *, recount: bool = False
    ) -> ReasonFacets:
        """Exact counts per reason under every filter but the reason one.

        Under a status-only filter a refresh reads only the rows that changed or can
        change since the settled mark (sessions started or ended since, odd values) and
        adds the settled counts of the last full count, with the older active sessions
        counted by arithmetic (see tui.store.delta). A full count runs the first time,
        when `recount` is asked, once the last one is `recount_after` seconds old, and
        when the arithmetic stops adding up; it also picks up rows the service deleted.
        """
        base = (flt or SessionFilter()).without_reasons()
        if not q.incremental_facets(base) or not self._delta_indexed:
            async with self._read() as conn:
                await self.d.backend.background(conn)
                groups = delta.groups(await conn.execute(q.facet_statement(self.d, base)))
            return ReasonFacets.from_groups(delta.listed(groups))
        settled = self._settled.get(base.status)
        if settled is not None and not recount and monotonic() - settled.taken < self.recount_after:
            stmt = q.live_facet_statement(
                self.d, base, settled.before, all_active=settled.reads_all_active
            )
            async with self._read() as conn:
                live = delta.live_groups(await conn.execute(stmt))
            counts = settled.answer(live)
            if counts is not None:
                return ReasonFacets.from_groups(delta.listed(counts))
            self._settled.pop(base.status, None)  # a deleted session broke the arithmetic
        taken = monotonic()
        async with self._read(snapshot=True) as conn:  # both counts from one snapshot
            await self.d.backend.background(conn)
            now = utc_datetime((await conn.execute(sa.select(q.db_now(self.d)))).scalar_one())
            full = delta.groups(await conn.execute(q.facet_statement(self.d, base)))
            before = (now or utcnow()) - SETTLE_MARGIN
            stmt = q.live_facet_statement(self.d, base, before)
            live = delta.live_groups(await conn.execute(stmt))
        fresh = delta.settle(full, live, before, taken)
        if fresh is not None:
            self._settled[base.status] = fresh
        else:  # cannot happen within one snapshot; if it does, never trust a delta
            self._settled.pop(base.status, None)
        return ReasonFacets.from_groups(delta.listed(full))

    async def trends(
        self,
        flt: SessionFilter | None = None,
        days: int = 30,
        by: TrendBy = TrendBy.REASON,
        *,
        now: datetime | None = None,
    ) -> Trends:
        """Ended sessions per UTC day (per hour for 2 days or fewer) over the last `days`,
        split `by`, under `flt` but its status, since window and stuck kind
        (`queries.trend_filter`). One grouped statement: by reason under no joined
        filter it reads one range of an index (ix_sessions_tui_live), the window's rows."""
        window = TrendWindow(days, now or self.d.clock())
        stmt = q.trends_statement(
            self.d, flt or SessionFilter(), window.spans(), hourly=window.hourly, by=by
        )
        async with self._read() as conn:
            rows = (await conn.execute(stmt)).all()
        return Trends.from_rows(window, by, ((r[0], r[1], int(r[2])) for r in rows))

    async def stuck_counts(self, flt: SessionFilter | None = None) -> dict[StuckKind, int | None]:
        """How many active sessions of each kind, under every filter but the stuck one
        (a session in two kinds counts in both); None for a kind this service version
        cannot produce (`undetectable`), which is not computed. Reads the active sessions
        only: under a status-only filter with the active index, that index, and each
        conversation and duplicate by an index probe (`Backend.joins_by_index`).
        Background work for the server, as a full reason count is (`Backend.background`)."""
        base = replace(flt or SessionFilter(), stuck=None)
        if base.status is Status.ENDED:
            return {k: None if k in self.undetectable else 0 for k in StuckKind}
        probes = base == SessionFilter(status=base.status)
        if probes:
            stmt = self._stuck_statements.get((self.d, base))
            if stmt is None:
                stmt = self._stuck_statements[self.d, base] = q.stuck_counts_statement(self.d, base)
        else:
            stmt = q.stuck_counts_statement(self.d, base)
        async with self._read() as conn:
            await self.d.backend.background(conn)
            if probes and self.d.has_active_index:
                await self.d.backend.joins_by_index(conn)
            found = (await conn.execute(stmt)).one()
        return {
            kind: None if kind in self.undetectable else int(found._mapping[kind.wire])
            for kind in StuckKind
        }

    async def counts(self, flt: SessionFilter | None = None) -> Counts:
        """Active and ended over the whole table, and the number under the filter; the
        rest of the table is odd (`codec.active_state`), counted apart."""
        flt = flt or SessionFilter()
        async with self._read() as conn:
            total = (await conn.execute(q.count_statement(self.d, SessionFilter()))).scalar_one()
            active_stmt = q.count_statement(self.d, SessionFilter(status=Status.ACTIVE))
            active = (await conn.execute(active_stmt)).scalar_one()
            ended_stmt = q.count_statement(self.d, SessionFilter(status=Status.ENDED))
            ended = (await conn.execute(ended_stmt)).scalar_one()
            if flt.is_empty:
                filtered = total
            else:
                filtered = (await conn.execute(q.count_statement(self.d, flt))).scalar_one()
        return Counts(
            active=int(active),
            ended=int(ended),
            filtered=int(filtered),
            odd=int(total - active - ended),
        )

    async def sessions_without_id(self) -> int:
        """Sessions with a NULL id: never listed, shown or ended (nothing can name them),
        so the list and the dashboard say how many there are."""
        stmt = q.without_id_statement(self.d)
        if stmt is None:
            return 0
        async with self._read() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def resolve_id(self, prefix: str) -> str:
        """A whole id from a unique prefix; UnknownSession or AmbiguousId otherwise.

        The prefix matches as the backend says (`Backend.id_prefix`: any case of a
        UUID; on SQLite, as typed, all lowercase or all uppercase), so an id as `list`
        shows it is always found. A whole id given exactly wins over longer ids it
        starts."""
        text = prefix.strip()
        if not text:
            raise UnknownSession("empty session id")
        s = sessions
        cond = self.d.backend.id_prefix(s.c.id, text)
        if cond is None:
            raise UnknownSession(f"no session with id {text!r}")
        stmt = sa.select(s.c.id).where(cond).order_by(s.c.id).limit(5)
        async with self._read() as conn:
            ids = [str(i) for i in (await conn.execute(stmt)).scalars()]
        if not ids:
            raise UnknownSession(f"no session with id {prefix!r}")
        for whole in (text, text.lower()):
            if whole in ids:
                return whole
        if len(ids) > 1:
            shown = ", ".join(i[:12] for i in ids[:4])
            raise AmbiguousId(
                f"{prefix!r} matches several sessions ({shown}…): give more characters"
            )
        return ids[0]

    async def get_session(self, session_id: str) -> SessionDetail | None:
        """Every column of the session, its conversation and codebase (the session's,
        else, when it stores none, its conversation's); metadata decoded."""
        if not self.d.backend.valid_id(session_id):
            return None
        stmt = (
            sa.select(*q.row_columns(self.d))
            .select_from(q.joined(self.d))
            .where(sessions.c.id == session_id)
        )
        async with self._read() as conn:
            found = (await conn.execute(stmt)).first()
            if found is None:
                return None
            row = _row(found, self.d)
            every, params = self.d.backend.session_columns(row.id)
            raw = (await conn.execute(every, params)).first()
            conv = await self._row_dict(conn, CONVERSATIONS, row.conversation_id)
            code = await self._row_dict(
                conn, CODEBASES, row.codebase_id or row.conversation_codebase_id
            )
            runs = await self._workflow_runs(conn, row.conversation_id)
        all_cols = self.d.backend.columns_of(raw) if raw is not None else {}
        meta_raw = text_value(all_cols.get("metadata"))  # a BLOB is shown as the text it spells
        if meta_raw is not None and not isinstance(meta_raw, str):
            meta_raw = json.dumps(meta_raw, ensure_ascii=False)
        return SessionDetail(
            row=row,
            assistant_session_id=all_cols.get("assistant_session_id"),
            metadata=await _decode_metadata(meta_raw),
            conversation=conv,
            codebase=code,
            extra={
                k: _plain(v, self._zone) for k, v in all_cols.items() if k not in _SHOWN_COLUMNS
            },
            service_zone=self._zone,
            workflow_runs=runs,
        )

    @property
    def has_owners(self) -> bool:
        """Whether sessions can have an owner: the service's users (v0.4.0 on)."""
        return self.d.has_owner

    @property
    def has_workflow_runs(self) -> bool:
        """Whether the detail can list runs: every column the statement names is there."""
        return all(self.schema.has(WORKFLOW_RUNS, col) for col in RUN_COLUMNS)

    async def _workflow_runs(
        self, conn: AsyncConnection, conversation_id: str | None
    ) -> list[WorkflowRun] | None:
        """The conversation's latest runs; None where the service has no such table."""
        if not self.has_workflow_runs:
            return None
        if conversation_id is None or not self.d.backend.valid_id(conversation_id):
            return []
        found = await conn.execute(q.workflow_runs_statement(conversation_id))
        return [
            WorkflowRun(
                workflow_name=m["workflow_name"],
                status=m["status"],
                started_at=m["started_at"],
                last_activity_at=m["last_activity_at"],
            )
            for m in found.mappings()
        ]

    async def _row_dict(
        self, conn: AsyncConnection, table: str, row_id: str | None
    ) -> dict[str, Any]:
        if row_id is None or not self.d.backend.valid_id(row_id):
            return {}
        found = (
            await conn.execute(sa.text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})
        ).first()
        return {k: _plain(v, self._zone) for k, v in found._mapping.items()} if found else {}

    async def session_chain(self, session_id: str) -> SessionChain:
        """Ancestors oldest first (ending with the session), and the session's children."""
        if not self.d.backend.valid_id(session_id):
            return SessionChain(hops=[], children=[])
        async with self._read() as conn:
            ancestors = (await conn.execute(q.ancestors_statement(self.d, session_id))).all()
            children = (await conn.execute(q.children_statement(self.d, session_id))).all()
        truncated = bool(ancestors) and ancestors[0]._mapping["depth"] >= q.MAX_CHAIN_DEPTH
        # A cycle in parent links would repeat ids: keep the first sighting only.
        seen: set[str] = set()
        hops: list[ChainHop] = []
        for r in reversed(ancestors):
            if r._mapping["id"] in seen:
                truncated = True
                continue
            seen.add(r._mapping["id"])
            hops.append(_hop(r))
        hops.reverse()
        return SessionChain(hops=hops, children=[_hop(r) for r in children], truncated=truncated)

    # -- writes -------------------------------------------------------------------------

    async def end_sessions(
        self,
        ids: Iterable[str],
        reason: str,
        actor: str | None = None,
        *,
        kinds: Mapping[str, Sequence[str]] | None = None,
    ) -> list[EndOutcome]:
        """End each still-active session with `reason`, compare-and-set, in batches.

        The ids are written in one fixed order (sorted), `END_BATCH` per transaction;
        each batch locks its rows in that order first, so two ends over the same
        sessions never deadlock, and one the server rolls back anyway (deadlock,
        serialization failure) is run again, up to `CONFLICT_ATTEMPTS` times: the
        compare-and-set makes that safe. Each batch writes its audit rows (where
        `audit_kept`) in its own transaction: a session ended and its row, or neither.

        Outcomes come back in the order given. A session someone else ended first is
        AlreadyEnded with their values, which are never overwritten; one whose `active`
        turned odd since it was planned is OddActive with the value stored, untouched
        and without an audit row (as when the plan leaves it out). When a later batch
        fails, or a commit's answer is lost, or the end is cancelled (Ctrl-C),
        EndInterrupted says what the database holds (re-read, never assumed); a failure
        before anything committed is raised as it is.
        """
        trigger = self.vocabulary.require_deactivating(reason)
        self.check_file()
        if self.standby:
            raise ReadOnly(f"{self.target.display()}: {STANDBY_REASON}")
        if self.read_only:
            raise ReadOnly(
                f"{self.target.display()}: opened read-only; ending sessions is disabled"
            )
        if not self.schema.has_ended_reason:
            raise SchemaTooOld(f"{self.target.display()} has no ended_reason column")
        given = list(dict.fromkeys(ids))
        valid = sorted(i for i in given if self.d.backend.valid_id(i))
        record = audit_record(actor, trigger.wire)
        end_id = uuid.uuid4().hex
        kinds_of = {k: tuple(v) for k, v in (kinds or {}).items()}
        known: dict[str, EndOutcome] = {}
        batches = [valid[i : i + END_BATCH] for i in range(0, len(valid), END_BATCH)]
        pause = self.d.backend.between_write_batches()
        for n, batch in enumerate(batches):
            try:
                if n and pause:
                    await asyncio.sleep(pause)  # the service's queued writes go first
                known.update(await self._end_batch(batch, record, end_id, kinds_of))
            except _CommitUnknown as lost:
                found, left, unresolved = await self._reread(batch, record, end_id)
                known.update(found)
                rest = [i for b in batches[n + 1 :] for i in b]
                raise self._interrupted(
                    given, known, (*left, *rest), unresolved, lost.error, unknown=True
                ) from None
            except asyncio.CancelledError:
                # Ctrl-C (asyncio.run cancels the task) or a cancelled worker: this batch
                # may have committed as the cancel landed, so it is re-read, and the end
                # reports what the database holds instead of a bare cancellation.
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                found, left, unresolved = await self._reread(batch, record, end_id)
                known.update(found)
                rest = [i for b in batches[n + 1 :] for i in b]
                raise self._interrupted(
                    given, known, (*left, *rest), unresolved, INTERRUPTED, unknown=False
                ) from None
            except Exception as exc:
                error = self._error(exc)
                if n == 0:
                    raise error from None
                rest = [i for b in batches[n:] for i in b]
                raise self._interrupted(given, known, rest, (), error, unknown=False) from None
        return [known.get(i) or NotFound(i) for i in given]

    def _interrupted(
        self,
        given: list[str],
        known: dict[str, EndOutcome],
        left: Sequence[str],
        unresolved: Sequence[str],
        cause: StoreError,
        *,
        unknown: bool,
    ) -> EndInterrupted:
        outcomes = tuple(known[i] for i in given if i in known)
        return EndInterrupted(
            interrupted_line(
                str(cause),
                unknown=unknown,
                ended=sum(isinstance(o, Ended) for o in outcomes),
                already=sum(isinstance(o, AlreadyEnded) for o in outcomes),
                left_active=len(left),
                unresolved=len(unresolved),
                odd=sum(isinstance(o, OddActive) for o in outcomes),
            ),
            outcomes=outcomes,
            left_active=tuple(left),
            unresolved=tuple(unresolved),
            unknown=unknown,
        )

    async def _end_batch(
        self,
        batch: list[str],
        record: dict[str, str],
        end_id: str,
        kinds: Mapping[str, tuple[str, ...]],
    ) -> dict[str, EndOutcome]:
        """One batch in one transaction, run again when the server rolled it back for a
        deadlock or serialization failure; raises _CommitUnknown when the commit's
        answer is lost."""
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                return await self._end_batch_once(batch, record, end_id, kinds)
            except _CommitUnknown:
                raise
            except Exception as exc:
                if not is_write_conflict(exc) or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
            await asyncio.sleep(CONFLICT_PAUSE_S * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _end_batch_once(
        self,
        batch: list[str],
        record: dict[str, str],
        end_id: str,
        kinds: Mapping[str, tuple[str, ...]],
    ) -> dict[str, EndOutcome]:
        s = sessions
        backend = self.d.backend
        wire = record["reason"]
        lock = sa.select(s.c.id).where(s.c.id.in_(batch)).order_by(s.c.id).with_for_update()
        update = (
            sa.update(s)
            # By the primary key: SQLite (no statistics) otherwise walked the active index,
            # every active session per batch (210 ms a batch at 1M).
            .where(s.c.id.in_(batch), backend.unindexed(s.c.active) == sa.true())
            .values(
                active=False,
                # The service's own NOW(), in its zone: both writers agree.
                ended_at=backend.stored_now(self.d.zone),
                ended_reason=wire,
                # Merged by the UPDATE itself: no read-modify-write race; its "at" is
                # the clock ended_at was just written with.
                metadata=backend.json_set(
                    s.c.metadata, "endedBy", backend.audit_object(audit_json(record))
                ),
            )
            .returning(s.c.id)
        )
        read_back = (
            sa.select(
                s.c.id,
                s.c.conversation_id,
                self.d.owner.label("owner"),
                s.c.ended_reason,
                self.d.absolute(s.c.ended_at),
                q.stored_active(s.c.active),
            )
            .select_from(q.joined(self.d))
            .where(s.c.id.in_(batch))
        )
        outcomes: dict[str, EndOutcome] = {}
        async with self.engine.connect() as conn:
            conn = await backend.for_writes(conn)
            trans = await conn.begin()
            try:
                await conn.execute(lock)  # row locks in id order: no deadlock between ends
                # Holding the write lock: the path still names the file this writes.
                self.check_file()
                ended = {str(r[0]) for r in (await conn.execute(update)).all()}
                rows = []
                for r in (await conn.execute(read_back)).mappings():
                    sid = str(r["id"])
                    mine = sid in ended
                    outcomes[sid] = Ended(sid, wire) if mine else _unwritten(sid, r)
                    if isinstance(outcomes[sid], OddActive):
                        continue  # no audit row, as when the plan leaves it out
                    rows.append(
                        {
                            "end_id": end_id,
                            "session_id": sid,
                            "conversation_id": r["conversation_id"],
                            "owner": r["owner"],
                            "outcome": OUTCOME_ENDED if mine else OUTCOME_ALREADY_ENDED,
                            "reason": wire,
                            "found_reason": r["ended_reason"],
                            "found_ended_at": r["ended_at"],
                            "actor": record["actor"],
                            "tool_version": record["version"],
                            "kinds": kinds_text(kinds.get(sid, ())),
                        }
                    )
                if rows and self.audit_kept:
                    await conn.execute(sa.insert(audit).values(at=backend.now()), rows)
            except BaseException:
                with contextlib.suppress(Exception):
                    await trans.rollback()
                raise
            try:
                await trans.commit()
            except Exception as exc:
                error = self._error(exc)
                if isinstance(error, ConnectionFailed):
                    raise _CommitUnknown(error) from exc
                raise
        return outcomes

    async def _reread(
        self, batch: list[str], record: dict[str, str], end_id: str
    ) -> tuple[dict[str, EndOutcome], list[str], list[str]]:
        """What the database holds for a batch whose commit answer was lost: outcomes,
        the ids left active, and the ids that could not be read (the database did not
        answer within `REREAD_ATTEMPTS`).

        Ended by this end means: with audit rows, this end's own rows exist (written in
        the same transaction, so they exist exactly when it committed); without, the
        row is ended with our reason and its `endedBy` names our actor and reason.
        """
        s = sessions
        wire = record["reason"]
        rows_stmt = sa.select(
            s.c.id,
            q.stored_active(s.c.active),
            s.c.ended_reason,
            self.d.absolute(s.c.ended_at),
            sa.cast(s.c.metadata, sa.Text).label("metadata"),
        ).where(s.c.id.in_(batch))
        audit_stmt = sa.select(audit.c.session_id, audit.c.outcome).where(audit.c.end_id == end_id)
        for attempt in range(REREAD_ATTEMPTS):
            try:
                async with self._read() as conn:
                    rows = (await conn.execute(rows_stmt)).mappings().all()
                    written = (
                        {str(a[0]): str(a[1]) for a in await conn.execute(audit_stmt)}
                        if self.audit_kept
                        else None
                    )
                break
            except StoreError:
                if attempt == REREAD_ATTEMPTS - 1:
                    return {}, [], list(batch)
            await asyncio.sleep(REREAD_PAUSE_S * 2**attempt)
        found: dict[str, EndOutcome] = {}
        left: list[str] = []
        for r in rows:
            sid = str(r["id"])
            if written is not None:
                mine = written.get(sid) == OUTCOME_ENDED
            else:
                by = ended_by(Metadata.decode(r["metadata"]))
                mine = (
                    active_state(r["active"])[0] is False
                    and r["ended_reason"] == wire
                    and by is not None
                    and (by.actor, by.reason) == (record["actor"], wire)
                )
            if mine:
                found[sid] = Ended(sid, wire)
            elif active_state(r["active"])[0]:
                left.append(sid)
            else:
                found[sid] = _unwritten(sid, r)
        for sid in batch:
            if sid not in found and sid not in left:
                found[sid] = NotFound(sid)  # deleted meanwhile
        return found, left, []

    # -- the audit trail ---------------------------------------------------------------

    async def audit_entries(
        self,
        *,
        since: datetime | None = None,
        actor: str | None = None,
        cursor: AuditCursor | None = None,
        limit: int = PAGE_SIZE,
    ) -> AuditPage:
        """One page of the audit table, newest first (by time, then row id), and the
        cursor for the next; NoAuditTable where the database has none."""
        if not self.schema.audit_table:
            raise NoAuditTable(f"{self.target.display()}: {NO_AUDIT_TABLE}")
        if self.schema.audit_problem is not None:
            raise NoAuditTable(
                f"{self.target.display()}: {audit_shape_line(self.schema.audit_problem)}"
            )
        a = audit
        limit = max(1, min(limit, 10_000))
        stmt = sa.select(a).order_by(a.c.at.desc(), a.c.id.desc()).limit(limit + 1)
        if since is not None:
            stmt = stmt.where(a.c.at >= sa.bindparam("since", since, type_=a.c.at.type))
        if actor is not None:
            stmt = stmt.where(a.c.actor == actor)
        if cursor is not None:
            at = sa.bindparam("cursor_at", cursor.at, type_=a.c.at.type)
            stmt = stmt.where(sa.or_(a.c.at < at, sa.and_(a.c.at == at, a.c.id < cursor.id)))
        async with self._read() as conn:
            found = (await conn.execute(stmt)).mappings().all()
        entries = [
            AuditEntry(
                id=int(m["id"]),
                end_id=m["end_id"],
                at=m["at"],
                session_id=m["session_id"],
                conversation_id=m["conversation_id"],
                owner=m["owner"],
                outcome=m["outcome"],
                reason=m["reason"],
                found_reason=m["found_reason"],
                found_ended_at=m["found_ended_at"],
                actor=m["actor"],
                tool_version=m["tool_version"],
                kinds=kinds_from_text(m["kinds"]),
            )
            for m in found[:limit]
        ]
        more = len(found) > limit
        last = entries[-1] if more else None
        return AuditPage(entries, AuditCursor(last.at, last.id) if last else None)


async def _decode_metadata(raw: str | None) -> Metadata:
    """Large metadata is parsed in a thread: 10 MB took the event loop for seconds."""
    if raw is not None and len(raw) >= Metadata.LARGE:
        return await asyncio.to_thread(Metadata.decode, raw)
    return Metadata.decode(raw)


_SHOWN_COLUMNS = frozenset(
    {"id", "conversation_id", "codebase_id", "ai_assistant_type", "assistant_session_id", "active"}
    | {
        "metadata",
        "started_at",
        "ended_at",
        "parent_session_id",
        "transition_reason",
        "ended_reason",
    }
)


@dataclass(frozen=True)
class ServerFacts:
    """What the tool reads of a database when it opens it, over one connection."""

    tables: dict[str, set[str]]
    """Every `remote_agent_*` table and its columns."""
    indexes: set[str]
    """The sessions table's indexes."""
    standby: bool
    """A hot standby: reads only."""
    version_row: tuple[str | None, str | None] | None
    """The service's schema-version row (created_app_version, app_version), if any."""
    zone: str | None
    """The zone the service writes its zone-less timestamps in (`Backend.service_zone`)."""
    audit: tuple[bool, bool] = (False, False)
    """The tool's audit table: exists, and this role may write it (`Backend.tool_table`)."""
    schema: str | None = None
    """The schema the service's tables are in (`Backend.service_schema`)."""
    timeout: tuple[str, str, str, str] | None = None
    """The statement timeout in force and where from (`Backend.timeout_setting`)."""
    audit_problem: str | None = None
    """What is wrong with the audit table's shape, if anything (`audit_shape`)."""
    shadowed: tuple[str, ...] = ()
    """Schemas later on the path that hold a `remote_agent_sessions` too."""


async def read_server(engine: AsyncEngine, backend: Backend) -> ServerFacts:
    """The schema as it is now, whether the server is a standby, and the service's
    schema-version row when the table has one."""

    def _inspect(
        sync_conn: Any,
    ) -> tuple[dict[str, set[str]], set[str], bool, str | None, tuple[bool, bool], str | None]:
        tables = backend.service_columns(sync_conn)
        indexes = backend.index_names(sync_conn, SESSIONS) if SESSIONS in tables else set()
        return (
            tables,
            indexes,
            backend.is_standby(sync_conn),
            backend.service_zone(sync_conn),
            backend.tool_table(sync_conn, AUDIT),
            backend.service_schema(sync_conn),
        )

    async with engine.connect() as conn:
        tables, indexes, standby, zone, tool_audit, schema = await conn.run_sync(_inspect)
        timeout = await conn.run_sync(backend.timeout_setting)
        shapes = await conn.run_sync(backend.column_shapes, AUDIT)
        problem = shape_problem(shapes, backend.audit_type_fits())
        elsewhere = await conn.run_sync(backend.tables_elsewhere)
        row = None
        if {"created_app_version", "app_version"} <= tables.get(SCHEMA_VERSION, set()):
            sv = schema_version
            stmt = sa.select(sv.c.created_app_version, sv.c.app_version).where(sv.c.id == 1)
            found = (await conn.execute(stmt)).first()
            row = (found[0], found[1]) if found is not None else None
        return ServerFacts(
            tables,
            indexes,
            standby,
            row,
            zone,
            tool_audit,
            schema,
            timeout,
            problem,
            elsewhere.get(SESSIONS, ()),
        )


async def open_store(
    target: DbTarget,
    *,
    read_only: bool = False,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    clock: Callable[[], datetime] = utcnow,
    statement_timeout: float | None = None,
    read_only_why: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> Store:
    """Open a database as it is: check its schema, never change it. `stale_after` is
    when an active session is `idle`, by `clock`; `statement_timeout` (seconds) bounds
    every statement where the server can (PostgreSQL); `read_only_why` is what a
    read-only store says when asked to end (default: the `--read-only` flag);
    `vocabulary` replaces the triggers of the detected era (default: those)."""
    backend = backend_for(target.kind)
    try:  # before connecting: a file swapped in between is then noticed, never missed
        identity = backend.file_identity(target)
    except PermissionError:
        raise FileUnreadable(unreadable(target.display())) from None
    except OSError:
        identity = None  # connecting says what is wrong
    timeout_ms = int(statement_timeout * 1000) if statement_timeout else None
    engine = make_engine(target, read_only=read_only, statement_timeout_ms=timeout_ms)
    where = target.display()
    try:
        facts = await read_server(engine, backend)
    except Exception as exc:
        await engine.dispose()
        raise target.error(exc) from None
    tables, indexes = facts.tables, facts.indexes
    missing = [t for t in (SESSIONS, CONVERSATIONS, CODEBASES) if t not in tables]
    if missing:
        await engine.dispose()
        raise SchemaError(
            f"{where} is not an Archon service database (missing table {', '.join(missing)}): "
            f"check the path (--db, --url, DATABASE_URL), or try `{DEMO_HINT}`"
        )
    cols = tables[SESSIONS]
    lacking = REQUIRED_SESSION_COLUMNS - cols
    if lacking:
        await engine.dispose()
        raise SchemaError(
            f"{where}: remote_agent_sessions lacks {', '.join(sorted(lacking))}; "
            "this service version is too old for this tool"
        )
    schema = SchemaInfo(
        has_ended_reason="ended_reason" in cols,
        session_columns=frozenset(cols),
        session_indexes=frozenset(indexes),
        tables={name: frozenset(columns) for name, columns in tables.items()},
        version_row=facts.version_row,
        zone=facts.zone,
        audit_table=facts.audit[0],
        audit_writable=facts.audit[1],
        schema=facts.schema,
        audit_problem=facts.audit_problem,
        shadowed=facts.shadowed,
    )
    return Store(
        target,
        engine,
        schema,
        read_only,
        standby=facts.standby,
        stale_after=stale_after,
        clock=clock,
        identity=identity,
        read_only_why=read_only_why,
        timeout_from=_timeout_from(target, facts.timeout),
        vocabulary=vocabulary,
    )


def _timeout_from(target: DbTarget, found: tuple[str, str, str, str] | None) -> str | None:
    """Where the connection's statement timeout comes from, in the operator's words."""
    if found is None:
        return None
    setting, source, role, database = found
    in_url = "statement_timeout" in option_settings(dict(target.query).get("options", ""))
    return timeout_origin(setting, source, role=role, database=database, in_url=in_url)


__all__ = [
    "PAGE_SIZE",
    "STANDBY_REASON",
    "SchemaInfo",
    "Store",
    "default_actor",
    "open_store",
    "parse_sqlite_ts",
]
