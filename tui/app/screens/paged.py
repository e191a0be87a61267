"""A list declared as a view, shown a page at a time.

A `ListView` is what a list of the dashboard declares: its title, its columns, how a
row fills them, its query (one page below a cursor, under a filter), and optionally its
search box (`ViewSearch`: the keys it takes and the filter a search makes), its side
panels, its actions (`ViewAction`: a binding and what it does) and what `enter` on a row
opens. `PagedListScreen` shows one and derives everything from the declaration: the
table, the first page on open and on every new question, the next as the cursor nears
the bottom, each read by the screen's own worker and paged by the list's `Pager` (an
answer to a question asked before a reload is dropped). A subclass's `BINDINGS` are the
view's (`ListView.bindings`), plus any of its own.

The question is the filter the list was opened with, changed by the panels (`Narrow`)
and then by the search typed. Each new question goes to the panels (`ListAsked`), which
count in their own workers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from msgspec import Struct, field
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from tui.app.commands import Command
from tui.app.data import as_store_error
from tui.app.list_controller import Pager, Window
from tui.app.list_selection import ListSelection, ViewSelect
from tui.app.messages import MatchesSelected, SelectionChecked
from tui.app.picks import Picks
from tui.app.screens.base import SessionsScreen
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.search_box import SearchBox
from tui.domain.text import safe_text

if TYPE_CHECKING:
    from tui.store.store import Store

R = TypeVar("R")
C = TypeVar("C")
F = TypeVar("F")


class ViewSearch(Struct, Generic[F], frozen=True):
    """A view's search box: the `key:value` tokens it takes besides free text, the
    filter a typed search makes, and how the filters in force are said."""

    keys: tuple[str, ...]
    hint: str
    """The box's placeholder, after the key that focuses it."""
    apply: Callable[[F, str, datetime], F]
    """(the filters not typed, the text typed, now) -> the list's filter."""
    describe: Callable[[F], str]


class ViewAction(Struct, frozen=True):
    """One of a view's keys: its binding (whose action is `view('<name>')`) and what it
    does, given the screen."""

    name: str
    binding: Binding
    run: Callable[[Any], object]


def view_action(
    name: str,
    key: str,
    description: str,
    run: Callable[[Any], object],
    **binding: Any,
) -> ViewAction:
    """An action and its binding; `binding` takes `Binding`'s options (id, show, …)."""
    return ViewAction(name, Binding(key, f"view({name!r})", description, **binding), run)


class ListView(Struct, Generic[R, C, F], frozen=True):
    """A paged list, declared."""

    name: str
    """Its widgets' ids: `{name}-title`, `{name}-table`, `{name}-note` (and with a
    search, `{name}-search` and `{name}-filters`; with panels, `{name}-side`)."""
    title: str
    columns: tuple[str, ...]
    """Column keys, left to right; a header is its key with spaces for underscores."""
    values: Callable[[R, datetime], Mapping[str, object]]
    """A row's value per column key, at `now` (None or empty is shown as a dash)."""
    key: Callable[[R], str]
    read: Callable[[Store, F, C | None, int], Coroutine[Any, Any, tuple[list[R], C | None]]]
    """One page of at most `page_size` rows under a filter, below a cursor, and the next
    cursor."""
    empty: str | Callable[[Store], str]
    """What the note says when the list holds no row (given the store, when it depends
    on the database)."""
    no_filter: F
    """The filter that keeps every row (what clearing the filters comes back to)."""
    page_size: int | None = 100
    """Rows a page reads; None: the list's page size setting (the sessions list's)."""
    near_end: int = 10
    """The next page is read when the cursor is this close to the last row shown (a
    quarter of a page at most)."""
    caps: Mapping[str, int] = field(default_factory=dict)
    """The widest a column's cells are shown (cut beyond), by column key."""
    search: ViewSearch[F] | None = None
    panels: tuple[Callable[[], Widget], ...] = ()
    """The side panels, made per screen; each hears every question (`ListAsked`)."""
    actions: tuple[ViewAction, ...] = ()
    open: Callable[[Any, R], object] | None = None
    """What `enter` on a row does, given the screen and the row."""
    commands: Callable[[Any], list[Command]] | None = None
    """Palette commands beyond the actions' (a filter per value), given the screen."""
    fit: Callable[[int], Sequence[tuple[str, int]]] | None = None
    """The columns shown for a table `available` cells wide, each with its width (the
    sessions table's rule, `columns.fit_columns`), laid out again as the table's width
    changes; None: every column, at its cap."""
    select: ViewSelect[R, F] | None = None
    """Rows can be selected (the sessions list's `Selection`): how the view's rows are
    read for select-all and for the check, and which cell marks a selected row."""

    @property
    def bindings(self) -> list[Binding]:
        return [a.binding for a in self.actions]


