"""The Store: the only door from the CLI and the app to the database.

Every public method is async, returns domain models and raises only StoreError.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from time import monotonic
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tui.domain.audit import audit_json, audit_record, default_actor
from tui.domain.models import (
    AlreadyEnded,
    ChainHop,
    Counts,
    Cursor,
    Ended,
    EndOutcome,
    Metadata,
    NotFound,
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
from tui.domain.timefmt import utcnow
from tui.domain.triggers import Detection, SchemaMarkers, Vocabulary, detect_era
from tui.store import delta
from tui.store import queries as q
from tui.store.backends import backend_for
from tui.store.backends.base import Backend
from tui.store.codec import parse_sqlite_ts, session_row, text_value, utc_datetime, zone_info
from tui.store.errors import (
    AmbiguousId,
    ReadOnly,
    SchemaError,
    SchemaTooOld,
    StoreError,
    UnknownSession,
    translate,
)
from tui.store.tables import (
    CODEBASE_ENV_VARS,
    CODEBASES,
    CONVERSATIONS,
    REQUIRED_SESSION_COLUMNS,
    SCHEMA_VERSION,
    SESSIONS,
    TOOL_INDEXES,
    USERS,
    WORKFLOW_RUNS,
    schema_version,
    sessions,
)
from tui.store.target import DEMO_HINT, DbTarget

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
STANDBY_REASON = "read-only standby (hot standby): end sessions on the primary"
"""Why a standby cannot end sessions, and where the operator can."""
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


def make_engine(target: DbTarget, *, read_only: bool = False, create: bool = False) -> AsyncEngine:
    """An engine set up by the target's backend (`Backend.make_engine`)."""
    return backend_for(target.kind).make_engine(
        target, read_only=read_only, create=create, lock_wait_ms=SQLITE_BUSY_TIMEOUT_MS
    )


def _row(r: Row[Any]) -> SessionRow:
    return session_row(r._mapping)


