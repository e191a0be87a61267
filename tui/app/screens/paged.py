"""A list declared as a view, shown a page at a time.

A `ListView` is what a list of the dashboard declares: its title, its columns, how a
row fills them, and its query (one page below a cursor). `PagedListScreen` shows one:
a table, the first page on open, the next as the cursor nears the bottom, each read
by the screen's own worker and paged by the list's `Pager` (an answer to a question
asked before a reload is dropped). Its actions are the subclass's `BINDINGS`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from tui.app.data import as_store_error
from tui.app.list_controller import Pager, Window
from tui.app.screens.base import SessionsScreen
from tui.domain.text import safe_text

if TYPE_CHECKING:
    from tui.store.store import Store

R = TypeVar("R")
C = TypeVar("C")


@dataclass(frozen=True)
class ListView(Generic[R, C]):
    """A paged list, declared."""

    name: str
    """Its widgets' ids: `{name}-title`, `{name}-table`, `{name}-note`."""
    title: str
    columns: tuple[str, ...]
    """Column keys, left to right; a header is its key with spaces for underscores."""
    values: Callable[[R], Mapping[str, object]]
    """A row's value per column key (None or empty is shown as a dash)."""
    key: Callable[[R], str]
    read: Callable[[Store, C | None, int], Coroutine[Any, Any, tuple[list[R], C | None]]]
    """One page of at most `page_size` rows below a cursor, and the next cursor."""
    empty: str
    """What the note says when the list holds no row."""
    page_size: int = 100
    near_end: int = 10
    """The next page is read when the cursor is this close to the last row shown."""


class PagedListScreen(SessionsScreen, Generic[R, C]):
    """A paged DataTable over a `ListView`'s rows."""

    def __init__(self, view: ListView[R, C]) -> None:
        super().__init__()
        self.view = view
        self.window: Window[C] = Window()
        self.pager = Pager(self.window)
        self.more = True
        """Rows beyond those shown (true until the first page says otherwise)."""
        self.count = 0

    def compose(self) -> ComposeResult:
        name = self.view.name
        yield Static(self.view.title, id=f"{name}-title")
        table: DataTable[Text] = DataTable(
            id=f"{name}-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("", id=f"{name}-note")
        yield Footer()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one(f"#{self.view.name}-table", DataTable)

    @property
    def note(self) -> Static:
        return self.query_one(f"#{self.view.name}-note", Static)

    def on_mount(self) -> None:
        self.table.add_columns(*(c.replace("_", " ") for c in self.view.columns))
        self.table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.table.clear()
        self.more, self.count = True, 0
        self.note.update("loading…")
        self.load(self.pager.ask_first(), None)

    def _next_page(self) -> None:
        cursor = self.pager.claim_below()
        if cursor is not None:
            self.note.update("loading…")
            self.load(self.window.generation, cursor)

    @work(exclusive=True, group="paged", exit_on_error=False)
    async def load(self, generation: int, cursor: C | None) -> None:
        view = self.view
        rows, after = await self.sessions_app.inflight.run(
            view.read(self.store, cursor, view.page_size)
        )
        self._show(generation, rows, after)

    def _show(self, generation: int, rows: list[R], cursor: C | None) -> None:
        if not self.pager.take(generation, cursor):
            return  # a reload asked again meanwhile
        view = self.view
        for row in rows:
            values = view.values(row)
            cells = [
                Text("—" if values[c] in (None, "") else safe_text(str(values[c])))
                for c in view.columns
            ]
            self.table.add_row(*cells, key=view.key(row))
        self.count += len(rows)
        self.more = cursor is not None
        if self.count == 0:
            self.note.update(view.empty)
        else:
            tail = " (more below)" if self.more else ""
            self.note.update(f"{self.count} row{'s' if self.count != 1 else ''}{tail}")

    @on(DataTable.RowHighlighted)
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.table.row_count - self.view.near_end:
            self._next_page()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        self.pager.failed()
        error = as_store_error(event.worker.error, self.sessions_app.settings.target)
        self.note.update(safe_text(error))
        if error.retryable:
            self.sessions_app.disconnected()
