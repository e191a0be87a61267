"""The stuck panel: one line per stuck kind, with its count under the other filters.

Choosing a kind (enter, or a click) filters the table to it; choosing it again, Esc or
`C` on the list lifts it. A kind the service version in front of the tool cannot
produce has no count: its line says it is not detectable, and choosing it does nothing.
The main screen owns the filter and tells the panel which kind is chosen (`sync`).
The panel owns its counts: asked (CountsWanted), it counts in its own worker, shows
what comes back for the question still asked, and says when that read fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tui.app import data, failures
from tui.app.messages import CountsWanted, StuckCountsLoaded
from tui.app.render import palette
from tui.app.screens.base import connection_of
from tui.app.widgets.kind_label import kind_label
from tui.domain.models import SessionFilter
from tui.domain.stuck import NOT_DETECTABLE, StuckKind
from tui.domain.wording import kinds_counted, stuck_explanation

STUCK_RECOUNT_SECONDS = 30.0
"""How often refresh ticks recount for an unchanged question."""
LABEL_WIDTH = 15


class StuckPanel(OptionList):
    """Counts per kind; the chosen kind is marked and bold."""

    BORDER_TITLE = "stuck"

    @dataclass
    class Chosen(Message):
        """The operator picked a kind: None lifts the stuck filter."""

        kind: StuckKind | None

    def __init__(self, current: Callable[[], int], **kwargs: object) -> None:
        """`current`: the generation of the list's question now (answers to older
        questions are dropped)."""
        self._counts: dict[StuckKind, int | None] = dict.fromkeys(StuckKind)
        self._loaded = False
        self._chosen: StuckKind | None = None
        self._current = current
        self._asked: tuple[int, float] = (-1, 0.0)
        """The generation and time of the last count asked for."""
        self._drawn: dict[int, tuple[object, ...]] = {}
        """What each line was drawn from: an unchanged line is not drawn again (a new
        label re-renders the whole list)."""
        self._subtitle: str | None = None
        super().__init__(*self._kind_options(), **kwargs)  # type: ignore[arg-type]

    @on(CountsWanted)
    def _wanted(self, message: CountsWanted) -> None:
        """A new question counts at once; the refresh ticks of the same question at most
        every `STUCK_RECOUNT_SECONDS`, or when the operator asks (r): the counts read
        every active session with its conversation."""
        if message.after_end:
            self.count(message.generation, message.flt, message.window)
            return
        asked_gen, asked_at = self._asked
        if (
            message.fresh_data
            and not message.recount
            and message.generation == asked_gen
            and monotonic() - asked_at < STUCK_RECOUNT_SECONDS
        ):
            return
        self._asked = (message.generation, monotonic())
        self.count(message.generation, message.flt, message.window)

    @work(exclusive=True, group="stuck", exit_on_error=False)
    async def count(self, generation: int, flt: SessionFilter, window: int | None = None) -> None:
        app = connection_of(self)
        if app.store is not None:
            self.post_message(
                await data.read_stuck_counts(app.inflight, app.store, generation, flt, window)
            )

    @on(StuckCountsLoaded)
    def _counted(self, message: StuckCountsLoaded) -> None:
        if message.generation == self._current():
            self.show_counts(message.counts, message.window)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            failures.report(connection_of(self), event.worker.error)

    @property
    def chosen(self) -> StuckKind | None:
        return self._chosen

    def _label(self, kind: StuckKind) -> Text:
        return kind_label(
            kind.wire,
            self._counts[kind],
            chosen=kind is self._chosen,
            loaded=self._loaded,
            width=LABEL_WIDTH,
        )

    def _kind_options(self) -> list[Option]:
        return [Option(self._label(kind), id=kind.wire) for kind in StuckKind]

    def show_counts(self, counts: dict[StuckKind, int | None], window: int | None = None) -> None:
        """Each kind's count; None: not detectable on this service version. `window`:
        counted among the newest this many sessions only."""
        self._counts = {kind: counts.get(kind) for kind in StuckKind}
        self._loaded = True
        self._redraw()
        found = [c for c in self._counts.values() if c is not None]
        subtitle = kinds_counted(sum(1 for c in found if c), len(found), window)
        if subtitle != self._subtitle:  # setting it repaints the panel, even unchanged
            self._subtitle = subtitle
            self.border_subtitle = subtitle

    def sync(self, kind: StuckKind | None) -> None:
        """Mirror the main screen's stuck filter."""
        if kind is not self._chosen:
            self._chosen = kind
            self._redraw()

    def _redraw(self) -> None:
        """Each line whose count, mark or colour changed."""
        for index, kind in enumerate(StuckKind):
            facts = (kind is self._chosen, self._counts[kind], self._loaded, palette())
            if self._drawn.get(index) != facts:
                self._drawn[index] = facts
                self.replace_option_prompt_at_index(index, self._label(kind))

    def explanation(self) -> str | None:
        """The highlighted kind's one line, for the tooltip."""
        if self.highlighted is None:
            return None
        kind = list(StuckKind)[self.highlighted]
        if self._loaded and self._counts[kind] is None:
            return f"{kind.wire}: {NOT_DETECTABLE}"
        return stuck_explanation(kind)

    @on(OptionList.OptionHighlighted)
    def _explain(self) -> None:
        self.tooltip = self.explanation()

    @on(OptionList.OptionSelected)
    def _chosen_kind(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind = list(StuckKind)[event.option_index]
        if self._loaded and self._counts[kind] is None and kind is not self._chosen:
            return
        self.post_message(self.Chosen(None if kind is self._chosen else kind))
