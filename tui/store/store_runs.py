"""The store's reads of workflow runs (part of `Store`): the list, one run's detail, ids
and the stuck runs. A column or table the database's version lacks reads as None,
never an error (`sql_runs.RunSql`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
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
            path_lost_by=text_id(m["path_lost_by"]),
        )
        blind = self.run_undetectable
        kinds = kinds_of(row, self.d.clock(), self.run_quiet_after)
        return replace(row, stuck=tuple(k for k in kinds if k not in blind))

    async def list_runs(
        self,
        flt: RunFilter | None = None,
        cursor: RunCursor | None = None,
        limit: int = RUN_PAGE_SIZE,
    ) -> RunPage:
        """One keyset page, newest first by (started_at, id), runs without a start time
        last; the cursor for the next page (None at the end). Empty without the table."""
        flt = flt or RunFilter()
        limit = max(1, min(limit, 10_000))
        if not self.has_runs:
            return RunPage([], None)
        rs = self._rs()
        async with self._read() as conn:
            found: list[Row[Any]] = []
            if cursor is None or cursor.key is not None:
                stmt = qr.list_statement(rs, flt, cursor, limit + 1, dated=True)
                found = list((await conn.execute(stmt)).all())
            if len(found) <= limit:
                stmt = qr.list_statement(rs, flt, cursor, limit + 1 - len(found), dated=False)
                found += (await conn.execute(stmt)).all()
        return self._run_page(found, limit)

    def _run_page(self, found: Sequence[Row[Any]], limit: int) -> RunPage:
        rows = [self._run_row(f._mapping) for f in found[:limit]]
        following = None
        if len(found) > limit:
            last = found[limit - 1]._mapping
            key = last["_sort_key"] if last["started_at"] is not None else None
            following = RunCursor(key=key, id=str(text_id(last["id"])))
        return RunPage(rows, following)

    async def stuck_runs(self, flt: RunFilter | None = None, limit: int = RUN_PAGE_SIZE) -> RunPage:
        """The runs in any computed stuck kind (or in `flt.stuck`), newest first."""
        flt = flt or RunFilter()
        if not self.has_runs:
            return RunPage([], None)
        rs = self._rs()
        limit = max(1, min(limit, 10_000))
        stmt = qr.list_statement(rs, flt, None, limit + 1, dated=True)
        if flt.stuck is None:
            stmt = stmt.where(qr.any_stuck(rs))
        async with self._read() as conn:
            found = list((await conn.execute(stmt)).all())
        return self._run_page(found, limit)

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
            found = (await conn.execute(qr.one_run_statement(rs, run_id))).first()
            if found is None:
                return None
            row = self._run_row(found._mapping)
            more = (await conn.execute(qr.detail_columns_statement(rs, run_id))).one()._mapping
            extra = await self._extra_columns(conn, run_id)
            parent = None
            if row.parent_run_id is not None and valid_id(self.d.backend, row.parent_run_id):
                up = (await conn.execute(qr.one_run_statement(rs, row.parent_run_id))).first()
                parent = self._run_row(up._mapping) if up is not None else None
            children: list[RunRow] = []
            stmt = qr.children_statement(rs, run_id, MAX_CHILDREN)
            if stmt is not None:
                children = [self._run_row(x._mapping) for x in (await conn.execute(stmt)).all()]
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
