"""The store's counts over a search's window: the reasons and the stuck kinds of the
newest sessions, for a question the operator just typed (free text, `user:`)."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace
from sqlalchemy.ext.asyncio import AsyncConnection

from tui.domain.models import ReasonFacets, SessionFilter, Status
from tui.domain.stuck import StuckKind
from tui.store import delta
from tui.store import queries as q
from tui.store.sql_window_counts import (
    ACTIVE_STARTED,
    window_facet_statement,
    window_stuck_statement,
)
from tui.store.store_counts import StoreCounts


class StoreWindowCounts(StoreCounts):
    """Counts over the newest `window` sessions (part of `Store`).

    The window is the one a bounded search of that size covers (`search_window`): the
    same floor, read the same way (`window_boundary`), so the counts match the rows a
    search's windows looked at. A window that reaches the end of the list is the whole
    table: the answer is then the exact count, and says so (`window` None)."""

    async def _floor(self, conn: AsyncConnection, window: int) -> Any:
        """The start time of the window's last session; None: the window holds them all."""
        below = (await conn.execute(q.window_boundary(self.d, None, window))).scalars().all()
        return below[0] if len(below) == 2 else None

    async def reason_counts_in(self, flt: SessionFilter, window: int) -> ReasonFacets:
        """`reason_counts` among the newest `window` sessions: exact counts of the window's
        sessions under every filter but the reason one. `ReasonFacets.window` is `window`,
        or None when the window holds every session (then these are `reason_counts`)."""
        base = flt.without_reasons()
        async with self._read() as conn:
            floor = await self._floor(conn, max(1, window))
            if floor is None:
                stmt = q.facet_statement(self.d, base)
            else:
                stmt = window_facet_statement(self.d, base, floor)
            groups = delta.groups(await conn.execute(stmt))
        facets = ReasonFacets.from_groups(delta.listed(groups))
        return facets if floor is None else replace(facets, window=window)

    async def stuck_counts_in(
        self, flt: SessionFilter, window: int
    ) -> tuple[dict[StuckKind, int | None], int | None]:
        """`stuck_counts` among the newest `window` sessions, and the window they were
        taken over (None: it holds every session, and these are `stuck_counts`)."""
        base = replace(flt, stuck=None)
        if base.status is Status.ENDED:
            return await self.stuck_counts(base), None
        async with self._read() as conn:
            floor = await self._floor(conn, max(1, window))
            if floor is not None:
                indexed = ACTIVE_STARTED in self.schema.session_indexes
                stmt = window_stuck_statement(self.d, base, floor, indexed=indexed)
                found = (await conn.execute(stmt)).one()
        if floor is None:
            return await self.stuck_counts(base), None
        counts = {
            kind: None if kind in self.undetectable else int(found._mapping[kind.wire])
            for kind in StuckKind
        }
        return counts, window