class ListTable(DataTable[Text]):
    """A declared list's table: the sessions table's row keys beside DataTable's own,
    under the same binding ids (so `[keys]` moves them on every list). Its width, as it
    changes, goes to its screen (`Resized`)."""

    @dataclass
    class Resized(Message):
        available: int
        """Cells the columns may take: the table's width less its vertical scrollbar."""

    def on_resize(self) -> None:
        self.post_message(self.Resized(self.size.width - self.styles.scrollbar_size_vertical))

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "cursor_up", "Up", show=False, id="row-up-k"),
        Binding("j", "cursor_down", "Down", show=False, id="row-down-j"),
        Binding("home", "scroll_top", "First row", show=False, id="row-first"),
        Binding("g", "scroll_top", "First row", show=False, id="row-first-g"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="row-last"),
        Binding("G", "scroll_bottom", "Last row", show=False, id="row-last-g"),
    ]


@dataclass
class ListAsked(Message, bubble=False):
    """A new question of a list, told to its panels: count under `flt`."""

    generation: int
    flt: Any


@dataclass
class Narrow(Message):
    """A panel changes the list's filters (`change` of the filters not typed)."""

    change: Callable[[Any], Any]


class ListLayout(Generic[R]):
    """A declared list's columns and cells: the columns its table shows at its width
    (`ListView.fit`, else every column at its cap), a row's cells in them (the
    selection's mark on the view's mark column), and rows drawn again in place."""

    def __init__(self, screen: PagedListScreen[R, Any, Any]) -> None:
        self.screen = screen
        view = screen.view
        self.shown: tuple[tuple[str, int | None], ...] = tuple(
            (c, view.caps.get(c)) for c in view.columns
        )
        """The columns the table shows, each with its width (None: its cells')."""

    def add_columns(self) -> None:
        for column, width in self.shown:
            self.screen.table.add_column(column.replace("_", " "), width=width, key=column)

    def fit(self, available: int) -> None:
        """The columns laid out again for `available` cells: the rows are drawn again
        with them, the cursor kept."""
        screen = self.screen
        if screen.view.fit is None or available <= 0:
            return
        shown = tuple(screen.view.fit(available))
        if shown == self.shown:
            return
        self.shown = shown
        table, at = screen.table, screen.table.cursor_row
        table.clear(columns=True)
        self.add_columns()
        now = screen.settings.clock()
        for key, row in screen.rows.items():
            table.add_row(*self.cells(row, now), key=key)
        if screen.rows:
            table.move_cursor(row=at)

    def cells(self, row: R, now: datetime) -> list[Text]:
        """A row's cells at `now`, in the columns shown: its values (a dash for none); a
        selected row's mark column (`ViewSelect.column`) is marked with ✓ and reversed."""
        view = self.screen.view
        values = view.values(row, now)
        marked = view.select.column if view.select is not None else None
        if view.key(row) not in self.screen.picks.selected:
            marked = None
        cells = []
        for column, _ in self.shown:
            value = values[column]
            text = "—" if value in (None, "") else safe_text(str(value))
            cells.append(Text(f"✓ {text}", style="reverse") if column == marked else Text(text))
        return cells

    def redraw(self, rows: Sequence[R]) -> None:
        """Each of `rows` the list shows, drawn again in place (as read now, marked or
        not); a row the list does not show is left out."""
        screen = self.screen
        view, table = screen.view, screen.table
        now = screen.settings.clock()
        for row in rows:
            key = view.key(row)
            if key not in screen.rows:
                continue
            screen.rows[key] = row
            for (column, _), cell in zip(self.shown, self.cells(row, now), strict=True):
                table.update_cell(key, column, cell)


