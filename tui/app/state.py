"""The list view's state as plain data; the app's handlers are its only writers."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.domain.models import Cursor, SessionFilter, SessionRow, SortKey, Status
from tui.domain.stuck import StuckKind
from tui.domain.text import safe_text

SINCE_STEPS: list[timedelta | None] = [
    None,
    timedelta(hours=1),
    timedelta(hours=24),
    timedelta(days=7),
    timedelta(days=30),
]
SORT_STEPS = [SortKey.STARTED, SortKey.ENDED, SortKey.DURATION]
SEARCH_KEYS = ("platform", "codebase", "assistant", "user")


@dataclass(frozen=True)
class SearchQuery:
    """The search box: free text plus optional `platform:` `codebase:` `assistant:` `user:`
    terms (`user:` is the conversation's owner: display name, email or id, any case; quote
    a name with a space: `user:"Ada Lovelace"`)."""

    text: str | None = None
    platform: str | None = None
    codebase: str | None = None
    assistant: str | None = None
    user: str | None = None

    @classmethod
    def parse(cls, raw: str) -> SearchQuery:
        try:
            words = shlex.split(raw)
        except ValueError:
            words = raw.split()
        found: dict[str, str] = {}
        free: list[str] = []
        for word in words:
            key, sep, value = word.partition(":")
            if sep and key.lower() in SEARCH_KEYS and value:
                found[key.lower()] = value
            else:
                free.append(word)
        return cls(text=" ".join(free) or None, **found)


@dataclass
class ListState:
    """What the sessions table shows and how it got there."""

    status: Status = Status.ALL
    reasons: frozenset[str] = frozenset()
    search: SearchQuery = field(default_factory=SearchQuery)
    since: timedelta | None = None
    sort: SortKey = SortKey.STARTED
    generation: int = 0
    rows: dict[str, SessionRow] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    next_cursor: Cursor | None = None
    loading_more: bool = False
    selected: set[str] = field(default_factory=set)
    paused: bool = False
    stuck: StuckKind | None = None
    matched: dict[str, SessionRow] = field(default_factory=dict)
    """Rows "select all" took, loaded or not: they stay selected while the question is
    the same (refreshes included), and are dropped with it."""

    def filter(self, now: datetime) -> SessionFilter:
        return SessionFilter(
            status=self.status,
            reasons=self.reasons,
            platform=self.search.platform,
            codebase=self.search.codebase,
            assistant=self.search.assistant,
            user=self.search.user,
            search=self.search.text,
            since=now - self.since if self.since else None,
            stuck=self.stuck,
        )

    def bump(self) -> int:
        """A new question: answers to older ones are stale from now on."""
        self.generation += 1
        self.next_cursor = None
        self.loading_more = False
        if self.matched:
            self.selected -= set(self.matched) - set(self.rows)
            self.matched = {}
        return self.generation

    def select_matches(self, rows: list[SessionRow]) -> None:
        """Select every row of the view (select all), beyond the loaded window too."""
        self.matched = {r.id: r for r in rows}
        self.selected = set(self.matched)

    def row(self, session_id: str) -> SessionRow | None:
        """A session as last read: from the window, else from select-all's rows."""
        return self.rows.get(session_id) or self.matched.get(session_id)

    def clear_filters(self) -> None:
        self.status = Status.ALL
        self.reasons = frozenset()
        self.search = SearchQuery()
        self.since = None
        self.stuck = None

    def step_back(self, *, reasons_first: bool = False, stuck_first: bool = False) -> str | None:
        """Undo one filter, the most local first: the search text, then the stuck kind,
        then the reasons (either first of all when the operator is in its panel), then the
        since window. The status (1/2/3) is a view the operator picked, not a filter to
        peel off. Returns what was cleared, None when nothing was left."""
        order = ["search", "stuck", "reasons", "since"]
        for first, what in ((reasons_first, "reasons"), (stuck_first, "stuck")):
            if first:
                order.remove(what)
                order.insert(0, what)
        for what in order:
            if what == "search" and self.search != SearchQuery():
                self.search = SearchQuery()
            elif what == "stuck" and self.stuck is not None:
                self.stuck = None
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
            or self.search != SearchQuery()
        )

    def next_since(self) -> None:
        self.since = SINCE_STEPS[(SINCE_STEPS.index(self.since) + 1) % len(SINCE_STEPS)]

    def next_sort(self) -> None:
        self.sort = SORT_STEPS[(SORT_STEPS.index(self.sort) + 1) % len(SORT_STEPS)]

    def load(self, rows: list[SessionRow], cursor: Cursor | None, append: bool) -> list[SessionRow]:
        """Take a page in; return the rows that are new to the window."""
        if not append:
            self.rows.clear()
            self.order.clear()
        fresh = [r for r in rows if r.id not in self.rows]
        for r in fresh:
            self.rows[r.id] = r
            self.order.append(r.id)
        self.next_cursor = cursor
        self.loading_more = False
        if not append:
            self.selected &= set(self.rows) | set(self.matched)
        return fresh

    def describe(self) -> str:
        """The active filters in one line, always on screen.

        Reasons come from the database and the search from the keyboard: both go through
        `safe_text`, and the widget showing this line does not parse markup.
        """
        parts = [f"status: {self.status.value}"]
        if self.reasons:
            parts.append("reason: " + " | ".join(safe_text(r) for r in sorted(self.reasons)))
        if self.stuck is not None:
            parts.append(f"stuck: {self.stuck.wire}")
        if self.search.text:
            parts.append(f"text: {safe_text(repr(self.search.text))}")
        for key in SEARCH_KEYS:
            value = getattr(self.search, key)
            if value:
                parts.append(f"{key}: {safe_text(value)}")
        if self.since:
            parts.append(f"since: {_short(self.since)} ago")
        parts.append(f"sort: {self.sort.value}")
        if self.selected:
            parts.append(f"selected: {len(self.selected)}")
        return "  ·  ".join(parts)


def _short(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours >= 24 else f"{hours}h"
