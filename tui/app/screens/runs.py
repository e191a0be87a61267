"""The workflow runs list: a `ListView` declaration over `remote_agent_workflow_runs`,
shown by `PagedListScreen`.

Its columns are the run column registry's (`run_columns.RUN_COLUMNS`: a column the
database's version lacks shows a dash), its search takes the run keys
(`run_search.RUN_SEARCH_KEYS`), its side panel counts the stuck run kinds, and its keys
are the sessions list's where they apply, under the same binding ids (so `[keys]` moves
both): search, refresh, the stuck panel, export, copy id, trends, back, clear, and the
selection's (space, select all, select none: the sessions list's `Selection`, through
`ListView.select`). The cancel key cancels the selected runs, else the highlighted one.
The runs key (the one that opens this list from the sessions list) goes back. `enter`
opens a run's detail. The rows come newest first by start (the one order an index keeps cheap).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from msgspec import Struct
from msgspec.structs import replace
from textual.binding import BindingType

from tui.app import list_selection, run_cancel_flow
from tui.app.commands import Command
from tui.app.list_selection import ViewSelect
from tui.app.screens.export import ExportScreen, PageWriter
from tui.app.screens.paged import ListView, PagedListScreen, ViewSearch, view_action
from tui.app.screens.run_detail import RunDetailScreen
from tui.app.selection import PickWords
from tui.app.widgets.run_stuck_panel import RunStuckPanel
from tui.domain import run_search
from tui.domain.columns import fit_columns
from tui.domain.run_columns import RUN_COLUMNS, RunWriter, run_cells
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import RUN_STATUSES, RunCursor, RunFilter, RunRow
from tui.domain.wording import NO_RUNS_TABLE

if TYPE_CHECKING:
    from tui.app.screens.base import Connection
    from tui.store.store import Store

HEADERS = tuple(c.header for c in RUN_COLUMNS)
SEARCH_HINT = "search id, workflow, message, path…  status:running workflow:deploy age:2h"


SEARCH_WINDOWS_PER_PAGE = 4
"""A text search reads at most this many windows of the newest runs per page asked for
(`Store.search_runs`); the next page goes on below the last window read."""


async def read_runs(
    store: Store, flt: RunFilter, cursor: RunCursor | None, limit: int
) -> tuple[list[RunRow], RunCursor | None]:
    """One page of the view. A text search is bounded like the sessions' search: each
    read looks at a window of runs, never the table, and the list goes on from where the
    last window stopped when the cursor nears the end."""
    if not (flt.text and flt.text.strip()):
        page = await store.list_runs(flt, cursor, limit)
        return page.rows, page.next_cursor
    rows: list[RunRow] = []
    for _ in range(SEARCH_WINDOWS_PER_PAGE):
        page = await store.search_runs(flt, cursor, limit - len(rows))
        rows += page.rows
        cursor = page.next_cursor or page.resume
        if page.next_cursor is not None or cursor is None or len(rows) >= limit:
            break
    return rows, cursor


SELECT_PAGE = 500
"""Runs a page of select-all's walk and of the selection's check reads."""


async def select_matches(store: Store, flt: RunFilter, cap: int) -> tuple[list[RunRow], int | None]:
    """Every run of the view, newest first, when it holds at most `cap`; else none (one
    run past the cap says it is passed: the runs are not counted)."""
    rows: list[RunRow] = []
    cursor: RunCursor | None = None
    while len(rows) <= cap:
        page = await store.list_runs(flt, cursor, min(SELECT_PAGE, cap + 1 - len(rows)))
        rows += page.rows
        cursor = page.next_cursor
        if cursor is None:
            break
    return (rows, len(rows)) if len(rows) <= cap else ([], None)


async def still_in_view(store: Store, flt: RunFilter, ids: frozenset[str]) -> list[RunRow]:
    """Those of the runs `ids` the view holds, read by id (never the table)."""
    still: list[RunRow] = []
    ordered = sorted(ids)
    for at in range(0, len(ordered), SELECT_PAGE):
        batch = frozenset(ordered[at : at + SELECT_PAGE])
        page = await store.list_runs(replace(flt, ids=batch), None, len(batch))
        still += page.rows
    return still


def empty_note(store: Store) -> str:
    return "no workflow run matches" if store.has_runs else NO_RUNS_TABLE


class RunExport(Struct, frozen=True):
    """The runs list's view to a file: every run under its filter, newest first, as
    `sessions-tui runs --format csv|json` writes them (`RunWriter`)."""

    flt: RunFilter
    now: datetime
    noun: str = "workflow run"

    def writer(self, fmt: str) -> PageWriter:
        return RunWriter(fmt, self.now)

    async def pages(self, app: Connection, store: Store, size: int) -> AsyncIterator[Sequence[Any]]:
        cursor: RunCursor | None = None
        while True:
            page = await app.inflight.run(store.list_runs(self.flt, cursor, size))
            if page.rows:
                yield page.rows
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


# -- the actions -----------------------------------------------------------------------


def export(screen: RunsScreen) -> None:
    """Every run of the view (not only the rows loaded) to a CSV or JSON file."""
    now = screen.settings.clock()
    screen.app.push_screen(
        ExportScreen(
            RunExport(screen.asked, now),
            expected=None if screen.more else screen.count,
            cwd=Path.cwd(),
            served=screen.app.is_web,
        )
    )


def copy_id(screen: RunsScreen) -> None:
    """The highlighted run's whole id to the terminal's clipboard (OSC 52)."""
    row = screen.current
    if row is None:
        screen.notify("No run to copy", severity="warning")
        return
    screen.app.copy_to_clipboard(row.id)
    screen.notify(f"Copied {row.id}", title="Clipboard", markup=False)


def cancel(screen: RunsScreen) -> None:
    """The selected runs, else the highlighted one, cancelled after their confirmation
    (`run_cancel_flow`)."""
    ids = screen.selection.chosen() if screen.selection is not None else []
    run_cancel_flow.start(screen, ids, {**screen.picks.matched, **screen.rows})


def trends(screen: RunsScreen) -> None:
    """The runs' trends under the filter this list asked with last (as its export)."""
    from tui.app.screens.trends import TrendsScreen

    screen.app.push_screen(TrendsScreen.for_runs(screen.asked))