class PagedListScreen(SessionsScreen, Generic[R, C, F]):
    """A paged DataTable over a `ListView`'s rows, with its search, panels and actions."""

    DEFAULT_CSS: ClassVar[str] = """
    PagedListScreen .list-filterbar { height: 3; }
    PagedListScreen .list-filterbar SearchBox { width: 60; }
    PagedListScreen .list-filters { width: 1fr; padding: 1 1; color: $text-muted; }
    PagedListScreen .list-main { height: 1fr; }
    PagedListScreen .list-side { width: 36; height: auto; }
    PagedListScreen .list-side > OptionList {
        height: auto; border: round $primary 50%; border-title-color: $primary;
    }
    PagedListScreen .list-side > OptionList:focus-within { border: round $primary; }
    PagedListScreen .list-main DataTable { width: 1fr; }
    """
    CHILD_BINDINGS: ClassVar[dict[type[Widget], tuple[str, ...]]] = {ListTable: ()}

    def __init__(self, view: ListView[R, C, F], filtered: F | None = None) -> None:
        """`filtered`: the filters the list opens with (a link's), else none."""
        super().__init__()
        self.view = view
        self.window: Window[C] = Window()
        self.pager = Pager(self.window)
        self.more = True
        """Rows beyond those shown (true until the first page says otherwise)."""
        self.count = 0
        self.opened: F = view.no_filter if filtered is None else filtered
        self.held: F = self.opened
        """The filters not typed: the opening ones, changed by the panels."""
        self.typed = ""
        self.undone: list[F] = []
        """The filters not typed before each change, the last on top: back undoes them."""
        self.asked: F = self.opened
        """The filter of the question asked last."""
        self.rows: dict[str, R] = {}
        self.list_cells: ListLayout[R] = ListLayout(self)
        self._actions = {a.name: a for a in view.actions}
        self.picks = Picks()
        """The selected rows (none unless the view is selectable)."""
        self.selection = ListSelection(self) if view.select is not None else None

    def compose(self) -> ComposeResult:
        view, name = self.view, self.view.name
        yield Static(view.title, id=f"{name}-title", markup=False)
        if view.search is not None:
            with Horizontal(id=f"{name}-filterbar", classes="list-filterbar"):
                hint = f"{self.key('search')} {view.search.hint}"
                yield SearchBox(self._searched, placeholder=hint, id=f"{name}-search")
                yield Static("", id=f"{name}-filters", markup=False, classes="list-filters")
        table = ListTable(id=f"{name}-table", cursor_type="row", zebra_stripes=True)
        if view.panels:
            with Horizontal(id=f"{name}-main", classes="list-main"):
                with Vertical(id=f"{name}-side", classes="list-side"):
                    for make in view.panels:
                        yield make()
                yield table
        else:
            yield table
        yield Static("", id=f"{name}-note", markup=False)
        yield KeyFooter()

    @property
    def table(self) -> ListTable:
        return self.query_one(f"#{self.view.name}-table", ListTable)

    @property
    def note(self) -> Static:
        return self.query_one(f"#{self.view.name}-note", Static)

    @property
    def search_box(self) -> SearchBox:
        return self.query_one(f"#{self.view.name}-search", SearchBox)

    def on_mount(self) -> None:
        self.list_cells.add_columns()
        self.table.focus()
        self.ask()

    @on(ListTable.Resized)
    def _fit(self, message: ListTable.Resized) -> None:
        self.list_cells.fit(message.available)

    # -- the question ------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        return self.view.page_size or self.settings.page_size

    def current_filter(self) -> F:
        """The filters not typed, with the search typed applied over them."""
        search = self.view.search
        if search is None:
            return self.held
        return search.apply(self.held, self.typed, self.settings.clock())

    def ask(self) -> None:
        """A new question: the table starts again at the top; the panels count for it."""
        self.asked = flt = self.current_filter()
        self.table.clear()
        self.rows.clear()
        self.more, self.count = True, 0
        self.note.update("loading…")
        generation = self.pager.ask_first()
        self.say_filters()
        for panel in self.query(f"#{self.view.name}-side > *"):
            panel.post_message(ListAsked(generation, flt))
        self.load(generation, flt, None)

    def say_filters(self) -> None:
        """The filters of the question asked last, and how many rows are selected."""
        if self.view.search is None:
            return
        said = self.view.search.describe(self.asked) or "no filter"
        if self.picks.selected:
            said += f"  ·  selected: {len(self.picks.selected)}"
        self.query_one(f"#{self.view.name}-filters", Static).update(said)

    def action_reload(self) -> None:
        self.ask()

    def _searched(self, text: str, submitted: bool) -> None:
        if text != self.typed:
            self.typed = text
            self.ask()
        if submitted:
            self.table.focus()

    def narrow(self, change: Callable[[F], F]) -> None:
        """Change the filters not typed (a panel's pick); back undoes it."""
        changed = change(self.held)
        if changed != self.held:
            self.undone.append(self.held)
            self.held = changed
            self.ask()

    @on(Narrow)
    def _narrowed(self, message: Narrow) -> None:
        message.stop()
        self.narrow(message.change)
        self.table.focus()

    def step_back(self) -> None:
        """Undo one filter: the search typed, then the panels' picks, one at a time;
        with none left, leave the list."""
        if self.typed:
            self.search_box.clear_quietly()
            self.typed = ""
            self.ask()
        elif self.undone:
            self.held = self.undone.pop()
            self.ask()
        else:
            self.app.pop_screen()

    def clear_filters(self) -> None:
        """Every row: the search and every filter, the opening ones too."""
        if self.view.search is not None:
            self.search_box.clear_quietly()
        if self.held != self.view.no_filter:
            self.undone.append(self.held)
        self.held, self.typed = self.view.no_filter, ""
        self.ask()

    def focus_search(self) -> None:
        if self.view.search is not None:
            self.search_box.focus()

    # -- the rows ----------------------------------------------------------------------

    @property
    def current(self) -> R | None:
        """The highlighted row, None on an empty list."""
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key) if key is not None else None

    def read_on(self) -> None:
        """The page below the rows shown, unless the list ends there or one is on its
        way (a bounded search: the next windows, into older rows)."""
        cursor = self.pager.claim_below()
        if cursor is not None:
            self.note.update("loading…")
            self.load(self.window.generation, self.asked, cursor)

    @work(exclusive=True, group="paged", exit_on_error=False)
    async def load(self, generation: int, flt: F, cursor: C | None) -> None:
        rows, after = await self.sessions_app.inflight.run(
            self.view.read(self.store, flt, cursor, self.page_size)
        )
        self._show(generation, rows, after, first=cursor is None)

    def _show(self, generation: int, rows: list[R], cursor: C | None, *, first: bool) -> None:
        if not self.pager.take(generation, cursor):
            return  # a reload asked again meanwhile
        view = self.view
        now = self.settings.clock()
        for row in rows:
            key = view.key(row)
            if key in self.rows:
                continue  # a row that moved up a page between two reads
            self.rows[key] = row
            self.table.add_row(*self.list_cells.cells(row, now), key=key)
        if first and self.selection is not None:
            unshown = self.picks.unshown(self.rows)
            if unshown:
                self.selection.check(generation, unshown)
        self.count = len(self.rows)
        self.more = cursor is not None
        if self.count == 0 and self.more:
            # A bounded search found nothing in the windows read: no row to move down
            # to, so the key that reads on is named.
            on = "search-older"
            how = f"{self.key(on)} searches older ones" if on in self._actions else "more below"
            self.note.update(f"no match among the rows searched so far: {how}")
        elif self.count == 0:
            empty = view.empty
            self.note.update(empty if isinstance(empty, str) else empty(self.store))
        else:
            tail = " (more below)" if self.more else ""
            self.note.update(f"{self.count} row{'s' if self.count != 1 else ''}{tail}")

    @on(DataTable.RowHighlighted)
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        near = min(self.view.near_end, self.page_size // 4)
        if event.cursor_row >= self.table.row_count - near:
            self.read_on()

    @on(DataTable.RowSelected)
    def _opened(self, event: DataTable.RowSelected) -> None:
        row = self.rows.get(event.row_key.value or "")
        if row is not None and self.view.open is not None:
            self.view.open(self, row)

    @on(MatchesSelected)
    @on(SelectionChecked)
    def _picked(self, message: MatchesSelected | SelectionChecked) -> None:
        """The selection's reads answered (`ListSelection`)."""
        if self.selection is None:
            return
        if isinstance(message, MatchesSelected):
            self.selection.matched(message)
        else:
            self.selection.checked(message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if event.state is not WorkerState.ERROR or group not in ("paged", "select", "selection"):
            return
        error = as_store_error(event.worker.error, self.sessions_app.settings.target)
        if group == "paged":
            self.pager.failed()
            self.note.update(safe_text(error))
        else:
            self.notify(safe_text(error), severity="error", timeout=10, markup=False)
        if error.retryable:
            self.sessions_app.disconnected()

    # -- the view's actions ------------------------------------------------------------

    def action_view(self, name: str) -> None:
        self._actions[name].run(self)

    def palette_commands(self) -> list[Command]:
        more = self.view.commands(self) if self.view.commands is not None else []
        return [*super().palette_commands(), *more]
