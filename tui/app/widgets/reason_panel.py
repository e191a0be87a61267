"""The reason facets: the store's triggers, "not recorded", each other value found; counts.

The panel owns its sparklines: asked for a question's base (`want_sparks`), it reads
them in its own worker, draws what comes back for the base still asked, and says when
that read fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic
from typing import ClassVar, Self

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.widgets import SelectionList
from textual.widgets.selection_list import Selection
from textual.worker import Worker, WorkerState

from tui.app import data, failures
from tui.app.messages import ReasonsWanted, SparksLoaded
from tui.app.render import palette, reason_label, sparkline
from tui.app.screens.base import connection_of
from tui.domain import wording
from tui.domain.models import (
    NOT_RECORDED_TOKEN,
    UNRECOGNISED_TOKEN,
    ReasonFacets,
    SessionFilter,
)
from tui.domain.trends import SPARK_DAYS, TrendBy, Trends, is_unrecognised
from tui.domain.triggers import Vocabulary

SPARKS_RECOUNT_SECONDS = 60.0
"""How often refresh ticks re-read the sparklines of an unchanged question (a day's
bars change slowly; `r` re-reads them at once)."""


class ReasonPanel(SelectionList[str]):
    """Multi-select reason filter; counts are taken under every other filter.

    Empty until the store opens and hands over its vocabulary (`set_vocabulary`); a
    stored value outside it gets an entry of its own once the counts find it: a trigger
    of another service version shows as recognised with its era ("retired in v0.2.13"),
    any other value stays marked unrecognised.
    """

    BORDER_TITLE = "ended_reason"
    _lines_only: list[int] | None = None
    """Set while `sync` ticks entries: the lines a whole repaint is cut to."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "done", "To the table", show=False, id="reasons-done"),
    ]

    class Done(Message):
        """Enter: the reasons are picked (space toggles them); the table takes the keys."""

    def action_done(self) -> None:
        self.post_message(self.Done())

    def __init__(self, sparks_shown: Callable[[], bool], **kwargs: object) -> None:
        """`sparks_shown`: whether the screen has room for the sparklines now."""
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._sparks_shown = sparks_shown
        self._sparks_base: SessionFilter | None = None
        """The base of the last counts shown: sparklines for another one are dropped."""
        self._sparks_asked: tuple[SessionFilter, float] | None = None
        """The base the sparklines were last asked under, and when."""
        self._order: list[str] = []
        self._in_force: frozenset[str] = frozenset()
        self._counts: dict[str, int] = {}
        self._sparks: Trends | None = None
        """The last 14 days per reason, when the panel is wide enough to draw them."""
        self._subtitle: str | None = None
        self._drawn: dict[int, tuple[object, ...]] = {}
        """What each entry's label was drawn from: an entry whose count, sparkline and
        palette are unchanged is not drawn again (a new label re-renders the list)."""

    def _label(self, value: str, count: int) -> Text:
        in_force = value in self._in_force or value in (NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN)
        return reason_label(value, count, in_force=in_force, spark=self._spark(value))

    def _draw_entry(self, index: int, value: str, count: int) -> None:
        """Entry `index`'s label, unless it would be drawn from the same facts."""
        in_force = value in self._in_force or value in (NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN)
        spark = self._spark(value)
        facts = (value, count, in_force, spark, palette())
        if self._drawn.get(index) != facts:
            self._drawn[index] = facts
            label = reason_label(value, count, in_force=in_force, spark=spark)
            self.replace_option_prompt_at_index(index, label)

    def _spark(self, value: str) -> str | None:
        if self._sparks is None:
            return None
        if value == UNRECOGNISED_TOKEN:  # every unrecognised value's days together
            found = [self._sparks.series(g) for g in self._sparks.groups()]
            unknown = [
                s
                for g, s in zip(self._sparks.groups(), found, strict=True)
                if is_unrecognised(TrendBy.REASON, g)
            ]
            days = [sum(col) for col in zip(*unknown, strict=True)] if unknown else []
            return sparkline(days or [0] * SPARK_DAYS)
        return sparkline(self._sparks.series(value))

    def show_sparks(self, sparks: Trends | None) -> None:
        """Draw (or, with None, drop) each reason's sparkline beside its count."""
        if sparks is None and self._sparks is None:
            return
        self._sparks = sparks
        self.relabel()

    def want_sparks(self, base: SessionFilter) -> None:
        """The sparklines, in their own worker after the counts (never delaying them):
        for a new question at once, for the same one at most every
        `SPARKS_RECOUNT_SECONDS`."""
        self._sparks_base = base
        if not self._sparks_shown() or connection_of(self).store is None:
            return
        asked = self._sparks_asked
        if (
            asked is not None
            and asked[0] == base
            and monotonic() - asked[1] < SPARKS_RECOUNT_SECONDS
        ):
            return
        self._sparks_asked = (base, monotonic())
        self.read_sparks(base)

    def forget_sparks(self) -> None:
        """The next ask reads the sparklines afresh (the operator asked, r)."""
        self._sparks_asked = None

    def sparks_room(self) -> None:
        """The screen's width or panels changed: without room the sparklines go (and are
        asked afresh once there is room); with room, asked if they were dropped."""
        if not self._sparks_shown():
            self.show_sparks(None)
            self._sparks_asked = None
        elif self._sparks_asked is None and self._sparks_base is not None:
            self.want_sparks(self._sparks_base)

    @on(ReasonsWanted)
    def _wanted(self, message: ReasonsWanted) -> None:
        self.count(message)

    @work(exclusive=True, group="facets", exit_on_error=False)
    async def count(self, asked: ReasonsWanted) -> None:
        """The reasons' counts in the panel's own worker, the last asked winning; the
        answer goes to the list screen, which keeps them if its question still holds."""
        app = connection_of(self)
        if app.store is not None:
            loaded = await data.read_facets(
                app.inflight,
                app.store,
                asked.generation,
                asked.flt,
                asked.totals,
                asked.recount,
                asked.window,
            )
            self.screen.post_message(loaded)

    @work(exclusive=True, group="sparks", exit_on_error=False)
    async def read_sparks(self, base: SessionFilter) -> None:
        app = connection_of(self)
        if app.store is not None:
            now = app.settings.clock()
            self.post_message(await data.read_sparks(app.inflight, app.store, base, now))

    @on(SparksLoaded)
    def _sparks_loaded(self, message: SparksLoaded) -> None:
        if message.base == self._sparks_base and self._sparks_shown():
            self.show_sparks(message.trends)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            failures.report(connection_of(self), event.worker.error)

    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        self._in_force = frozenset(vocabulary.wires)
        entries = [*vocabulary.wires, NOT_RECORDED_TOKEN]
        found = [value for value in self._order if value not in entries]
        with self.prevent(SelectionList.SelectedChanged):
            self.clear_options()
            self._drawn.clear()
            self._order = [*entries, *found]
            self.add_options([Selection(self._label(value, 0), value) for value in self._order])
            self.highlighted = 0  # as a list built with its options starts

    def show_facets(self, facets: ReasonFacets) -> None:
        counts = dict(facets.known)
        counts[NOT_RECORDED_TOKEN] = facets.not_recorded
        counts.update(facets.unrecognised)
        counts[UNRECOGNISED_TOKEN] = sum(facets.unrecognised.values())
        self._counts = counts
        with self.prevent(SelectionList.SelectedChanged):
            for value, count in counts.items():
                if value == UNRECOGNISED_TOKEN:
                    continue  # its entry is there once it is chosen (see `sync`)
                if value not in self._order and (count or value in facets.unrecognised):
                    self._order.append(value)
                    self.add_option(Selection(self._label(value, 0), value))
            for index, value in enumerate(self._order):
                self._draw_entry(index, value, counts.get(value, 0))
        subtitle = f"{facets.ended:,} ended · {facets.active:,} active"
        if facets.odd:
            subtitle += f" · {facets.odd:,} odd"
        if facets.window is not None:  # the split is the window's: say which sessions
            subtitle = wording.counted_in(facets.window)
        if subtitle != self._subtitle:  # setting it repaints the panel, even unchanged
            self._subtitle = subtitle
            self.border_subtitle = subtitle

    def relabel(self) -> None:
        """Draw every entry whose sparkline or colours changed (new sparklines, a theme)."""
        for index, value in enumerate(self._order):
            self._draw_entry(index, value, self._counts.get(value, 0))

    def sync(self, reasons: frozenset[str]) -> None:
        """Mirror the state's reasons (after escape or a palette command) without echoing back.

        "Unrecognised" (every value this version does not know, the palette's and the
        CLI's word) gets an entry of its own the first time it is chosen, so the panel
        shows what filters the list."""
        with self.prevent(SelectionList.SelectedChanged):
            if UNRECOGNISED_TOKEN in reasons and UNRECOGNISED_TOKEN not in self._order:
                self._order.append(UNRECOGNISED_TOKEN)
                count = self._counts.get(UNRECOGNISED_TOKEN, 0)
                self.add_option(
                    Selection(self._label(UNRECOGNISED_TOKEN, count), UNRECOGNISED_TOKEN)
                )
            ticked = self.selected
            changed = [i for i, v in enumerate(self._order) if (v in reasons) != (v in ticked)]
            with self._repainting_lines(changed):
                for value in self._order:
                    if value in reasons:
                        self.select(value)
                    else:
                        self.deselect(value)

    @contextmanager
    def _repainting_lines(self, entries: list[int]) -> Iterator[None]:
        """While the block runs, a repaint of the whole panel repaints only the lines
        numbered as `entries`, whose tick changed. `SelectionList.select` repaints the
        whole list: 2.5-3 ms of a filter change's one frame, for the one or two ticks
        that changed. Textual 8 draws entry N's tick on line N (`SelectionList.
        render_line`), even below an entry of two lines; a test holds the lines painted
        to what a whole repaint paints."""
        self._lines_only = entries
        try:
            yield
        finally:
            self._lines_only = None

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        lines = self._lines_only
        if lines is None or regions or layout or recompose:
            return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        for y in lines:
            self.refresh_line(y)
        return self
