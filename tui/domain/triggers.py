"""The service's typed trigger list: the single source of truth for `ended_reason`.

The service records *why* a session ended as one of these strings (migration 016).
Newer service versions may add values this tool does not know; those are kept as
`UnrecognisedReason` so they are shown as they are and never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Behaviour(Enum):
    """What firing a trigger does to the current session."""

    NONE = "none"
    CREATES = "creates"
    DEACTIVATES = "deactivates"


class Trigger(Enum):
    """Every trigger the service knows, with its behaviour and an operator-facing description."""

    FIRST_MESSAGE = (
        "first-message",
        Behaviour.NONE,
        "First message of a conversation: no session to end",
    )
    PLAN_TO_EXECUTE = (
        "plan-to-execute",
        Behaviour.CREATES,
        "Plan approved: the session ends and the execution session starts at once",
    )
    ISOLATION_CHANGED = (
        "isolation-changed",
        Behaviour.DEACTIVATES,
        "Isolation environment (worktree) changed",
    )
    CODEBASE_CHANGED = (
        "codebase-changed",
        Behaviour.DEACTIVATES,
        "Conversation switched to another codebase",
    )
    CODEBASE_CLONED = (
        "codebase-cloned",
        Behaviour.DEACTIVATES,
        "A repository was cloned into the conversation",
    )
    CWD_CHANGED = ("cwd-changed", Behaviour.DEACTIVATES, "Working directory changed (/setcwd)")
    RESET_REQUESTED = (
        "reset-requested",
        Behaviour.DEACTIVATES,
        "Someone asked for a fresh session (/reset)",
    )
    CONTEXT_RESET = ("context-reset", Behaviour.DEACTIVATES, "The assistant's context was reset")
    REPO_REMOVED = (
        "repo-removed",
        Behaviour.DEACTIVATES,
        "The repository was removed (/repo-remove)",
    )
    WORKTREE_REMOVED = (
        "worktree-removed",
        Behaviour.DEACTIVATES,
        "The worktree was removed (/worktree-remove)",
    )
    CONVERSATION_CLOSED = (
        "conversation-closed",
        Behaviour.DEACTIVATES,
        "The conversation was closed (e.g. its PR or issue closed)",
    )

    def __init__(self, wire: str, behaviour: Behaviour, description: str) -> None:
        self.wire = wire
        self.behaviour = behaviour
        self.description = description

    @property
    def deactivates(self) -> bool:
        """Only deactivating triggers may be used by an operator to end a session."""
        return self.behaviour is Behaviour.DEACTIVATES


BY_WIRE: dict[str, Trigger] = {t.wire: t for t in Trigger}
KNOWN_REASONS: tuple[str, ...] = tuple(BY_WIRE)
DEACTIVATING: tuple[Trigger, ...] = tuple(t for t in Trigger if t.deactivates)


@dataclass(frozen=True, slots=True)
class UnrecognisedReason:
    """A value in the database outside the known list, kept verbatim."""

    raw: str


@dataclass(frozen=True, slots=True)
class NotRecorded:
    """An ended session from before migration 016: the reason was never stored."""


NOT_RECORDED = NotRecorded()

Reason = Trigger | UnrecognisedReason | NotRecorded


def parse_reason(raw: str | None) -> Reason:
    """Turn a stored `ended_reason` into a typed value without ever failing."""
    if raw is None:
        return NOT_RECORDED
    trigger = BY_WIRE.get(raw)
    return trigger if trigger is not None else UnrecognisedReason(raw)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The triggers in force for the service version in front of the tool.

    Recognising a stored value never depends on the version (`parse_reason` knows every
    value any version wrote); what an operator may *write* does: only the deactivating
    triggers of this vocabulary. The store picks one when it opens a database and
    passes it on, so no screen or command holds a list of its own.
    """

    name: str
    """The service version (or era) this list belongs to, as an operator would say it."""
    triggers: tuple[Trigger, ...]

    @property
    def deactivating(self) -> tuple[Trigger, ...]:
        return tuple(t for t in self.triggers if t.deactivates)

    @property
    def wires(self) -> tuple[str, ...]:
        return tuple(t.wire for t in self.triggers)

    def require_deactivating(self, raw: str) -> Trigger:
        """Validate an operator's choice before any SQL runs."""
        trigger = BY_WIRE.get(raw)
        if trigger is None or trigger not in self.deactivating:
            raise InvalidEndReason(raw, self)
        return trigger


MIGRATION_016 = Vocabulary("migration 016", tuple(Trigger))
"""The eleven triggers of the service as migration 016 left it."""
NEWEST = MIGRATION_016
"""The newest service version this tool knows: what `sessions-tui reasons` lists when
there is no database to ask (the Store's `vocabulary` says which one a database uses)."""


class InvalidEndReason(ValueError):
    """An operator asked to end a session with a reason that is not a deactivating trigger."""

    def __init__(self, given: str, vocabulary: Vocabulary) -> None:
        self.given = given
        self.vocabulary = vocabulary
        valid = ", ".join(t.wire for t in vocabulary.deactivating)
        super().__init__(
            f"{given!r} is not a deactivating trigger of {vocabulary.name}; valid reasons: {valid}"
        )