def _hop(r: Row[Any]) -> ChainHop:
    m = r._mapping
    return ChainHop(
        id=m["id"],
        active=bool(m["active"]),
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
    ) -> None:
        self.target = target
        self.engine = engine
        self.schema = schema
        self.read_only = read_only
        self.standby = standby
        """The server is a read-only replica of another (a PostgreSQL hot standby), as
        found at open: every read works, no write is ever attempted (`can_end`)."""
        self.detection: Detection = detect_era(schema.markers)
        """The service version this database is from, and how the tool knows (`info`)."""
        self.d = q.Dialect(
            backend_for(target.kind),
            schema.has_ended_reason,
            zone=schema.zone or "UTC",
            has_owner=schema.has(USERS, "display_name")
            and schema.has(USERS, "email")
            and schema.has(CONVERSATIONS, "user_id"),
            has_deleted=schema.has(CONVERSATIONS, "deleted_at"),
            has_hidden=schema.has(CONVERSATIONS, "hidden"),
        )
        self._zone = zone_info(schema.zone)
        self.recount_after = FULL_RECOUNT_SECONDS
        self._settled: dict[Status, delta.Settled] = {}

    # -- plumbing -----------------------------------------------------------------

    def _error(self, exc: BaseException) -> StoreError:
        return translate(exc, self.target.display(), self.target.scrub)

    @asynccontextmanager
    async def _read(self, *, snapshot: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read transaction; `snapshot` makes every statement in it see the same data."""
        try:
            async with self.engine.connect() as conn:
                if snapshot:
                    await self.d.backend.snapshot(conn)
                yield conn
        except StoreError:
            raise
        except Exception as exc:
            raise self._error(exc) from None

    @property
    def vocabulary(self) -> Vocabulary:
        """The triggers in force for the service version that made this database: the
        reason panel, the end picker, the palette and `end --reason` all take it from here."""
        return self.detection.vocabulary

    @property
    def can_end(self) -> str | None:
        """None when ending is allowed; otherwise the reason it is not, for the UI to show.

        A standby comes first: it refuses writes whatever this tool was told, and the
        operator's fix is another server, not another flag."""
        if self.standby:
            return STANDBY_REASON
        if self.read_only:
            return "opened read-only (--read-only)"
        if not self.schema.has_ended_reason:
            return str(SchemaTooOld())
        return None

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
        async with self._read() as conn:
            result: Sequence[Row[Any]] = []
            narrowing = bool((flt.search and flt.search.strip()) or (flt.user and flt.user.strip()))
            windowed = narrowing and sort is SortKey.STARTED and not ascending
            if windowed:  # a search or an owner that matches near the top stops there
                stmt = q.list_statement(self.d, flt, sort, cursor, limit, window=SEARCH_WINDOW)
                result = (await conn.execute(stmt, params)).all()
            if len(result) <= limit:
                stmt = q.list_statement(self.d, flt, sort, cursor, limit, ascending=ascending)
                result = (await conn.execute(stmt, params)).all()
            following = (
                q.next_segment(self.d, cursor, ascending=ascending) if cursor is not None else None
            )
            if following is not None and len(result) <= limit:  # rows with a NULL key
                left = limit - len(result)
                stmt = q.list_statement(self.d, flt, sort, following, left, ascending=ascending)
                result = [*result, *(await conn.execute(stmt, params)).all()]
        rows = [_row(r) for r in result[:limit]]
        next_cursor = None
        if len(result) > limit:
            last = result[limit - 1]._mapping
            next_cursor = Cursor(key=last["_sort_key"], id=last["id"], as_of=as_of)
        return Page(rows=rows, next_cursor=next_cursor)

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
        d, started = self.d, SortKey.STARTED
        before: list[Row[Any]] = []
        nulls_first = d.backend.segment_after(Cursor(key=None, id="")) is not None
        async with self._read() as conn:
            if nulls_first and (cursor is None or cursor.key is None):
                # Rows without a start time lead this database's order: read them first
                # (the started_at index holds them together), then the dated rows' windows.
                top = cursor or Cursor(key=None, id="", segment_top=True)
                before = list(
                    (await conn.execute(q.list_statement(d, flt, started, top, limit))).all()
                )
                if len(before) > limit:
                    page = self._page(before, limit, None)
                    return Page(page.rows, page.next_cursor, None, window)
                limit_left, cursor = limit - len(before), None
            else:
                limit_left = limit
            dated_top = Cursor(key=0, id="", segment_top=True) if nulls_first else None
            below = (await conn.execute(q.window_boundary(d, cursor, window))).scalars().all()
            floor = below[0] if len(below) == 2 else None
            resume = None
            if floor is None:  # the rest of the list fits in one window
                start = cursor if cursor is not None else dated_top
                stmt = q.list_statement(d, flt, started, start, limit_left)
                result: list[Row[Any]] = list((await conn.execute(stmt)).all())
                following = q.next_segment(d, start) if start is not None else None
                if following is not None and len(result) <= limit_left:
                    left = limit_left - len(result)
                    stmt = q.list_statement(d, flt, started, following, left)
                    result += (await conn.execute(stmt)).all()
            else:
                stmt = q.bounded_search_statement(d, flt, cursor, limit_left, floor)
                result = list((await conn.execute(stmt)).all())
                if len(result) <= limit_left:
                    last = (await conn.execute(q.lowest_id_at(d, floor))).scalar_one()
                    resume = Cursor(key=floor, id=str(last))
        page = self._page([*before, *result], limit, None)
        return Page(page.rows, page.next_cursor, resume, window)

    def _page(self, result: Sequence[Row[Any]], limit: int, as_of: datetime | None) -> Page:
        rows = [_row(r) for r in result[:limit]]
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

    async def counts(self, flt: SessionFilter | None = None) -> Counts:
        """Active and ended over the whole table, and the number under the filter."""
        flt = flt or SessionFilter()
        async with self._read() as conn:
            total = (await conn.execute(q.count_statement(self.d, SessionFilter()))).scalar_one()
            active_stmt = q.count_statement(self.d, SessionFilter(status=Status.ACTIVE))
            active = (await conn.execute(active_stmt)).scalar_one()
            if flt.is_empty:
                filtered = total
            else:
                filtered = (await conn.execute(q.count_statement(self.d, flt))).scalar_one()
        return Counts(active=int(active), ended=int(total - active), filtered=int(filtered))

    async def resolve_id(self, prefix: str) -> str:
        """A whole id from a unique prefix; UnknownSession or AmbiguousId otherwise."""
        text = prefix.strip().lower()
        if not text:
            raise UnknownSession("empty session id")
        s = sessions
        cond = self.d.backend.id_prefix(s.c.id, text)
        if cond is None:
            raise UnknownSession(f"no session with id {text!r}")
        stmt = sa.select(s.c.id).where(cond).order_by(s.c.id).limit(5)
        async with self._read() as conn:
            ids = list((await conn.execute(stmt)).scalars())
        if not ids:
            raise UnknownSession(f"no session with id {prefix!r}")
        if len(ids) > 1 and text not in ids:
            shown = ", ".join(i[:12] for i in ids[:4])
            raise AmbiguousId(
                f"{prefix!r} matches several sessions ({shown}…): give more characters"
            )
        return text if text in ids else ids[0]

    async def get_session(self, session_id: str) -> SessionDetail | None:
        """Every column of the session, its conversation and codebase; metadata decoded."""
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
            row = _row(found)
            every, params = self.d.backend.session_columns(row.id)
            raw = (await conn.execute(every, params)).first()
            conv = await self._row_dict(conn, CONVERSATIONS, row.conversation_id)
            code = await self._row_dict(conn, CODEBASES, row.codebase_id)
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
        self, ids: Iterable[str], reason: str, actor: str | None = None
    ) -> list[EndOutcome]:
        """End each still-active session with `reason`, compare-and-set, in one transaction.

        A session someone else ended first is reported AlreadyEnded with their values,
        which are never overwritten.
        """
        trigger = self.vocabulary.require_deactivating(reason)
        if self.standby:
            raise ReadOnly(f"{self.target.display()}: {STANDBY_REASON}")
        if self.read_only:
            raise ReadOnly(
                f"{self.target.display()}: opened read-only; ending sessions is disabled"
            )
        if not self.schema.has_ended_reason:
            raise SchemaTooOld(f"{self.target.display()} has no ended_reason column")
        id_list = list(dict.fromkeys(ids))
        audit = audit_json(audit_record(actor, trigger.wire))
        s = sessions
        backend = self.d.backend
        outcomes: list[EndOutcome] = []
        try:
            async with self.engine.connect() as conn:
                conn = await backend.for_writes(conn)
                async with conn.begin():
                    for sid in id_list:
                        if not backend.valid_id(sid):
                            outcomes.append(NotFound(sid))
                            continue
                        stmt = (
                            sa.update(s)
                            .where(s.c.id == sid, s.c.active == sa.true())
                            .values(
                                active=False,
                                # The service's own NOW(), in its zone: both writers agree.
                                ended_at=backend.stored_now(self.d.zone),
                                ended_reason=trigger.wire,
                                # Merged by the UPDATE itself: no read-modify-write race;
                                # its "at" is the clock ended_at was just written with.
                                metadata=backend.json_set(
                                    s.c.metadata, "endedBy", backend.audit_object(audit)
                                ),
                            )
                        )
                        result = await conn.execute(stmt)
                        if result.rowcount == 1:
                            outcomes.append(Ended(sid, trigger.wire))
                            continue
                        current = (
                            await conn.execute(
                                sa.select(self.d.absolute(s.c.ended_at), s.c.ended_reason).where(
                                    s.c.id == sid
                                )
                            )
                        ).first()
                        if current is None:
                            outcomes.append(NotFound(sid))
                        else:
                            outcomes.append(AlreadyEnded(sid, current[0], current[1]))
        except StoreError:
            raise
        except Exception as exc:
            raise self._error(exc) from None
        return outcomes


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


