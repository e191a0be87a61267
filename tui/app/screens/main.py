"""The sessions list: the base of the screen stack, composed of its concerns.

The screen lays out the widgets, holds the list's concerns and routes its keys and
messages to them:

- `ListController` (plain): the question, its generation, the paging, the waiting
  and the cancel;
- `ListReads`, `ListCounts`: the controller's reads as this screen's workers (the
  pages, the counts), their answers shown;
- `ListFilters`, `ListPanels`, `Selection`, `EndFlow`, `ListConnection`: the filters,
  the layout, the selection, ending sessions, and the App's connection events;
- `list_screens`: the screens the list opens over itself.

The controller's state has one writer, these concerns, called from this screen's
handlers. The workers only call the store (through `tui.app.data`) and post one
message; their failures land in `ListReads.failed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import SelectionList, Static
from textual.worker import Worker

from tui.app import list_screens
from tui.app.commands import Command
from tui.app.end_flow import EndFlow
from tui.app.list_commands import filter_commands
from tui.app.list_connection import ListConnection
from tui.app.list_controller import ListController
from tui.app.list_counts import ListCounts
from tui.app.list_filters import ListFilters
from tui.app.list_panels import NARROW, SPARKS_WIDTH, ListPanels
from tui.app.list_reads import ListReads
from tui.app.messages import (
    Disconnected,
    FacetsLoaded,
    FileMoved,
    MatchesSelected,
    OpenFailed,
    PageLoaded,
    Reconnected,
    SelectionChecked,
    SessionsEnded,
    StoreOpened,
    WarmMissed,
)
from tui.app.screens.base import Connection, SessionsScreen
from tui.app.screens.main_keys import MAIN_BINDINGS
from tui.app.selection import SessionSelection
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.reason_panel import ReasonPanel
from tui.app.widgets.search_box import SearchBox
from tui.app.widgets.sessions_table import SessionsTable
from tui.app.widgets.status_bar import StatusBar
from tui.app.widgets.stuck_panel import StuckPanel
from tui.domain.models import Status

if TYPE_CHECKING:
    from tui.domain.triggers import Vocabulary

TABLE_COMMANDS = ("select", "open", "row-first", "row-last")
"""The table's bindings that are palette commands too (the rest move the cursor)."""
SEARCH_HINT = "search id, title, codebase…  platform:slack codebase:infra user:ada"


