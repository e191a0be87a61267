"""The session list's columns and exported fields: one entry per fact, read by every output.

`COLUMNS` is what the tables show: the dashboard's table in this order, the CLI's with
the `table_last` columns (stuck, then the reason) at the end. Each column gives its cell
as plain, terminal-safe text; the dashboard only adds styles and its row markers.
`FIELDS` is the session object of `list --format json|csv` and `show --format json`, in
this order: keys and order are a stable interface for scripts, so a new field goes at
the end.

A new fact about a session is one `SessionRow` field (read by the store's query), one
`Column` if the tables show it and one `Field` if scripts get it: nothing else lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from msgspec import Struct

from tui.domain.models import SessionRow, SortKey
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso_z, relative
from tui.domain.wording import (
    DASH,
    conversation_marks,
    odd_active,
    reason_label,
    reason_status,
    short_id,
    started_cell,
    status_word,
    stuck_names,
)

JsonScalar = str | int | bool | None
JsonValue = JsonScalar | list[str]


class Context(Struct, frozen=True):
    """What a cell needs besides its row: the moment relative times count from, and when
    an active session counts as idle (`--stale-after`)."""

    now: datetime
    stale_after: timedelta


class Width(Struct, frozen=True):
    """A column's width on the dashboard and in the CLI's table."""

    screen: int
    """The dashboard's fixed width in cells: its table never measures rows to lay out."""
    table: int | None
    """The CLI table's cap: a longer cell is cut with an ellipsis; None: as wide as the
    widest cell of the first page."""


class Column(Struct, frozen=True):
    """One column of the session tables (`COLUMNS`)."""

    key: str
    """How code names the column (`SessionsTable.cell_text`, tests)."""
    header: str
    """The dashboard's header; the CLI prints it in capitals."""
    width: Width
    value: Callable[[SessionRow, Context], str]
    """The cell as plain text, safe for a terminal; an absent value is a dash."""
    priority: int = 0
    """How useful the column is, 1 the most: when the dashboard is narrower than every
    column, the columns drop out from the highest number down (`fit`)."""
    table_last: bool = False
    """The CLI prints this column last (such columns in this order) and whole: a reason a
    newer service wrote may be long, and a cut one could read as another."""
    grows: bool = False
    """The dashboard gives this column the width no other column uses."""
    sort: SortKey | None = None
    """The list's order when sorted by this column (the dashboard's header, `list
    --sort`); None: not sortable (see `SORTABLE`)."""


def _text(value: object) -> str:
    return safe_text(value) or DASH


def conversation_label(row: SessionRow) -> str:
    """The conversation as an operator knows it: its title, else the platform's id for it,
    else the service's id, else a dash."""
    return _text(row.title or row.platform_conversation_id or row.conversation_id)


def stuck_of(row: SessionRow, ctx: Context) -> tuple[str, ...]:
    """The kinds the row is in, by name: those the store found, `idle` judged at `ctx.now`
    (the same rule; a row read a while ago may have gone quiet since)."""
    return tuple(k.wire for k in row.with_idle(ctx.now, ctx.stale_after).stuck)


def stuck_cell(row: SessionRow, ctx: Context) -> str:
    return stuck_names(row.with_idle(ctx.now, ctx.stale_after).stuck)


def conversation_cell(row: SessionRow) -> str:
    """The label, after `✗` when the conversation is deleted and `◌` when hidden: the
    mark goes where the conversation is named, since the session's own status is unchanged."""
    marks = conversation_marks(row)
    label = conversation_label(row)
    return f"{marks} {label}" if marks else label


COLUMNS: tuple[Column, ...] = (
    Column(
        "status",
        "status",
        Width(8, None),
        lambda r, c: status_word(r, c.now, c.stale_after),
        priority=1,
    ),
    # Next to the status it qualifies; orphaned,idle whole, three kinds cut (the panel
    # and the detail name them all). The CLI prints it whole, last but the reason, where
    # a list of kinds cannot push the other columns about.
    Column("stuck", "stuck", Width(13, None), stuck_cell, priority=6, table_last=True),
    Column(
        "reason",
        "ended_reason",
        Width(19, None),  # conversation-closed, the longest trigger, whole
        lambda r, c: odd_active(r.active_value) if r.active_value else reason_label(r.reason),
        priority=2,
        table_last=True,
    ),
    Column("id", "id", Width(8, None), lambda r, c: short_id(r.id), priority=3),
    Column("platform", "platform", Width(8, 12), lambda r, c: _text(r.platform_type), priority=8),
    Column(
        "conversation",
        "conversation",
        Width(18, 40),
        lambda r, c: conversation_cell(r),
        priority=4,
        grows=True,
    ),
    Column("owner", "owner", Width(10, 36), lambda r, c: _text(r.owner), priority=10),
    Column("codebase", "codebase", Width(12, 20), lambda r, c: _text(r.codebase_name), priority=9),
    Column(
        "assistant", "agent", Width(7, 10), lambda r, c: _text(r.ai_assistant_type), priority=12
    ),
    Column(
        "started",
        "started",
        Width(7, 12),
        lambda r, c: started_cell(r, c.now),
        priority=5,
        sort=SortKey.STARTED,
    ),
    Column(
        "ended",
        "ended",
        Width(7, 12),
        lambda r, c: relative(r.ended_at, c.now) if r.ended else DASH,
        priority=7,
        sort=SortKey.ENDED,
    ),
    Column(
        "duration",
        "lasted",
        Width(6, 10),
        lambda r, c: human_duration(r.duration(c.now)),
        priority=11,
        sort=SortKey.DURATION,
    ),
)
"""Priorities: what an operator needs to tell sessions apart and see why they ended
first (status, reason, id, conversation), then when it started, its kinds of stuck (the
status already says "stuck"), when it ended, then where (platform, codebase, owner),
then how long and which agent."""

