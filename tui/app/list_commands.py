"""The list's palette commands beyond its bindings: the sorts, a filter per stuck kind
and per reason of the store's vocabulary, and cancelling a waiting query."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from tui.app.commands import Command
from tui.app.state import SORT_STEPS
from tui.domain import wording
from tui.domain.models import NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN
from tui.domain.stuck import StuckKind

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen


def filter_commands(screen: MainScreen) -> list[Command]:
    """In the palette's order: sorts, stuck kinds, known reasons, not recorded, the
    cancel (while a query waits), unrecognised."""
    commands = [
        Command(
            f"Sort by {sort.value}", partial(screen.filters.set_sort, sort), "Newest/largest first"
        )
        for sort in SORT_STEPS
    ]
    commands += [
        Command(
            f"Filter stuck: {kind.wire}",
            partial(screen.filters.only_stuck, kind),
            wording.stuck_explanation(kind),
        )
        for kind in StuckKind
    ]
    commands += [
        Command(
            f"Filter reason: {trigger.wire}",
            partial(screen.filters.only_reason, trigger.wire),
            trigger.description,
        )
        for trigger in (screen.vocabulary.triggers if screen.vocabulary else ())
    ]
    commands.append(
        Command(
            f"Filter reason: {wording.NOT_RECORDED}",
            partial(screen.filters.only_reason, NOT_RECORDED_TOKEN),
            "Ended before 016",
        )
    )
    if screen.controller.waiting is not None:
        commands.append(
            Command(
                "Cancel the waiting query",
                screen.reads.cancel_wait,
                f"{screen.key('back')} does it too",
            )
        )
    commands.append(
        Command(
            "Filter reason: unrecognised",
            partial(screen.filters.only_reason, UNRECOGNISED_TOKEN),
            "Unknown values",
        )
    )
    return commands
