"""The screens the list opens over itself (a session's detail, the export, the audit,
the trends, the workflow runs), and the copy of ids to the clipboard.

Each screen's module is imported when it is first pushed: none is on the first frame's
path (`tests/app/test_first_frame.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen


def open_detail(screen: MainScreen) -> None:
    current = screen.table.current_id
    if current is not None and screen.sessions_app.store is not None:
        from tui.app.screens.detail import DetailScreen

        screen.app.push_screen(DetailScreen(current, end=screen.end_flow.start))


def export(screen: MainScreen) -> None:
    """The whole view (filter and order as shown) to a file: see ExportScreen."""
    if screen.sessions_app.store is None:
        screen.notify("The database is not open yet", severity="warning")
        return
    from tui.app.screens.export import ExportScreen, SessionExport
    from tui.domain.columns import Context

    settings, state = screen.settings, screen.controller.state
    now = settings.clock()
    ctx = Context(now=now, stale_after=settings.stale_after)
    flt, sort, ascending = state.filter(now), state.sort, state.ascending
    expected = screen.controller.expected()
    screen.app.push_screen(
        ExportScreen(
            SessionExport(flt, sort, ascending, ctx),
            expected=expected,
            cwd=Path.cwd(),
            served=screen.app.is_web,
        )
    )


def audit(screen: MainScreen) -> None:
    """The audit screen: its own worker reads the tool's audit table page by page."""
    if screen.sessions_app.store is not None:
        from tui.app.screens.audit import AuditScreen

        screen.app.push_screen(AuditScreen())


def trends(screen: MainScreen) -> None:
    """The trends screen, under the list's filters: its own worker counts."""
    if screen.sessions_app.store is None:
        return
    from tui.app.screens.trends import TrendsScreen

    state = screen.controller.state
    flt = state.filter(screen.settings.clock())
    under = state.describe_filters(trends=True)
    screen.app.push_screen(TrendsScreen(flt, under, screen.filters.trend_pick))


def runs(screen: MainScreen) -> None:
    """The workflow runs list: its own workers read the runs and count the stuck ones."""
    if screen.sessions_app.store is not None:
        from tui.app.screens.runs import RunsScreen

        screen.app.push_screen(RunsScreen())


def copy_ids(screen: MainScreen) -> None:
    """The whole ids of the selection (newline-separated, in list order), else of the
    highlighted row, to the terminal's clipboard by OSC 52 (which works over SSH)."""
    ids = screen.controller.ids_to_copy(screen.table.current_id)
    if not ids:
        screen.notify("No session to copy", severity="warning")
        return
    screen.app.copy_to_clipboard("\n".join(ids))
    what = ids[0] if len(ids) == 1 else f"{len(ids)} session ids"
    screen.notify(f"Copied {what}", title="Clipboard")