class MainScreen(SessionsScreen):
    """Operators' view of remote_agent_sessions: the base of the screen stack."""

    HELP_TITLE = "Sessions"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (NARROW, "-roomy"),
        (SPARKS_WIDTH, "-sparks"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = MAIN_BINDINGS
    CHILD_BINDINGS: ClassVar[dict[type[Widget], tuple[str, ...]]] = {SessionsTable: TABLE_COMMANDS}

    table: SessionsTable
    status_bar: StatusBar
    search_box: SearchBox
    reason_panel: ReasonPanel
    stuck_panel: StuckPanel

    def __init__(self, link: Connection | None = None) -> None:
        super().__init__()
        self.link = link  # a deployment's; None: the App's, the single database's
        settings = self.settings
        self.controller = ListController(
            page_size=settings.page_size,
            search_window=settings.search_window,
            clock=settings.clock,
            key=self.key,
        )
        self.state = self.controller.state
        """The list's question and window (`ListState`), the controller's."""
        self.vocabulary: Vocabulary | None = None
        """The store's, once it is open: the panel, the palette and the end picker use it."""
        self.reads = ListReads(self)
        self.counts = ListCounts(self)
        self.filters = ListFilters(self)
        self.panels = ListPanels(self)
        self.selection = SessionSelection(self)
        self.end_flow = EndFlow(self)
        self.connection = ListConnection(self)
        # Rows first, through the bare driver; SQLAlchemy is imported once they are painted.
        # Asked before the screen is mounted, so that a page already read (`warm.start`)
        # is handled right after `on_mount`, before the first frame.
        self.sessions_app.warm_first_page(self, self.controller.start())

    def compose(self) -> ComposeResult:
        self.status_bar = StatusBar(self.settings.target.display(), id="status")
        hint = f"{self.key('search')} {SEARCH_HINT}"
        self.search_box = SearchBox(self.filters.search, placeholder=hint, id="search")
        self.reason_panel = ReasonPanel(lambda: self.panels.sparks_shown, id="reasons")
        self.stuck_panel = StuckPanel(lambda: self.state.generation, id="stuck")
        self.table = SessionsTable(id="sessions")
        yield self.status_bar
        with Horizontal(id="filterbar"):
            yield self.search_box
            yield Static(id="filters", markup=False)
            yield Static(id="list-state", markup=False)
        with Horizontal(id="main"):
            with Vertical(id="side"):
                yield self.reason_panel
                yield self.stuck_panel
            yield self.table
        yield KeyFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self.panels.lay_out()
        self.filters.show()
        self.table.border_subtitle = "loading…"

    # -- messages, each to the concern it is for ----------------------------------------

    @on(StoreOpened)
    @on(OpenFailed)
    @on(Disconnected)
    @on(FileMoved)
    @on(Reconnected)
    @on(WarmMissed)
    def _connection(self, message: Message) -> None:
        self.connection.told(message)

    @on(PageLoaded)
    @on(FacetsLoaded)
    @on(SelectionChecked)
    @on(MatchesSelected)
    @on(SessionsEnded)
    def _answered(self, message: Message) -> None:
        """A worker's answer: to the reads, the selection or the end flow."""
        if isinstance(message, PageLoaded):
            self.reads.took_page(message)
        elif isinstance(message, FacetsLoaded):
            self.counts.took(message)
        elif isinstance(message, SelectionChecked):
            self.selection.checked(message)
        elif isinstance(message, MatchesSelected):
            self.selection.matched(message)
        elif isinstance(message, SessionsEnded):
            self.end_flow.ended(message)
            self.filters.show()
            self.counts.after_end()

    @on(SessionsTable.NearEnd)
    @on(SessionsTable.NearStart)
    @on(SessionsTable.Jump)
    @on(SessionsTable.HeaderClicked)
    @on(SessionsTable.ToggleSelect)
    @on(SessionsTable.Opened)
    def _table_event(self, message: Message) -> None:
        """The table asks for rows beyond its window, a sort, a selection, a detail."""
        if isinstance(message, SessionsTable.NearEnd):
            self.reads.below()
        elif isinstance(message, SessionsTable.NearStart):
            self.reads.above()
        elif isinstance(message, SessionsTable.Jump):
            self.reads.jump(to_end=message.to_end)
        elif isinstance(message, SessionsTable.HeaderClicked):
            self.filters.header_clicked(message.column)
        elif isinstance(message, SessionsTable.ToggleSelect):
            self.selection.toggle(message.session_id)
        else:
            list_screens.open_detail(self)

    @on(StuckPanel.Chosen)
    @on(ReasonPanel.Done)
    @on(SelectionList.SelectedChanged, "#reasons")
    def _panel_event(self, message: Message) -> None:
        """A stuck kind or reasons picked; the table takes the keys again after a pick
        (space selects its rows)."""
        if isinstance(message, SelectionList.SelectedChanged):
            self.filters.reasons_picked(frozenset(message.selection_list.selected))
            return
        if isinstance(message, StuckPanel.Chosen):
            self.filters.only_stuck(message.kind)
        self.table.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.reads.failed(event)

    def on_resize(self) -> None:
        self.panels.lay_out()

    # -- keys ------------------------------------------------------------------------

    def action_focus_on(self, target: str) -> None:
        self.panels.focus(target)

    def action_switch(self, what: str) -> None:
        if what == "pause":
            self.connection.toggle_pause()
        else:
            self.panels.toggle(what)

    def action_status(self, status: str) -> None:
        self.filters.set_status(Status(status))

    def action_cycle_since(self) -> None:
        self.filters.cycle_since()

    def action_cycle_sort(self) -> None:
        self.filters.cycle_sort()

    def action_reverse_sort(self) -> None:
        self.filters.reverse_sort()

    def action_step_back(self) -> None:
        self.filters.step_back()

    def action_clear_filters(self) -> None:
        self.filters.clear()

    def action_search_older(self) -> None:
        self.reads.search_older()

    def action_refresh(self) -> None:
        self.reads.refresh_all()

    def action_select_all(self) -> None:
        self.selection.select_all()

    def action_select_none(self) -> None:
        self.selection.select_none()

    def action_end(self) -> None:
        current = self.table.current_id
        self.end_flow.start(sorted(self.state.selected) or ([current] if current else []))

    def action_export(self) -> None:
        list_screens.export(self)

    def action_copy_ids(self) -> None:
        list_screens.copy_ids(self)

    def action_audit(self) -> None:
        list_screens.audit(self)

    def action_trends(self) -> None:
        list_screens.trends(self)

    def action_runs(self) -> None:
        list_screens.runs(self)

    def disabled_because(self, action: str) -> str | None:
        store = self.sessions_app.store
        if action == "end" and store is not None and store.can_end:
            return f"Ending is disabled: {store.can_end}"
        return None

    def palette_commands(self) -> list[Command]:
        return [*super().palette_commands(), *filter_commands(self)]
