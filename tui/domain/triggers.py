"""The service's typed trigger list: every `ended_reason` value any service version wrote.

One table holds each value's behaviour, description and the eras it was in force
(`since`, `until`); `ERAS` is the small ordered list of service versions whose trigger
list differs. `Vocabulary` for an era is the triggers in force then: what an operator may
write. Recognising a stored value never depends on the era: a value from any era is a
`Trigger`; a value outside every era stays an `UnrecognisedReason`, shown as stored and
never rewritten. `detect_era` decides the era from schema markers, in one place.
"""

from __future__ import annotations

import re
from datetime import date
from enum import Enum

from msgspec import Struct
from msgspec.structs import replace

from tui.domain.text import safe_text


class Era(Struct, frozen=True):
    """A span of service versions with one trigger list, from `released` on."""

    key: str
    """How the tool names it in a sentence: "016", "v0.2.13", "v0.6.0"."""
    label: str
    """How an operator reads it in a list: with the branch or date."""
    released: date | None
    version: tuple[int, int, int] | None
    """The first release of the era, to place a recorded `app_version`; None before releases."""

    @property
    def index(self) -> int:
        return ERAS.index(self)

    def __lt__(self, other: Era) -> bool:
        return self.index < other.index

    def __le__(self, other: Era) -> bool:
        return self.index <= other.index


PRE_016 = Era("pre-016", "before migration 016 (no reasons stored)", None, None)
E016 = Era("016", "016 (main, 2026-02-16)", date(2026, 2, 16), None)
V0_2_13 = Era("v0.2.13", "v0.2.13 (2026-04-07)", date(2026, 4, 7), (0, 2, 13))
V0_6_0 = Era("v0.6.0", "v0.6.0 (2026-07-20)", date(2026, 7, 20), (0, 6, 0))
ERAS: tuple[Era, ...] = (PRE_016, E016, V0_2_13, V0_6_0)
"""Oldest first. A new era goes at the end, with its triggers' `since`/`until` below."""
NEWEST_ERA = ERAS[-1]


class Behaviour(Enum):
    """What firing a trigger does to the current session."""

    NONE = "none"
    CREATES = "creates"
    DEACTIVATES = "deactivates"


class Trigger(Enum):
    """Every trigger any service version wrote: behaviour, description, and the eras it
    was in force (`since` inclusive, `until` exclusive, None while still in force)."""

    FIRST_MESSAGE = (
        "first-message",
        Behaviour.NONE,
        "First message of a conversation: no session to end",
        E016,
        None,
    )
    PLAN_TO_EXECUTE = (
        "plan-to-execute",
        Behaviour.CREATES,
        "Plan approved: the session ends and the execution session starts at once",
        E016,
        None,
    )
    ISOLATION_CHANGED = (
        "isolation-changed",
        Behaviour.DEACTIVATES,
        "Isolation environment (worktree) changed",
        E016,
        None,
    )
    PROJECT_CHANGED = (
        "project-changed",
        Behaviour.DEACTIVATES,
        "Conversation rebound to another project (/setproject)",
        V0_6_0,
        None,
    )
    CODEBASE_CHANGED = (
        "codebase-changed",
        Behaviour.DEACTIVATES,
        "Conversation switched to another codebase",
        E016,
        V0_2_13,
    )
    CODEBASE_CLONED = (
        "codebase-cloned",
        Behaviour.DEACTIVATES,
        "A repository was cloned into the conversation",
        E016,
        V0_2_13,
    )
    CWD_CHANGED = (
        "cwd-changed",
        Behaviour.DEACTIVATES,
        "Working directory changed (/setcwd)",
        E016,
        V0_2_13,
    )
    RESET_REQUESTED = (
        "reset-requested",
        Behaviour.DEACTIVATES,
        "Someone asked for a fresh session (/reset)",
        E016,
        None,
    )
    CONTEXT_RESET = (
        "context-reset",
        Behaviour.DEACTIVATES,
        "The assistant's context was reset",
        E016,
        V0_2_13,
    )
    REPO_REMOVED = (
        "repo-removed",
        Behaviour.DEACTIVATES,
        "The repository was removed (/repo-remove)",
        E016,
        V0_2_13,
    )
    WORKTREE_REMOVED = (
        "worktree-removed",
        Behaviour.DEACTIVATES,
        "The worktree was removed (/worktree-remove)",
        E016,
        None,
    )
    CONVERSATION_CLOSED = (
        "conversation-closed",
        Behaviour.DEACTIVATES,
        "The conversation was closed (e.g. its PR or issue closed)",
        E016,
        None,
    )

    def __init__(
        self, wire: str, behaviour: Behaviour, description: str, since: Era, until: Era | None
    ) -> None:
        self.wire = wire
        self.behaviour = behaviour
        self.description = description
        self.since = since
        self.until = until

    def in_force(self, era: Era) -> bool:
        return self.since <= era and (self.until is None or era < self.until)

    @property
    def era_note(self) -> str:
        """Its era when that is news: "retired in v0.2.13", "since v0.6.0"; "" for a
        trigger in force from migration 016 to today."""
        if self.until is not None:
            return f"retired in {self.until.key}"
        if self.since is not E016:
            return f"since {self.since.key}"
        return ""

    @property
    def deactivates(self) -> bool:
        """Only deactivating triggers may be used by an operator to end a session."""
        return self.behaviour is Behaviour.DEACTIVATES