async def read_server(engine: AsyncEngine, backend: Backend) -> ServerFacts:
    """The schema as it is now, whether the server is a standby, and the service's
    schema-version row when the table has one."""

    def _inspect(sync_conn: Any) -> tuple[dict[str, set[str]], set[str], bool, str | None]:
        tables = backend.service_columns(sync_conn)
        indexes = backend.index_names(sync_conn, SESSIONS) if SESSIONS in tables else set()
        return tables, indexes, backend.is_standby(sync_conn), backend.service_zone(sync_conn)

    async with engine.connect() as conn:
        tables, indexes, standby, zone = await conn.run_sync(_inspect)
        row = None
        if {"created_app_version", "app_version"} <= tables.get(SCHEMA_VERSION, set()):
            sv = schema_version
            stmt = sa.select(sv.c.created_app_version, sv.c.app_version).where(sv.c.id == 1)
            found = (await conn.execute(stmt)).first()
            row = (found[0], found[1]) if found is not None else None
        return ServerFacts(tables, indexes, standby, row, zone)


async def open_store(target: DbTarget, *, read_only: bool = False) -> Store:
    """Open a database as it is: check its schema, never change it."""
    engine = make_engine(target, read_only=read_only)
    where = target.display()
    try:
        facts = await read_server(engine, backend_for(target.kind))
    except Exception as exc:
        await engine.dispose()
        raise translate(exc, where, target.scrub) from None
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
    )
    return Store(target, engine, schema, read_only, standby=facts.standby)


__all__ = [
    "PAGE_SIZE",
    "STANDBY_REASON",
    "SchemaInfo",
    "Store",
    "default_actor",
    "open_store",
    "parse_sqlite_ts",
]
