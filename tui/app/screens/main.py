"""The sessions list: its state, workers, timers, selection, filters, pause, and ending.

`ListState` has one writer, this screen's `@on` handlers. Its workers only call the
store (through `tui.app.data`) and post one message; their failures land in
`on_worker_state_changed`. The connection itself (opening, probing) is the App's:
it tells this screen with StoreOpened / OpenFailed / Disconnected / Reconnected.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.timer import Timer
from textual.widgets import Footer, Input, SelectionList, Static
from textual.worker import Worker, WorkerState

from tui.app import data, render
from tui.app.commands import Command
from tui.app.end_flow import EndFlow
from tui.app.list_commands import filter_commands
from tui.app.messages import (
    CountsWanted,
    Disconnected,
    FacetsLoaded,
    FileMoved,
    LoadMode,
    MatchesSelected,
    OpenFailed,
    PageLoaded,
    Reconnected,
    SelectionChecked,
    SessionsEnded,
    StoreOpened,
)
from tui.app.outcomes import INDEX_HINT_SESSIONS, index_hint
from tui.app.screens.audit import AuditScreen
from tui.app.screens.base import SessionsScreen
from tui.app.screens.detail import DetailScreen
from tui.app.screens.export import ExportScreen
from tui.app.screens.trends import TrendPick, TrendsScreen
from tui.app.selection import Selection
from tui.app.state import EndedSpan, ListState
from tui.app.widgets.reason_panel import ReasonPanel
from tui.app.widgets.sessions_table import SessionsTable
from tui.app.widgets.status_bar import StatusBar
from tui.app.widgets.stuck_panel import StuckPanel
from tui.domain import wording
from tui.domain.columns import COLUMNS, INDEXED_SORTS, NOT_SORTABLE, SORTABLE, Context
from tui.domain.models import (
    Counts,
    Cursor,
    SessionFilter,
    SortKey,
    Status,
)
from tui.domain.search import SearchQuery
from tui.domain.stuck import StuckKind
from tui.domain.text import safe_text
from tui.domain.triggers import Vocabulary
from tui.store.errors import FileMoved as StoreFileMoved

if TYPE_CHECKING:
    from tui.settings import Settings
    from tui.store.store import Store

SEARCH_DEBOUNCE = 0.25
LOADING_AFTER = 0.15
"""A new question shows "loading…" only once its page is this late. Shown at once, it
cost a full table redraw (~9 ms) and a frame before every page, fast or not."""
NARROW = 100
"""Below this many columns the reason panel starts collapsed: the table needs the width."""
SPARKS_WIDTH = 150
"""From this many columns the reason panel is wider and draws each reason's last 14
days beside its count; below, the table keeps the width."""
WAITING_AFTER = 1.0
"""Seconds a question may go unanswered before the header says it is waiting (a lock
held elsewhere, SQLite's busy wait), for how long, and that `back` (esc) cancels."""
TABLE_COMMANDS = ("select", "open", "row-first", "row-last")
"""The table's bindings that are palette commands too (the rest move the cursor)."""


class MainScreen(SessionsScreen):
    """Operators' view of remote_agent_sessions: the base of the screen stack."""

    HELP_TITLE = "Sessions"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (NARROW, "-roomy"),
        (SPARKS_WIDTH, "-sparks"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "focus_search",
            "Search",
            key_display="/",
            id="search",
            tooltip="Free text over what the table shows; platform: codebase: user: reason: …",
        ),
        Binding("1", "status('active')", "Active", id="status-active", tooltip="Status filter"),
        Binding("2", "status('ended')", "Ended", id="status-ended", tooltip="Status filter"),
        Binding("3", "status('all')", "All", id="status-all", tooltip="Status filter"),
        Binding("f", "focus_reasons", "Reasons", id="reasons", tooltip="The reason panel"),
        Binding(
            "s",
            "focus_stuck",
            "Stuck",
            id="stuck",
            tooltip="The stuck panel: a kind of stuck session filters the table to it",
        ),
        Binding(
            "u",
            "select_none",
            "Select none",
            show=False,
            id="select-none",
            tooltip="Deselect every selected session at once",
        ),
        Binding(
            "A",
            "select_all",
            "Select all",
            key_display="A",
            id="select-all",
            tooltip="Select every session that matches the filters (up to --select-cap)",
        ),
        Binding("t", "cycle_since", "Since", id="since", tooltip="Started in the last …"),
        Binding("o", "cycle_sort", "Sort", id="sort", tooltip="Started, ended"),
        Binding(
            "O",
            "reverse_sort",
            "Reverse sort",
            show=False,
            id="sort-reverse",
            tooltip="Oldest/smallest first, or back (a second click on a header does it too)",
        ),
        Binding(
            "x",
            "end",
            "End session",
            id="end",
            tooltip="End the selected or highlighted sessions",
        ),
        Binding(
            "r",
            "refresh",
            "Refresh",
            id="refresh",
            tooltip="Re-read the visible window and recount every reason",
        ),
        Binding("p", "toggle_pause", "Pause", id="pause", tooltip="Stop or restart live updates"),
        Binding(
            "n",
            "search_older",
            "Search older",
            show=False,
            id="search-older",
            tooltip="A search looks at the newest sessions first: go on into older ones",
        ),
        Binding(
            "e",
            "export",
            "Export",
            show=False,
            id="export",
            tooltip="Every session of this view to a CSV or JSON file, in pages",
        ),
        Binding(
            "y",
            "copy_ids",
            "Copy id",
            show=False,
            id="copy-id",
            tooltip="Copy the whole id of the highlighted session, or of the selection (OSC 52)",
        ),
        Binding(
            "escape",
            "step_back",
            "Back",
            key_display="esc",
            id="back",
            tooltip="Undo one filter: the search text, then the stuck kind, then the reasons, "
            "then the since window",
        ),
        Binding(
            "a",
            "audit",
            "Audit",
            show=False,
            id="audit",
            tooltip="Every end this tool wrote, newest first (kept after retention)",
        ),
        Binding(
            "T",
            "trends",
            "Trends",
            key_display="T",
            show=False,
            id="trends",
            tooltip="Ended sessions per day by reason, under these filters; pick a day to list",
        ),
        Binding(
            "b",
            "toggle_panel",
            "Panel",
            id="toggle-panel",
            tooltip="Show or hide the reasons and stuck panels (hidden at first below 100 columns)",
        ),
        Binding(
            "w",
            "toggle_wide",
            "Wide",
            id="wide",
            tooltip="Every column, the table scrolling sideways; the reason panel hidden",
        ),
        Binding(
            "C",
            "clear_filters",
            "Clear filters",
            key_display="C",
            id="clear",
            tooltip="Show every session: clear the status, reasons, stuck kind, search and since",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.end_flow = EndFlow(self)
        self.selection = Selection(self)
        self.state = ListState()
        self.vocabulary: Vocabulary | None = None
        """The store's, once it is open: the panel, the palette and the end picker use it."""
        self._refresh_timer: Timer | None = None
        self._search_timer: Timer | None = None
        self._loading_timer: Timer | None = None
        self._recount = False  # the next facet count skips the settled counts
        self._warm_generation: int | None = None
        self._warm_unmarked = False
        """The warm page came without `duplicate` marks: the Store reads it again."""
        self._facets: FacetsLoaded | None = None
        """The last facets (and whole-table totals): reason-only changes reuse them."""
        self._index_hint_shown = False
        self._first_rows = False
        self._asked_at: float | None = None
        """When the list question now running was asked (monotonic), None when none is."""
        self._wait_timer: Timer | None = None
        self.waiting: float | None = None
        """Seconds the running question has waited, once past WAITING_AFTER; else None."""
        self._panel_wanted: bool | None = None
        """The operator's choice for the reason panel (its key); None: by the width."""
        self.wide = False

    @property
    def settings(self) -> Settings:
        return self.sessions_app.settings

    @property
    def table(self) -> SessionsTable:
        return self.query_one(SessionsTable)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def reason_panel(self) -> ReasonPanel:
        return self.query_one(ReasonPanel)

    @property
    def stuck_panel(self) -> StuckPanel:
        return self.query_one(StuckPanel)

    def compose(self) -> ComposeResult:
        yield StatusBar(self.settings.target.display(), id="status")
        with Horizontal(id="filterbar"):
            yield Input(
                placeholder="/ search id, title, codebase…  platform:slack codebase:infra user:ada",
                id="search",
            )
            yield Static(id="filters", markup=False)
            yield Static(id="list-state", markup=False)
        with Horizontal(id="main"):
            with Vertical(id="side"):
                yield ReasonPanel(lambda: self.sparks_shown, id="reasons")
                yield StuckPanel(lambda: self.state.generation, id="stuck")
            yield SessionsTable(id="sessions")
        yield Footer()

    # -- start-up and the connection ---------------------------------------------------

    def on_mount(self) -> None:
        self.table.focus()
        self._lay_out()
        self.show_filters()
        # Rows first, through the bare driver; SQLAlchemy is imported once they are painted.
        self._warm_generation = self.state.bump()
        self.table.border_subtitle = "loading…"
        self.sessions_app.warm_first_page(self, self._warm_generation)

    @on(StoreOpened)
    def _opened(self, message: StoreOpened) -> None:
        store = message.store
        self.vocabulary = store.vocabulary
        self.reason_panel.set_vocabulary(store.vocabulary)
        self.reason_panel.sync(self.state.reasons)
        self.status_bar.set_service(store.detection.version)
        self.status_bar.set_end_blocked(store.can_end)
        self._set_live()
        warm = self.state.generation == self._warm_generation and self.state.order
        if warm and not self._warm_unmarked:
            # The warm first page is on screen and still answers the question: count it.
            self._request_facets(self.state.generation, fresh_data=True)
        else:
            self.requery()
        self.say_unnamed(store)
        if self.settings.refresh_seconds > 0 and self._refresh_timer is None:
            self._refresh_timer = self.set_interval(
                self.settings.refresh_seconds, self.refresh_tick, pause=self.state.paused
            )

    @work(group="unnamed", exit_on_error=False)
    async def say_unnamed(self, store: Store) -> None:
        """Sessions with a NULL id are never in the table: one warning says how many."""
        n = await self.sessions_app.inflight.run(store.sessions_without_id())
        if n:
            self.notify(wording.without_id(n), severity="warning", timeout=30)

    @on(OpenFailed)
    def _open_failed(self, message: OpenFailed) -> None:
        self.status_bar.set_live(f"✖ cannot open: {message.error}", "bold red")

    @on(Disconnected)
    def _disconnected(self) -> None:
        self._set_live()

    @on(FileMoved)
    def _file_moved(self, message: FileMoved) -> None:
        """Said in the header, which names the path already: repeated, a long path
        pushed what happened past the edge."""
        why, path = message.why, self.settings.target.display()
        if why.startswith(path):
            why = "the database file" + why[len(path) :]
        self.status_bar.set_live(f"✖ {why} — reopening the path", "bold red")
        self._warm_generation = None  # the rows shown are the old file's: re-read at reopen

    @on(Reconnected)
    def _reconnected(self, message: Reconnected) -> None:
        self._set_live()
        if message.reread:
            self.action_refresh()

    def _set_live(self) -> None:
        colours, key = render.palette(), self.key
        if not self.sessions_app.connected:
            self.status_bar.set_live("✖ disconnected — retrying", f"bold {colours.stale}")
        elif self.waiting is not None:
            said = f"⧗ query waiting {self.waiting:.0f}s ({key('back')} cancels)"
            self.status_bar.set_live(said, f"bold {colours.warning}")
        elif self.settings.refresh_seconds <= 0:
            self.status_bar.set_live(
                f"auto-refresh off ({key('refresh')} refreshes)", colours.warning
            )
        elif self.state.paused:
            paused = f"⏸ paused ({key('pause')} resumes, {key('refresh')} refreshes)"
            self.status_bar.set_live(paused, colours.warning)
        else:
            live = f"● live, every {self.settings.refresh_seconds:g}s"
            self.status_bar.set_live(live, colours.active)

    def restyle(self) -> None:
        """The theme's kind changed: draw the rows, the panel and the header again."""
        self.table.restyle()
        self.reason_panel.relabel()
        self._set_live()

    # -- workers -----------------------------------------------------------------------

    def _asking(self) -> None:
        """A list question is on its way: time it, for the waiting state."""
        if self._asked_at is None:
            self._asked_at = monotonic()
        if self._wait_timer is None:
            self._wait_timer = self.set_interval(0.5, self._tick_wait)

    def _tick_wait(self) -> None:
        if self._asked_at is None:
            return
        waited = monotonic() - self._asked_at
        if waited >= WAITING_AFTER:
            self.waiting = waited
            self._set_live()

    def _answered(self) -> None:
        """The question is answered, failed or cancelled: the header says live again."""
        self._asked_at = None
        if self._wait_timer is not None:
            self._wait_timer.stop()
            self._wait_timer = None
        if self.waiting is not None:
            self.waiting = None
            self._set_live()

    def action_cancel_wait(self) -> None:
        """Stop waiting: the workers are cancelled and the server cancels their queries
        (PostgreSQL: `pg_cancel_backend` on this tool's reads). The rows stay, dimmed,
        under the filter they do not answer, until `r` asks again."""
        for worker in self.workers:
            if worker.node is self and worker.group in ("list", "facets"):
                worker.cancel()
        self.state.loading_more = False
        self.sessions_app.cancel_reads()
        self._answered()
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        if self.table.stale:
            again = self.key("refresh")
            self.table.border_subtitle = (
                f"cancelled: these rows are from before the change · {again} asks again"
            )
        self.notify("Cancelled the waiting query", severity="warning")

    @work(exclusive=True, group="list", exit_on_error=False)
    async def load_page(
        self,
        generation: int,
        flt: SessionFilter,
        sort: SortKey,
        cursor: Cursor | None,
        limit: int,
        mode: LoadMode,
        from_end: bool = False,
        window: int | None = None,
    ) -> None:
        run = self.sessions_app.inflight
        asc = self.state.ascending
        page = await data.read_page(
            run,
            self.store,
            generation,
            flt,
            sort,
            cursor,
            limit,
            mode,
            ascending=asc,
            from_end=from_end,
            window=window,
        )
        self.post_message(page)

    @on(SelectionChecked)
    def _selection_checked(self, message: SelectionChecked) -> None:
        self.selection.checked(message)

    @work(exclusive=True, group="facets", exit_on_error=False)
    async def load_facets(
        self, generation: int, flt: SessionFilter, totals: bool, recount: bool = False
    ) -> None:
        run = self.sessions_app.inflight
        self.post_message(await data.read_facets(run, self.store, generation, flt, totals, recount))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place this screen's worker failures land (the end flow's too)."""
        worker = event.worker
        if event.state is WorkerState.CANCELLED and worker.group == "list":
            self.state.loading_more = False
        if event.state is WorkerState.ERROR and worker.group == "list":
            self._answered()
            if self.table.stale:
                again = self.key("refresh")
                self.table.border_subtitle = (
                    f"these rows are from before the change · {again} asks again"
                )
        if event.state is not WorkerState.ERROR:
            return
        error = data.as_store_error(worker.error, self.settings.target)
        said = safe_text(error)  # driver messages can quote stored strings
        if worker.group == "list":
            self.state.loading_more = False
        if worker.group == "end":
            self.notify(
                f"Nothing was ended: {said}. Not retried: check and try again.",
                severity="error",
                timeout=15,
            )
        else:
            self.notify(said, severity="error", timeout=10)
        if isinstance(error, StoreFileMoved):
            self.sessions_app.check_file()  # reopens: a probe would ask the old file
        elif error.retryable:
            self.sessions_app.disconnected()

    # -- queries -----------------------------------------------------------------------

    def requery(self) -> None:
        """A new question: first page and facets, answers to older questions dropped."""
        generation = self.state.bump()
        if self.sessions_app.store is None:
            self.show_filters()  # asked again when the Store opens: the warm page is stale
            return
        flt = self.state.filter(self.settings.clock())
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self._loading_timer = self.set_timer(LOADING_AFTER, self._show_loading)
        self._asking()
        self.table.set_sort(self.state.sort, self.state.ascending)
        self.load_page(
            generation,
            flt,
            self.state.sort,
            None,
            self.settings.page_size,
            LoadMode.REPLACE,
            window=self._window(),
        )
        self.show_filters()

    def _show_loading(self) -> None:
        """The new question is late: the rows on screen answer the old one, so dim them."""
        self._loading_timer = None
        self.table.border_subtitle = "loading… (dimmed rows are from before the change)"
        self.table.set_stale(True)

    def action_refresh(self) -> None:
        """Re-read the loaded window, and count every reason afresh: the operator asked."""
        self.reason_panel.forget_sparks()
        self._refresh(recount=True)

    def refresh_tick(self) -> None:
        """The timer's tick: the counts re-read only what can have changed.

        A tick never cancels a read still running: on a locked SQLite file each read
        waits out the busy timeout, and a tick that cancelled it just before it failed
        would throw the error away, leaving "live" over stale rows while the lock holds.
        """
        if not self.sessions_app.check_file():
            return
        if any(
            w.node is self and w.group in ("list", "facets") and w.is_running for w in self.workers
        ):
            return
        self._refresh(recount=False)

    def _refresh(self, *, recount: bool) -> None:
        """Cursor, selection and scroll stay where they are."""
        if self.sessions_app.store is None or not self.sessions_app.connected:
            return
        self._recount = self._recount or recount
        flt = self.state.filter(self.settings.clock())
        limit = max(self.settings.page_size, len(self.state.order))
        gen = self.state.generation
        self._asking()
        # A window that does not start at the list's top (after G) ends at its bottom:
        # it is re-read from there.
        from_end = self.state.prev_cursor is not None
        # A bounded search re-reads the windows it has covered so far, not the table.
        window = max(self.state.searched, self.settings.search_window)
        window_or_none = window if self._window() is not None and not from_end else None
        self.load_page(
            gen, flt, self.state.sort, None, limit, LoadMode.REFRESH, from_end, window_or_none
        )

    def _window(self) -> int | None:
        """The window of a bounded search (a free-text one, newest first), else None."""
        return self.settings.search_window if self.state.bounded_search else None

    def action_search_older(self) -> None:
        """n: a bounded search that stopped at its window goes on into the next one."""
        st = self.state
        if st.search_resume is None or self.sessions_app.store is None:
            self.notify("No search to continue: it has looked at every session")
            return
        if st.loading_more:
            return
        st.loading_more = True
        self.table.border_subtitle = f"searching older sessions after {st.searched:,} …"
        flt = st.filter(self.settings.clock())
        size = self.settings.page_size
        self.load_page(
            st.generation,
            flt,
            st.sort,
            st.search_resume,
            size,
            LoadMode.OLDER,
            window=self._window(),
        )

    @on(SessionsTable.NearEnd)
    def _more(self) -> None:
        st = self.state
        if (
            self.sessions_app.store is None
            or st.next_cursor is None
            or st.loading_more
            or not self.sessions_app.connected
        ):
            return
        st.loading_more = True
        self._asking()
        flt = st.filter(self.settings.clock())
        self.load_page(
            st.generation,
            flt,
            st.sort,
            st.next_cursor,
            self.settings.page_size,
            LoadMode.APPEND,
            window=self._window(),
        )

    @on(SessionsTable.NearStart)
    def _more_above(self) -> None:
        """The page above a window read from the list's end (after G)."""
        st = self.state
        if (
            self.sessions_app.store is None
            or st.prev_cursor is None
            or st.loading_more
            or not self.sessions_app.connected
        ):
            return
        st.loading_more = True
        flt = st.filter(self.settings.clock())
        size = self.settings.page_size
        self.load_page(st.generation, flt, st.sort, st.prev_cursor, size, LoadMode.PREPEND, True)

    @on(SessionsTable.Jump)
    def _jump(self, message: SessionsTable.Jump) -> None:
        """g/G (Home/End) beyond the window: the list's first page, or its last one read
        from the other end, under the same filter and sort; the counts stay."""
        if self.sessions_app.store is None:
            return
        generation = self.state.bump()
        flt = self.state.filter(self.settings.clock())
        mode = LoadMode.BOTTOM if message.to_end else LoadMode.REPLACE
        size = self.settings.page_size
        self.load_page(generation, flt, self.state.sort, None, size, mode, message.to_end)

    @on(PageLoaded)
    def _page(self, message: PageLoaded) -> None:
        if message.warm:
            # Stale or not, the bare driver has answered: SQLAlchemy may load now.
            self.call_after_refresh(self.sessions_app.first_rows_painted)
            self._warm_unmarked = message.duplicates_unknown
        if message.generation != self.state.generation:
            return
        self._answered()
        older = message.mode is LoadMode.OLDER
        append = message.mode is LoadMode.APPEND or older
        prepend = message.mode is LoadMode.PREPEND
        if not append and self._loading_timer is not None:
            self._loading_timer.stop()  # this question is answered
            self._loading_timer = None
        if not append:
            self.table.set_stale(False)
        fresh = self.state.load(
            message.rows,
            message.next_cursor,
            append,
            prev_cursor=message.prev_cursor,
            prepend=prepend,
        )
        unconfirmed = self.state.unconfirmed()
        if not append and not prepend and unconfirmed and self.sessions_app.store is not None:
            flt = self.state.filter(self.settings.clock())
            self.selection.check(message.generation, flt, unconfirmed)
        self._note_search(message, older=older)
        self.table.more_above = self.state.prev_cursor is not None
        self.table.more_below = self.state.next_cursor is not None
        self.table.show(
            fresh if append or prepend else message.rows,
            now=self.settings.clock(),
            stale_after=self.settings.stale_after,
            selected=self.state.selected,
            append=append,
            keep_position=message.mode is LoadMode.REFRESH,
            prepend=prepend,
            at_end=message.mode is LoadMode.BOTTOM,
        )
        if not append and not prepend and self.sessions_app.store is not None:
            self._request_facets(message.generation, fresh_data=message.mode is LoadMode.REFRESH)
        if not self._first_rows:
            self._first_rows = True
            self.call_after_refresh(self.sessions_app.first_rows_painted)
        more = " · more below" if self.state.next_cursor else ""
        if self.state.prev_cursor is not None:
            more = " · more above" + more
        if self.state.search_resume is not None:
            self.table.border_subtitle = self._searched_line()
        elif self.state.order:
            self.table.border_subtitle = f"{len(self.state.order):,} loaded{more}"
        else:
            self.table.border_subtitle = "no sessions match" + (
                f" · {self.key('back')} undoes a filter, {self.key('clear')} clears all"
                if self.state.has_filters
                else ""
            )
        if not append and not prepend:
            self.status_bar.set_read(self.settings.clock())
        self.sessions_app.store_answered()

    def _note_search(self, message: PageLoaded, *, older: bool) -> None:
        """What a bounded search has covered, and where it goes on. `searched` never
        claims more than was read: a window below a cursor adds at least its own size."""
        st = self.state
        if message.searched == 0:  # not a bounded page
            return
        if message.mode is LoadMode.REFRESH:
            st.search_resume = message.resume
            return
        if older:
            st.searched += message.searched
        elif message.mode is LoadMode.APPEND:
            st.searched = max(st.searched, message.searched)
        else:
            st.searched = message.searched
        st.search_resume = message.resume

    def _searched_line(self) -> str:
        """`no match in the newest 50,000 sessions · n searches older ones`."""
        st = self.state
        found = len(st.order)
        head = f"{found:,} found in" if found else "no match in"
        older = self.key("search-older")
        return f"{head} the newest {st.searched:,} sessions · {older} searches older ones"

    def _request_facets(self, generation: int, *, fresh_data: bool) -> None:
        """Counts come after the rows; a reason-only change reuses the last facets. The
        stuck counts follow `_request_stuck_counts`."""
        flt = self.state.filter(self.settings.clock())
        self._request_stuck_counts(generation, flt, fresh_data=fresh_data)
        last = self._facets
        if not fresh_data and last is not None and last.base == flt.without_reasons():
            self._show_facets(last)
            return
        totals = fresh_data or last is None or last.totals is None
        recount, self._recount = self._recount, False
        self.load_facets(generation, flt, totals, recount)

    @on(FacetsLoaded)
    def _facets_loaded(self, message: FacetsLoaded) -> None:
        if message.generation != self.state.generation:
            return
        if message.totals is None and self._facets is not None:
            message.totals = self._facets.totals
        self._facets = message
        seen = {raw for raw, _active, _n in message.facets.groups if raw is not None}
        self.state.stored_reasons |= seen
        self._show_facets(message)
        self.reason_panel.want_sparks(message.base)

    @property
    def sparks_shown(self) -> bool:
        return self.panel_shown and self.size.width >= SPARKS_WIDTH

    def _request_stuck_counts(
        self, generation: int, flt: SessionFilter, *, fresh_data: bool
    ) -> None:
        self.stuck_panel.post_message(
            CountsWanted(generation, flt, fresh_data=fresh_data, recount=self._recount)
        )

    def _show_facets(self, loaded: FacetsLoaded) -> None:
        self.reason_panel.show_facets(loaded.facets)
        if loaded.totals is not None:
            whole = loaded.totals
            self._hint_indexes(whole.total)
            counts = Counts(
                active=whole.active,
                ended=whole.ended,
                filtered=loaded.facets.matching(self.state.effective_reasons),
                odd=whole.odd,
            )
            self.status_bar.set_counts(counts)

    def _hint_indexes(self, sessions: int) -> None:
        """Once: say why a large database without the tool's indexes is slow, and the fix."""
        store = self.sessions_app.store
        if self._index_hint_shown or store is None or sessions < INDEX_HINT_SESSIONS:
            return
        missing = store.missing_indexes
        if missing:
            self._index_hint_shown = True
            self.notify(
                index_hint(missing, standby=store.standby),
                title="Slow on this database",
                severity="warning",
                timeout=30,
            )

    # -- filters -----------------------------------------------------------------------

    def show_filters(self) -> None:
        self.query_one("#filters", Static).update(self.state.describe_filters(), layout=False)
        self.query_one("#list-state", Static).update(self.state.describe_state())

    def set_status(self, status: Status) -> None:
        self.state.status = status
        self.requery()

    def action_status(self, status: str) -> None:
        self.set_status(Status(status))

    def set_sort(self, sort: SortKey, ascending: bool = False) -> None:
        self.state.sort, self.state.ascending = sort, ascending
        self.requery()

    def action_reverse_sort(self) -> None:
        self.set_sort(self.state.sort, not self.state.ascending)

    @on(SessionsTable.HeaderClicked)
    def _header_clicked(self, message: SessionsTable.HeaderClicked) -> None:
        """A header sorts by its column, newest/largest first; a second click reverses."""
        sort = INDEXED_SORTS.get(message.column)
        if sort is None:
            header = next(c.header for c in COLUMNS if c.key == message.column)
            also = SORTABLE.get(message.column)
            where = f" (`list --sort {also.value}` does it)" if also is not None else ""
            self.notify(f"Not sortable by {header}: {NOT_SORTABLE}{where}", severity="warning")
        elif sort is self.state.sort:
            self.action_reverse_sort()
        else:
            self.set_sort(sort)

    def only_reason(self, reason: str) -> None:
        self.state.reasons = frozenset({reason})
        self.reason_panel.sync(self.state.reasons)
        self.requery()

    def action_cycle_since(self) -> None:
        self.state.next_since()
        self.requery()

    def action_cycle_sort(self) -> None:
        self.state.next_sort()
        self.requery()

    def action_step_back(self) -> None:
        """Esc: leave the search box, else undo one filter (see ListState.step_back), so
        an Esc too many never wipes a view that took several keys to build."""
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.table.focus()
            return
        if self.waiting is not None:
            self.action_cancel_wait()
            return
        undone = self.state.step_back(
            reasons_first=self.reason_panel.has_focus, stuck_first=self.stuck_panel.has_focus
        )
        if undone is not None:
            self._filters_changed()

    def action_clear_filters(self) -> None:
        if self.state.has_filters:
            self.state.clear_filters()
            self._filters_changed()

    def _filters_changed(self) -> None:
        """Mirror the state in the search box and the panel, then ask again."""
        search = self.query_one("#search", Input)
        if SearchQuery.parse(search.value) != self.state.search:
            if self._search_timer is not None:
                self._search_timer.stop()  # a debounced search must not put it back
            with search.prevent(Input.Changed):
                search.value = ""
        self.reason_panel.sync(self.state.reasons)
        self.stuck_panel.sync(self.state.stuck)
        self.requery()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_reasons(self) -> None:
        if not self.panel_shown:
            self.action_toggle_panel()
        self.reason_panel.focus()

    def action_focus_stuck(self) -> None:
        if not self.panel_shown:
            self.action_toggle_panel()
        self.stuck_panel.focus()

    def only_stuck(self, kind: StuckKind | None) -> None:
        """Filter the table to one kind of stuck session (None: lift it)."""
        self.state.stuck = kind
        self.stuck_panel.sync(kind)
        self.requery()

    @on(StuckPanel.Chosen)
    def _stuck_chosen(self, message: StuckPanel.Chosen) -> None:
        """A kind picked: the table takes the keys again (space selects its rows)."""
        self.only_stuck(message.kind)
        self.table.focus()

    @on(ReasonPanel.Done)
    def _reasons_done(self) -> None:
        self.table.focus()

    def action_select_all(self) -> None:
        self.selection.select_all()

    @on(MatchesSelected)
    def _matches(self, message: MatchesSelected) -> None:
        self.selection.matched(message)

    def action_select_none(self) -> None:
        self.selection.select_none()

    @on(SelectionList.SelectedChanged, "#reasons")
    def _reasons(self, event: SelectionList.SelectedChanged[str]) -> None:
        self.state.reasons = frozenset(event.selection_list.selected)
        self.requery()

    @on(Input.Changed, "#search")
    def _typing(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        value = event.value
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, lambda: self._apply_search(value))

    def _apply_search(self, value: str) -> None:
        query = SearchQuery.parse(value)
        if query != self.state.search:
            self.state.search = query
            self.requery()

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        self._apply_search(event.value)
        self.table.focus()

    # -- selection, detail, pause ------------------------------------------------------

    @on(SessionsTable.ToggleSelect)
    def _toggle(self, message: SessionsTable.ToggleSelect) -> None:
        self.selection.toggle(message.session_id)

    @on(SessionsTable.Opened)
    def action_open_detail(self) -> None:
        current = self.table.current_id
        if current is not None and self.sessions_app.store is not None:
            self.app.push_screen(DetailScreen(current, end=self.end))

    def action_toggle_pause(self) -> None:
        if self.settings.refresh_seconds <= 0:
            self.notify(f"Auto-refresh is off (--refresh 0): {self.key('refresh')} refreshes now")
            return
        self.state.paused = not self.state.paused
        if self._refresh_timer is not None:
            (self._refresh_timer.pause if self.state.paused else self._refresh_timer.resume)()
        self._set_live()

    # -- layout ------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._lay_out()

    @property
    def panel_shown(self) -> bool:
        if self.wide:
            return False
        if self._panel_wanted is not None:
            return self._panel_wanted
        return self.size.width >= NARROW

    def _lay_out(self) -> None:
        """The side panels (reasons and stuck, together) shown or not (the operator's
        key, else the width), and the table's columns fitted to what is left
        (`columns.fit`)."""
        side = self.query_one("#side")
        shown = self.panel_shown
        if side.display != shown:
            if not shown and (self.reason_panel.has_focus or self.stuck_panel.has_focus):
                self.table.focus()
            side.display = shown
        self.reason_panel.sparks_room()
        self.table.set_wide(self.wide)

    def action_toggle_panel(self) -> None:
        self.wide = False
        self._panel_wanted = not self.panel_shown
        self._lay_out()

    def action_toggle_wide(self) -> None:
        self.wide = not self.wide
        self._lay_out()

    # -- export --------------------------------------------------------------------------

    def action_export(self) -> None:
        """The whole view (filter and order as shown) to a file: see ExportScreen."""
        if self.sessions_app.store is None:
            self.notify("The database is not open yet", severity="warning")
            return
        now = self.settings.clock()
        facets = self._facets
        expected = facets.facets.matching(self.state.effective_reasons) if facets else None
        ctx = Context(now=now, stale_after=self.settings.stale_after)
        flt, sort, ascending = self.state.filter(now), self.state.sort, self.state.ascending
        self.app.push_screen(
            ExportScreen(
                flt,
                sort,
                ascending,
                ctx,
                expected=expected,
                cwd=Path.cwd(),
                served=self.app.is_web,
            )
        )

    # -- copy ----------------------------------------------------------------------------

    def action_copy_ids(self) -> None:
        """The whole ids of the selection (newline-separated, in list order), else of the
        highlighted row, to the terminal's clipboard by OSC 52 (which works over SSH)."""
        order = {sid: i for i, sid in enumerate(self.state.order)}
        ids = sorted(self.state.selected, key=lambda sid: order.get(sid, len(order)))
        current = self.table.current_id
        if not ids and current is not None:
            ids = [current]
        if not ids:
            self.notify("No session to copy", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(ids))
        what = ids[0] if len(ids) == 1 else f"{len(ids)} session ids"
        self.notify(f"Copied {what}", title="Clipboard")

    # -- ending sessions ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        store = self.sessions_app.store
        if action == "end" and store is not None and store.can_end:
            return None  # shown, greyed out: the status bar says why
        return True

    def disabled_because(self, action: str) -> str | None:
        store = self.sessions_app.store
        if action == "end" and store is not None and store.can_end:
            return f"Ending is disabled: {store.can_end}"
        return None

    def action_audit(self) -> None:
        """The audit screen: its own worker reads the tool's audit table page by page."""
        if self.sessions_app.store is not None:
            self.app.push_screen(AuditScreen())

    def action_trends(self) -> None:
        """The trends screen, under the list's filters: its own worker counts."""
        if self.sessions_app.store is None:
            return
        flt = self.state.filter(self.settings.clock())
        under = self.state.describe_filters(trends=True)
        self.app.push_screen(TrendsScreen(flt, under, self.show_trend_pick))

    def show_trend_pick(self, pick: TrendPick) -> None:
        """The sessions a trends bar counted: ended, with that reason, ended in that span.
        The since window and the stuck kind go (they would hide some of them); the
        search and its tokens stay, as they did in the counts."""
        st = self.state
        st.status, st.reasons, st.since, st.stuck = (
            Status.ENDED,
            frozenset({pick.reason}),
            None,
            None,
        )
        st.ended = EndedSpan(pick.start, pick.end, pick.label)
        self._filters_changed()

    def action_end(self) -> None:
        current = self.table.current_id
        self.end(sorted(self.state.selected) or ([current] if current else []))

    @work(group="end", exit_on_error=False)
    async def end(self, ids: list[str], reply_to: MessagePump | None = None) -> None:
        """Ending (`EndFlow.run`): not exclusive, a write in flight is never cancelled
        by the next one. `reply_to` (a detail screen) gets the result too."""
        await self.end_flow.run(ids, reply_to)

    @work(group="end", exit_on_error=False)
    async def end_sessions(self, ids: list[str], reason: str, actor: str | None) -> None:
        """The flow's write alone, without the dialogs (scripts, the benchmark)."""
        await self.end_flow.write(ids, reason, actor, None)

    @on(SessionsEnded)
    def _ended(self, message: SessionsEnded) -> None:
        self.end_flow.ended(message)
        self.show_filters()
        # Counts after the row is painted: on a big table their scan would delay it.
        generation, flt = self.state.generation, self.state.filter(self.settings.clock())
        self.call_after_refresh(self.load_facets, generation, flt, True)
        wanted = CountsWanted(generation, flt, after_end=True)
        self.call_after_refresh(self.stuck_panel.post_message, wanted)

    # -- keys ----------------------------------------------------------------------------

    def key_bindings(self) -> list[tuple[DOMNode, Sequence[Binding]]]:
        return [*super().key_bindings(), (self.table, self.live(SessionsTable.BINDINGS))]

    def palette_bindings(self) -> list[tuple[DOMNode, Binding]]:
        table = [
            (self.table, b) for b in self.live(SessionsTable.BINDINGS) if b.id in TABLE_COMMANDS
        ]
        return [*super().palette_bindings(), *table]

    def palette_commands(self) -> list[Command]:
        return [*super().palette_commands(), *filter_commands(self)]
