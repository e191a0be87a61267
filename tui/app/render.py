"""Cells and labels for the screen, built as rich Text so database strings are never markup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Text

from tui.domain.models import NOT_RECORDED_TOKEN, SessionRow
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, relative
from tui.domain.triggers import Behaviour, NotRecorded, Reason, Trigger, UnrecognisedReason

BEHAVIOUR_STYLE = {
    Behaviour.DEACTIVATES: "yellow",
    Behaviour.CREATES: "cyan",
    Behaviour.NONE: "blue",
}
UNRECOGNISED_MARK = "⚠ "
UNRECOGNISED_STYLE = "bold magenta"
NOT_RECORDED_LABEL = "not recorded"
PANEL_LABEL_WIDTH = 18


def literal(value: object, style: str = "") -> Text:
    """A database string as inert text: no markup, no control characters."""
    return Text(safe_text(value), style=style, no_wrap=True, overflow="ellipsis")


def reason_text(reason: Reason | None) -> Text:
    """The ended_reason cell: coloured by behaviour, marked when unrecognised."""
    if reason is None:
        return Text("—", style="dim")
    if isinstance(reason, NotRecorded):
        return Text(NOT_RECORDED_LABEL, style="dim italic")
    if isinstance(reason, UnrecognisedReason):
        text = Text(UNRECOGNISED_MARK, style=UNRECOGNISED_STYLE)
        text.append_text(literal(reason.raw, UNRECOGNISED_STYLE))
        return text
    return Text(reason.wire, style=BEHAVIOUR_STYLE[reason.behaviour])


def reason_label(value: str, count: int | None = None) -> Text:
    """A reason panel entry: the reason as the table shows it, with its count."""
    if value == NOT_RECORDED_TOKEN:
        text = reason_text(NotRecorded())
    else:
        from tui.domain.triggers import parse_reason

        text = reason_text(parse_reason(value))
    if count is not None:
        text.truncate(PANEL_LABEL_WIDTH, overflow="ellipsis", pad=True)
        text.append(f"{count:>6,}", style="bold" if count else "dim")
    return text


def trigger_line(trigger: Trigger) -> Text:
    text = Text()
    text.append(trigger.wire, style=BEHAVIOUR_STYLE[trigger.behaviour] + " bold")
    text.append(f"\n  {trigger.description}", style="dim")
    return text


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


COLUMNS = [
    Column("status", "status", 8),
    Column("reason", "ended_reason", 20),
    Column("id", "id", 8),
    Column("platform", "platform", 8),
    Column("conversation", "conversation", 20),
    Column("codebase", "codebase", 12),
    Column("assistant", "agent", 7),
    Column("started", "started", 7),
    Column("ended", "ended", 7),
    Column("duration", "lasted", 6),
]
"""Fixed widths: the table never measures every cell to lay itself out."""


def status_text(row: SessionRow, now: datetime, stale_after: timedelta, selected: bool) -> Text:
    """Active, stale or ended; a selected row is marked with ✓ and reversed."""
    if row.active:
        stale = row.is_stale(now, stale_after)
        label, style = ("stale", "bold red") if stale else ("active", "bold green")
    else:
        label, style = "ended", "dim"
    if selected:
        return Text(f"✓ {label}", style=style + " reverse")
    return Text(("● " if row.active else "  ") + label, style=style)


def row_cells(row: SessionRow, now: datetime, stale_after: timedelta, selected: bool) -> list[Text]:
    conversation = row.title or row.platform_conversation_id or row.conversation_id or ""
    return [
        status_text(row, now, stale_after, selected),
        reason_text(row.reason),
        literal(row.id[:8]),
        literal(row.platform_type or "—"),
        literal(conversation),
        literal(row.codebase_name or "—"),
        literal(row.ai_assistant_type or "—"),
        Text(relative(row.started_at, now)),
        Text(
            relative(row.ended_at, now) if not row.active else "—",
            style="" if row.ended_at else "dim",
        ),
        Text(human_duration(row.duration(now))),
    ]