PAD = 1
"""Blank cells on each side of a dashboard column."""


class Fits(Protocol):
    """What `fit` reads of a column: its width, how useful it is, whether it grows."""

    @property
    def width(self) -> Width: ...

    @property
    def priority(self) -> int: ...

    @property
    def grows(self) -> bool: ...


K = TypeVar("K", bound=Fits)


class Placed(Struct, Generic[K], frozen=True):
    """A column as the dashboard lays it out: which one, and how many cells it gets."""

    column: K
    index: int
    """Its place in its columns (`COLUMNS`, and in a row's cells)."""
    width: int


def fit(available: int, *, wide: bool = False) -> tuple[Placed[Column], ...]:
    """The session columns that fit in `available` cells (`fit_columns` over `COLUMNS`)."""
    return fit_columns(COLUMNS, available, wide=wide)


def fit_columns(
    columns: Sequence[K], available: int, *, wide: bool = False
) -> tuple[Placed[K], ...]:
    """The columns that fit in `available` cells, in their order.

    Columns are taken by priority while the next one fits: a more useful column is never
    dropped while a less useful one shows. The growing column gets the width left over.
    `wide` shows every column whatever the width (the table scrolls sideways) with the
    growing column at least as wide as the CLI's.
    """
    by_priority = sorted(range(len(columns)), key=lambda i: columns[i].priority)
    chosen: set[int] = set()
    used = 0
    for i in by_priority:
        need = columns[i].width.screen + 2 * PAD
        if not wide and chosen and used + need > available:
            break
        chosen.add(i)
        used += need
    spare = max(0, available - used)
    placed = []
    for i in sorted(chosen):
        column = columns[i]
        width = column.width.screen
        if column.grows:
            width += spare
            if wide and column.width.table is not None:
                width = max(width, column.width.table)
        placed.append(Placed(column, i, width))
    return tuple(placed)


SORTABLE: dict[str, SortKey] = {c.key: c.sort for c in COLUMNS if c.sort is not None}
"""The columns `list --sort` orders by, either way. The other columns are not sortable:
each would sort a million rows per page, or a joined table's (titles, owners)."""
INDEXED_SORTS: dict[str, SortKey] = {
    key: sort for key, sort in SORTABLE.items() if sort in (SortKey.STARTED, SortKey.ENDED)
}
"""The sorts the dashboard offers: those an index keeps cheap on a large table, a page
costing what it costs sorted by start (started: ix_sessions_tui_started; ended:
ix_sessions_tui_ended, the ended sessions and then the active ones). `lasted` has no
index (a duration is computed, and an active session's grows): its first page sorts
every filtered row, so only `list --sort duration`, a script's one
complete answer, orders by it."""
NOT_SORTABLE = "no index keeps that order cheap on a large table"
"""Why a column is not sortable, for the dashboard to say when its header is clicked."""


def sort_name(sort: SortKey, ascending: bool) -> str:
    """A sort as `list --sort`/`--asc` and the cursor tokens name it."""
    return f"{sort.value}:asc" if ascending else sort.value


class Field(Struct, frozen=True):
    """One key of the session object scripts get (`FIELDS`)."""

    key: str
    value: Callable[[SessionRow, Context], JsonValue]
    """The raw value: whole ids, stored strings, ISO-8601 UTC times (`iso_z`), or None;
    a list of names for the stuck kinds (CSV joins it with commas)."""


def _seconds(row: SessionRow, ctx: Context) -> int | None:
    duration = row.duration(ctx.now)
    return None if duration is None else int(duration.total_seconds())


FIELDS: tuple[Field, ...] = (
    Field("id", lambda r, c: r.id),
    Field("active", lambda r, c: None if r.odd else r.active),
    Field("reason_status", lambda r, c: reason_status(r.active, r.ended_reason, r.odd)),
    Field("ended_reason", lambda r, c: r.ended_reason),
    Field("started_at", lambda r, c: iso_z(r.started_at)),
    Field("ended_at", lambda r, c: iso_z(r.ended_at)),
    Field("duration_seconds", _seconds),
    Field("transition_reason", lambda r, c: r.transition_reason),
    Field("parent_session_id", lambda r, c: r.parent_session_id),
    Field("conversation_id", lambda r, c: r.conversation_id),
    Field("platform", lambda r, c: r.platform_type),
    Field("platform_conversation_id", lambda r, c: r.platform_conversation_id),
    Field("title", lambda r, c: r.title),
    Field("codebase_id", lambda r, c: r.codebase_id),
    Field("codebase", lambda r, c: r.codebase_name),
    Field("assistant", lambda r, c: r.ai_assistant_type),
    Field("last_activity_at", lambda r, c: iso_z(r.last_activity_at)),
    Field("owner", lambda r, c: r.owner),
    Field("conversation_deleted", lambda r, c: r.conversation_deleted),
    Field("conversation_hidden", lambda r, c: r.conversation_hidden),
    Field("stuck", lambda r, c: list(stuck_of(r, c))),
    Field("active_stored", lambda r, c: r.active_value),
    Field("started_at_stored", lambda r, c: r.started_at_text),
    Field("conversation_codebase_id", lambda r, c: r.conversation_codebase_id),
)
FIELD_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS)
"""Keys of a session object in JSON, and the CSV header, in this order."""


def export(row: SessionRow, ctx: Context) -> dict[str, JsonValue]:
    """A row as the stable JSON/CSV session object."""
    return {f.key: f.value(row, ctx) for f in FIELDS}
