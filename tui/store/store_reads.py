"""The store's reads: pages, search windows, ids, a session's detail and chain."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from msgspec.structs import replace
from sqlalchemy.ext.asyncio import AsyncConnection

from tui.domain.models import (
    ChainHop,
    Cursor,
    Metadata,
    Page,
    SessionChain,
    SessionDetail,
    SessionFilter,
    SessionRow,
    SortKey,
    WorkflowRun,
)
from tui.domain.stuck import StuckKind
from tui.domain.timefmt import utcnow
from tui.store import limits
from tui.store import queries as q
from tui.store.backends.reader import Plan, Query, Rows
from tui.store.codec import (
    list_row_decoder,
    text_id,
    text_value,
)
from tui.store.errors import (
    AmbiguousId,
    UnknownSession,
)
from tui.store.sql_dialect import id_prefix, valid_id
from tui.store.store_base import PAGE_SIZE, StoreBase, _hop, _plain, _row
from tui.store.store_schema import _SHOWN_COLUMNS
from tui.store.tables import (
    CODEBASES,
    CONVERSATIONS,
    sessions,
)


async def _decode_metadata(raw: str | None) -> Metadata:
    """Large metadata is parsed in a thread, off the event loop."""
    if raw is not None and len(raw) >= Metadata.LARGE:
        return await asyncio.to_thread(Metadata.decode, raw)
    return Metadata.decode(raw)


class StoreReads(StoreBase):
    """Reads of sessions (part of `Store`)."""

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
        narrowing = bool((flt.search and flt.search.strip()) or (flt.user and flt.user.strip()))
        windowed = narrowing and sort is SortKey.STARTED and not ascending

        def plan() -> Plan[Page]:
            result: Rows | None = None
            if windowed:  # a search or an owner that matches near the top stops there
                rows, floor = yield from self._window_rows(flt, cursor, limit, limits.SEARCH_WINDOW)
                if len(rows) > limit or floor is None:  # the exact page, or the list's rest
                    result = rows
            if result is None:
                start = cursor or q.first_segment(sort, ascending=ascending)
                page = self._page_query(flt, sort, start, limit, ascending, as_of)
                result = yield page
                following = (
                    q.next_segment(self.d, start, ascending=ascending, sort=sort)
                    if start is not None
                    else None
                )
                if following is not None and len(result) <= limit:  # rows with a NULL key
                    left = limit - len(result)
                    rest = self._page_query(flt, sort, following, left, ascending, as_of)
                    result += yield rest
            return (yield from self._marked(self._page(result, limit, as_of)))

        return await self._hot(plan, setup=self._value_plans(flt), short=not windowed)

    def _page_query(
        self,
        flt: SessionFilter,
        sort: SortKey,
        cursor: Cursor | None,
        limit: int,
        ascending: bool,
        as_of: datetime | None,
    ) -> Query:
        """`list_statement`, built once per shape (the cursor's values and "now" bound)."""
        shape = ("list", self.d, flt, sort, q.cursor_shape(cursor), limit, ascending)
        values = q.cursor_values(cursor)
        if sort is SortKey.DURATION:
            values["as_of"] = as_of
        return self.sql.shaped(
            shape,
            lambda: q.list_statement(self.d, flt, sort, cursor, limit, ascending=ascending),
            values,
        )

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

        def plan() -> Plan[Page]:
            rows, floor = yield from self._window_rows(flt, cursor, limit, window)
            resume = None
            if floor is not None and len(rows) <= limit:
                at = self.sql.shaped(
                    ("lowest_id_at", self.d),
                    lambda: q.lowest_id_at(self.d, floor),
                    {"floor": floor},
                )
                last = (yield at).scalar()
                resume = Cursor(key=floor, id=text_id(last) or "")
            page = yield from self._marked(self._page(rows, limit, None))
            return Page(page.rows, page.next_cursor, resume, window)

        return await self._hot(plan, setup=self._value_plans(flt))

    def _value_plans(self, flt: SessionFilter) -> tuple[str, ...]:
        """The settings of a page read under `flt`: an owner's statements planned for
        that owner (`Traits.value_plans_sql`), as its share of the sessions varies."""
        return self.d.backend.traits.value_plans_sql if flt.user and flt.user.strip() else ()

    def _window_rows(
        self,
        flt: SessionFilter,
        cursor: Cursor | None,
        limit: int,
        window: int,
    ) -> Plan[tuple[Rows, Any]]:
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
        before = Rows((), [])
        nulls_first = d.backend.traits.nulls_first_desc
        if nulls_first and (cursor is None or cursor.key is None):
            top = cursor or Cursor(key=None, id="", segment_top=True)
            before = yield self._page_query(flt, started, top, limit, False, None)
            if len(before) > limit:
                return before, None
            limit, cursor = limit - len(before), None
        dated_top = Cursor(key=0, id="", segment_top=True) if nulls_first else None
        bounds = self.sql.shaped(
            ("window_boundary", d, q.cursor_shape(cursor), window),
            lambda: q.window_boundary(d, cursor, window),
            q.cursor_values(cursor),
        )
        below = (yield bounds).scalars()
        floor = below[0] if len(below) == 2 else None
        result: Rows
        if floor is None:  # the rest of the list fits in one window
            start = cursor if cursor is not None else dated_top
            result = yield self._page_query(flt, started, start, limit, False, None)
            following = q.next_segment(d, start) if start is not None else None
            if following is not None and len(result) <= limit:
                left = limit - len(result)
                result += yield self._page_query(flt, started, following, left, False, None)
        else:
            walk = self.sql.shaped(
                ("bounded_search", d, flt, q.cursor_shape(cursor), limit),
                lambda: q.bounded_search_statement(d, flt, cursor, limit, floor),
                q.cursor_values(cursor, floor),
            )
            result = yield walk
        return before + result, floor

    def _marked(self, page: Page) -> Plan[Page]:
        """The page with its `duplicate` marks: as read when an index could read them
        (`queries.marks_duplicates`), else from one pass over the active sessions of the
        page's conversations (`queries.duplicate_ids`), never a scan per row."""
        if q.marks_duplicates(self.d) or StuckKind.DUPLICATE in self.undetectable:
            return page
        conversations = sorted(
            {r.conversation_id for r in page.rows if r.active and r.conversation_id}
        )
        if not conversations:
            return page
        stmt = q.duplicate_ids(self.d, conversations)
        found = {text_id(i) for i in (yield self.sql.bind(stmt)).scalars()}
        if not found:
            return page
        rows = [
            replace(r, stuck=tuple(k for k in StuckKind if k in {*r.stuck, StuckKind.DUPLICATE}))
            if r.id in found
            else r
            for r in page.rows
        ]
        return replace(page, rows=rows)

    def _page(self, result: Rows, limit: int, as_of: datetime | None) -> Page:
        """The rows as the list shows them (`codec.list_row_decoder`), `idle` judged now."""
        rows: list[SessionRow] = []
        if result.data:
            decode = list_row_decoder(result.names)
            now, stale_after = self.d.clock(), self.d.stale_after
            rows = [decode(r, now, stale_after) for r in result.data[:limit]]
        next_cursor = None
        if len(result) > limit:
            last = dict(zip(result.names, result.data[limit - 1], strict=True))
            next_cursor = Cursor(key=last["_sort_key"], id=text_id(last["id"]) or "", as_of=as_of)
        return Page(rows=rows, next_cursor=next_cursor)

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

        The prefix matches as the ids' type says (`sql_dialect.id_prefix`: any case of a
        UUID; on SQLite, as typed, all lowercase or all uppercase), so an id as `list`
        shows it is always found. A whole id given exactly wins over longer ids it
        starts."""
        text = prefix.strip()
        if not text:
            raise UnknownSession("empty session id")
        s = sessions
        cond = id_prefix(self.d.backend, s.c.id, text)
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
        if not valid_id(self.d.backend, session_id):
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
            all_cols = await self.d.backend.read_columns(conn, row.id)
            conv = await self._row_dict(conn, CONVERSATIONS, row.conversation_id)
            code = await self._row_dict(
                conn, CODEBASES, row.codebase_id or row.conversation_codebase_id
            )
            runs = await self._workflow_runs(conn, row.conversation_id)
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

    async def _workflow_runs(
        self, conn: AsyncConnection, conversation_id: str | None
    ) -> list[WorkflowRun] | None:
        """The conversation's latest runs; None where the service has no such table."""
        if not self.has_workflow_runs:
            return None
        if conversation_id is None or not valid_id(self.d.backend, conversation_id):
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
        if row_id is None or not valid_id(self.d.backend, row_id):
            return {}
        found = (
            await conn.execute(sa.text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})
        ).first()
        return {k: _plain(v, self._zone) for k, v in found._mapping.items()} if found else {}

    async def session_chain(self, session_id: str) -> SessionChain:
        """Ancestors oldest first (ending with the session), and the session's children."""
        if not valid_id(self.d.backend, session_id):
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
