"""The list view's state as plain data; the app's handlers are its only writers."""

from __future__ import annotations

from datetime import datetime, timedelta

from msgspec import Struct, field

from tui.app.picks import Picks
from tui.domain.columns import INDEXED_SORTS
from tui.domain.models import Cursor, SessionFilter, SessionRow, SortKey, Status
from tui.domain.search import SEARCH_KEYS, SearchQuery
from tui.domain.stuck import StuckKind
from tui.domain.text import safe_text
from tui.domain.triggers import KNOWN_REASONS

SINCE_STEPS: list[timedelta | None] = [
    None,
    timedelta(hours=1),
    timedelta(hours=24),
    timedelta(days=7),
    timedelta(days=30),
]
SORT_STEPS = list(INDEXED_SORTS.values())


class ListState(Picks):
    """What the sessions table shows and how it got there; its selection is `Picks`'."""

    status: Status = Status.ALL
    reasons: frozenset[str] = frozenset()
    search: SearchQuery = field(default_factory=SearchQuery)
    since: timedelta | None = None
    sort: SortKey = SortKey.STARTED
    ascending: bool = False
    """The sort's direction: False is newest/largest first."""
    generation: int = 0
    rows: dict[str, SessionRow] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    next_cursor: Cursor | None = None
    """Where the rows below the window go on; None when its last row is the list's."""
    prev_cursor: Cursor | None = None
    """Where the rows above the window go on (after G); None when its first row is the
    list's first: the window always touches one end of the list."""
    search_resume: Cursor | None = None
    """A bounded search stopped at a window's floor: where the next window starts."""
    searched: int = 0
    """Sessions, newest first, the bounded search has looked at so far."""
    widened: int = 0
    """Windows the operator's `n` added to the counts' window where the list itself
    reads no window (`user:`, a search in another order)."""
    loading_more: bool = False
    paused: bool = False
    stuck: StuckKind | None = None
    stored_reasons: frozenset[str] = frozenset()
    """Every ended_reason value the last counts found, known or not (for `reason:`)."""
    ended: EndedSpan | None = None
    """Only sessions that ended in this span: a day (or hour) picked in trends."""

    def filter(self, now: datetime) -> SessionFilter:
        return SessionFilter(
            status=self.status,
            reasons=self.effective_reasons,
            platform=self.search.platform,
            codebase=self.search.codebase,
            assistant=self.search.assistant,
            user=self.search.user,
            search=self.search.text,
            since=now - self.since if self.since else None,
            stuck=self.stuck,
            ended_since=self.ended.start if self.ended else None,
            ended_until=self.ended.end if self.ended else None,
        )

    @property
    def effective_reasons(self) -> frozenset[str]:
        """The panel's reasons, narrowed by a `reason:` token to the values that start
        with it (ignoring case), among every known trigger and every value the counts
        found stored. A token that starts no value is taken as an exact value: the list
        says no session matches rather than ignoring it."""
        return self.search.reasons_among(KNOWN_REASONS + tuple(self.stored_reasons), self.reasons)

    @property
    def bounded_search(self) -> bool:
        """A free-text search in the newest-first order: it reads one window at a time."""
        return bool(self.search.text) and self.sort is SortKey.STARTED and not self.ascending

    def bump(self) -> int:
        """A new question: answers to older ones are superseded from now on."""
        self.generation += 1
        self.next_cursor = None
        self.prev_cursor = None
        self.search_resume = None
        self.searched = 0
        self.widened = 0
        self.loading_more = False
        return self.generation

    def row(self, session_id: str) -> SessionRow | None:
        """A session as last read: from the window, else from select-all's rows."""
        return self.rows.get(session_id) or self.matched.get(session_id)

    def clear_filters(self) -> None:
        self.status = Status.ALL
        self.reasons = frozenset()
        self.search = SearchQuery()
        self.since = None
        self.stuck = None
        self.ended = None

    def step_back(self, *, reasons_first: bool = False, stuck_first: bool = False) -> str | None:
        """Undo one filter, the most local first: the search text, then the stuck kind,
        then the reasons (either first of all when the operator is in its panel), then the
        since window. The status (1/2/3) is a view the operator picked, not a filter to
        peel off. The ended span a trends pick set goes before the reasons it set with it.
        Returns what was cleared, None when nothing was left."""
        order = ["search", "stuck", "ended", "reasons", "since"]
        for first, what in ((reasons_first, "reasons"), (stuck_first, "stuck")):
            if first:
                order.remove(what)
                order.insert(0, what)
        for what in order:
            if what == "search" and self.search != SearchQuery():
                self.search = SearchQuery()
            elif what == "stuck" and self.stuck is not None:
                self.stuck = None
            elif what == "ended" and self.ended is not None:
                self.ended = None
            elif what == "reasons" and self.reasons:
                self.reasons = frozenset()
            elif what == "since" and self.since:
                self.since = None
            else:
                continue
            return what
        return None

    @property
    def has_filters(self) -> bool:
        return bool(
            self.status is not Status.ALL
            or self.reasons
            or self.since
            or self.stuck is not None
            or self.ended is not None
            or self.search != SearchQuery()
        )

    def next_since(self) -> None:
        self.since = SINCE_STEPS[(SINCE_STEPS.index(self.since) + 1) % len(SINCE_STEPS)]

    def next_sort(self) -> None:
        """The next of the dashboard's sorts (the indexed ones); from any other, the first."""
        at = SORT_STEPS.index(self.sort) if self.sort in SORT_STEPS else -1
        self.sort = SORT_STEPS[(at + 1) % len(SORT_STEPS)]
        self.ascending = False

    def load(
        self,
        rows: list[SessionRow],
        cursor: Cursor | None,
        append: bool,
        *,
        prev_cursor: Cursor | None = None,
        prepend: bool = False,
    ) -> list[SessionRow]:
        """Take a page in (below the window, above it, or as the new window); return the
        rows that are new to the window."""
        if not append and not prepend:
            self.rows.clear()
            self.order.clear()
        fresh = [r for r in rows if r.id not in self.rows]
        for r in fresh:
            self.rows[r.id] = r
        ids = [r.id for r in fresh]
        self.order = [*ids, *self.order] if prepend else [*self.order, *ids]
        if not prepend:
            self.next_cursor = cursor
        if not append:
            self.prev_cursor = prev_cursor
        self.loading_more = False
        return fresh

    def unconfirmed(self) -> frozenset[str]:
        """Selected sessions the loaded rows do not show (`Picks.unshown`)."""
        return self.unshown(self.rows)

    def describe(self) -> str:
        """The filters and the list's state (`describe_filters`, `describe_state`)."""
        return "  ·  ".join(p for p in (self.describe_filters(), self.describe_state()) if p)

    def describe_filters(self, *, trends: bool = False) -> str:
        """The active filters in one line. `trends`: only those the trends apply (not the
        status, the stuck kind, the since window nor a picked day: trends count ended
        sessions by end time in their own window).

        Reasons come from the database and the search from the keyboard: both go through
        `safe_text`, and the widget showing this line does not parse markup.
        """
        parts = [] if trends else [f"status: {self.status.value}"]
        if self.reasons:
            parts.append("reason: " + " | ".join(safe_text(r) for r in sorted(self.reasons)))
        if self.stuck is not None and not trends:
            parts.append(f"stuck: {self.stuck.wire}")
        if self.search.text:
            parts.append(f"text: {safe_text(repr(self.search.text))}")
        for key in SEARCH_KEYS:
            value = getattr(self.search, key)
            if value:
                parts.append(f"{key}: {safe_text(value)}")
        if self.since and not trends:
            parts.append(f"since: {_short(self.since)} ago")
        if self.ended is not None and not trends:
            parts.append(f"ended: {self.ended.label}")
        if trends and not parts:
            return "every ended session"
        return "  ·  ".join(parts)

    def describe_state(self) -> str:
        """The sort and the selection: shown apart from the filters, never pushed out of
        sight by a long search."""
        state = f"sort: {self.sort.value}" + (" ↑" if self.ascending else "")
        if self.selected:
            state += f"  ·  selected: {len(self.selected)}"
        return state


class EndedSpan(Struct, frozen=True):
    """An ended_at range, start included, end excluded (UTC), and its name on screen."""

    start: datetime
    end: datetime
    label: str


def _short(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours >= 24 else f"{hours}h"