def focus_stuck(screen: RunsScreen) -> None:
    screen.query_one(RunStuckPanel).focus()


def open_run(screen: RunsScreen, row: RunRow) -> None:
    screen.app.push_screen(RunDetailScreen(row.id))


def commands(screen: RunsScreen) -> list[Command]:
    """A filter per stuck run kind and per status, beside the keys' commands."""
    found = [
        Command(
            f"Filter stuck run: {kind.wire}",
            partial(screen.narrow, partial(run_search.with_stuck, kind=kind)),
            kind.explanation,
        )
        for kind in RunStuckKind
    ]
    found += [
        Command(
            f"Filter run status: {status}",
            partial(screen.narrow, partial(_only_status, status=status)),
            "The runs the service left in this status",
        )
        for status in RUN_STATUSES
    ]
    return found


def _only_status(flt: RunFilter, status: str) -> RunFilter:
    return replace(flt, statuses=frozenset({status}))


ACTIONS = (
    view_action(
        "select",
        "space",
        "Select",
        list_selection.toggle,
        show=False,
        id="select",
        tooltip="Select or deselect the run, then move down one (Select none: see help)",
    ),
    view_action(
        "select-all",
        "A",
        "Select all",
        list_selection.select_all,
        key_display="A",
        show=False,
        id="select-all",
        tooltip="Select every run that matches the filters (up to --select-cap)",
    ),
    view_action(
        "select-none",
        "u",
        "Select none",
        list_selection.select_none,
        show=False,
        id="select-none",
        tooltip="Deselect every selected run at once",
    ),
    view_action(
        "search",
        "slash",
        "Search",
        PagedListScreen.focus_search,
        key_display="/",
        id="search",
        tooltip="Free text over id, workflow, message, path; status: workflow: codebase: "
        "owner: age: …",
    ),
    view_action(
        "stuck",
        "s",
        "Stuck",
        focus_stuck,
        id="stuck",
        tooltip="The runs stuck panel: a kind filters the list to it",
    ),
    view_action(
        "refresh",
        "r",
        "Refresh",
        PagedListScreen.ask,
        id="refresh",
        tooltip="Read the list and the stuck counts again",
    ),
    view_action(
        "search-older",
        "n",
        "Search older",
        PagedListScreen.read_on,
        show=False,
        id="search-older",
        tooltip="A search looks at the newest runs first: go on into older ones",
    ),
    view_action(
        "export",
        "e",
        "Export",
        export,
        show=False,
        id="export",
        tooltip="Every run of this view to a CSV or JSON file, in pages",
    ),
    view_action(
        "copy-id",
        "y",
        "Copy id",
        copy_id,
        show=False,
        id="copy-id",
        tooltip="Copy the whole id of the highlighted run (OSC 52)",
    ),
    view_action(
        "trends",
        "T",
        "Trends",
        trends,
        key_display="T",
        show=False,
        id="trends",
        tooltip="Runs per day by status and their recorded spend, under these filters",
    ),
    view_action(
        "cancel",
        "x",
        "Cancel run",
        cancel,
        show=False,
        id="run-cancel",
        tooltip="Cancel the selected or highlighted runs with the service's own cancel "
        "(cooperative: no process is stopped), after a confirmation",
    ),
    view_action(
        "back",
        "escape",
        "Back",
        PagedListScreen.step_back,
        key_display="esc",
        id="back",
        tooltip="Undo one filter: the search text, then the panel's pick; then leave the list",
    ),
    view_action(
        "leave",
        "q",
        "Back",
        lambda screen: screen.app.pop_screen(),
        show=False,
        id="runs-back-q",
    ),
    view_action(
        "sessions",
        "W",
        "Sessions",
        lambda screen: screen.app.pop_screen(),
        key_display="W",
        id="runs",
        tooltip="Back to the screen this list was opened from (the sessions list)",
    ),
    view_action(
        "clear",
        "C",
        "Clear filters",
        PagedListScreen.clear_filters,
        key_display="C",
        id="clear",
        tooltip="Every run: clear the search, the stuck kind and the conversation",
    ),
)

