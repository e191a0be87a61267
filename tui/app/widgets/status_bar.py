"""The top line: which database is open, its service version, the counts, and whether it is live."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from tui.app.render import palette
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
        self.counts_window: int | None = None
        """The filtered count is a search's window's (the newest this many); None: all."""
        self.live = "connecting…"
        self.live_style = "yellow"
        self.end_blocked: str | None = None
        self.read_at: datetime | None = None
        """When the rows on screen were last read: the answer to "is this fresh?"."""
        self.service: str | None = None
        self._lines = 0
        self._drawn: tuple[object, ...] | None = None
        """The text last drawn (plain text, spans and style)."""

    def on_mount(self) -> None:
        self.redraw()

    def set_counts(self, counts: Counts, window: int | None = None) -> None:
        self.counts, self.counts_window = counts, window
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

    def on_resize(self) -> None:
        self.redraw()

    def _pieces(self) -> list[tuple[int, Text]]:
        """The line's parts in screen order, each with its rank: 0 is kept longest."""
        pieces: list[tuple[int, Text]] = [
            (6, Text(" sessions-tui ", style="bold reverse")),
            (2, Text(safe_text(self.database), style="bold")),
        ]
        if self.service is not None:
            service = Text(f"service {safe_text(self.service)}", style=palette().info)
            pieces.append((3, service))
        if self.counts is not None:
            c = self.counts
            totals = Text()
            totals.append(f"active {c.active:,}", style=palette().active)
            totals.append(f"   ended {c.ended:,}")
            pieces.append((5, totals))
            filtered = wording.filtered_in(c.filtered, self.counts_window)
            pieces.append((1, Text(filtered, style="bold")))
            if c.odd:  # neither active nor ended: kept as long as the filtered count
                pieces.append((1, Text(f"{wording.ODD} {c.odd:,}", style=palette().unrecognised)))
        pieces.append((0, Text(self.live, style=self.live_style)))
        if self.read_at is not None:
            pieces.append((4, Text(f"read {self.read_at:%H:%M:%S} UTC", style="dim")))
        return pieces

    def state_line(self, width: int) -> Text:
        """The top line for `width` cells: the state (live, paused, disconnected, waiting)
        and the filtered count always; then the database, the service version (what `end`
        accepts), the read time, the totals and the name, as room allows: the database's
        path is shortened from the left before the service version is dropped."""
        pieces = self._pieces()
        sep = "  ·  " if width >= 120 else " · "

        def length(parts: list[tuple[int, Text]]) -> int:
            return sum(t.cell_len for _, t in parts) + len(sep) * (len(parts) - 1) + 1

        while len(pieces) > 1 and length(pieces) > width:
            worst = max(rank for rank, _ in pieces)
            at = [i for i, (rank, _) in enumerate(pieces) if rank == 2]
            if worst in (2, 3) and at:
                # The database is shortened (from the left, to 10 cells at least) before
                # the database is dropped, and before the service version is when that
                # makes room for it.
                db = pieces[at[0]][1]
                keep = db.cell_len - (length(pieces) - width) - 1
                if keep >= 10 and keep < db.cell_len - 1:
                    short = Text("…", style="bold")
                    short.append_text(db[db.cell_len - keep :])
                    pieces[at[0]] = (2, short)
                    continue
            pieces = [(rank, t) for rank, t in pieces if rank != worst]
        text = Text() if pieces[0][0] == 6 else Text(" ")
        for n, (_, part) in enumerate(pieces):
            if n:
                text.append(" " if pieces[n - 1][0] == 6 else sep)
            text.append_text(part)
        text.truncate(max(width, 1), overflow="ellipsis")
        return text

    def redraw(self) -> None:
        width = self.size.width or 200
        text = self.state_line(width)
        if self.end_blocked:
            text.append("\n")
            blocked = Text(" ending disabled: ", style="bold black on yellow")
            blocked.append(" " + safe_text(self.end_blocked), style=palette().warning)
            blocked.truncate(max(width, 1), overflow="ellipsis")
            text.append_text(blocked)
        # A relayout of the whole screen costs tens of ms: only when the height changes.
        lines = 2 if self.end_blocked else 1
        drawn = (text.plain, text.spans, text.style)
        if lines == self._lines and drawn == self._drawn:
            return  # the same line: drawing it again would repaint the bar for nothing
        self.update(text, layout=lines != self._lines)
        self._lines, self._drawn = lines, drawn
