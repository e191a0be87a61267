"""Reason counts as settled counts plus a live delta: the arithmetic, no I/O.

A full count splits the table at a mark (the database's clock minus a margin):

- settled: sessions that ended before the mark. The service never changes an ended
  session, so their counts stay exact until one is deleted;
- old active: `active = true` sessions that started before the mark;
- live: everything else (active sessions started since the mark, sessions ended since
  it, odd `active` values), re-read on every refresh by `live_facet_statement`.

Old active sessions are most of a busy table's active ones, and reading them made a
refresh cost O(active sessions). Their number is derived instead. No session is
inserted with a start before the mark, and settled rows never change, so the rows that
started before the mark and are not settled are a fixed set: old active ones plus old
live ones. The live read counts its old rows as all of its rows (branches 1-6) minus
those started since the mark (STARTED_SINCE, less the settled rows that started since
the mark, a constant). So, for a constant `c` taken at the full count,

    old active = c - live rows (branches 1-6) + STARTED_SINCE.

This holds only while the active sessions all have a NULL reason (the service sets the
reason in the statement that ends a session); if one does not, the store reads every
active row on each refresh, as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from msgspec import Struct

from tui.store.codec import active_state, text_value
from tui.store.queries import ALL_ACTIVE, NEW_ACTIVE, NEW_ACTIVE_COUNT, STARTED_SINCE

GroupKey = tuple[str | None, bool | None]
"""(ended_reason, active): active None for an odd stored value (`codec.active_state`)."""


class LiveGroup(Struct, frozen=True):
    """One row of live_facet_statement."""

    reason: str | None
    active: bool | None
    branch: int
    kept: bool
    n: int


def live_groups(result: Iterable[Sequence[Any]]) -> list[LiveGroup]:
    return [
        LiveGroup(text_value(r[0]), active_state(r[1])[0], int(r[2]), bool(r[3]), int(r[4]))
        for r in result
    ]


def groups(result: Iterable[Sequence[Any]]) -> Counter[GroupKey]:
    """(ended_reason, active, count) rows folded by `active_state` (odd values as one)."""
    out: Counter[GroupKey] = Counter()
    for r in result:  # a BLOB reason counts as the text it spells
        out[(text_value(r[0]), active_state(r[1])[0])] += int(r[2])
    return out


def listed(counts: Counter[GroupKey]) -> list[tuple[str | None, bool | None, int]]:
    """In one order, so equal counts make equal facets whichever path produced them."""
    keys = sorted(counts, key=lambda k: (k[1] is None, bool(k[1]), k[0] is not None, k[0] or ""))
    return [(raw, act, counts[(raw, act)]) for raw, act in keys if counts[(raw, act)]]


def kept(live: Iterable[LiveGroup]) -> Counter[GroupKey]:
    """The live rows the filter keeps, by (reason, active)."""
    out: Counter[GroupKey] = Counter()
    for g in live:
        if g.kept:
            out[(g.reason, g.active)] += g.n
    return out


def _balance(live: Iterable[LiveGroup]) -> int:
    """Live rows other than active ones, less those started since the mark."""
    total = 0
    for g in live:
        if g.branch == STARTED_SINCE:
            total -= g.n
        elif g.branch not in (NEW_ACTIVE, ALL_ACTIVE, NEW_ACTIVE_COUNT):
            total += g.n
    return total


class Settled(Struct, frozen=True):
    """What a full count leaves for the refreshes until the next one."""

    before: datetime
    """The mark: the database's clock at the full count, minus the margin."""
    groups: Counter[GroupKey]
    """Counts of the settled sessions the filter keeps, by (reason, active)."""
    taken: float
    old_base: int | None
    """The constant `c` of the module's docstring; None: read old active rows live."""
    old_kept: bool
    """Whether the filter keeps the old active sessions (it keeps all or none)."""

    @property
    def reads_all_active(self) -> bool:
        return self.old_base is None

    def answer(self, live: Sequence[LiveGroup]) -> Counter[GroupKey] | None:
        """The counts now, from a live read made with `all_active=reads_all_active`.

        None when the arithmetic shows its premise broke (a session written after the
        full count with a start before the mark): only a full count can answer then. A
        deleted session it cannot see; the periodic full count catches that.
        """
        counts = self.groups + kept(live)
        if self.old_base is None:
            return counts
        old_active = self.old_base - _balance(live)
        if old_active < 0:
            return None
        if self.old_kept and old_active:
            counts[(None, True)] += old_active
        return counts


def settle(
    full: Counter[GroupKey], live: Sequence[LiveGroup], before: datetime, taken: float
) -> Settled | None:
    """Settled counts from a full count and an `all_active` live read of one snapshot.

    None if they disagree, which one snapshot cannot produce: never trust a delta then.
    """
    rest = Counter(full)
    rest.subtract(kept(live))
    if any(n < 0 for n in rest.values()):
        return None
    active = [g for g in live if g.branch == ALL_ACTIVE]
    old_active = sum(g.n for g in active) - sum(g.n for g in live if g.branch == NEW_ACTIVE_COUNT)
    derivable = all(g.reason is None for g in active)
    old_base = old_active + _balance(live) if derivable else None
    return Settled(before, +rest, taken, old_base, any(g.kept for g in active))