RUNS_VIEW: ListView[RunRow, RunCursor, RunFilter] = ListView(
    name="runs",
    title="Workflow runs, newest first",
    columns=HEADERS,
    values=lambda row, now: dict(zip(HEADERS, run_cells(row, now), strict=True)),
    key=lambda row: row.id,
    read=read_runs,
    empty=empty_note,
    no_filter=RunFilter(),
    page_size=None,
    caps={c.header: c.cap for c in RUN_COLUMNS if c.cap is not None},
    fit=lambda available: [(p.column.header, p.width) for p in fit_columns(RUN_COLUMNS, available)],
    search=ViewSearch(
        keys=run_search.RUN_SEARCH_KEYS,
        hint=SEARCH_HINT,
        apply=run_search.run_filter,
        describe=run_search.describe,
    ),
    panels=(lambda: RunStuckPanel(id="run-stuck"),),
    actions=ACTIONS,
    open=open_run,
    commands=commands,
    select=ViewSelect(
        PickWords("workflow run", "run-cancel", "cancels"),
        select_matches,
        still_in_view,
        column="status",
    ),
)


class RunsScreen(PagedListScreen[RunRow, RunCursor, RunFilter]):
    """The runs list; opened with a filter (a session's conversation), it starts there."""

    HELP_TITLE = "Workflow runs"
    BINDINGS: ClassVar[list[BindingType]] = list(RUNS_VIEW.bindings)

    def __init__(self, filtered: RunFilter | None = None) -> None:
        super().__init__(RUNS_VIEW, filtered)
