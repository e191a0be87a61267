"""The dashboard: layout, bindings, and the handlers that own the list state."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import Footer, Input, SelectionList, Static
from textual.worker import Worker, WorkerState

from tui.app.commands import SessionCommands
from tui.app.data import DataWorkers
from tui.app.messages import (
    EndRequested,
    FacetsLoaded,
    LoadMode,
    PageLoaded,
    Reconnected,
    SessionsEnded,
    StoreOpened,
    WarmMissed,
)
from tui.app.outcomes import INDEX_HINT_SESSIONS, describe_outcomes, index_hint
from tui.app.screens.detail import DetailScreen
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.app.screens.help import HelpScreen
from tui.app.state import ListState, SearchQuery
from tui.app.widgets.reason_panel import ReasonPanel
from tui.app.widgets.sessions_table import SessionsTable
from tui.app.widgets.status_bar import StatusBar
from tui.domain.audit import default_actor
from tui.domain.models import Counts, SortKey, Status
from tui.domain.text import safe_text
from tui.settings import Settings
from tui.store.errors import StoreError

if TYPE_CHECKING:
    from tui.store.store import Store

SEARCH_DEBOUNCE = 0.25
PROBE_EVERY = 2.0
LOADING_AFTER = 0.15
"""A new question shows "loading…" only once its page is this late. Shown at once, it
cost a full table redraw (~9 ms) and a frame before every page, fast or not."""
CLOSE_TIMEOUT = 6.0
"""Longer than SQLite's busy timeout (5 s): a query waiting on a lock ends before we close."""


_RESULTS = (StoreOpened, PageLoaded, WarmMissed, FacetsLoaded, SessionsEnded, Reconnected)
"""Messages workers post; they all update widgets."""


