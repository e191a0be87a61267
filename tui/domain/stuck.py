"""The kinds of stuck session: failures the service leaves behind, each with a name and
the reason an operator would end it with.

One table (`StuckKind`): the kind's name (what the CLI, JSON and the dashboard say), and
the trigger suggested to end it. The operator reads its one-line explanation from
`wording.stuck_explanation`. A suggestion is only ever made from the vocabulary in
force (`suggested`): a trigger the database's service version does not accept is no
suggestion at all, so `project-changed` is suggested from v0.6.0 on and nothing before.

How each kind is found is the store's business (`queries.stuck_flags`); the rule for
each, in words:

- `idle`: active, and its conversation quiet (else the session, since its start) for
  longer than `--stale-after`: the one notion of "stale";
- `orphaned`: active on a conversation the service soft-deleted (`deleted_at` set);
- `duplicate`: active while a newer active session (by start time, then id) exists on
  the same conversation: every one but the newest;
- `drifted`: active with a codebase that is not its conversation's (the conversation
  was moved without ending the session);
- `codebase-gone`: active with no codebase while its conversation has one (the
  session's codebase was deleted).
"""

from __future__ import annotations

from enum import Enum

from tui.domain.triggers import Trigger, Vocabulary


class StuckKind(Enum):
    """Every kind, in the order the tool lists them: name and suggested trigger."""

    IDLE = ("idle", Trigger.RESET_REQUESTED)
    ORPHANED = ("orphaned", Trigger.CONVERSATION_CLOSED)
    DUPLICATE = ("duplicate", Trigger.RESET_REQUESTED)
    DRIFTED = ("drifted", Trigger.PROJECT_CHANGED)
    CODEBASE_GONE = ("codebase-gone", Trigger.PROJECT_CHANGED)

    def __init__(self, wire: str, suggestion: Trigger) -> None:
        self.wire = wire
        """The kind's name everywhere an operator or a script reads it."""
        self.suggestion = suggestion
        """The trigger that says why such a session ends, before the vocabulary is asked."""


BY_NAME: dict[str, StuckKind] = {k.wire: k for k in StuckKind}
KIND_NAMES: tuple[str, ...] = tuple(BY_NAME)


def suggested(kind: StuckKind, vocabulary: Vocabulary) -> Trigger | None:
    """The trigger to end a session of `kind` with, when the vocabulary in force lets an
    operator write it; None otherwise (no suggestion beats a refused one)."""
    trigger = kind.suggestion
    return trigger if trigger in vocabulary.deactivating else None


def parse_kind(name: str) -> StuckKind:
    """A kind from its name, any case; ValueError naming every kind otherwise."""
    kind = BY_NAME.get(name.strip().lower())
    if kind is None:
        raise ValueError(f"unknown stuck kind {name!r}; one of {', '.join(KIND_NAMES)}")
    return kind


def in_order(kinds: frozenset[StuckKind] | set[StuckKind]) -> tuple[StuckKind, ...]:
    """Kinds in the table's order: how a row lists them."""
    return tuple(k for k in StuckKind if k in kinds)


PRECEDENCE: tuple[StuckKind, ...] = (
    StuckKind.ORPHANED,
    StuckKind.CODEBASE_GONE,
    StuckKind.DRIFTED,
    StuckKind.DUPLICATE,
    StuckKind.IDLE,
)
"""Which kind's suggestion a session in several kinds gets: the most specific cause
first. A session on a deleted conversation is also quiet, but it is quiet *because* the
conversation is gone; `idle` says the least about why."""


def suggestion_for(kinds: tuple[StuckKind, ...], vocabulary: Vocabulary) -> Trigger | None:
    """The reason to end a session in `kinds` with: the suggestion of the first of its
    kinds in `PRECEDENCE` that has one in this vocabulary; None when none has."""
    for kind in PRECEDENCE:
        if kind in kinds and (trigger := suggested(kind, vocabulary)) is not None:
            return trigger
    return None
