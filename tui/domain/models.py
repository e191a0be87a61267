"""Plain data models shared by the store, the CLI and the app."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from msgspec.structs import replace

from tui.domain.stuck import StuckKind
from tui.domain.triggers import KNOWN_REASONS, NotRecorded, Reason, Trigger, parse_reason

if TYPE_CHECKING:
    from tui.domain.session_detail import ChainHop as ChainHop
    from tui.domain.session_detail import Metadata as Metadata
    from tui.domain.session_detail import SessionChain as SessionChain
    from tui.domain.session_detail import SessionDetail as SessionDetail
    from tui.domain.session_detail import WorkflowRun as WorkflowRun

DETAIL = frozenset({"ChainHop", "Metadata", "SessionChain", "SessionDetail", "WorkflowRun"})
"""One session's detail (`session_detail`), named here too: loaded when first asked for,
so the list (the dashboard's first frame) never pays for it."""


def __getattr__(name: str) -> Any:
    if name in DETAIL:
        from tui.domain import session_detail

        return getattr(session_detail, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Status(Enum):
    ACTIVE = "active"
    ENDED = "ended"
    ALL = "all"


class SortKey(Enum):
    """Sort orders the list offers; every one is newest/largest first and keyset-pageable."""

    STARTED = "started"
    ENDED = "ended"
    DURATION = "duration"


NOT_RECORDED_TOKEN = "<not recorded>"
"""Filter token for ended rows whose reason is NULL (pre-migration-016).

Both tokens share `SessionFilter.reasons` with stored values, so they are spelled as no
service writes a reason (its triggers are kebab-case words): a stored `not-recorded`
stays a value of its own, shown, counted and filtered as stored.
"""
UNRECOGNISED_TOKEN = "<unrecognised>"
"""Filter token for every stored reason outside the known trigger list."""
CLI_REASON_WORDS = {"not-recorded": NOT_RECORDED_TOKEN, "unrecognised": UNRECOGNISED_TOKEN}
"""What an operator types for the tokens (`--reason not-recorded`); `=value` is literal."""


def misspelt_reason(word: str) -> str | None:
    """The known reason (or token word) `word` is a near miss of, when it is no known
    value itself: `reset-requsted` → `reset-requested`. A stored value that really is
    spelled so is still reachable as `=word`, which is never second-guessed."""
    if word.startswith("=") or word in KNOWN_REASONS or word in CLI_REASON_WORDS:
        return None
    close = difflib.get_close_matches(word, [*KNOWN_REASONS, *CLI_REASON_WORDS], n=1, cutoff=0.8)
    return close[0] if close else None


def needs_storing(word: str) -> bool:
    """A `--reason` word that names a stored value only: no trigger of any era, no token
    word, no `=value` (taken as typed). It is accepted only where it is stored."""
    return not (word.startswith("=") or word in KNOWN_REASONS or word in CLI_REASON_WORDS)


def nearest_reasons(word: str, stored: Iterable[str] = (), n: int = 3) -> list[str]:
    """The reasons (known triggers, token words, `stored` values) closest to `word`: the
    same value in another case, then those containing it (`closed` → conversation-closed),
    then the closest spellings; at most `n`, none when nothing is near."""
    names = list(dict.fromkeys([*KNOWN_REASONS, *CLI_REASON_WORDS, *stored]))
    typed = word.lower().strip("=")
    by_lower = {name.lower(): name for name in reversed(names)}
    found = [name for name in names if name.lower() == typed]
    found += [name for name in names if typed and typed in name.lower()]
    close = difflib.get_close_matches(typed, list(by_lower), n=n, cutoff=0.6)
    found += [by_lower[c] for c in close]
    return list(dict.fromkeys(found))[:n]


def reason_from_words(word: str) -> str:
    """`--reason` input to a filter value: the two words name the tokens, `=X` is X."""
    if word.startswith("="):
        return word[1:]
    return CLI_REASON_WORDS.get(word, word)


class SessionFilter(Struct, frozen=True):
    """Every list filter; all combine with AND, the reasons among themselves with OR.

    `reasons` holds raw stored values (known or not) plus the two tokens above.
    """

    status: Status = Status.ALL
    reasons: frozenset[str] = frozenset()
    platform: str | None = None
    codebase: str | None = None
    assistant: str | None = None
    since: datetime | None = None
    search: str | None = None
    user: str | None = None
    """The conversation's owner: display name, email or user id, ignoring case."""
    stuck: StuckKind | None = None
    """Only the active sessions in this stuck kind (`tui.domain.stuck`)."""
    ended_since: datetime | None = None
    """Only sessions that ended at or after this time (UTC): a day picked in trends."""
    ended_until: datetime | None = None
    """Only sessions that ended before this time (UTC)."""
    ids: frozenset[str] | None = None
    """Only these sessions (whole ids): a selection checked against a view."""

    def without_reasons(self) -> SessionFilter:
        """Facet counts are taken under every filter but the reason one."""
        return replace(self, reasons=frozenset())

    @property
    def is_empty(self) -> bool:
        return self == SessionFilter()


class Cursor(Struct, frozen=True):
    """Keyset position: the sort key and id of the last row of the previous page.

    `as_of` pins "now" for the duration sort so active rows do not move between pages.
    """

    key: Any
    id: str
    as_of: datetime | None = None
    segment_top: bool = False
    """Not a row but the top of a segment: every row whose key is NULL (`key` None), or
    every row whose key is not (`key` anything else). The store pages across the NULL
    keys with it, since a keyset comparison never reaches them."""


def quiet(
    last_activity_at: datetime | None,
    started_at: datetime | None,
    now: datetime,
    threshold: timedelta,
) -> bool:
    """An active session's part of `SessionRow.is_idle`, for a row not built yet (the
    store's decoder adds `idle` as it builds one)."""
    last = last_activity_at or started_at
    return last is not None and now - last > threshold


class SessionRow(Struct, frozen=True):
    """One line of the session list: the session joined with its conversation and codebase."""

    id: str
    conversation_id: str | None
    codebase_id: str | None
    """The session's own `codebase_id`, as stored: NULL on every session the service
    started from v0.2.13 on (main since 2026-02-18)."""
    ai_assistant_type: str | None
    active: bool
    started_at: datetime | None
    ended_at: datetime | None
    ended_reason: str | None
    transition_reason: str | None
    parent_session_id: str | None
    platform_type: str | None
    platform_conversation_id: str | None
    title: str | None
    last_activity_at: datetime | None
    codebase_name: str | None
    """The name of the session's codebase, else (it stores none) its conversation's."""
    owner: str | None = None
    """The conversation's user: display name, else email, else id; None without one (or
    on a database from before the service's v0.4.0, which had no users)."""
    conversation_deleted: bool = False
    """The service soft-deleted the conversation; that does not end its active session."""
    conversation_hidden: bool = False
    conversation_codebase_id: str | None = None
    """The conversation's own `codebase_id`, as stored (`codebase_id` is the session's)."""
    stuck: tuple[StuckKind, ...] = ()
    """Every stuck kind the store found the session in when it read it (none once it
    has ended), in the table's order; `idle` by `is_idle` at the moment of the read."""
    active_value: str | None = None
    """The stored `active` spelled as SQL would (`2`, `'yes'`, `X'01'`, `NULL`) when it is
    odd: neither of the values the service writes (see `active_state`); None otherwise."""
    started_at_text: str | None = None
    """The stored started_at when it is not a time (SQLite keeps any text: 'not-a-date',
    '4102444800'): `started_at` is None then, and the text is shown marked. It matches
    no `--since` window; sorted newest first, such text comes above every date."""

    @property
    def odd(self) -> bool:
        """`active` holds a value the service never writes: the row is neither active nor
        ended (`active` is False), counted only under `all`, and never ended by this tool."""
        return self.active_value is not None

    @property
    def reason(self) -> Reason | None:
        """None for an active session (it has not ended, so it has no reason) and for an
        odd one (it is not known to have ended)."""
        return None if self.active or self.odd else parse_reason(self.ended_reason)

    def duration(self, now: datetime) -> timedelta | None:
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else now
        return max(end - self.started_at, timedelta(0))

    @property
    def ended(self) -> bool:
        return not self.active and not self.odd

    def is_idle(self, now: datetime, threshold: timedelta) -> bool:
        """The `idle` kind: active, and its conversation quiet (else the session, since
        it started) for longer than `threshold`. The store's `idle` condition is this."""
        return self.active and quiet(self.last_activity_at, self.started_at, now, threshold)

    def with_idle(self, now: datetime, threshold: timedelta) -> SessionRow:
        """The row with `idle` among its kinds when it is idle at `now` (the kinds the
        query found stay): how a read row learns the one kind that depends on the clock."""
        if not self.is_idle(now, threshold) or StuckKind.IDLE in self.stuck:
            return self
        kinds = {StuckKind.IDLE, *self.stuck}
        return replace(self, stuck=tuple(k for k in StuckKind if k in kinds))


class Page(Struct, frozen=True):
    """One page of the list, in its order, and where the next one starts."""

    rows: list[SessionRow]
    next_cursor: Cursor | None
    resume: Cursor | None = None
    """A bounded search (`Store.search_window`) that stopped at its window's floor: where
    the next window starts. None when the search reached the end of the list."""
    searched: int = 0
    """How many sessions (newest first) a bounded search has looked at for this page."""
    duplicates_unknown: bool = False
    """Read without the `duplicate` mark (no index to read it by): its active rows may be
    duplicates not marked as such."""


RECENT_RUNS = 5
"""How many of a conversation's workflow runs the detail and `show` list: the latest."""


class ReasonFacets(Struct, frozen=True):
    """Per-reason counts under the current filter (all but the reason filter)."""

    known: dict[str, int]
    not_recorded: int
    unrecognised: dict[str, int]
    active: int
    groups: tuple[tuple[str | None, bool | None, int], ...] = ()
    """The raw (ended_reason, active, count) groups the figures above were folded from;
    `active` None for an odd stored value (`active_state`)."""
    odd: int = 0
    """Rows whose `active` is neither value the service writes: in `total`, never in
    `active`, never under a reason of their own."""
    window: int | None = None
    """Counted among the newest this many sessions only (a search's window); None:
    among every session."""

    def matching(self, reasons: frozenset[str]) -> int:
        """How many rows the reason filter keeps, without asking the database again.

        Mirrors the store's reason condition exactly, active rows included.
        """
        if not reasons:
            return self.total
        raws = reasons - {NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN}
        kept = 0
        for raw, is_active, count in self.groups:
            if (
                (raw is not None and raw in raws)
                or (NOT_RECORDED_TOKEN in reasons and raw is None and is_active is False)
                or (UNRECOGNISED_TOKEN in reasons and raw is not None and raw not in KNOWN_REASONS)
            ):
                kept += count
        return kept

    @property
    def total(self) -> int:
        return (
            sum(self.known.values())
            + self.not_recorded
            + sum(self.unrecognised.values())
            + self.active
            + self.odd
        )

    @property
    def ended(self) -> int:
        return self.total - self.active - self.odd

    @classmethod
    def from_groups(cls, groups: list[tuple[str | None, bool | None, int]]) -> ReasonFacets:
        """Fold (ended_reason, active, count) groups into facets (active None: odd)."""
        known = dict.fromkeys(KNOWN_REASONS, 0)
        unrecognised: dict[str, int] = {}
        not_recorded = active = odd = 0
        for raw, is_active, count in groups:
            if is_active is None:
                odd += count
                continue
            if is_active:
                active += count
                continue
            reason = parse_reason(raw)
            if isinstance(reason, Trigger):
                known[reason.wire] += count
            elif isinstance(reason, NotRecorded):
                not_recorded += count
            else:
                unrecognised[reason.raw] = unrecognised.get(reason.raw, 0) + count
        return cls(
            known=known,
            not_recorded=not_recorded,
            unrecognised=unrecognised,
            active=active,
            groups=tuple(groups),
            odd=odd,
        )


class Counts(Struct, frozen=True):
    """The header's counts: active, ended and odd over the whole table, and how many
    sessions the filter keeps."""

    active: int
    ended: int
    filtered: int
    odd: int = 0
    """Neither active nor ended: an `active` value the service never writes."""


class Ended(Struct, frozen=True):
    """An end this tool wrote: the session and the reason it was given."""

    id: str
    reason: str


class AlreadyEnded(Struct, frozen=True):
    """Someone else ended it first; their `ended_at` and `ended_reason` are left as they were."""

    id: str
    ended_at: datetime | None
    ended_reason: str | None


class NotFound(Struct, frozen=True):
    """An end asked for a session the database does not hold."""

    id: str


class OddActive(Struct, frozen=True):
    """Not ended: its `active` holds a value the service never writes (`value`, spelled),
    so whether it is running is unknown; the tool leaves such a row to the service."""

    id: str
    value: str


EndOutcome = Ended | AlreadyEnded | NotFound | OddActive
