"""The kinds of stuck workflow run: what the service's own writes leave behind, each
named as what it is, on the evidence the tables hold (`tui.domain.runs` cites the
writes).

One record per kind (`RunStuckKind`, each member a `RunKindRecord`): its name, its
one-line explanation, what an operator can do about it, where the service's writes
can produce it (`RunDetectability`: the runs columns it needs; elsewhere it is not
computed and every surface says so instead of a 0), its rule in SQL terms and the same
rule in Python (`applies`). The store's SQL is `tui.store.sql_runs.run_stuck_condition`,
exhaustive over the kinds. Leaving out a part is a TypeError at import.

- `stale-pending`: `pending`, started more than `STALE_PENDING_AGE` (the service's
  `STALE_PENDING_AGE_MS`, 5 min) ago. The service itself stops counting such a row as
  holding its path (v0.4.0 on) and never moves it out of `pending`: a dispatch that
  never started it. Every era (SQLite created runs `pending` in all of them).
- `quiet`: `running`, and nothing recorded for it (last_activity_at, else started_at)
  for longer than the quiet setting (default `DEFAULT_QUIET_AFTER`). A guess: the
  service records no process that owns a run, and writes activity only while a node
  streams messages. Never called dead. Every era (last_activity_at: migration 009).
- `awaiting-approval`: `paused`: an approval gate waits on a human, for as long as its
  last recorded activity says (the pause writes no time of its own). v0.2.13 on
  (marked by `working_path`, migration 019, of the same release).
- `path-held`: `running` with a working path on which a run started no earlier ended
  `cancelled` (one pass: the latest cancelled start per path, `sql_runs.held_paths`).
  From v0.4.0 the service cancels a run that finds the path held and records no
  reason, so a user's cancel of that later run looks the same: the words say both.
  v0.4.0 on (marked by the runs' `user_id`, added by that release); v0.2.13 writes
  nothing for a refused run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum

from msgspec import Struct

from tui.domain.runs import STALE_PENDING_AGE, RunRow

RunRule = Callable[[RunRow, datetime, timedelta], bool]
"""A kind's rule over one read row: (row, now, quiet setting) -> in the kind."""


class RunDetectability(Struct, frozen=True):
    """Where the service's writes can produce a kind: only on a runs table with every
    column of `needs`. `why` is the clause after `stuck.NOT_DETECTABLE` elsewhere."""

    why: str = ""
    needs: frozenset[str] = frozenset()

    def blind(self, run_columns: frozenset[str]) -> bool:
        """Whether a runs table with these columns comes from writes that cannot
        produce the kind (or there is no runs table: no columns)."""
        return not run_columns or not self.needs <= run_columns


class RunKindRecord(Struct, frozen=True):
    """Everything the tool knows of one stuck run kind but its SQL (the store's)."""

    wire: str
    """The kind's name everywhere an operator or a script reads it."""
    explanation: str
    """One line for the operator: what the service left behind."""
    suggestion: str
    """What an operator can do about it."""
    detectability: RunDetectability
    rule_sql: str
    """The rule in SQL terms, as `sql_runs.run_stuck_condition` writes it."""
    applies: RunRule
    """The same rule over a read row."""
    by_clock: bool
    """Whether "now" decides it (the row can enter the kind while nobody writes)."""


def _stale_pending(row: RunRow, now: datetime, quiet_after: timedelta) -> bool:
    return (
        row.status == "pending"
        and row.started_at is not None
        and now - row.started_at > STALE_PENDING_AGE
    )


def _quiet(row: RunRow, now: datetime, quiet_after: timedelta) -> bool:
    quiet = row.quiet_for(now)
    return row.status == "running" and quiet is not None and quiet > quiet_after


def _awaiting(row: RunRow, now: datetime, quiet_after: timedelta) -> bool:
    return row.status == "paused"


def _path_held(row: RunRow, now: datetime, quiet_after: timedelta) -> bool:
    return row.status == "running" and row.working_path is not None and row.path_lost_by is not None


class RunStuckKind(Enum):
    """Every kind, in the order the tool lists them."""

    STALE_PENDING = RunKindRecord(
        "stale-pending",
        "pending for more than 5 min: its dispatch never started it, and the service "
        "no longer counts it as holding its path",
        "cancel it: nothing runs it",
        RunDetectability(),
        "status = 'pending' AND started_at < now - 5 min",
        _stale_pending,
        by_clock=True,
    )
    QUIET = RunKindRecord(
        "quiet",
        "running with no activity recorded for longer than the quiet setting: a guess, "
        "the service records no process that owns a run",
        "check the service's logs for it before cancelling; a long tool call records no activity",
        RunDetectability(),
        "status = 'running' AND COALESCE(last_activity_at, started_at) < now - quiet setting",
        _quiet,
        by_clock=True,
    )
    AWAITING_APPROVAL = RunKindRecord(
        "awaiting-approval",
        "paused at an approval gate, waiting on a human; it holds its working path meanwhile",
        "approve or reject it in the service (`/workflow approve ID`), or cancel it",
        RunDetectability(
            "runs never pause before v0.2.13 (its runs table has no working_path)",
            needs=frozenset({"working_path"}),
        ),
        "status = 'paused'",
        _awaiting,
        by_clock=False,
    )
    PATH_HELD = RunKindRecord(
        "path-held",
        "running on a working path where a later run ended cancelled: the service "
        "cancels a run that finds the path taken (a user's cancel looks the same)",
        "check it is still working before cancelling it; later runs on its path are refused",
        RunDetectability(
            "before v0.4.0 the service writes nothing for a run refused its path "
            "(its runs table has no user_id)",
            needs=frozenset({"working_path", "user_id"}),
        ),
        "status = 'running' AND a run on the same working_path started at or after it "
        "has status = 'cancelled'",
        _path_held,
        by_clock=False,
    )

    @property
    def record(self) -> RunKindRecord:
        value: RunKindRecord = self.value
        return value

    @property
    def wire(self) -> str:
        return self.record.wire

    @property
    def explanation(self) -> str:
        return self.record.explanation

    def applies(self, row: RunRow, now: datetime, quiet_after: timedelta) -> bool:
        return self.record.applies(row, now, quiet_after)


RUN_KINDS: dict[str, RunStuckKind] = {k.wire: k for k in RunStuckKind}
RUN_KIND_NAMES: tuple[str, ...] = tuple(RUN_KINDS)


def parse_run_kind(name: str) -> RunStuckKind:
    """A kind from its name, any case; ValueError naming every kind otherwise."""
    kind = RUN_KINDS.get(name.strip().lower())
    if kind is None:
        raise ValueError(f"unknown stuck run kind {name!r}; one of {', '.join(RUN_KIND_NAMES)}")
    return kind


def run_not_detectable(kind: RunStuckKind, run_columns: frozenset[str]) -> str | None:
    """Why this version's writes cannot produce `kind` (the clause after
    `NOT_DETECTABLE`), or None where they can and the kind is computed."""
    found = kind.record.detectability
    if not run_columns:
        return "this database has no workflow runs table"
    return found.why if found.blind(run_columns) else None


def kinds_of(row: RunRow, now: datetime, quiet_after: timedelta) -> tuple[RunStuckKind, ...]:
    """Every kind whose Python rule holds for the row, in the kinds' order."""
    return tuple(k for k in RunStuckKind if k.applies(row, now, quiet_after))
