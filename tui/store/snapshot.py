"""A deployment's `Snapshot`: its counts read in one pass of short statements, each the
store's own bounded count (stuck kinds by the active index, recent ends by the end-time
range, runs by the status index). The pass is in two parts: its `Headline` (version and
active count) first, then the rest; `read_snapshot` reads both at once."""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

from tui.domain.models import NOT_RECORDED_TOKEN
from tui.domain.snapshot import RECENT, Headline, Snapshot
from tui.domain.timefmt import utcnow
from tui.domain.trends import TrendBy

if TYPE_CHECKING:
    from tui.store.store import Store


async def read_snapshot(store: Store) -> Snapshot:
    """Everything a deployment's row, check and metrics show, read now."""
    return await read_rest(store, await read_headline(store))


async def read_headline(store: Store) -> Headline:
    """The version and the active count (one short read): a reading's cheap first part."""
    started = monotonic()
    active = await store.active_count()
    return Headline(
        version=store.vocabulary.name,
        active=active,
        read_at=utcnow(),
        seconds=monotonic() - started,
    )


async def read_rest(store: Store, headline: Headline) -> Snapshot:
    """The rest after `headline`, read on the same store: the whole `Snapshot`, its
    active and ended counts read together again (`seconds` both parts' time, `read_at`
    when this part finished)."""
    started = monotonic()
    counts = await store.counts()
    stuck = await store.stuck_counts()
    recent = await store.trends(days=max(1, RECENT.days), by=TrendBy.REASON)
    ended_recently = {
        None if group == NOT_RECORDED_TOKEN else group: recent.group_total(group)
        for group in recent.groups()
    }
    stuck_runs = await store.run_stuck_counts()
    runs_by_status = await store.runs_by_status()
    return Snapshot(
        version=headline.version,
        active=counts.active,
        ended=counts.ended,
        stuck=stuck,
        has_runs=store.has_runs,
        stuck_runs=stuck_runs,
        runs_by_status=runs_by_status,
        ended_recently=ended_recently,
        read_at=utcnow(),
        seconds=headline.seconds + monotonic() - started,
    )
