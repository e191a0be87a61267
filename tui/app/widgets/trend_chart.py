"""A stacked bar chart of ended sessions per bucket, drawn with the Line API.

Why our own and not a library: Textual's `Sparkline` draws one series (no stacking, no
axis, no cursor), and textual-plotext is not installed here (nothing may be added), pins
its own plotext and draws through a canvas we could not give a day-and-reason cursor
to. This is ~150 lines: one column (or more) of cells per bucket, each bar cut into its
groups' shares from the bottom, the picked bucket underlined on the axis, the picked
group drawn solid and the others shaded. Every cell is a space or a block character in a
colour, so the chart reads the same on any terminal and in a snapshot.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from tui.domain.trends import Trends

SERIES_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#86bcb6",
    "#d37295",
)
"""One colour per group, in `Trends.groups()` order (Tableau 10 and two more); groups
past the last reuse them from the start."""
AXIS_WIDTH = 6
"""The y axis: the largest bucket's total, right-aligned, and a rule."""


def colour(index: int) -> str:
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]


def stack_heights(parts: list[int], top: int, height: int) -> list[int]:
    """Rows each part of a bar takes, bottom first: the running sums are scaled and
    rounded, so the bar's height is its total's and no part is lost to rounding twice.
    A part of at least one session in a bar of any height shows at least one row only
    where rounding allows; the legend and the line below the chart give exact counts."""
    if top <= 0:
        return [0] * len(parts)
    out, below, running = [], 0, 0
    for n in parts:
        running += n
        edge = round(running * height / top)
        out.append(edge - below)
        below = edge
    return out


class TrendChart(Widget, can_focus=True):
    """The bars of `trends`, the picked bucket (`day`) and group (`group`)."""

    DEFAULT_CSS = """
    TrendChart {
        height: 1fr;
        min-height: 6;
    }
    """

    class Clicked(Message):
        """A click on a bar: the bucket it stands for."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trends: Trends | None = None
        self.day = 0
        """The picked bucket's index among the window's buckets."""
        self.group = 0
        """The picked group's index in `trends.groups()`."""
        self._parts: list[list[int]] = []
        """Per bucket, each group's count (`trends.groups()` order)."""
        self._top = 0

    def show(self, trends: Trends, day: int, group: int) -> None:
        self.trends, self.day, self.group = trends, day, group
        series = [trends.series(g) for g in trends.groups()]
        # No group (nothing in the window): every bar empty, never a missing bar.
        empty: list[list[int]] = [[] for _ in range(trends.window.count)]
        self._parts = [list(column) for column in zip(*series, strict=True)] if series else empty
        self._top = max(trends.bucket_totals(), default=0)
        self.refresh()

    def pick(self, day: int, group: int) -> None:
        self.day, self.group = day, group
        self.refresh()

    # -- geometry -----------------------------------------------------------------------

    def _layout(self) -> tuple[int, int, int]:
        """(first bucket shown, bar width, buckets shown): the newest buckets that fit."""
        assert self.trends is not None
        count = self.trends.window.count
        room = max(1, self.size.width - AXIS_WIDTH)
        bar = max(1, room // count)
        shown = min(count, room // bar)
        return count - shown, bar, shown

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(6, container.height)

    # -- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        t = self.trends
        if t is None or height < 3:
            return Strip.blank(width)
        plot = height - 1  # the last line is the axis
        top = self._top
        first, bar, shown = self._layout()
        dim = Style(color="grey50")
        segments: list[Segment] = []
        if y < plot:
            label = f"{top:,}" if y == 0 and top else ""
            segments.append(Segment(label.rjust(AXIS_WIDTH - 1)[: AXIS_WIDTH - 1] + "│", dim))
        else:
            segments.append(Segment("─" * (AXIS_WIDTH - 1) + "┴", dim))
        row_from_bottom = plot - 1 - y
        for i in range(first, first + shown):
            if y == plot:
                mark = "▀" * bar if i == self.day else "─" * bar
                style = Style(color="white", bold=True) if i == self.day else dim
                segments.append(Segment(mark, style))
                continue
            cell, style = " " * bar, Style()
            edge = 0
            for g_index, h in enumerate(stack_heights(self._parts[i], top, plot)):
                if row_from_bottom < edge + h:
                    # The picked group solid, the others shaded: told apart in any colours.
                    block = "█" if g_index == self.group else "▒"
                    cell, style = block * bar, Style(color=colour(g_index))
                    break
                edge += h
            if bar >= 3:  # wide bars get a gap between them
                segments += [Segment(cell[:-1], style), Segment(" ")]
                continue
            segments.append(Segment(cell, style))
        used = AXIS_WIDTH + shown * bar
        if used < width:
            segments.append(Segment(" " * (width - used)))
        return Strip(segments, width)

    def on_click(self, event: Click) -> None:
        if self.trends is None or event.x < AXIS_WIDTH:
            return
        first, bar, shown = self._layout()
        index = first + (event.x - AXIS_WIDTH) // bar
        if first <= index < first + shown:
            self.post_message(self.Clicked(index))
