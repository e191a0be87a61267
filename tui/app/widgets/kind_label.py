"""A stuck kind's line in a stuck panel (the sessions' and the runs'): the pick mark, the
kind's name in the stale colour, its count right-aligned, and below it, where it is not
computed here, why."""

from __future__ import annotations

from rich.text import Text

from tui.app.render import palette
from tui.domain.stuck import NOT_DETECTABLE

CHOSEN_MARK = "▸ "


def kind_label(
    wire: str,
    count: int | None,
    *,
    chosen: bool,
    loaded: bool,
    width: int,
    note: str | None = None,
) -> Text:
    """`count` None: still counting (…), or once `loaded`, not computed on this database
    (n/a). `width`: the name's column; `note`: a dim second line under a count."""
    text = Text(CHOSEN_MARK if chosen else "  ", style="bold" if chosen else "")
    colour = palette().stale
    text.append(wire, style=f"bold {colour}" if chosen else colour)
    text.pad_right(width - len(wire))
    if loaded and count is None:
        text.append(f"{'n/a':>7}", style="dim")
        text.append(f"\n  {NOT_DETECTABLE}", style="dim")
        return text
    shown = "…" if count is None else f"{count:,}"
    text.append(f"{shown:>7}", style="bold" if count else "dim")
    if note is not None:
        text.append(f"\n  {note}", style="dim")
    return text
