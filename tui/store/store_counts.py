"""The store's counts: reasons, trends, stuck kinds, totals."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from time import monotonic
from typing import Any

import sqlalchemy as sa
from msgspec.structs import replace

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
from tui.store.backends.reader import Plan, Query
from tui.store.codec import (
    utc_datetime,
)
from tui.store.hot import Statements
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
        d, background = self.d, self.d.backend.traits.background_sql

        def facets() -> Query:
            return self.sql.shaped(("facets", d, base), lambda: q.facet_statement(d, base))

        if not q.incremental_facets(base) or not self._delta_indexed:

            def full_plan() -> Plan[Counter[delta.GroupKey]]:
                return delta.groups((yield facets()))

            groups = await self._hot(full_plan, setup=background)
            return ReasonFacets.from_groups(delta.listed(groups))
        settled = self._settled.get(base.status)
        if settled is not None and not recount and monotonic() - settled.taken < self.recount_after:
            live_query = self.sql.shaped(
                ("live_facets", d, base, settled.before, settled.reads_all_active),
                lambda: q.live_facet_statement(
                    d, base, settled.before, all_active=settled.reads_all_active
                ),
            )

            def live_plan() -> Plan[list[delta.LiveGroup]]:
                return delta.live_groups((yield live_query))

            counts = settled.answer(await self._hot(live_plan, short=True))
            if counts is not None:
                return ReasonFacets.from_groups(delta.listed(counts))
            self._settled.pop(base.status, None)  # a deleted session broke the arithmetic
        taken = monotonic()

        def settle_plan() -> Plan[tuple[Counter[delta.GroupKey], delta.Settled | None]]:
            now = utc_datetime((yield self.sql.bind(sa.select(q.db_now(d)))).scalar())
            full = delta.groups((yield facets()))
            before = (now or utcnow()) - limits.SETTLE_MARGIN
            live = delta.live_groups((yield self.sql.bind(q.live_facet_statement(d, base, before))))
            return full, delta.settle(full, live, before, taken)

        # both counts from one snapshot
        full, fresh = await self._hot(settle_plan, setup=background, snapshot=True)
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
        d, traits = self.d, self.d.backend.traits
        probes = base == SessionFilter(status=base.status)
        # Built once per filter: building and keying it can cost more CPU than running
        # it; "now" for `idle` is a parameter computed at each run.
        query = self.sql.shaped(("stuck", d, base), lambda: q.stuck_counts_statement(d, base))
        setup = traits.background_sql
        if probes and d.has_active_index:
            setup = (*setup, *traits.index_join_sql)

        def plan() -> Plan[dict[str, Any]]:
            rows = yield query
            return dict(zip(rows.names, rows.data[0], strict=True))

        found = await self._hot(plan, setup=setup)
        return {
            kind: None if kind in self.undetectable else int(found[kind.wire]) for kind in StuckKind
        }

    async def counts(self, flt: SessionFilter | None = None) -> Counts:
        """Active and ended over the whole table, and the number under the filter; the
        rest of the table is odd (`codec.active_state`), counted apart."""
        flt = flt or SessionFilter()
        d = self.d

        def count(which: SessionFilter) -> Query:
            return self.sql.shaped(("count", d, which), lambda: q.count_statement(d, which))

        def plan() -> Plan[tuple[int, int, int, int]]:
            total = int((yield count(SessionFilter())).scalar())
            active = int((yield count(SessionFilter(status=Status.ACTIVE))).scalar())
            ended = int((yield count(SessionFilter(status=Status.ENDED))).scalar())
            filtered = total if flt.is_empty else int((yield count(flt)).scalar())
            return total, active, ended, filtered

        total, active, ended, filtered = await self._hot(plan)
        return Counts(
            active=active,
            ended=ended,
            filtered=filtered,
            odd=total - active - ended,
        )

    async def active_count(self) -> int:
        """The active sessions alone: one count by the active index, whose cost is the
        active rows', so it is read as a short read (on the event loop where the
        backend can, `_hot`)."""
        return await self._hot(lambda: active_count_plan(self.sql, self.d), short=True)


def active_count_plan(sql: Statements, d: q.Dialect) -> Plan[int]:
    """The count of active sessions, by the active index (`Store.active_count`, and the
    overview's first row read without a store, `headline`)."""
    active = SessionFilter(status=Status.ACTIVE)
    count = yield sql.shaped(("count", d, active), lambda: q.count_statement(d, active))
    return int(count.scalar())
