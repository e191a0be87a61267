"""Command-palette entries for the main actions (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.domain.models import NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN, SortKey, Status
from tui.domain.triggers import Trigger

if TYPE_CHECKING:
    from tui.app.app import SessionsApp


class SessionCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: SessionsApp = self.app  # type: ignore[assignment]
        cmds: list[tuple[str, Callable[[], object], str]] = [
            ("End session(s)…", app.action_end, "End the selected or highlighted sessions"),
            (
                "Refresh now",
                app.action_refresh,
                "Re-read the visible window and recount every reason",
            ),
            (
                "Pause / resume auto-refresh",
                app.action_toggle_pause,
                "Stop or restart live updates",
            ),
            ("Clear filters", app.action_clear_filters, "Show every session"),
            ("Open session detail", app.action_open_detail, "Detail of the highlighted row"),
            ("Search…", app.action_focus_search, "Free text over ids, titles, codebases"),
            ("Help: keys and legend", app.action_help, "Every key, and what the colours mean"),
        ]
        for status in Status:
            cmds.append(
                (f"Status: {status.value}", partial(app.set_status, status), "Status filter")
            )
        for sort in SortKey:
            cmds.append(
                (f"Sort by {sort.value}", partial(app.set_sort, sort), "Newest/largest first")
            )
        for trigger in Trigger:
            cmds.append(
                (
                    f"Filter reason: {trigger.wire}",
                    partial(app.only_reason, trigger.wire),
                    trigger.description,
                )
            )
        cmds.append(
            (
                "Filter reason: not recorded",
                partial(app.only_reason, NOT_RECORDED_TOKEN),
                "Ended before 016",
            )
        )
        cmds.append(
            (
                "Filter reason: unrecognised",
                partial(app.only_reason, UNRECOGNISED_TOKEN),
                "Unknown values",
            )
        )
        return cmds

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
