"""The main screen's key bindings: the list's keys, in the footer's and help's order.

Kept apart from the screen so the screen's module holds what the screen does; `keys`
finds them through `MainScreen.BINDINGS` all the same.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

MAIN_BINDINGS: list[BindingType] = [
    Binding(
        "slash",
        "focus_on('search')",
        "Search",
        key_display="/",
        id="search",
        tooltip="Free text over what the table shows; platform: codebase: user: reason: …",
    ),
    Binding("1", "status('active')", "Active", id="status-active", tooltip="Status filter"),
    Binding("2", "status('ended')", "Ended", id="status-ended", tooltip="Status filter"),
    Binding("3", "status('all')", "All", id="status-all", tooltip="Status filter"),
    Binding("f", "focus_on('reasons')", "Reasons", id="reasons", tooltip="The reason panel"),
    Binding(
        "s",
        "focus_on('stuck')",
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
    Binding("p", "switch('pause')", "Pause", id="pause", tooltip="Stop or restart live updates"),
    Binding(
        "n",
        "search_older",
        "Search older",
        show=False,
        id="search-older",
        tooltip="A search and its counts look at the newest sessions first: go on into older ones",
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
        "W",
        "runs",
        "Workflow runs",
        key_display="W",
        show=False,
        id="runs",
        tooltip="The service's workflow runs, with their own filters and stuck panel; "
        "the same key comes back",
    ),
    Binding(
        "b",
        "switch('panel')",
        "Panel",
        id="toggle-panel",
        tooltip="Show or hide the reasons and stuck panels (hidden at first below 100 columns)",
    ),
    Binding(
        "w",
        "switch('wide')",
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
