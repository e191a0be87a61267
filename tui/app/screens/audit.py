"""The audit trail: every end this tool wrote, newest first, read a page at a time.

The rows come from the tool's own table (`sessions_tui_audit`), which outlives the
sessions the service deletes after its retention period. The table is paged like the
session list: the first page on open, the next when the cursor nears the bottom, each
read by this screen's own worker; nothing reads the whole table.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from tui.app.data import as_store_error
from tui.app.screens.base import SessionsScreen
from tui.domain.audit import AuditCursor, AuditEntry, audit_export
from tui.domain.text import safe_text

AUDIT_PAGE = 100
"""Rows per read."""
NEAR_END = 10
"""The next page is read when the cursor is this close to the last row shown."""
COLUMNS = ("at", "actor", "outcome", "reason", "session_id", "owner", "kinds", "found_reason")


class AuditScreen(SessionsScreen):
    """A paged DataTable over the audit rows; Esc or q goes back."""

    HELP_TITLE = "Audit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="audit-back"),
        Binding("q", "app.pop_screen", "Back", show=False, id="audit-back-q"),
        Binding("r", "reload", "Reload", id="audit-reload", tooltip="Read the audit again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cursor: AuditCursor | None = None
        self.more = True
        self.loading = False
        self.count = 0

    def compose(self) -> ComposeResult:
        yield Static("Audit: the ends this tool wrote, newest first", id="audit-title")
        table: DataTable[Text] = DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="audit-note")
        yield Footer()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#audit-table", DataTable)

    @property
    def note(self) -> Static:
        return self.query_one("#audit-note", Static)

    def on_mount(self) -> None:
        self.table.add_columns(*(c.replace("_", " ") for c in COLUMNS))
        self.table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.table.clear()
        self.cursor, self.more, self.count = None, True, 0
        self._next_page()

    def _next_page(self) -> None:
        if self.loading or not self.more:
            return
        self.loading = True
        self.note.update("loading…")
        self.load(self.cursor)

    @work(exclusive=True, group="audit", exit_on_error=False)
    async def load(self, cursor: AuditCursor | None) -> None:
        page = await self.sessions_app.inflight.run(
            self.store.audit_entries(cursor=cursor, limit=AUDIT_PAGE)
        )
        self._show(page.entries, page.next_cursor)

    def _show(self, entries: list[AuditEntry], cursor: AuditCursor | None) -> None:
        for entry in entries:
            values = audit_export(entry)
            cells = [
                Text("—" if values[c] in (None, "") else safe_text(str(values[c]))) for c in COLUMNS
            ]
            self.table.add_row(*cells, key=str(entry.id))
        self.count += len(entries)
        self.cursor, self.more, self.loading = cursor, cursor is not None, False
        if self.count == 0:
            self.note.update("no ends recorded yet")
        else:
            tail = " (more below)" if self.more else ""
            self.note.update(f"{self.count} row{'s' if self.count != 1 else ''}{tail}")

    @on(DataTable.RowHighlighted)
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.table.row_count - NEAR_END:
            self._next_page()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        self.loading = False
        error = as_store_error(event.worker.error, self.sessions_app.settings.target)
        self.note.update(safe_text(error))
        if error.retryable:
            self.sessions_app.disconnected()
