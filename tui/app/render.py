"""Styles for the screen's cells and labels, built as rich Text so database strings are
never markup. The words and the columns are the domain's (`wording`, `columns`): this
module adds colours and the dashboard's row markers, nothing a script could read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from msgspec import Struct
from rich.text import Text

from tui.domain import wording
from tui.domain.columns import COLUMNS, Context
from tui.domain.models import NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN, SessionRow
from tui.domain.text import safe_text
from tui.domain.triggers import (
    Behaviour,
    NotRecorded,
    Reason,
    Trigger,
    UnrecognisedReason,
    parse_reason,
)
from tui.domain.wording import ACTIVE, ANY_UNRECOGNISED, DASH, NOT_RECORDED, ODD, STUCK
from tui.domain.wording import UNRECOGNISED_MARK as UNRECOGNISED_MARK  # the help screen's legend


class Palette(Struct, frozen=True):
    """The colours words about sessions are drawn in, for dark or for light themes: each
    reads at WCAG AA (contrast 4.5 or more) on those themes' background, surface and
    panel (tests/unit/test_palette.py)."""

    deactivates: str
    creates: str
    none: str
    unrecognised: str
    active: str
    stale: str
    warning: str
    info: str


DARK = Palette(
    deactivates="#f0c674",
    creates="#56b6c2",
    none="#7aa2f7",
    unrecognised="bold #e07ce0",
    active="#5fd787",
    stale="#ff7b72",
    warning="#f0c674",
    info="#56b6c2",
)
LIGHT = Palette(
    deactivates="#6b4400",
    creates="#005866",
    none="#1d43b8",
    unrecognised="bold #8e137c",
    active="#125a28",
    stale="#a3211a",
    warning="#6b4400",
    info="#005866",
)
_palette = [DARK]


def palette() -> Palette:
    """The palette of the theme in force (the App switches it with the theme)."""
    return _palette[0]


def use_palette(dark: bool) -> bool:
    """Switch to the dark or light palette; True when that changed anything (the
    screens then redraw what they drew with the other)."""
    chosen = DARK if dark else LIGHT
    changed = _palette[0] is not chosen
    _palette[0] = chosen
    return changed


def behaviour_style(behaviour: Behaviour) -> str:
    p = palette()
    return {Behaviour.DEACTIVATES: p.deactivates, Behaviour.CREATES: p.creates}.get(
        behaviour, p.none
    )


PANEL_LABEL_WIDTH = 24
"""Cells of a reason panel entry's first line, name and count: the panel's width less
its border, padding, check box and a scrollbar's room (a short terminal shows one)."""


def literal(value: object, style: str = "") -> Text:
    """A database string as inert text: no markup, no control characters."""
    return Text(safe_text(value), style=style, no_wrap=True, overflow="ellipsis")


def reason_text(reason: Reason | None, *, era: bool = False) -> Text:
    """The ended_reason cell: the words of `wording.reason_label`, coloured by behaviour,
    marked when unrecognised; with `era`, a trigger not in force from 016 to today says
    when it came or went (the detail view)."""
    if reason is None:
        return Text(DASH, style="dim")
    if isinstance(reason, NotRecorded):
        return Text(NOT_RECORDED, style="dim italic")
    if isinstance(reason, UnrecognisedReason):
        style = palette().unrecognised
        text = Text(UNRECOGNISED_MARK, style=style)
        text.append_text(literal(reason.raw, style))
        return text
    text = Text(wording.reason_label(reason), style=behaviour_style(reason.behaviour))
    if era:
        text.append(wording.era_suffix(reason), style="dim")
    return text


SPARK_LEVELS = " ▁▂▃▄▅▆▇█"
"""A day with no end is blank; any other is one of eight heights, at least the lowest."""


def sparkline(series: Sequence[int]) -> str:
    """One cell a day, scaled to the series' own largest day (its shape, not its size:
    the count beside it says how many)."""
    top = max(series, default=0)
    if top <= 0:
        return " " * len(series)
    return "".join(SPARK_LEVELS[0 if n <= 0 else max(1, -(-n * 8 // top))] for n in series)


def reason_label(
    value: str, count: int | None = None, *, in_force: bool = True, spark: str | None = None
) -> Text:
    """A reason panel entry: the reason as the table shows it, with its count (and, given
    one, its sparkline after the count); a trigger of another service version than the
    one in force gets its era on a second line."""
    if value == UNRECOGNISED_TOKEN:
        reason: Reason = UnrecognisedReason(ANY_UNRECOGNISED)
        text = Text(UNRECOGNISED_MARK + ANY_UNRECOGNISED, style=palette().unrecognised)
    else:
        reason = NotRecorded() if value == NOT_RECORDED_TOKEN else parse_reason(value)
        text = reason_text(reason)
    if count is not None:
        # The count whole and right-aligned, one blank before it; the name gives way (…).
        shown = f"{count:,}"
        text.truncate(PANEL_LABEL_WIDTH - 1 - len(shown), overflow="ellipsis", pad=True)
        text.append(" " + shown, style="bold" if count else "dim")
    if spark is not None:
        text.append(" " + spark, style=palette().info)
    if not in_force and isinstance(reason, Trigger) and reason.era_note:
        text.append(f"\n  {reason.era_note}", style="dim italic")
    return text


def trigger_line(trigger: Trigger) -> Text:
    text = Text()
    text.append(trigger.wire, style=behaviour_style(trigger.behaviour) + " bold")
    text.append(f"\n  {trigger.description}", style="dim")
    return text


CellStyler = Callable[[SessionRow, str, bool], Text]
"""Styles one column's plain value (the row and whether it is selected at hand)."""


def status_style(value: str) -> str:
    p = palette()
    styles = {ACTIVE: f"bold {p.active}", STUCK: f"bold {p.stale}", ODD: p.unrecognised}
    return styles.get(value, "dim")


def _status_cell(row: SessionRow, value: str, selected: bool) -> Text:
    """Active, stuck, ended or odd; a selected row is marked with ✓ and reversed."""
    style = status_style(value)
    if selected:
        return Text(f"✓ {value}", style=style + " reverse")
    return Text(("● " if row.active else "  ") + value, style=style)


def _reason_cell(row: SessionRow, value: str, selected: bool) -> Text:
    if row.odd:
        return Text(value, style=palette().unrecognised)
    return reason_text(row.reason)


def _ended_cell(row: SessionRow, value: str, selected: bool) -> Text:
    return Text(value, style="" if row.ended_at else "dim")


def _stuck_cell(row: SessionRow, value: str, selected: bool) -> Text:
    return Text(
        value,
        style=palette().stale if row.active and value != DASH else "dim",
        no_wrap=True,
        overflow="ellipsis",
    )


def _plain_cell(row: SessionRow, value: str, selected: bool) -> Text:
    return Text(value, no_wrap=True, overflow="ellipsis")


CELL_STYLERS: dict[str, CellStyler] = {
    "status": _status_cell,
    "reason": _reason_cell,
    "ended": _ended_cell,
    "stuck": _stuck_cell,
}
"""Columns drawn with more than their plain text; every other column is drawn as it is."""


def row_cells(row: SessionRow, now: datetime, stale_after: timedelta, selected: bool) -> list[Text]:
    """One row's cells, in `COLUMNS` order: each column's value, styled."""
    ctx = Context(now, stale_after)
    return [
        CELL_STYLERS.get(column.key, _plain_cell)(row, column.value(row, ctx), selected)
        for column in COLUMNS
    ]
