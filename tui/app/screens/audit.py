"""The audit trail: every end and run cancel this tool wrote, newest first, read a page at
a time. A row's target says which it is (`session` or `run`, migration 0009), with the
session's id or the run's.

The rows come from the tool's own table (`sessions_tui_audit`), which outlives the
sessions the service deletes after its retention period. The list is a `ListView`
declaration shown by `PagedListScreen`: nothing reads the whole table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from tui.app.screens.paged import ListView, PagedListScreen
from tui.domain.audit import AuditCursor, AuditEntry, audit_export

if TYPE_CHECKING:
    from tui.store.store import Store

COLUMNS = (
    "at",
    "actor",
    "target",
    "outcome",
    "reason",
    "session_id",
    "run_id",
    "owner",
    "kinds",
    "found_reason",
)
"""The columns `sessions-tui audit` shows in the terminal, in its order."""


async def read_audit(
    store: Store, _unfiltered: None, cursor: AuditCursor | None, limit: int
) -> tuple[list[AuditEntry], AuditCursor | None]:
    page = await store.audit_entries(cursor=cursor, limit=limit)
    return page.entries, page.next_cursor


AUDIT_VIEW: ListView[AuditEntry, AuditCursor, None] = ListView(
    name="audit",
    title="Audit: the ends and run cancels this tool wrote, newest first",
    columns=COLUMNS,
    values=lambda entry, _now: audit_export(entry),
    key=lambda entry: str(entry.id),
    read=read_audit,
    empty="no ends or run cancels recorded yet",
    no_filter=None,
)


class AuditScreen(PagedListScreen[AuditEntry, AuditCursor, None]):
    """The audit rows, paged; Esc or q goes back."""

    HELP_TITLE = "Audit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="audit-back"),
        Binding("q", "app.pop_screen", "Back", show=False, id="audit-back-q"),
        Binding("r", "reload", "Reload", id="audit-reload", tooltip="Read the audit again"),
    ]

    def __init__(self) -> None:
        super().__init__(AUDIT_VIEW)
