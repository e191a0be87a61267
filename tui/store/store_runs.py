"""The store's reads of workflow runs (part of `Store`): the list, one run's detail, ids
and the stuck runs. A column or table the database's version lacks reads as None,
never an error (`sql_runs.RunSql`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from msgspec.structs import replace
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from tui.domain.models import Metadata
from tui.domain.run_stuck import RunStuckKind, kinds_of, run_not_detectable
from tui.domain.runs import (
    DEFAULT_QUIET_AFTER,
    RUN_PAGE_SIZE,
    NodeSession,
    RunCursor,
    RunDetail,
    RunEvent,
    RunFilter,
    RunPage,
    RunRow,
)
from tui.store import limits
from tui.store import sql_runs as qr
from tui.store.codec import text_id, text_value
from tui.store.errors import AmbiguousId, UnknownRun
from tui.store.sql_dialect import id_prefix, valid_id
from tui.store.store_base import StoreBase, _hop, _plain
from tui.store.tables import WORKFLOW_RUNS

MAX_CHILDREN = 200
"""Sub-runs a run's detail lists at most (oldest first)."""
_DETAIL_COLUMNS = frozenset(
    {"user_message", "current_step_index", "metadata", "parent_conversation_id"}
    | {"output_root", "user_id", "codebase_id"}
    | {c.name for c in qr.runs.c}
)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    value = text_value(value)
    return None if value is None else str(value)


def _metadata(raw: Any) -> Metadata:
    raw = text_value(raw)
    if raw is not None and not isinstance(raw, str):
        raw = json.dumps(raw, ensure_ascii=False)
    return Metadata.decode(raw)


