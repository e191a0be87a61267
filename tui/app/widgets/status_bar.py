"""The top line: which database is open, its service version, the counts, and whether it is live."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from tui.domain import wording
from tui.domain.models import Counts
from tui.domain.text import safe_text


class StatusBar(Static):
    """Database, service version, counts, live/paused/disconnected, and why ending is
    disabled (if it is). The version is the Store's detection: shown once the Store opens."""

    def __init__(self, database: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.database = database
        self.counts: Counts | None = None
        self.live = "connecting…"
        self.live_style = "yellow"
        self.end_blocked: str | None = None
        self.read_at: datetime | None = None
        """When the rows on screen were last read: the answer to "is this fresh?"."""
        self.service: str | None = None
        self._lines = 0

    def on_mount(self) -> None:
        self.redraw()

    def set_counts(self, counts: Counts) -> None:
        self.counts = counts
        self.redraw()

    def set_live(self, text: str, style: str) -> None:
        self.live, self.live_style = text, style
        self.redraw()

    def set_read(self, when: datetime) -> None:
        self.read_at = when
        self.redraw()

    def set_service(self, version: str) -> None:
        self.service = version
        self.redraw()

    def set_end_blocked(self, why: str | None) -> None:
        self.end_blocked = why
        self.redraw()

    def redraw(self) -> None:
        text = Text()
        text.append(" sessions-tui ", style="bold reverse")
        text.append(" ")
        text.append(safe_text(self.database), style="bold")
        if self.service is not None:
            text.append("  ·  ")
            text.append(f"service {safe_text(self.service)}", style="cyan")
        if self.counts is not None:
            c = self.counts
            text.append("  ·  ")
            text.append(f"active {c.active:,}", style="green")
            text.append(f"   ended {c.ended:,}")
            if c.odd:  # neither: an `active` value the service never writes
                text.append(f"   {wording.ODD} {c.odd:,}", style="magenta")
            text.append(f"   filtered {c.filtered:,}", style="bold")
        text.append("  ·  ")
        text.append(self.live, style=self.live_style)
        if self.read_at is not None:
            text.append(f"  · read {self.read_at:%H:%M:%S} UTC", style="dim")
        if self.end_blocked:
            text.append("\n")
            text.append(" ending disabled: ", style="bold black on yellow")
            text.append(" " + safe_text(self.end_blocked), style="yellow")
        # A relayout of the whole screen costs tens of ms: only when the height changes.
        lines = 2 if self.end_blocked else 1
        self.update(text, layout=lines != self._lines)
        self._lines = lines
