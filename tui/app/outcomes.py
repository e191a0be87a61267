"""Toasts: what happened to each ended session, and why a database is slow, in words."""

from __future__ import annotations

from typing import Literal

from tui.domain.models import AlreadyEnded, Ended, EndOutcome
from tui.domain.wording import ended_summary, outcome_line

Severity = Literal["information", "warning", "error"]


def describe(outcome: EndOutcome) -> tuple[str, Severity]:
    """The CLI's outcome line, with a short id: a race lost is a warning, a gone one an error."""
    if isinstance(outcome, Ended):
        severity: Severity = "information"
    elif isinstance(outcome, AlreadyEnded):
        severity = "warning"
    else:
        severity = "error"
    return outcome_line(outcome, short=True), severity


def describe_outcomes(outcomes: list[EndOutcome]) -> list[tuple[str, Severity]]:
    """One toast per session for a few, a summary plus the exceptions for many."""
    if len(outcomes) <= 5:
        return [describe(o) for o in outcomes]
    ended = sum(isinstance(o, Ended) for o in outcomes)
    lines: list[tuple[str, Severity]] = [(ended_summary(ended, len(outcomes)), "information")]
    problems = [describe(o) for o in outcomes if not isinstance(o, Ended)]
    if problems:
        worst: Severity = "error" if any(s == "error" for _, s in problems) else "warning"
        lines.append(("\n".join(text for text, _ in problems), worst))
    return lines


INDEX_HINT_SESSIONS = 50_000
"""From about this many sessions, reading the whole table on each filter shows."""


def index_hint(missing: tuple[str, ...], *, standby: bool = False) -> str:
    """Why filters and counts are slow, and the command that fixes it (it changes no row).

    A standby cannot be migrated: the command goes to its primary, and the standby
    replays the indexes."""
    what = (
        "one of the tool's indexes"
        if len(missing) == 1
        else f"{len(missing)} of the tool's indexes"
    )
    where = " against the primary (this standby replays them)" if standby else ""
    return (
        f"This database lacks {what} ({', '.join(missing)}), so filters and counts read the "
        f"whole sessions table. `sessions-tui migrate`{where} adds them and changes no row; "
        "`sessions-tui migrate --sql` prints the SQL for a DBA."
    )
