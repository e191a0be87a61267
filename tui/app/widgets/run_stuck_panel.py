"""The runs stuck panel: one line per stuck run kind, with its count under the list's
other filters.

It hears each question of the runs list (`ListAsked`) and counts in its own worker;
an answer to an older question is dropped. Choosing a kind (enter, or a click) narrows
the list to it (`Narrow`); choosing it again lifts it. A kind the database's service
version cannot produce has no count: its line says so and choosing it does nothing.
The words are the kinds' records' (`RunStuckKind`): what the service left behind, never
a verdict on a process the tool cannot see.
"""

from __future__ import annotations

from typing import cast

from msgspec.structs import replace
from rich.text import Text
from textual import on, work
from textual.widgets import OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tui.app import failures
from tui.app.screens.base import connection_of
from tui.app.screens.paged import ListAsked, Narrow
from tui.app.widgets.kind_label import kind_label
from tui.domain.run_search import with_stuck
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import RunFilter
from tui.domain.wording import QUIET_GUESS, run_not_detectable_note

LABEL_WIDTH = 19


class RunStuckPanel(OptionList):
    """Counts per stuck run kind; the chosen kind is marked and bold."""

    BORDER_TITLE = "stuck runs"

    def __init__(self, **kwargs: object) -> None:
        self.counts: dict[RunStuckKind, int | None] = dict.fromkeys(RunStuckKind)
        self.blind: dict[RunStuckKind, str] = {}
        """The kinds this database's service version cannot produce, each with why."""
        self.loaded = False
        self.chosen: RunStuckKind | None = None
        self._asked = -1
        super().__init__(*self._kind_options(), **kwargs)  # type: ignore[arg-type]

    @on(ListAsked)
    def _asked_for(self, message: ListAsked) -> None:
        flt = cast("RunFilter", message.flt)
        self._asked = message.generation
        if flt.stuck is not self.chosen:
            self.chosen = flt.stuck
            self._redraw()
        self.count(message.generation, replace(flt, stuck=None))

    @work(exclusive=True, group="run-stuck", exit_on_error=False)
    async def count(self, generation: int, flt: RunFilter) -> None:
        app = connection_of(self)
        store = app.store
        if store is None:
            return
        counts = await app.inflight.run(store.run_stuck_counts(flt))
        if generation == self._asked:
            self.show_counts(counts, store.run_undetectable)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            failures.report(connection_of(self), event.worker.error)

    def show_counts(
        self, counts: dict[RunStuckKind, int | None], blind: dict[RunStuckKind, str]
    ) -> None:
        """Each kind's count; None: the kind is not computed on this database (`blind`)."""
        self.counts = {kind: counts.get(kind) for kind in RunStuckKind}
        self.blind = blind
        self.loaded = True
        self._redraw()
        found = [c for c in self.counts.values() if c is not None]
        self.border_subtitle = f"{sum(1 for c in found if c)} of {len(found)} kinds"

    def _label(self, kind: RunStuckKind) -> Text:
        note = "guessed from time alone" if kind is RunStuckKind.QUIET else None
        return kind_label(
            kind.wire,
            self.counts[kind],
            chosen=kind is self.chosen,
            loaded=self.loaded,
            width=LABEL_WIDTH,
            note=note,
        )

    def _kind_options(self) -> list[Option]:
        return [Option(self._label(kind), id=kind.wire) for kind in RunStuckKind]

    def _redraw(self) -> None:
        for index, kind in enumerate(RunStuckKind):
            self.replace_option_prompt_at_index(index, self._label(kind))

    def explanation(self, kind: RunStuckKind) -> str:
        """The kind's one line, or why it is not computed here."""
        why = self.blind.get(kind)
        if why is not None:
            return f"{kind.wire}: {run_not_detectable_note(why)}"
        said = f"{kind.wire}: {kind.explanation}. {kind.record.suggestion}"
        return f"{said} ({QUIET_GUESS})" if kind is RunStuckKind.QUIET else said

    @on(OptionList.OptionHighlighted)
    def _explain(self, event: OptionList.OptionHighlighted) -> None:
        self.tooltip = self.explanation(list(RunStuckKind)[event.option_index])

    @on(OptionList.OptionSelected)
    def _chosen_kind(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind = list(RunStuckKind)[event.option_index]
        if self.loaded and self.counts[kind] is None and kind is not self.chosen:
            return
        pick = None if kind is self.chosen else kind
        self.post_message(Narrow(lambda flt: with_stuck(flt, pick)))
