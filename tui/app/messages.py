"""Typed messages between workers and the screens (or the App) that own state.

Workers only call the store and post one of these to their owner; `@on` handlers
apply them. Results carry the generation they were asked for, so a late answer to
an old filter is dropped instead of overwriting a newer one.

None of them bubble: each is addressed to the one node that owns what it changes
(a screen's result must not reach the App; a link's connection events go to its
main screen).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from tui.app.list_controller import LoadMode as LoadMode
from tui.domain.models import (
    Cursor,
    EndOutcome,
    ReasonFacets,
    SessionFilter,
    SessionRow,
)
from tui.domain.stuck import StuckKind
from tui.domain.trends import Trends

if TYPE_CHECKING:
    from tui.domain.session_detail import SessionChain, SessionDetail
    from tui.store.errors import StoreError
    from tui.store.store import Store


# -- the connection (link -> its main screen) -------------------------------------


@dataclass
class StoreOpened(Message, bubble=False):
    """The Store is open: its vocabulary and `can_end` are known from now on."""

    store: Store


@dataclass
class WarmMissed(Message, bubble=False):
    """The bare-driver first page was not available: open the Store, which will say why."""


@dataclass
class OpenFailed(Message, bubble=False):
    """The database could not be opened (the link retries when the error is retryable)."""

    error: str
    """Already passed through `safe_text`."""


@dataclass
class FileMoved(Message, bubble=False):
    """The path no longer names the SQLite file that was open: the link reopens it."""

    why: str
    """`Store.file_changed`'s words (the path masked as everywhere)."""


@dataclass
class Disconnected(Message, bubble=False):
    """A store call failed in a way that may pass: the link probes until it answers."""


@dataclass
class Reconnected(Message, bubble=False):
    """The database answers again after a connection failure."""

    reread: bool = True
    """A probe answered: re-read the list. False when a page itself came through."""


# -- the list (MainScreen's workers -> MainScreen) ------------------------------------


@dataclass
class PageLoaded(Message, bubble=False):
    """Rows for the list's question `generation`, to place as `mode` says."""

    generation: int
    mode: LoadMode
    rows: list[SessionRow]
    next_cursor: Cursor | None
    elapsed_ms: float
    warm: bool = False
    """Read by `store.warm` through the bare driver, before the Store was open."""
    duplicates_unknown: bool = False
    """Read without the `duplicate` mark (`Page.duplicates_unknown`)."""
    prev_cursor: Cursor | None = None
    """Where the rows above these go on (read in the other direction); None when the
    first of them is the first row of the list."""
    resume: Cursor | None = None
    """A bounded search stopped at its window's floor: where the next window starts."""
    searched: int = 0
    """Sessions a bounded search's window covered (0: not a bounded search)."""


@dataclass
class FacetsLoaded(Message, bubble=False):
    """The reason counts for the list's question `generation`."""

    generation: int
    base: SessionFilter
    """The filter the facets were counted under (every filter but the reasons)."""
    facets: ReasonFacets
    totals: ReasonFacets | None
    """The same over the whole table, for the header; None when not re-read."""
    elapsed_ms: float = 0.0
    """Time spent in the store, both counts."""
    window: int | None = None
    """The counts window asked for (`ReasonsWanted.window`)."""


@dataclass
class ReasonsWanted(Message, bubble=False):
    """To the reason panel: count the reasons under every filter of `flt` but the
    reasons (its `generation`); `totals`: the whole table's too, for the header;
    `recount`: skip the store's settled counts (the operator's r). The answer goes to
    the list screen as one FacetsLoaded."""

    generation: int
    flt: SessionFilter
    totals: bool
    recount: bool = False
    window: int | None = None
    """Count among the newest this many sessions only (a search's window); None: all."""


@dataclass
class CountsWanted(Message, bubble=False):
    """To a counting panel: count under the list's question `flt` (its `generation`).

    `fresh_data`: the same question re-read (a refresh tick), counted at most every so
    often unless `recount` (the operator's r); `after_end`: at once, not remembered."""

    generation: int
    flt: SessionFilter
    fresh_data: bool = False
    recount: bool = False
    after_end: bool = False
    window: int | None = None
    """Count among the newest this many sessions only (a search's window); None: all."""


@dataclass
class StuckCountsLoaded(Message):
    """The stuck panel's counts, to the panel; they go on up to the screen unhandled
    (the benchmark times them there)."""

    generation: int
    counts: dict[StuckKind, int | None]
    """Active sessions per kind under every filter but the stuck one; None: the kind is
    not detectable on this service version."""
    elapsed_ms: float = 0.0
    window: int | None = None
    """Counted among the newest this many sessions only; None: among all of them."""


@dataclass
class SparksLoaded(Message, bubble=False):
    """The reason panel's sparklines: ended sessions per day and reason, last 14 days."""

    base: SessionFilter
    """The filter they were counted under (the facets' base)."""
    trends: Trends
    elapsed_ms: float = 0.0


@dataclass
class MatchesSelected(Message, bubble=False):
    """Select-all's answer: every row of the view, or none when more than the cap match."""

    generation: int
    rows: Sequence[Any]
    matched: int | None
    """How many rows the view holds (more than the cap: `rows` is empty); None: more
    than the cap, not counted."""
    cap: int


@dataclass
class SelectionChecked(Message, bubble=False):
    """Which of the selected rows the window did not show the view still holds."""

    generation: int
    checked: frozenset[str]
    still: Sequence[Any]


@dataclass
class SessionsEnded(Message, bubble=False):
    """The end flow's one result: posted to the main screen, and to the screen the end
    was started from when that is another one (a detail screen re-reads itself)."""

    reason: str
    outcomes: list[EndOutcome]
    rows: dict[str, SessionRow]
    """The rows as they are now in the database, to refresh them in place."""
    elapsed_ms: float = 0.0
    """The write and the re-read, in the worker."""
    reread_error: StoreError | None = None
    """The write committed but the rows could not be read back: `rows` is incomplete."""
    interrupted: StoreError | None = None
    """The end stopped part-way or lost a commit's answer (`EndInterrupted`): `outcomes`
    are the sessions the database was found to hold; its message says the rest."""
    audit_note: str | None = None
    """No audit row was kept for this end, and why (the screen says it once)."""


# -- one session (DetailScreen's worker -> DetailScreen) ------------------------------


@dataclass
class DetailLoaded(Message, bubble=False):
    """One session's detail and chain, read for the detail screen (None: not found)."""

    session_id: str
    detail: SessionDetail | None
    chain: SessionChain | None


RESULTS = (
    StoreOpened,
    WarmMissed,
    OpenFailed,
    Disconnected,
    Reconnected,
    PageLoaded,
    FacetsLoaded,
    StuckCountsLoaded,
    SparksLoaded,
    MatchesSelected,
    SessionsEnded,
    DetailLoaded,
)
"""Messages workers post that update widgets: dropped once the app is shutting down."""
