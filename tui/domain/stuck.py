"""The kinds of stuck session: situations the service's own writes leave behind, each
with a name, the reason an operator would end it with, and where it can be told at all.

One record per kind (`StuckKind`, each member a `KindRecord`): its name (what the CLI,
JSON and the dashboard say), its one-line explanation, the trigger suggested to end it,
its precedence (`PRECEDENCE`), where the service's writes can produce it
(`Detectability`: elsewhere it is not computed, and every surface says so instead of a
0), and whether it is found by the clock at the read (`SessionRow.is_idle`) or by the
list query's column. A suggestion is only ever made from the vocabulary in force
(`suggested`). Leaving out a part is a TypeError at import.

Its SQL rule is the store's (`tui.store.sql_stuck.stuck_condition`, exhaustive over the
kinds); the rule for each, in words, with the writes that produce it:

- `idle`: active, and its conversation quiet (else the session, since its start) for
  longer than `--stale-after`. Time alone, on every version: not evidence of a fault. The
  suggestion, `reset-requested`, is what the service's own `/reset` writes, so the next
  message starts a new session exactly as after `/reset`.
- `orphaned`: active on a conversation the service soft-deleted (`deleted_at` set). The
  delete-conversation API sets `deleted_at` and ends nothing; the service ends a
  session with `conversation-closed` when it closes a conversation itself. Needs the
  `deleted_at` column (the service's migration 013).
- `duplicate`: active while a newer active session (by start time, then id) exists on
  the same conversation: every one but the newest. Two service processes starting a
  session on one conversation at once leave it: in the 016 era the transition is two
  statements outside a transaction (either backend); from v0.2.13 on it is one
  transaction that still reads the active session under READ COMMITTED on PostgreSQL,
  while on SQLite transactions are serialised (the second fails, or from v0.6.0 waits
  and then ends the first), so it is not detectable on SQLite from v0.2.13 on.

The service never wrote what a codebase comparison needs: from v0.2.13 on (and on main
since 2026-02-18) it starts every session without a `codebase_id` and no write ever
sets one, and deleting a codebase clears it on the sessions and conversations alike. In
016 a session took its conversation's codebase, and each command that changed it ended
the session, or the next message did (`isolation-changed`). So no kind compares
codebases (the README's stuck table cites the service's code for each era).
"""

from __future__ import annotations

from enum import Enum

from msgspec import Struct

from tui.domain.triggers import V0_2_13, Era, Trigger, Vocabulary


class Detectability(Struct, frozen=True):
    """Where the service's writes can produce a kind: `needs_soft_delete`, only on a
    database whose conversations have `deleted_at`; `sqlite_before`, on SQLite only for
    versions before that one. `why` is the clause after `NOT_DETECTABLE` elsewhere."""

    why: str = ""
    needs_soft_delete: bool = False
    sqlite_before: Era | None = None

    def blind(self, era: Era, *, sqlite: bool, soft_delete: bool) -> bool:
        """Whether the writes of `era` on that database cannot produce the kind."""
        if self.needs_soft_delete and not soft_delete:
            return True
        return sqlite and self.sqlite_before is not None and era >= self.sqlite_before


EVERYWHERE = Detectability()


class KindRecord(Struct, frozen=True):
    """Everything the tool knows of one stuck kind but its SQL (the store's)."""

    wire: str
    """The kind's name everywhere an operator or a script reads it."""
    explanation: str
    """One line for the operator: what the service left behind."""
    suggestion: Trigger
    """The trigger that says why such a session ends, before the vocabulary is asked."""
    precedence: int
    """Whose suggestion a session in several kinds gets: the lowest number first."""
    detectability: Detectability
    by_clock: bool
    """Found at the read by the clock (`SessionRow.is_idle`), not by a column of the
    list query: the kind that depends on "now"."""


class StuckKind(Enum):
    """Every kind, in the order the tool lists them."""

    IDLE = KindRecord(
        "idle",
        "its conversation is quiet past --stale-after: nothing is broken; ending it is a /reset",
        Trigger.RESET_REQUESTED,
        precedence=2,
        detectability=EVERYWHERE,
        by_clock=True,
    )
    ORPHANED = KindRecord(
        "orphaned",
        "active on a deleted conversation: the service never ends these, they stay forever",
        Trigger.CONVERSATION_CLOSED,
        precedence=0,
        detectability=Detectability(
            "its conversations have no deleted_at: the service soft-deletes none",
            needs_soft_delete=True,
        ),
        by_clock=False,
    )
    DUPLICATE = KindRecord(
        "duplicate",
        "another, newer session of its conversation is active: the service resumes either",
        Trigger.RESET_REQUESTED,
        precedence=1,
        detectability=Detectability(
            "on SQLite a session starts in one transaction, so the service never "
            "leaves two active on one conversation",
            sqlite_before=V0_2_13,
        ),
        by_clock=False,
    )

    @property
    def record(self) -> KindRecord:
        value: KindRecord = self.value
        return value

    @property
    def wire(self) -> str:
        return self.record.wire

    @property
    def suggestion(self) -> Trigger:
        return self.record.suggestion

    @property
    def explanation(self) -> str:
        return self.record.explanation


BY_NAME: dict[str, StuckKind] = {k.wire: k for k in StuckKind}
KIND_NAMES: tuple[str, ...] = tuple(BY_NAME)

NOT_DETECTABLE = "not detectable on this service version"
"""What every surface says of a kind the version in front of it cannot produce."""


def not_detectable(kind: StuckKind, era: Era, *, sqlite: bool, soft_delete: bool) -> str | None:
    """Why the service's writes on this version cannot produce `kind` (the clause after
    `NOT_DETECTABLE`), or None where they can and the kind is computed."""
    found = kind.record.detectability
    return found.why if found.blind(era, sqlite=sqlite, soft_delete=soft_delete) else None


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


PRECEDENCE: tuple[StuckKind, ...] = tuple(sorted(StuckKind, key=lambda k: k.record.precedence))
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
