"""Styles for the screen's cells and labels, built as rich Text so database strings are
never markup. The words and the columns are the domain's (`wording`, `columns`): this
module adds colours and the dashboard's row markers, nothing a script could read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.text import Text

from tui.domain import wording
from tui.domain.columns import COLUMNS, Context
from tui.domain.models import NOT_RECORDED_TOKEN, SessionRow
from tui.domain.text import safe_text
from tui.domain.triggers import (
    Behaviour,
    NotRecorded,
    Reason,
    Trigger,
    UnrecognisedReason,
    parse_reason,
)
from tui.domain.wording import ACTIVE, DASH, ENDED, NOT_RECORDED, ODD, STUCK
from tui.domain.wording import UNRECOGNISED_MARK as UNRECOGNISED_MARK  # the help screen's legend

BEHAVIOUR_STYLE = {
    Behaviour.DEACTIVATES: "yellow",
    Behaviour.CREATES: "cyan",
    Behaviour.NONE: "blue",
}
UNRECOGNISED_STYLE = "bold magenta"
PANEL_LABEL_WIDTH = 18


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
        text = Text(UNRECOGNISED_MARK, style=UNRECOGNISED_STYLE)
        text.append_text(literal(reason.raw, UNRECOGNISED_STYLE))
        return text
    text = Text(wording.reason_label(reason), style=BEHAVIOUR_STYLE[reason.behaviour])
    if era:
        text.append(wording.era_suffix(reason), style="dim")
    return text


def reason_label(value: str, count: int | None = None, *, in_force: bool = True) -> Text:
    """A reason panel entry: the reason as the table shows it, with its count; a trigger
    of another service version than the one in force gets its era on a second line."""
    reason = NotRecorded() if value == NOT_RECORDED_TOKEN else parse_reason(value)
    text = reason_text(reason)
    if count is not None:
        text.truncate(PANEL_LABEL_WIDTH, overflow="ellipsis", pad=True)
        text.append(f"{count:>6,}", style="bold" if count else "dim")
    if not in_force and isinstance(reason, Trigger) and reason.era_note:
        text.append(f"\n  {reason.era_note}", style="dim italic")
    return text


def trigger_line(trigger: Trigger) -> Text:
    text = Text()
    text.append(trigger.wire, style=BEHAVIOUR_STYLE[trigger.behaviour] + " bold")
    text.append(f"\n  {trigger.description}", style="dim")
    return text


CellStyler = Callable[[SessionRow, str, bool], Text]
"""Styles one column's plain value (the row and whether it is selected at hand)."""

STATUS_STYLE = {ACTIVE: "bold green", STUCK: "bold red", ENDED: "dim", ODD: "bold magenta"}


def _status_cell(row: SessionRow, value: str, selected: bool) -> Text:
    """Active, stale or ended; a selected row is marked with ✓ and reversed."""
    style = STATUS_STYLE[value]
    if selected:
        return Text(f"✓ {value}", style=style + " reverse")
    return Text(("● " if row.active else "  ") + value, style=style)


def _reason_cell(row: SessionRow, value: str, selected: bool) -> Text:
    if row.odd:
        return Text(value, style=UNRECOGNISED_STYLE)
    return reason_text(row.reason)


def _ended_cell(row: SessionRow, value: str, selected: bool) -> Text:
    return Text(value, style="" if row.ended_at else "dim")


def _stuck_cell(row: SessionRow, value: str, selected: bool) -> Text:
    return Text(
        value,
        style="red" if row.active and value != DASH else "dim",
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
