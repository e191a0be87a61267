"""Typed messages between workers and the widgets that own state.

Workers only call the store and post one of these; `@on` handlers apply them.
Results carry the generation they were asked for, so a late answer to an old
filter is dropped instead of overwriting a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from textual.message import Message

from tui.domain.models import (
    Cursor,
    EndOutcome,
    ReasonFacets,
    SessionChain,
    SessionDetail,
    SessionFilter,
    SessionRow,
)

if TYPE_CHECKING:
    from tui.store.errors import StoreError
    from tui.store.store import Store


class LoadMode(Enum):
    REPLACE = "replace"
    """A new filter or sort: the table starts again at the top."""
    APPEND = "append"
    """The next keyset page, fetched as the cursor nears the end."""
    REFRESH = "refresh"
    """Auto-refresh: the same window again, cursor and scroll kept."""


@dataclass
class StoreOpened(Message):
    store: Store


@dataclass
class PageLoaded(Message):
    generation: int
    mode: LoadMode
    rows: list[SessionRow]
    next_cursor: Cursor | None
    elapsed_ms: float
    warm: bool = False
    """Read by `store.warm` through the bare driver, before the Store was open."""


@dataclass
class WarmMissed(Message):
    """The bare-driver first page was not available: open the Store, which will say why."""


@dataclass
class FacetsLoaded(Message):
    generation: int
    base: SessionFilter
    """The filter the facets were counted under (every filter but the reasons)."""
    facets: ReasonFacets
    totals: ReasonFacets | None
    """The same over the whole table, for the header; None when not re-read."""
    elapsed_ms: float = 0.0
    """Time spent in the store, both counts."""


@dataclass
class SessionsEnded(Message):
    reason: str
    outcomes: list[EndOutcome]
    rows: dict[str, SessionRow]
    """The rows as they are now in the database, to refresh them in place."""
    elapsed_ms: float = 0.0
    """The write and the re-read, in the worker."""
    reread_error: StoreError | None = None
    """The write committed but the rows could not be read back: `rows` is incomplete."""


@dataclass
class DetailLoaded(Message):
    session_id: str
    detail: SessionDetail | None
    chain: SessionChain | None


@dataclass
class Reconnected(Message):
    """The database answers again after a connection failure."""


@dataclass
class EndRequested(Message):
    """Someone (a key, the palette, the detail screen) wants these sessions ended."""

    ids: list[str]