class StoreRuns(StoreBase):
    """Reads of workflow runs (part of `Store`)."""

    run_quiet_after: timedelta = DEFAULT_QUIET_AFTER
    """When a `running` run with no recorded activity is `quiet` (a setting)."""

    @property
    def run_columns(self) -> frozenset[str]:
        """The runs table's columns in this database; empty without the table."""
        return self.schema.tables.get(WORKFLOW_RUNS, frozenset())

    @property
    def has_runs(self) -> bool:
        """Whether the database has a workflow runs table the tool can list."""
        return {"id", "status", "workflow_name", "started_at"} <= self.run_columns

    @property
    def run_undetectable(self) -> dict[RunStuckKind, str]:
        """The run kinds this version's writes cannot produce, each with why."""
        cols = self.run_columns
        return {k: why for k in RunStuckKind if (why := run_not_detectable(k, cols)) is not None}

    def _rs(self) -> qr.RunSql:
        tables = self.schema.tables
        return qr.RunSql(
            self.d,
            self.run_columns,
            event_columns=tables.get(qr.WORKFLOW_EVENTS, frozenset()),
            node_session_columns=tables.get(qr.NODE_SESSIONS, frozenset()),
            undetectable=frozenset(self.run_undetectable),
            quiet_after=self.run_quiet_after,
        )

    def _run_row(self, m: Mapping[Any, Any]) -> RunRow:
        row = RunRow(
            id=text_id(m["id"]) or "",
            status=_text(m["status"]),
            workflow_name=_text(m["workflow_name"]),
            conversation_id=text_id(m["conversation_id"]),
            platform_type=_text(m["platform_type"]),
            platform_conversation_id=_text(m["platform_conversation_id"]),
            codebase_id=text_id(m["codebase_id"]),
            codebase_name=_text(m["codebase_name"]),
            owner=_text(m["owner"]),
            started_at=m["started_at"],
            last_activity_at=m["last_activity_at"],
            completed_at=m["completed_at"],
            cost_usd=_number(m["cost_usd"]),
            outcome=_text(m["outcome"]),
            parent_run_id=text_id(m["parent_run_id"]),
            working_path=_text(m["working_path"]),
        )
        return row

    def _with_kinds(self, row: RunRow, lost_by: str | None) -> RunRow:
        """The row with what the page read of its path, and every kind it is in now."""
        row = replace(row, path_lost_by=lost_by)
        blind = self.run_undetectable
        kinds = kinds_of(row, self.d.clock(), self.run_quiet_after)
        return replace(row, stuck=tuple(k for k in kinds if k not in blind))

    async def _rows_for(
        self, conn: AsyncConnection, rs: qr.RunSql, ids: Sequence[str]
    ) -> list[RunRow]:
        """The list rows of these runs, in the order given: their columns in one
        statement, and for the running ones on a working path, the latest run started no
        earlier on that path that ended cancelled (`path-held`), in one more."""
        if not ids:
            return []
        found = await conn.execute(qr.rows_statement(rs, list(ids)))
        by_id = {row.id: row for row in (self._run_row(m) for m in found.mappings())}
        rows = [by_id[i] for i in ids if i in by_id]
        paths = sorted({r.working_path for r in rows if r.status == "running" and r.working_path})
        lost: dict[str, list[tuple[Any, str]]] = {}
        if paths and RunStuckKind.PATH_HELD not in self.run_undetectable:
            for m in (await conn.execute(qr.lost_paths_statement(rs, paths))).mappings():
                if m["started_at"] is not None:
                    entry = (m["started_at"], str(text_id(m["id"])))
                    lost.setdefault(str(m["working_path"]), []).append(entry)
        return [self._with_kinds(r, _lost_by(r, lost)) for r in rows]

    async def list_runs(
        self,
        flt: RunFilter | None = None,
        cursor: RunCursor | None = None,
        limit: int = RUN_PAGE_SIZE,
    ) -> RunPage:
        """One keyset page, newest first by (started_at, id), runs without a start time
        last; the cursor for the next page (None at the end). Empty without the table."""
        return await self._keyset_page(flt or RunFilter(), cursor, limit, stuck_only=False)

    async def _keyset_page(
        self, flt: RunFilter, cursor: RunCursor | None, limit: int, *, stuck_only: bool
    ) -> RunPage:
        """The list's page: the dated segment from the cursor, then (where it runs out)
        the runs without a start time by id. `stuck_only`: only runs in a computed stuck
        kind."""
        limit = max(1, min(limit, 10_000))
        if not self.has_runs:
            return RunPage([], None)
        rs = self._rs()

        def segment(size: int, *, dated: bool) -> sa.Select[Any]:
            stmt = qr.page_statement(rs, flt, cursor, size, dated=dated)
            return stmt.where(qr.any_stuck(rs)) if stuck_only else stmt

        async with self._read() as conn:
            keys: list[Row[Any]] = []
            if cursor is None or cursor.key is not None:
                keys = list((await conn.execute(segment(limit + 1, dated=True))).all())
            if len(keys) <= limit:
                keys += (await conn.execute(segment(limit + 1 - len(keys), dated=False))).all()
            rows = await self._rows_for(conn, rs, _ids(keys[:limit]))
        return RunPage(rows, _following(keys, limit))

    async def runs_by_id(self, ids: Sequence[str]) -> list[RunRow]:
        """The list rows of these runs as they are now (the runs list's columns and
        stuck kinds), in the order given, each once; a run that does not exist is left
        out. Read `limits.END_BATCH` ids a statement (a cancel's rows read back)."""
        wanted = [i for i in dict.fromkeys(ids) if valid_id(self.d.backend, i)]
        if not self.has_runs or not wanted:
            return []
        rs = self._rs()
        found: list[RunRow] = []
        async with self._read() as conn:
            for at in range(0, len(wanted), limits.END_BATCH):
                found += await self._rows_for(conn, rs, wanted[at : at + limits.END_BATCH])
        return found

    async def search_runs(
        self,
        flt: RunFilter | None = None,
        cursor: RunCursor | None = None,
        limit: int = RUN_PAGE_SIZE,
        window: int | None = None,
    ) -> RunPage:
        """A newest-first page of `list_runs` that looks at no more than `window` runs
        below the cursor (`limits.SEARCH_WINDOW` by default): a text that matches nothing
        costs one window, not the table.

        A full page found in the window is the list's exact page (its cursor goes on as
        usual). Otherwise the page holds what the window had, and `resume` says where the
        next window starts (None: the window reached the end of the dated runs, and the
        runs without a start time were read as `list_runs` reads them). `searched` is the
        number of runs the window covered."""
        flt = flt or RunFilter()
        limit = max(1, min(limit, 10_000))
        size = max(1, window if window is not None else limits.SEARCH_WINDOW)
        if not self.has_runs:
            return RunPage([], None)
        if cursor is not None and cursor.key is None:  # the runs without a start time
            return replace(await self.list_runs(flt, cursor, limit), searched=size)
        rs = self._rs()
        async with self._read() as conn:
            below = (await conn.execute(qr.window_floor(rs, cursor, size))).all()
            if len(below) == 2:
                m = below[0]._mapping
                floor = RunCursor(key=m["_sort_key"], id=str(text_id(m["id"])))
                stmt = qr.page_statement(rs, flt, cursor, limit + 1, dated=True)
                keys = list((await conn.execute(stmt.where(qr.within_window(rs, floor)))).all())
                rows = await self._rows_for(conn, rs, _ids(keys[:limit]))
                following = _following(keys, limit)
                resume = floor if following is None else None
                return RunPage(rows, following, resume, size)
        return replace(await self.list_runs(flt, cursor, limit), searched=size)

    async def stuck_runs(
        self,
        flt: RunFilter | None = None,
        limit: int = RUN_PAGE_SIZE,
        cursor: RunCursor | None = None,
    ) -> RunPage:
        """The runs in any computed stuck kind (or in `flt.stuck`), a keyset page as
        `list_runs` reads it: newest first, runs without a start time last (a paused or
        quiet run needs none), and the cursor for the next page."""
        flt = flt or RunFilter()
        return await self._keyset_page(flt, cursor, limit, stuck_only=flt.stuck is None)

    async def run_stuck_counts(
        self, flt: RunFilter | None = None
    ) -> dict[RunStuckKind, int | None]:
        """How many runs under the filter are in each kind: None for a kind this version
        cannot produce (`run_undetectable`), and for every kind without a runs table."""
        flt = flt or RunFilter()
        blind = self.run_undetectable
        if not self.has_runs:
            return dict.fromkeys(RunStuckKind)
        rs = self._rs()
        async with self._read() as conn:
            m = (await conn.execute(qr.stuck_counts_statement(rs, flt))).one()._mapping
        return {k: None if k in blind else int(m[k.name] or 0) for k in RunStuckKind}

    async def runs_by_status(self) -> dict[str | None, int]:
        """How many runs have each stored status (one pass over the status index); {}
        without a runs table."""
        if not self.has_runs:
            return {}
        async with self._read() as conn:
            rows = (await conn.execute(qr.runs_by_status_statement())).all()
        return {status: int(n) for status, n in rows}

    async def resolve_run_id(self, prefix: str) -> str:
        """A whole run id from a unique prefix; UnknownRun or AmbiguousId otherwise (as
        `resolve_id` for sessions)."""
        text = prefix.strip()
        if not text:
            raise UnknownRun("empty run id")
        if not self.has_runs:
            raise UnknownRun("this database has no workflow runs table")
        cond = id_prefix(self.d.backend, qr.runs.c.id, text)
        if cond is None:
            raise UnknownRun(f"no workflow run with id {text!r}")
        async with self._read() as conn:
            ids = [
                str(text_id(i))
                for i in (await conn.execute(qr.id_statement(self._rs(), cond))).scalars()
            ]
        if not ids:
            raise UnknownRun(f"no workflow run with id {prefix!r}")
        for whole in (text, text.lower()):
            if whole in ids:
                return whole
        if len(ids) > 1:
            shown = ", ".join(i[:12] for i in ids[:4])
            raise AmbiguousId(f"{prefix!r} matches several runs ({shown}…): give more characters")
        return ids[0]

    async def get_run(self, run_id: str) -> RunDetail | None:
        """Every column of the run, its parent and sub-runs, its conversation's latest
        sessions, and its latest events and node sessions (None without those tables)."""
        if not self.has_runs or not valid_id(self.d.backend, run_id):
            return None
        rs = self._rs()
        async with self._read() as conn:
            found = await self._rows_for(conn, rs, [run_id])
            if not found:
                return None
            row = found[0]
            more = (await conn.execute(qr.detail_columns_statement(rs, run_id))).one()._mapping
            extra = await self._extra_columns(conn, run_id)
            parent = None
            if row.parent_run_id is not None and valid_id(self.d.backend, row.parent_run_id):
                up = await self._rows_for(conn, rs, [row.parent_run_id])
                parent = up[0] if up else None
            children: list[RunRow] = []
            stmt = qr.children_statement(rs, run_id, MAX_CHILDREN)
            if stmt is not None:
                kids = [str(text_id(i)) for i in (await conn.execute(stmt)).scalars()]
                children = await self._rows_for(conn, rs, kids)
            convo = []
            if row.conversation_id is not None and valid_id(self.d.backend, row.conversation_id):
                stmt = qr.sessions_statement(self.d, row.conversation_id)
                convo = [_hop(x) for x in (await conn.execute(stmt)).all()]
            events = await self._events(conn, rs, run_id)
            nodes = await self._node_sessions(conn, rs, run_id)
        return RunDetail(
            row=row,
            user_message=_text(more["user_message"]),
            current_step_index=more["current_step_index"],
            metadata=_metadata(more["metadata"]),
            parent_conversation_id=text_id(more["parent_conversation_id"]),
            output_root=_text(more["output_root"]),
            user_id=text_id(more["user_id"]),
            extra=extra,
            parent=parent,
            children=children,
            sessions=convo,
            events=events,
            node_sessions=nodes,
            columns=self.run_columns,
        )

    async def _extra_columns(self, conn: AsyncConnection, run_id: str) -> dict[str, Any]:
        """Run columns this tool does not know (a newer service), as stored."""
        unknown = sorted(self.run_columns - _DETAIL_COLUMNS)
        if not unknown:
            return {}
        cols: list[sa.ColumnClause[Any]] = [sa.column(name) for name in unknown]
        stmt = (
            sa.select(*cols)
            .select_from(sa.table(WORKFLOW_RUNS))
            .where(sa.column("id") == sa.bindparam("id", run_id, type_=qr.runs.c.id.type))
        )
        found = (await conn.execute(stmt)).first()
        if found is None:
            return {}
        return {k: _plain(v, self._zone) for k, v in found._mapping.items()}

    async def _events(
        self, conn: AsyncConnection, rs: qr.RunSql, run_id: str
    ) -> list[RunEvent] | None:
        stmt = qr.events_statement(rs, run_id)
        if stmt is None:
            return None
        return [
            RunEvent(
                id=text_id(m["id"]) or "",
                event_type=_text(m["event_type"]),
                step_index=m["step_index"],
                step_name=_text(m["step_name"]),
                data=_metadata(m["data"]),
                created_at=m["created_at"],
                event_order=m["event_order"],
            )
            for m in (await conn.execute(stmt)).mappings()
        ]

    async def _node_sessions(
        self, conn: AsyncConnection, rs: qr.RunSql, run_id: str
    ) -> list[NodeSession] | None:
        stmt = qr.node_sessions_statement(rs, run_id)
        if stmt is None:
            return None
        return [
            NodeSession(
                workflow_name=_text(m["workflow_name"]),
                node_id=_text(m["node_id"]),
                scope_key=_text(m["scope_key"]),
                provider=_text(m["provider"]),
                provider_session_id=_text(m["provider_session_id"]),
                last_run_id=text_id(m["last_run_id"]),
                created_at=m["created_at"],
                updated_at=m["updated_at"],
            )
            for m in (await conn.execute(stmt)).mappings()
        ]


def _ids(keys: Sequence[Row[Any]]) -> list[str]:
    return [str(text_id(k._mapping["id"])) for k in keys]


def _following(keys: Sequence[Row[Any]], limit: int) -> RunCursor | None:
    """The cursor after a page of `limit` rows, when the read found one more."""
    if len(keys) <= limit:
        return None
    last = keys[limit - 1]._mapping
    key = None if last["_undated"] else last["_sort_key"]
    return RunCursor(key=key, id=str(text_id(last["id"])))


def _lost_by(row: RunRow, lost: dict[str, list[tuple[Any, str]]]) -> str | None:
    """For a running row on a working path: the latest cancelled run there started no
    earlier than it (`sql_runs.held_paths`, the same rule); None otherwise."""
    if row.status != "running" or row.working_path is None or row.started_at is None:
        return None
    start = row.started_at
    found = [(at, rid) for at, rid in lost.get(row.working_path, []) if at >= start]
    return max(found)[1] if found else None
