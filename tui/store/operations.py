"""What the CLI and the dashboard do with a store, above single queries: the one
use-case layer of both front ends.

Uses only the Store's public methods: no SQL here. Walking a filtered view page by page,
reading sessions by id in batches, planning an end (what it would do to each session)
and applying it live here, so a front end only parses its input and renders what
comes back.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence

from msgspec import Struct, field

from tui.domain.models import (
    AlreadyEnded,
    Cursor,
    Ended,
    EndOutcome,
    NotFound,
    OddActive,
    Page,
    SessionFilter,
    SessionRow,
    SortKey,
)
from tui.domain.stuck import StuckKind
from tui.domain.triggers import Detection, Trigger, Vocabulary
from tui.store.errors import StoreError, UnknownSession
from tui.store.sql_dialect import valid_id
from tui.store.store import Store
from tui.store.tables import TOOL_INDEXES

PAGE_SIZE = 100
"""Rows fetched per keyset page when a walk is longer than one page."""
ID_BATCH = 250
"""Sessions read per statement when reading by id (an end's plan, its re-read)."""


async def pages(
    store: Store,
    flt: SessionFilter,
    sort: SortKey,
    *,
    start: Cursor | None = None,
    limit: int | None = None,
    page_size: int = PAGE_SIZE,
    ascending: bool = False,
) -> AsyncIterator[Page]:
    """The filtered view in keyset pages, from `start`, until `limit` rows (None: all),
    in `sort` order, oldest/smallest first with `ascending`.

    The last page yielded carries the cursor to continue from, None when nothing more
    matches; a view that matches nothing yields one empty page.
    """
    remaining = limit
    cursor = start
    while remaining is None or remaining > 0:
        size = page_size if remaining is None else min(page_size, remaining)
        page = await store.list_sessions(flt, sort, cursor, size, ascending=ascending)
        yield page
        if remaining is not None:
            remaining -= len(page.rows)
        if page.next_cursor is None or not page.rows:
            return
        cursor = page.next_cursor


async def ids_of(store: Store, flt: SessionFilter, limit: int) -> list[str]:
    """The ids of the view, newest first, at most `limit` (ask one more than a cap to
    know it is passed): what `end --stuck` and the dashboard's select-all plan from."""
    ids: list[str] = []
    async for page in pages(store, flt, SortKey.STARTED, limit=limit, page_size=500):
        ids.extend(r.id for r in page.rows)
    return ids


async def rows_by_id(
    store: Store, ids: Iterable[str], *, batch: int = ID_BATCH
) -> dict[str, SessionRow]:
    """The list rows of the sessions with these whole ids, `batch` ids per read (at most
    two statements each: the rows with a start time, then those without one). An id
    not found, or one that cannot be an id on this database, is left out."""
    wanted = [i for i in dict.fromkeys(ids) if valid_id(store.d.backend, i)]
    found: dict[str, SessionRow] = {}
    for at in range(0, len(wanted), batch):
        chunk = frozenset(wanted[at : at + batch])
        flt = SessionFilter(ids=chunk)
        async for page in pages(
            store, flt, SortKey.STARTED, limit=len(chunk), page_size=len(chunk)
        ):
            found.update((r.id, r) for r in page.rows)
    return found


class CannotEnd(StoreError):
    """This database cannot be written to by an end (read-only, or no ended_reason column)."""


class EndPlan(Struct, frozen=True):
    """What ending the given sessions would do, read before anything is written.

    `steps` has one expected outcome per session, in the order given, each session once
    (by whole id; an id not found, by what was given): `Ended` for an active session
    (it would be ended with the plan's reason), `AlreadyEnded` with the values it keeps,
    `NotFound`, `OddActive` for an `active` value the service never writes (left alone).
    """

    trigger: Trigger
    actor: str
    steps: tuple[EndOutcome, ...]
    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Session id to the stuck kinds it is in when planned: recorded in its audit row."""

    @property
    def to_end(self) -> int:
        return sum(isinstance(s, Ended) for s in self.steps)

    @property
    def all_would_end(self) -> bool:
        return self.to_end == len(self.steps)


async def plan_end(
    store: Store,
    given: Sequence[str],
    reason: str,
    actor: str,
    kinds: Mapping[str, Sequence[str]] | None = None,
) -> EndPlan:
    """Check the reason against the store's vocabulary (InvalidEndReason), that this
    database can be ended on (CannotEnd), then read the sessions: the whole ids given
    in batches (`rows_by_id`), each prefix resolved on its own, then read in a batch.

    An ambiguous prefix raises AmbiguousId: nothing is planned from a guess. The stuck
    kinds each active session is in when read here go into the plan (and so into its
    audit row), unless `kinds` names them (the dashboard's, as the operator saw them).
    """
    trigger = store.vocabulary.require_deactivating(reason)
    if store.can_end is not None:
        raise CannotEnd(f"cannot end sessions on {store.target.display()}: {store.can_end}")
    steps: dict[str, EndOutcome] = {}
    found_kinds: dict[str, tuple[str, ...]] = {}
    texts = [t.strip() for t in given]
    rows = await rows_by_id(store, [f for t in texts for f in (t, t.lower()) if t])
    resolved: dict[str, str] = {}
    for text in texts:  # a whole id is read above; a prefix is resolved on its own
        if text in rows or text.lower() in rows:
            continue
        with contextlib.suppress(UnknownSession):
            resolved[text] = await store.resolve_id(text)
    rows.update(await rows_by_id(store, [f for f in resolved.values() if f not in rows]))
    for original, text in zip(given, texts, strict=True):
        full = text if text in rows else text.lower() if text.lower() in rows else None
        if full is None:
            full = resolved.get(text)
        if full is None:
            steps.setdefault(original, NotFound(original))
            continue
        if full in steps:
            continue
        row = rows.get(full)
        if row is None:
            steps[full] = NotFound(full)
        elif row.active_value is not None:
            steps[full] = OddActive(full, row.active_value)
        elif row.active:
            steps[full] = Ended(full, trigger.wire)
            if row.stuck:
                found_kinds[full] = tuple(k.wire for k in row.stuck)
        else:
            steps[full] = AlreadyEnded(full, row.ended_at, row.ended_reason)
    if kinds is None:
        carried = found_kinds
    else:
        carried = {sid: tuple(k) for sid, k in kinds.items() if sid in steps}
    return EndPlan(trigger, actor, tuple(steps.values()), carried)


async def apply_end(store: Store, plan: EndPlan) -> tuple[EndOutcome, ...]:
    """End every session the plan found, compare-and-set, in the store's batches
    (`Store.end_sessions`: EndInterrupted when it stops part-way), each with its
    audit row carrying the plan's stuck kinds.

    Each found session is written as it is now, not as it was planned: one ended since
    comes back AlreadyEnded with its own values. The outcomes follow the plan's order.
    """
    kept = (NotFound, OddActive)  # an odd `active` is never written: the plan says why
    found = [s.id for s in plan.steps if not isinstance(s, kept)]
    written = (
        await store.end_sessions(found, plan.trigger.wire, plan.actor, kinds=plan.kinds)
        if found
        else []
    )
    by_id = {o.id: o for o in written}
    return tuple(s if isinstance(s, kept) else by_id[s.id] for s in plan.steps)


class DatabaseInfo(Struct, frozen=True):
    """What `sessions-tui info` reports about the database in front of the tool."""

    backend: str
    database: str
    """`target.display()`: the password masked."""
    detection: Detection
    vocabulary: Vocabulary
    revision: str | None
    """The tool's migration revision (`sessions_tui_alembic_version`); None if never migrated."""
    head_revision: str
    indexes: tuple[str, ...]
    missing_indexes: tuple[str, ...]
    active: int
    ended: int
    odd: int = 0
    """Neither active nor ended: an `active` value the service never writes."""
    without_id: int = 0
    """Sessions with a NULL id: never listed, shown or ended."""
    schema: str | None = None
    """The schema the service's tables are in (PostgreSQL); None on SQLite."""
    audit_table: bool = False
    """The tool's audit table exists."""
    audit_problem: str | None = None
    """What is wrong with its shape (`audit_shape`), if anything."""
    shadowed: tuple[str, ...] = ()
    """Schemas later on the search path that hold a remote_agent_sessions too."""
    undetectable: dict[StuckKind, str] = field(default_factory=dict)
    """The stuck kinds this service version cannot produce, each with why."""


async def database_info(store: Store) -> DatabaseInfo:
    """Read everything `info` reports: the store's detection, the tool's revision and
    indexes, and the session counts."""
    from tui.store import migrate  # Alembic is imported only by the commands that need it

    counts = await store.counts()
    revision = await migrate.current_revision(store.target)
    return DatabaseInfo(
        backend=store.target.kind,
        database=store.target.display(),
        detection=store.detection,
        vocabulary=store.vocabulary,
        revision=revision,
        head_revision=migrate.head_revision(),
        indexes=TOOL_INDEXES,
        missing_indexes=store.missing_indexes,
        active=counts.active,
        ended=counts.ended,
        odd=counts.odd,
        without_id=await store.sessions_without_id(),
        schema=store.schema.schema,
        audit_table=store.schema.audit_table,
        audit_problem=store.schema.audit_problem,
        shadowed=store.schema.shadowed,
        undetectable=dict(store.undetectable),
    )