BY_WIRE: dict[str, Trigger] = {t.wire: t for t in Trigger}
KNOWN_REASONS: tuple[str, ...] = tuple(BY_WIRE)
DEACTIVATING: tuple[Trigger, ...] = tuple(t for t in Trigger if t.deactivates)


class UnrecognisedReason(Struct, frozen=True):
    """A value in the database outside the known list, kept verbatim."""

    raw: str


class NotRecorded(Struct, frozen=True):
    """An ended session from before migration 016: the reason was never stored."""


NOT_RECORDED = NotRecorded()

Reason = Trigger | UnrecognisedReason | NotRecorded


def parse_reason(raw: str | None) -> Reason:
    """Turn a stored `ended_reason` into a typed value without ever failing."""
    if raw is None:
        return NOT_RECORDED
    trigger = BY_WIRE.get(raw)
    return trigger if trigger is not None else UnrecognisedReason(raw)


class Vocabulary(Struct, frozen=True):
    """The triggers in force for the service version in front of the tool.

    Recognising a stored value never depends on the version (`parse_reason` knows every
    value any version wrote); what an operator may *write* does: only the deactivating
    triggers of this vocabulary. The store picks one when it opens a database and
    passes it on, so no screen or command holds a list of its own.
    """

    era: Era
    triggers: tuple[Trigger, ...]
    version: str = ""
    """The service version detected in the database, when one was ("v0.9.0"): the era's
    label stands in otherwise."""

    @classmethod
    def of(cls, era: Era) -> Vocabulary:
        """The triggers in force in `era`, in the table's order."""
        return cls(era, tuple(t for t in Trigger if t.in_force(era)))

    @property
    def name(self) -> str:
        """The service version (or era) this list belongs to, as an operator would say it."""
        return f"service {self.version}" if self.version else self.era.label

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


VOCABULARIES: dict[Era, Vocabulary] = {era: Vocabulary.of(era) for era in ERAS}
MIGRATION_016 = VOCABULARIES[E016]
"""The eleven triggers of the service as migration 016 left it."""
NEWEST = VOCABULARIES[NEWEST_ERA]
"""The newest service version this tool knows: what `sessions-tui reasons` lists when
there is no database to ask (the Store's `vocabulary` says which one a database uses)."""


class InvalidEndReason(ValueError):
    """An operator asked to end a session with a reason that is not a deactivating trigger
    of the service version in front of the tool; the message names both."""

    def __init__(self, given: str, vocabulary: Vocabulary) -> None:
        self.given = given
        self.vocabulary = vocabulary
        valid = ", ".join(t.wire for t in vocabulary.deactivating) or "none (no reasons stored)"
        super().__init__(
            f"{given!r} is not a deactivating trigger of {vocabulary.name}; valid reasons: {valid}"
        )


