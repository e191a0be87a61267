"""The store's counts: reasons, trends, stuck kinds, totals."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from time import monotonic

import sqlalchemy as sa

from tui.domain.models import (
    Counts,
    ReasonFacets,
    SessionFilter,
    Status,
)
from tui.domain.stuck import StuckKind
from tui.domain.timefmt import utcnow
from tui.domain.trends import TrendBy, Trends, TrendWindow
from tui.store import delta, limits
from tui.store import queries as q
from tui.store.codec import (
    utc_datetime,
)
from tui.store.store_base import run_each
from tui.store.store_reads import StoreReads


class StoreCounts(StoreReads):
    """Counts over sessions (part of `Store`)."""

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
                await run_each(conn, self.d.backend.traits.background_sql)
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
            await run_each(conn, self.d.backend.traits.background_sql)
            now = utc_datetime((await conn.execute(sa.select(q.db_now(self.d)))).scalar_one())
            full = delta.groups(await conn.execute(q.facet_statement(self.d, base)))
            before = (now or utcnow()) - limits.SETTLE_MARGIN
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
        conversation and duplicate by an index probe (`Traits.index_join_sql`).
        Background work for the server, as a full reason count is (`Traits.background_sql`)."""
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
            await run_each(conn, self.d.backend.traits.background_sql)
            if probes and self.d.has_active_index:
                await run_each(conn, self.d.backend.traits.index_join_sql)
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
