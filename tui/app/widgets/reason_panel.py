"""The reason facets: every trigger, "not recorded" and each unrecognised value, with counts."""

from __future__ import annotations

from textual.widgets import SelectionList
from textual.widgets.selection_list import Selection

from tui.app.render import reason_label
from tui.domain.models import NOT_RECORDED_TOKEN, ReasonFacets
from tui.domain.triggers import KNOWN_REASONS

FIXED = [*KNOWN_REASONS, NOT_RECORDED_TOKEN]


class ReasonPanel(SelectionList[str]):
    """Multi-select reason filter; counts are taken under every other filter."""

    BORDER_TITLE = "ended_reason"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            *(Selection(reason_label(value, 0), value) for value in FIXED),
            **kwargs,  # type: ignore[arg-type]
        )
        self._order: list[str] = list(FIXED)

    def show_facets(self, facets: ReasonFacets) -> None:
        counts = dict(facets.known)
        counts[NOT_RECORDED_TOKEN] = facets.not_recorded
        counts.update(facets.unrecognised)
        with self.prevent(SelectionList.SelectedChanged):
            for value in facets.unrecognised:
                if value not in self._order:
                    self._order.append(value)
                    self.add_option(Selection(reason_label(value, 0), value))
            for index, value in enumerate(self._order):
                self.replace_option_prompt_at_index(
                    index, reason_label(value, counts.get(value, 0))
                )
        self.border_subtitle = f"{facets.total - facets.active:,} ended · {facets.active:,} active"

    def sync(self, reasons: frozenset[str]) -> None:
        """Mirror the state's reasons (after escape or a palette command) without echoing back."""
        with self.prevent(SelectionList.SelectedChanged):
            for value in self._order:
                if value in reasons:
                    self.select(value)
                else:
                    self.deselect(value)