class SessionsApp(DataWorkers, App[None]):  # type: ignore[misc]
    """Operators' view of remote_agent_sessions."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "sessions-tui"
    COMMANDS = App.COMMANDS | {SessionCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("slash", "focus_search", "Search", key_display="/", id="search"),
        Binding("1", "status('active')", "Active", id="status-active"),
        Binding("2", "status('ended')", "Ended", id="status-ended"),
        Binding("3", "status('all')", "All", id="status-all"),
        Binding("g", "focus_reasons", "Reasons", id="reasons"),
        Binding("t", "cycle_since", "Since", id="since"),
        Binding("o", "cycle_sort", "Sort", id="sort"),
        Binding("x", "end", "End session", id="end"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("escape", "clear_filters", "Clear filters", key_display="esc", id="clear"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.store: Store | None = None
        self.state = ListState()
        self._refresh_timer: Timer | None = None
        self._recount = False  # the next facet count skips the settled counts
        self._probe_timer: Timer | None = None
        self._search_timer: Timer | None = None
        self._loading_timer: Timer | None = None
        self._frozen = False
        self._opening = False
        self._warm_generation: int | None = None
        self._inflight = set()
        self._facets: FacetsLoaded | None = None
        """The last facets (and whole-table totals): reason-only changes reuse them."""
        self._index_hint_shown = False
        if settings.theme:
            self.theme = settings.theme

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Toasts carry ids, reasons and error text from the database: never markup by default."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def compose(self) -> ComposeResult:
        yield StatusBar(self.settings.target.display(), id="status")
        with Horizontal(id="filterbar"):
            yield Input(
                placeholder="/ search id, title, codebase…  platform:slack codebase:infra",
                id="search",
            )
            yield Static(id="filters", markup=False)
        with Horizontal(id="main"):
            yield ReasonPanel(id="reasons")
            yield SessionsTable(id="sessions")
        yield Footer()

    # -- lifecycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        self.table.focus()
        self._show_filters()
        # Rows first, through the bare driver; SQLAlchemy is imported once they are painted.
        self._warm_generation = self.state.bump()
        self.table.border_subtitle = "loading…"
        self.warm_page(self._warm_generation, self.settings.page_size)

    def _open_store(self) -> None:
        if not self._opening:
            self._opening = True
            self.open_database()

    @on(WarmMissed)
    def _warm_missed(self) -> None:
        self._open_store()

    def check_message_enabled(self, message: Message) -> bool:
        """A result that lands while the app shuts down has no screen left: drop it."""
        if isinstance(message, _RESULTS) and not self.is_running:
            return False
        return super().check_message_enabled(message)

    @property
    def table(self) -> SessionsTable:
        return self.query_one(SessionsTable)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    @on(StoreOpened)
    def _opened(self, message: StoreOpened) -> None:
        self.store = message.store
        self.status_bar.set_end_blocked(self.store.can_end)
        self._set_live()
        if self.state.generation == self._warm_generation and self.state.order:
            # The warm first page is on screen and still answers the question: count it.
            self._request_facets(self.state.generation, fresh_data=True)
        else:
            self.requery()
        self.call_after_refresh(gc.freeze)  # SQLAlchemy's import garbage is permanent too
        if self.settings.refresh_seconds > 0 and self._refresh_timer is None:
            self._refresh_timer = self.set_interval(
                self.settings.refresh_seconds, self.refresh_tick
            )

    async def on_unmount(self) -> None:
        """Stop the workers before closing the pool, and never hang the exit on it.

        Closing while a worker's query was in flight could wait forever on aiosqlite's
        already-finished thread (seen in 5 of 8 benchmark quits during facet counts).
        """
        self.workers.cancel_all()
        await self.settle_database(CLOSE_TIMEOUT)
        if self.store is not None:
            # Leaving anyway: on a timeout or a dead connection the OS closes the files.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.store.close(), CLOSE_TIMEOUT)

    # -- queries ---------------------------------------------------------------------

    def requery(self) -> None:
        """A new question: first page and facets, answers to older questions dropped."""
        generation = self.state.bump()
        if self.store is None:
            self._show_filters()  # asked again when the Store opens: the warm page is stale
            return
        flt = self.state.filter(self.settings.clock())
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self._loading_timer = self.set_timer(LOADING_AFTER, self._show_loading)
        self.load_page(
            generation, flt, self.state.sort, None, self.settings.page_size, LoadMode.REPLACE
        )
        self._show_filters()

    def _show_loading(self) -> None:
        self._loading_timer = None
        self.table.border_subtitle = "loading…"

    def action_refresh(self) -> None:
        """Re-read the loaded window, and count every reason afresh: the operator asked."""
        self._refresh(recount=True)

    def refresh_tick(self) -> None:
        """The timer's tick: the counts re-read only what can have changed.

        A tick never cancels a read still running: on a locked SQLite file each read
        waits out the busy timeout, and a tick that cancelled it just before it failed
        threw the error away, so the header said "live" over stale rows for as long as
        the lock was held.
        """
        if any(w.group in ("list", "facets") and w.is_running for w in self.workers):
            return
        self._refresh(recount=False)

    def _refresh(self, *, recount: bool) -> None:
        """Cursor, selection and scroll stay where they are."""
        if self.store is None or not self.state.connected:
            return
        self._recount = self._recount or recount
        flt = self.state.filter(self.settings.clock())
        limit = max(self.settings.page_size, len(self.state.order))
        gen = self.state.generation
        self.load_page(gen, flt, self.state.sort, None, limit, LoadMode.REFRESH)

    @on(SessionsTable.NearEnd)
    def _more(self) -> None:
        st = self.state
        if self.store is None or st.next_cursor is None or st.loading_more or not st.connected:
            return
        st.loading_more = True
        flt = st.filter(self.settings.clock())
        self.load_page(
            st.generation, flt, st.sort, st.next_cursor, self.settings.page_size, LoadMode.APPEND
        )

    @on(PageLoaded)
    def _page(self, message: PageLoaded) -> None:
        if message.warm:
            self.call_after_refresh(self._open_store)  # once these rows are painted
        if message.generation != self.state.generation:
            return
        append = message.mode is LoadMode.APPEND
        if not append and self._loading_timer is not None:
            self._loading_timer.stop()  # this question is answered
            self._loading_timer = None
        fresh = self.state.load(message.rows, message.next_cursor, append)
        self.table.show(
            fresh if append else message.rows,
            now=self.settings.clock(),
            stale_after=self.settings.stale_after,
            selected=self.state.selected,
            append=append,
            keep_position=message.mode is LoadMode.REFRESH,
        )
        if not append and self.store is not None:
            self._request_facets(message.generation, fresh_data=message.mode is LoadMode.REFRESH)
        if not self._frozen:
            # Start-up garbage (imports, first page) is permanent: keep it out of full
            # collections, which otherwise pause input for ~50 ms at a time.
            self._frozen = True
            self.call_after_refresh(gc.freeze)
        more = " · more below" if message.next_cursor else ""
        self.table.border_subtitle = f"{len(self.state.order):,} loaded{more}"
        self._connected()

    def _request_facets(self, generation: int, *, fresh_data: bool) -> None:
        """Counts come after the rows; a reason-only change reuses the last facets."""
        flt = self.state.filter(self.settings.clock())
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
        self._show_facets(message)

    def _show_facets(self, loaded: FacetsLoaded) -> None:
        self.query_one(ReasonPanel).show_facets(loaded.facets)
        if loaded.totals is not None:
            whole = loaded.totals
            self._hint_indexes(whole.total)
            counts = Counts(
                active=whole.active,
                ended=whole.total - whole.active,
                filtered=loaded.facets.matching(self.state.reasons),
            )
            self.status_bar.set_counts(counts)

    def _hint_indexes(self, sessions: int) -> None:
        """Once: say why a large database without the tool's indexes is slow, and the fix."""
        if self._index_hint_shown or self.store is None or sessions < INDEX_HINT_SESSIONS:
            return
        missing = self.store.missing_indexes
        if missing:
            self._index_hint_shown = True
            self.notify(
                index_hint(missing), title="Slow on this database", severity="warning", timeout=30
            )

    # -- filters ---------------------------------------------------------------------

    def _show_filters(self) -> None:
        self.query_one("#filters", Static).update(self.state.describe(), layout=False)

    def set_status(self, status: Status) -> None:
        self.state.status = status
        self.requery()

    def action_status(self, status: str) -> None:
        self.set_status(Status(status))

    def set_sort(self, sort: SortKey) -> None:
        self.state.sort = sort
        self.requery()

    def only_reason(self, reason: str) -> None:
        self.state.reasons = frozenset({reason})
        self.query_one(ReasonPanel).sync(self.state.reasons)
        self.requery()

    def action_cycle_since(self) -> None:
        self.state.next_since()
        self.requery()

    def action_cycle_sort(self) -> None:
        self.state.next_sort()
        self.requery()

    def action_clear_filters(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.table.focus()
            return
        if not self.state.has_filters:
            return
        self.state.clear_filters()
        with search.prevent(Input.Changed):
            search.value = ""
        self.query_one(ReasonPanel).sync(self.state.reasons)
        self.requery()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_reasons(self) -> None:
        self.query_one(ReasonPanel).focus()

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

    # -- selection, detail, help -----------------------------------------------------

    @on(SessionsTable.ToggleSelect)
    def _toggle(self, message: SessionsTable.ToggleSelect) -> None:
        sid = message.session_id
        self.state.selected ^= {sid}
        row = self.state.rows.get(sid)
        if row is not None:
            self.table.update_row(
                row,
                now=self.settings.clock(),
                stale_after=self.settings.stale_after,
                selected=sid in self.state.selected,
            )
        self._show_filters()

    @on(SessionsTable.Opened)
    def action_open_detail(self) -> None:
        current = self.table.current_id
        if current is not None and self.store is not None:
            self.push_screen(DetailScreen(current))

    def action_help(self) -> None:
        sections = [
            (
                "Sessions",
                [*self.BINDINGS, *SessionsTable.BINDINGS],
            ),
            ("Detail", DetailScreen.BINDINGS),
        ]
        self.push_screen(HelpScreen(sections))  # type: ignore[arg-type]

    def action_toggle_pause(self) -> None:
        self.state.paused = not self.state.paused
        if self._refresh_timer is not None:
            (self._refresh_timer.pause if self.state.paused else self._refresh_timer.resume)()
        self._set_live()

    def _set_live(self) -> None:
        if not self.state.connected:
            self.status_bar.set_live("✖ disconnected — retrying", "bold red")
        elif self.state.paused or self.settings.refresh_seconds <= 0:
            self.status_bar.set_live("⏸ paused (p resumes, r refreshes)", "yellow")
        else:
            self.status_bar.set_live(f"● live, every {self.settings.refresh_seconds:g}s", "green")

    # -- ending sessions -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "end" and self.store is not None and self.store.can_end:
            return None  # shown, greyed out: the status bar says why
        return True

    def action_end(self) -> None:
        """From the palette too: on a detail screen that is the session shown, not the
        row highlighted in the table underneath."""
        if isinstance(self.screen, DetailScreen):
            self.screen.action_end()
            return
        ids = sorted(self.state.selected) or (
            [self.table.current_id] if self.table.current_id else []
        )
        self.post_message(EndRequested([i for i in ids if i]))

    @on(EndRequested)
    def _end_requested(self, message: EndRequested) -> None:
        if self.store is None or not message.ids:
            return
        if self.store.can_end:
            self.notify(f"Ending is disabled: {self.store.can_end}", severity="error")
            return
        ids = message.ids
        known = [self.state.rows.get(i) for i in ids]
        if all(row is not None and not row.active for row in known):
            what = "This session is" if len(ids) == 1 else "These sessions are"
            self.notify(f"{what} already ended: nothing to end", severity="warning")
            return
        actor = self.settings.actor or default_actor()

        def picked(reason: str | None) -> None:
            if reason is None:
                return
            rows = {i: self.state.rows[i] for i in ids if i in self.state.rows}

            def confirmed(ok: bool | None) -> None:
                if ok:
                    self.end_sessions(ids, reason, actor)

            self.push_screen(ConfirmEndScreen(ids, rows, reason, actor), confirmed)

        self.push_screen(EndReasonScreen(len(ids)), picked)

    @on(SessionsEnded)
    def _ended(self, message: SessionsEnded) -> None:
        now = self.settings.clock()
        for sid, row in message.rows.items():
            self.state.selected.discard(sid)
            if sid in self.state.rows:
                self.state.rows[sid] = row
                self.table.update_row(
                    row, now=now, stale_after=self.settings.stale_after, selected=False
                )
        for text, severity in describe_outcomes(message.outcomes):
            self.notify(text, severity=severity, timeout=8)
        if message.reread_error is not None:
            self.notify(
                f"The end was written, but the rows could not be read back: "
                f"{safe_text(message.reread_error)}. Press r to reload.",
                severity="warning",
                timeout=15,
            )
            if message.reread_error.retryable:
                self._disconnected()
        ended_ids = {o.id for o in message.outcomes}
        for screen in self.screen_stack:  # a detail screen the end was started from
            if isinstance(screen, DetailScreen) and screen.session_id in ended_ids:
                screen.action_reload()
        self._show_filters()
        # Counts after the row is painted: on a big table their scan would delay it.
        generation, flt = self.state.generation, self.state.filter(now)
        self.call_after_refresh(self.load_facets, generation, flt, True)

    # -- failures: the one place worker errors land ----------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.CANCELLED and worker.group == "list":
            self.state.loading_more = False
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        if not isinstance(error, StoreError):
            error = StoreError(f"unexpected {type(error).__name__}: {error}")
            if self.store is not None:
                error = StoreError(self.store.target.scrub(str(error)))
        said = safe_text(error)  # driver messages can quote stored strings
        if worker.group == "list":
            self.state.loading_more = False
        if worker.group == "end":
            self.notify(
                f"Nothing was ended: {said}. Not retried: check and try again.",
                severity="error",
                timeout=15,
            )
        elif worker.group == "open":
            self.status_bar.set_live(f"✖ cannot open: {said}", "bold red")
            self.notify(said, title="Cannot open the database", severity="error", timeout=30)
            if error.retryable:
                self.set_timer(PROBE_EVERY * 2, self.open_database)
            return
        elif worker.group != "probe":
            self.notify(said, severity="error", timeout=10)
        if worker.group == "detail":
            for screen in self.screen_stack:
                if isinstance(screen, DetailScreen):
                    screen.failed(said)
        if error.retryable:
            self._disconnected()

    def _disconnected(self) -> None:
        self.state.connected = False
        self._set_live()
        if self._probe_timer is None:
            self._probe_timer = self.set_interval(PROBE_EVERY, self.probe)

    def _connected(self) -> None:
        if not self.state.connected:
            self.state.connected = True
            self._set_live()

    @on(Reconnected)
    def _reconnected(self) -> None:
        if self._probe_timer is not None:
            self._probe_timer.stop()
            self._probe_timer = None
        was_down = not self.state.connected
        self._connected()
        if was_down:
            self.notify("Reconnected to the database", severity="information")
            self.action_refresh()


def make_app(settings: Settings) -> SessionsApp:
    """The one factory the CLI and the tests both use."""
    return SessionsApp(settings)


def run(settings: Settings) -> None:
    make_app(settings).run()
