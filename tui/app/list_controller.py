"""The list's controller: a plain object, no widget and no worker in it.

It owns the question (the filters, sort and search in `ListState`), its generation
(an answer to an older question is dropped), the paging and the windows of a bounded
search, the waiting state and the cancel. Each operator's step comes in as a call
and goes out as plain data: a `PageAsk` or `FacetsAsk` for the host to read, a
`Shown` for the table, the texts for the header and the table's subtitle. The host
(`ListReads`) runs the reads in workers and hands their answers back here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from time import monotonic
from typing import Generic, Protocol, TypeVar

from msgspec import Struct

from tui.app import render
from tui.app.state import ListState
from tui.domain.models import Counts, Cursor, ReasonFacets, SessionFilter, SessionRow, SortKey

WAITING_AFTER = 1.0
"""Seconds a question may go unanswered before the header says it is waiting (a lock
held elsewhere, SQLite's busy wait), for how long, and that `back` (esc) cancels."""


class LoadMode(Enum):
    REPLACE = "replace"
    """A new filter or sort: the table starts again at the top."""
    APPEND = "append"
    """The next keyset page, fetched as the cursor nears the end."""
    REFRESH = "refresh"
    """Auto-refresh: the same window again, cursor and scroll kept."""
    PREPEND = "prepend"
    """The keyset page above the window (after G), fetched as the cursor nears its top."""
    OLDER = "older"
    """A bounded search goes on into its next window of older sessions (the operator's `n`)."""
    BOTTOM = "bottom"
    """The last page of the list (G, End), read from the other end: cursor on the last row."""


class PageAsk(Struct, frozen=True):
    """One page to read, for the question of `generation`."""

    generation: int
    flt: SessionFilter
    sort: SortKey
    ascending: bool
    cursor: Cursor | None
    limit: int
    mode: LoadMode
    from_end: bool = False
    window: int | None = None
    """A bounded search's window (sessions looked at, newest first); None: no bound."""


class PageAnswer(Protocol):
    """What a page read answers (the `PageLoaded` message)."""

    generation: int
    mode: LoadMode
    rows: list[SessionRow]
    next_cursor: Cursor | None
    prev_cursor: Cursor | None
    resume: Cursor | None
    searched: int


class Shown(Struct, frozen=True):
    """What the table does with a page that answers the question."""

    rows: list[SessionRow]
    append: bool
    prepend: bool
    keep_position: bool
    at_end: bool
    subtitle: str
    check: frozenset[str]
    """Selected sessions this window does not show: the host asks whether the view
    still holds them (empty: nothing to ask)."""
    live_changed: bool
    """The answer ended a wait the header was showing."""

    @property
    def new_window(self) -> bool:
        """The rows replace the window (not a page below or above it)."""
        return not self.append and not self.prepend


class Counted(Struct, frozen=True):
    """Reason counts under `base` (every filter but the reasons), and over the whole
    table (`totals`, the header's) when they were read with them; `window`: the counts
    window they were asked for (`ListController.counts_window`)."""

    base: SessionFilter
    facets: ReasonFacets
    totals: ReasonFacets | None
    window: int | None = None


class FacetsAsk(Struct, frozen=True):
    """The counts a new window wants: the stuck panel's, and the reasons' (read, or
    `reuse`d when a reason-only change leaves the last ones true)."""

    generation: int
    flt: SessionFilter
    fresh_data: bool
    stuck_recount: bool
    reuse: Counted | None
    totals: bool
    recount: bool
    window: int | None = None
    """Count among the newest this many sessions only (`counts_window`); None: all."""


C = TypeVar("C")


class Paged(Protocol[C]):
    """A list's paging state: the question's generation and where the next page starts."""

    generation: int
    next_cursor: C | None
    loading_more: bool

    def bump(self) -> int: ...


class Window(Struct, Generic[C]):
    """The paging state of a list without filters (the audit's)."""

    generation: int = 0
    next_cursor: C | None = None
    loading_more: bool = False

    def bump(self) -> int:
        """A new question: answers to older ones are stale from now on."""
        self.generation += 1
        self.next_cursor, self.loading_more = None, False
        return self.generation


class Pager(Generic[C]):
    """What every paged list of the dashboard shares: the generation (an answer to an
    older question is dropped), the page below, the waiting and the cancel."""

    def __init__(self, paged: Paged[C], *, timer: Callable[[], float] = monotonic) -> None:
        self.paged = paged
        self.timer = timer
        self.asked_at: float | None = None
        """When the question now running was asked (`timer`), None when none is."""
        self.waiting: float | None = None
        """Seconds the running question has waited, once past WAITING_AFTER; else None."""

    def current(self, generation: int) -> bool:
        """Whether an answer for `generation` answers the question asked last."""
        return generation == self.paged.generation

    def ask_first(self) -> int:
        """A new question whose first page is on its way: no page below is asked for
        until it is in. Returns its generation."""
        generation = self.paged.bump()
        self.paged.loading_more = True
        self.asking()
        return generation

    def claim_below(self) -> C | None:
        """Where the page below the window starts, now on its way; None when the list
        ends there or a page is already on its way."""
        paged = self.paged
        if paged.next_cursor is None or paged.loading_more:
            return None
        paged.loading_more = True
        self.asking()
        return paged.next_cursor

    def take(self, generation: int, next_cursor: C | None) -> bool:
        """A page is in: False when it answers an older question (dropped)."""
        if not self.current(generation):
            return False
        self.paged.next_cursor, self.paged.loading_more = next_cursor, False
        self.answered()
        return True

    def asking(self) -> None:
        """A question is on its way: time it, for the waiting state."""
        if self.asked_at is None:
            self.asked_at = self.timer()

    def tick(self) -> bool:
        """Whether the header should say the question waits (and for how long) now."""
        if self.asked_at is None:
            return False
        waited = self.timer() - self.asked_at
        if waited < WAITING_AFTER:
            return False
        self.waiting = waited
        return True

    def answered(self) -> bool:
        """The question is answered, failed or cancelled; returns whether the header
        said it was waiting (and must say live again)."""
        self.asked_at = None
        was, self.waiting = self.waiting, None
        return was is not None

    def cancel(self) -> bool:
        """Stop waiting for the running question (its reads are the host's to cancel);
        returns whether the header must change."""
        self.paged.loading_more = False
        return self.answered()

    def failed(self) -> bool:
        """A read failed: nothing more is on its way; as `answered`."""
        return self.cancel()


class ListController(Pager[Cursor]):
    """The sessions list's question (`ListState`) and its pages, on the shared `Pager`."""

    def __init__(
        self,
        *,
        page_size: int,
        search_window: int,
        clock: Callable[[], datetime],
        key: Callable[[str], str],
        timer: Callable[[], float] = monotonic,
    ) -> None:
        self.state = ListState()
        super().__init__(self.state, timer=timer)
        self.page_size = page_size
        self.search_window = search_window
        self.clock = clock
        self.key = key
        """A binding's key as a text names it (the live binding, after `[keys]`)."""
        self.counted: Counted | None = None
        """The last reason counts (and whole-table totals): reason-only changes reuse them."""
        self.recount = False
        """The next reason count skips the settled counts (the operator's refresh)."""
        self.warm_generation: int | None = None
        self.warm_unmarked = False
        """The warm page came without `duplicate` marks: the Store reads it again."""

    # -- the question ------------------------------------------------------------------

    def filter(self) -> SessionFilter:
        return self.state.filter(self.clock())

    def window(self) -> int | None:
        """The window of a bounded search (a free-text one, newest first), else None."""
        return self.search_window if self.state.bounded_search else None

    def counts_window(self) -> int | None:
        """The newest sessions the counts are taken over, None for every session.

        Under a question the operator types (free text, `user:`), the window its search
        has covered, at least one window, and one more for each `n` where the list reads
        no window: such a count costs what the search costs, never the table."""
        st = self.state
        if not (st.search.text or st.search.user):
            return None
        return max(st.searched, self.search_window) + st.widened * self.search_window

    @property
    def can_widen_counts(self) -> bool:
        """The counts are taken over a window not known to hold every session: `n`
        widens it."""
        window, counted = self.counts_window(), self.counted
        if window is None:
            return False
        return not (
            counted is not None and counted.window == window and counted.facets.window is None
        )

    def widen_counts(self) -> None:
        """The counts' window grows by one window (the operator's `n`, where the list
        itself has no older window to read)."""
        self.state.widened += 1

    def _page(
        self,
        generation: int,
        cursor: Cursor | None,
        mode: LoadMode,
        *,
        limit: int | None = None,
        from_end: bool = False,
        window: int | None = None,
    ) -> PageAsk:
        st, limit = self.state, limit or self.page_size
        return PageAsk(
            generation, self.filter(), st.sort, st.ascending, cursor, limit, mode, from_end, window
        )

    def start(self) -> int:
        """The first question, answered by the warm page read before the Store opens."""
        self.warm_generation = self.state.bump()
        return self.warm_generation

    def warm_answers(self) -> bool:
        """The warm page on screen still answers the question, with its marks: count it
        rather than read it again."""
        st = self.state
        return st.generation == self.warm_generation and bool(st.order) and not self.warm_unmarked

    def ask(self, *, ready: bool) -> PageAsk | None:
        """A new question: its first page (None while no store is `ready`: asked again
        when it opens). Answers to older questions are dropped from now on."""
        generation = self.state.bump()
        if not ready:
            return None
        self.asking()
        return self._page(generation, None, LoadMode.REPLACE, window=self.window())

    def refresh(self, *, recount: bool) -> PageAsk:
        """The loaded window again, cursor and selection kept; `recount`: the counts too."""
        st = self.state
        self.recount = self.recount or recount
        limit = max(self.page_size, len(st.order))
        self.asking()
        # A window that does not start at the list's top (after G) ends at its bottom:
        # it is re-read from there.
        from_end = st.prev_cursor is not None
        # A bounded search re-reads the windows it has covered so far, not the table.
        window = max(st.searched, self.search_window)
        bounded = window if self.window() is not None and not from_end else None
        return self._page(
            st.generation, None, LoadMode.REFRESH, limit=limit, from_end=from_end, window=bounded
        )

    @property
    def can_search_older(self) -> bool:
        """A bounded search stopped at its window: `older` goes on."""
        return self.state.search_resume is not None

    def older(self) -> PageAsk | None:
        """The next window of a bounded search (None while a page is on its way)."""
        st = self.state
        if st.search_resume is None or st.loading_more:
            return None
        st.loading_more = True
        return self._page(st.generation, st.search_resume, LoadMode.OLDER, window=self.window())

    def older_line(self) -> str:
        return f"searching older sessions after {self.state.searched:,} …"

    def below(self) -> PageAsk | None:
        """The page below the window (None: none, or one is on its way)."""
        cursor = self.claim_below()
        if cursor is None:
            return None
        return self._page(self.state.generation, cursor, LoadMode.APPEND, window=self.window())

    def above(self) -> PageAsk | None:
        """The page above a window read from the list's end (after G)."""
        st = self.state
        if st.prev_cursor is None or st.loading_more:
            return None
        st.loading_more = True
        return self._page(st.generation, st.prev_cursor, LoadMode.PREPEND, from_end=True)

    def jump(self, *, to_end: bool) -> PageAsk:
        """The list's first page, or its last one read from the other end, under the
        same filter and sort (a new generation: the window is replaced)."""
        generation = self.state.bump()
        mode = LoadMode.BOTTOM if to_end else LoadMode.REPLACE
        return self._page(generation, None, mode, from_end=to_end)

    # -- answers -----------------------------------------------------------------------

    def take_page(self, answer: PageAnswer, *, ready: bool) -> Shown | None:
        """A page read: None when it answers an older question, else what the table
        shows. `ready`: a store is open to check the selection against."""
        st = self.state
        if not self.current(answer.generation):
            return None
        live_changed = self.answered()
        older = answer.mode is LoadMode.OLDER
        append = answer.mode is LoadMode.APPEND or older
        prepend = answer.mode is LoadMode.PREPEND
        fresh = st.load(
            answer.rows, answer.next_cursor, append, prev_cursor=answer.prev_cursor, prepend=prepend
        )
        new_window = not append and not prepend
        check = st.unconfirmed() if new_window and ready else frozenset()
        self._note_search(answer, older=older)
        return Shown(
            rows=fresh if append or prepend else answer.rows,
            append=append,
            prepend=prepend,
            keep_position=answer.mode is LoadMode.REFRESH,
            at_end=answer.mode is LoadMode.BOTTOM,
            subtitle=self.subtitle(),
            check=check,
            live_changed=live_changed,
        )

    def _note_search(self, answer: PageAnswer, *, older: bool) -> None:
        """What a bounded search has covered, and where it goes on. `searched` never
        claims more than was read: a window below a cursor adds at least its own size."""
        st = self.state
        if answer.searched == 0:  # not a bounded page
            return
        if answer.mode is LoadMode.REFRESH:
            st.search_resume = answer.resume
            return
        if older:
            st.searched += answer.searched
        elif answer.mode is LoadMode.APPEND:
            st.searched = max(st.searched, answer.searched)
        else:
            st.searched = answer.searched
        st.search_resume = answer.resume

    def subtitle(self) -> str:
        """The table's subtitle once a page is in: what is loaded and what is beyond."""
        st = self.state
        if st.search_resume is not None:
            found = len(st.order)
            head = f"{found:,} found in" if found else "no match in"
            older = self.key("search-older")
            return f"{head} the newest {st.searched:,} sessions · {older} searches older ones"
        more = " · more below" if st.next_cursor else ""
        if st.prev_cursor is not None:
            more = " · more above" + more
        if st.order:
            return f"{len(st.order):,} loaded{more}"
        if st.has_filters:
            return (
                f"no sessions match · {self.key('back')} undoes a filter, "
                f"{self.key('clear')} clears all"
            )
        return "no sessions match"

    LOADING_LINE = "loading… (dimmed rows are from before the change)"

    def stale_line(self, *, cancelled: bool) -> str:
        """The subtitle over rows that answer the question before the change."""
        said = "cancelled: these rows" if cancelled else "these rows"
        return f"{said} are from before the change · {self.key('refresh')} asks again"

    # -- the counts --------------------------------------------------------------------

    def facets_ask(self, generation: int, *, fresh_data: bool) -> FacetsAsk:
        """Counts come after the rows; a reason-only change reuses the last ones."""
        flt, window = self.filter(), self.counts_window()
        last, stuck_recount = self.counted, self.recount
        same = last is not None and last.base == flt.without_reasons() and last.window == window
        if not fresh_data and same:
            return FacetsAsk(generation, flt, fresh_data, stuck_recount, last, False, False, window)
        totals = fresh_data or last is None or last.totals is None
        recount, self.recount = self.recount, False
        return FacetsAsk(generation, flt, fresh_data, stuck_recount, None, totals, recount, window)

    def take_facets(
        self,
        generation: int,
        base: SessionFilter,
        facets: ReasonFacets,
        totals: ReasonFacets | None,
        window: int | None = None,
    ) -> Counted | None:
        """Reason counts read (asked over `window`): None when they answer an older
        question. Totals not read again are the last ones."""
        if generation != self.state.generation:
            return None
        if totals is None and self.counted is not None:
            totals = self.counted.totals
        self.counted = Counted(base, facets, totals, window)
        seen = {raw for raw, _active, _n in facets.groups if raw is not None}
        self.state.stored_reasons |= seen
        return self.counted

    def header_counts(self, counted: Counted) -> Counts | None:
        """The header's counts: the whole table's, and how many the filters keep."""
        whole = counted.totals
        if whole is None:
            return None
        filtered = counted.facets.matching(self.state.effective_reasons)
        return Counts(active=whole.active, ended=whole.ended, filtered=filtered, odd=whole.odd)

    def expected(self) -> int | None:
        """How many sessions the view holds, as last counted (None: not counted yet, or
        counted over a search's window only)."""
        counted = self.counted
        if counted is None or counted.facets.window is not None:
            return None
        return counted.facets.matching(self.state.effective_reasons)

    # -- the header --------------------------------------------------------------------

    def live_line(self, *, connected: bool, refresh_seconds: float) -> tuple[str, str]:
        """The header's live state and its style."""
        colours, key = render.palette(), self.key
        if not connected:
            return "✖ disconnected — retrying", f"bold {colours.stale}"
        if self.waiting is not None:
            said = f"⧗ query waiting {self.waiting:.0f}s ({key('back')} cancels)"
            return said, f"bold {colours.warning}"
        if refresh_seconds <= 0:
            return f"auto-refresh off ({key('refresh')} refreshes)", colours.warning
        if self.state.paused:
            return f"⏸ paused ({key('pause')} resumes, {key('refresh')} refreshes)", colours.warning
        return f"● live, every {refresh_seconds:g}s", colours.active

    # -- the selection -----------------------------------------------------------------

    def ids_to_copy(self, current: str | None) -> list[str]:
        """The selection in list order, else the highlighted row's id."""
        order = {sid: i for i, sid in enumerate(self.state.order)}
        ids = sorted(self.state.selected, key=lambda sid: order.get(sid, len(order)))
        return ids or ([current] if current is not None else [])