# -- which era a database is from ----------------------------------------------------------


class SchemaMarkers(Struct, frozen=True):
    """What the schema says about the newest service version that opened the database
    (the service applies its schema additively on every connect)."""

    ended_reason: bool
    """`remote_agent_sessions.ended_reason`: migration 016 (2026-02-16)."""
    codebase_env_vars: bool = False
    """`remote_agent_codebase_env_vars`: main from 2026-04-02, the six-trigger era."""
    codebase_kind: bool = False
    """`remote_agent_codebases.kind`: v0.6.0."""
    schema_version_table: bool = False
    """`remote_agent_schema_version`: v0.7.0."""
    app_version: str | None = None
    """Its row's `app_version` (None without a row): the build that last applied the schema."""
    created_app_version: str | None = None
    """Its row's `created_app_version`: None when the database predates the table."""


class Detection(Struct, frozen=True):
    """The service version a database is from, and how the tool knows."""

    era: Era
    version: str
    """As an operator would say it: "v0.9.0", "dev build (v0.7.0 on)", "v0.6.x"."""
    how: str
    """The evidence, for `sessions-tui info`."""
    markers: SchemaMarkers

    @property
    def vocabulary(self) -> Vocabulary:
        """The era's triggers, named by the version detected.

        A database from before 016 stores no reason: ending there first needs
        `sessions-tui migrate`, which adds migration 016's column, so 016's triggers are
        the ones listed and checked (the refusal then names the migration)."""
        era = max(self.era, E016)
        return replace(VOCABULARIES[era], version=self.version)


_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def _semver(text: str | None) -> tuple[int, int, int] | None:
    match = _SEMVER.match(text.strip()) if text else None
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def _era_of_release(version: tuple[int, int, int]) -> Era:
    """The newest era whose first release is not after `version`."""
    released = [era for era in ERAS if era.version is not None and era.version <= version]
    return released[-1] if released else V0_2_13


def detect_era(markers: SchemaMarkers) -> Detection:
    """Decide the era: a released `app_version` says it outright; a `dev` build (a
    source checkout) or a missing row falls back to the schema markers, newest first."""
    svt = "remote_agent_schema_version"
    if markers.schema_version_table:
        release = _semver(markers.app_version)
        if release is not None:
            shown = "v{}.{}.{}".format(*release)
            return Detection(
                _era_of_release(release),
                shown,
                f"{svt}.app_version = {markers.app_version!r}",
                markers,
            )
        if markers.app_version is None:
            why = f"{svt} exists (v0.7.0 on) but has no row"
            shown = "v0.7.0 on"
        else:
            why = (
                f"{svt}.app_version = {markers.app_version!r} (not a release: a source "
                "checkout); the table exists from v0.7.0 on"
            )
            shown = f"{safe_text(markers.app_version)[:40]} build (v0.7.0 on)"
        return Detection(V0_6_0, shown, why, markers)
    if markers.codebase_kind:
        why = f"remote_agent_codebases.kind exists (v0.6.0 on), {svt} does not (v0.7.0 on)"
        return Detection(V0_6_0, "v0.6.x", why, markers)
    if markers.codebase_env_vars:
        why = (
            "remote_agent_codebase_env_vars exists (main from 2026-04-02, v0.2.13 on), "
            "remote_agent_codebases.kind does not (v0.6.0 on)"
        )
        return Detection(V0_2_13, "v0.2.13 to v0.5.x", why, markers)
    if markers.ended_reason:
        why = (
            "remote_agent_sessions.ended_reason exists (migration 016), "
            "remote_agent_codebase_env_vars does not (2026-04-02 on)"
        )
        return Detection(E016, "016 (main)", why, markers)
    why = "remote_agent_sessions has no ended_reason column (added by migration 016)"
    return Detection(PRE_016, "pre-016", why, markers)
