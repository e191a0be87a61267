"""Store calls as the app's workers make them: shielded, timed, one message each.

Nothing here touches a widget: an owner's `@work` method (the App's, a screen's)
awaits one of these and posts what it returns. Failures are not caught here: they
end the worker in the ERROR state and its owner's `on_worker_state_changed` reports
them, through `as_store_error`. The one exception is re-reading rows after an end
has committed (see `write_end`).

`tui.store.store` (and with it SQLAlchemy) is imported only by `open_database`, in a
thread, after the first rows are painted: no module of the app imports it at load.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime
from importlib import import_module
from time import perf_counter
from typing import TYPE_CHECKING, Any, TypeVar

from msgspec.structs import replace

from tui.app.messages import (
    DetailLoaded,
    FacetsLoaded,
    LoadMode,
    MatchesSelected,
    PageLoaded,
    SelectionChecked,
    SessionsEnded,
    SparksLoaded,
    StuckCountsLoaded,
)
from tui.domain.models import Cursor, Page, ReasonFacets, SessionFilter, SessionRow, SortKey
from tui.domain.trends import SPARK_DAYS
from tui.domain.wording import no_audit_note
from tui.store.errors import EndInterrupted, StoreError
from tui.store.warm import first_page

if TYPE_CHECKING:
    from tui.settings import Settings
    from tui.store.store import Store
    from tui.store.target import DbTarget


T = TypeVar("T")


class InFlight:
    """Every store call still running, each run to its end even when its worker is cancelled.

    Cancelling aiosqlite mid-query leaves SQLAlchemy waiting forever on a close. A
    superseded call finishes in the background and its answer is dropped (its worker
    is gone, or the generation check refuses it); the App waits for the stragglers,
    bounded, before closing the pool.
    One set for the whole app: a popped screen's call is settled like any other.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    async def run(self, call: Coroutine[Any, Any, T]) -> T:
        """`call`'s answer. Its first step runs at once, in the caller's turn of the event
        loop: a call that answers without waiting (a SQLite page read on the loop) is
        never in flight, and no frame or other worker runs between the ask and the
        answer. A call that waits goes on in a task of its own (`_go_on`), which the
        caller's cancellation does not reach, and hands its answer to the caller in its
        last step."""
        try:
            waiting = call.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()
        task = loop.create_task(_go_on(call, waiting, answer))
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return await answer

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a dropped answer's error is not "never retrieved"

    async def settle(self, limit: float) -> None:
        """Let in-flight store calls finish (bounded) so the pool closes cleanly."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=limit)


async def _go_on(call: Coroutine[Any, Any, T], waiting: Any, answer: asyncio.Future[T]) -> None:
    """Run `call` on from where its first step stopped, as a task runs a coroutine:
    `waiting` is what the step yielded, the future it waits for (None: a bare turn of the
    loop), which this task then waits for itself. When the future is done the call is
    resumed and reads its outcome itself; this task cancelled (the loop closing) is the
    call cancelled. The call's answer or error goes to `answer`, unless its caller
    stopped waiting."""
    try:
        while True:
            try:
                if waiting is None:
                    await asyncio.sleep(0)
                else:
                    # What a task does with a future its coroutine yields: the future's
                    # flag (asyncio's protocol) says "yielded, not yet taken".
                    waiting._asyncio_future_blocking = False
                    await waiting
            except BaseException as exc:
                if _own(exc, waiting):
                    waiting = call.throw(exc)
                    continue
            waiting = call.send(None)
    except StopIteration as done:
        if not answer.done():
            answer.set_result(done.value)
    except asyncio.CancelledError:
        answer.cancel()
        raise
    except BaseException as exc:
        if not answer.done():
            answer.set_exception(exc)
        if not isinstance(exc, Exception):
            raise


def _own(exc: BaseException, waiting: Any) -> bool:
    """Whether `exc`, raised by awaiting `waiting`, is this task's own cancellation
    rather than the future's outcome (which the call reads from the future itself)."""
    if waiting is None or not waiting.done():
        return True
    return isinstance(exc, asyncio.CancelledError) and not waiting.cancelled()


def as_store_error(error: BaseException | None, target: DbTarget) -> StoreError:
    """What a failed worker says: a StoreError as it is, anything else named and scrubbed."""
    if isinstance(error, StoreError):
        return error
    return StoreError(target.scrub(f"unexpected {type(error).__name__}: {error}"))


async def warm_page(
    settings: Settings, generation: int, early: Future[Page | None] | None = None
) -> PageLoaded | None:
    """The default first page through the bare driver, while SQLAlchemy is not loaded:
    the one `early` began before Textual was imported (`warm.start`), or read now."""
    started = perf_counter()
    if early is not None:
        page = await asyncio.wrap_future(early)
    else:
        page = await first_page(
            settings.target,
            settings.page_size,
            stale_after=settings.stale_after,
            now=settings.clock(),
        )
    return warm_loaded(page, generation, started)


def warm_loaded(page: Page | None, generation: int, started: float) -> PageLoaded | None:
    """The warm page as the list takes it (None: the bare driver declined); `started`:
    when the app began waiting for it (`perf_counter`)."""
    if page is None:
        return None
    elapsed = (perf_counter() - started) * 1000
    return PageLoaded(
        generation,
        LoadMode.REPLACE,
        page.rows,
        page.next_cursor,
        elapsed,
        warm=True,
        duplicates_unknown=page.duplicates_unknown,
    )


async def open_database(settings: Settings) -> Store:
    # SQLAlchemy is imported here, in a thread, after the first frame is on screen.
    module = await asyncio.to_thread(import_module, "tui.store.store")
    store: Store = await module.open_store(
        settings.target,
        read_only=settings.read_only,
        stale_after=settings.stale_after,
        clock=settings.clock,
        statement_timeout=settings.statement_timeout or None,
        read_only_why=settings.read_only_why,
    )
    store.run_quiet_after = settings.setting("run_quiet_after")
    return store


async def read_page(
    run: InFlight,
    store: Store,
    generation: int,
    flt: SessionFilter,
    sort: SortKey,
    cursor: Cursor | None,
    limit: int,
    mode: LoadMode,
    *,
    ascending: bool = False,
    from_end: bool = False,
    window: int | None = None,
) -> PageLoaded:
    """A page in the list's order (`ascending` or not); `from_end` reads it from the
    other end of the list (G, the page above the window), and returns its rows in the
    list's order with the cursor that goes on upwards as `prev_cursor`."""
    started = perf_counter()
    if window is not None:  # a free-text search, newest first: one window at a time
        page = await run.run(store.search_window(flt, cursor, limit, window))
        elapsed = (perf_counter() - started) * 1000
        return PageLoaded(
            generation,
            mode,
            page.rows,
            page.next_cursor,
            elapsed,
            resume=page.resume,
            searched=page.searched,
        )
    page = await run.run(
        store.list_sessions(flt, sort, cursor, limit, ascending=ascending != from_end)
    )
    elapsed = (perf_counter() - started) * 1000
    if from_end:
        return PageLoaded(
            generation, mode, page.rows[::-1], None, elapsed, prev_cursor=page.next_cursor
        )
    return PageLoaded(generation, mode, page.rows, page.next_cursor, elapsed)


async def read_facets(
    run: InFlight,
    store: Store,
    generation: int,
    flt: SessionFilter,
    totals: bool,
    recount: bool = False,
    window: int | None = None,
) -> FacetsLoaded:
    """One GROUP BY under the non-reason filters; the whole table's only when asked.

    The filtered count is derived from the groups (ReasonFacets.matching), so a
    reason-only change needs no query at all: the main screen reuses the last facets.
    `recount` (the operator's refresh) skips the store's settled counts. `window`:
    among the newest this many sessions only (`Store.reason_counts_in`).
    """
    base = flt.without_reasons()
    started = perf_counter()
    if window is not None:
        facets = await run.run(store.reason_counts_in(base, window))
    else:
        facets = await run.run(store.reason_counts(base, recount=recount))
    whole: ReasonFacets | None = None
    if base.is_empty:
        whole = facets
    elif totals:
        whole = await run.run(store.reason_counts(SessionFilter(), recount=recount))
    elapsed = (perf_counter() - started) * 1000
    return FacetsLoaded(generation, base, facets, whole, elapsed, window)


async def read_stuck_counts(
    run: InFlight, store: Store, generation: int, flt: SessionFilter, window: int | None = None
) -> StuckCountsLoaded:
    """The stuck panel's counts: one pass over the active sessions under the filter
    (`window`: of the newest this many sessions only, `Store.stuck_counts_in`)."""
    started = perf_counter()
    covered = None
    if window is not None:
        counts, covered = await run.run(store.stuck_counts_in(flt, window))
    else:
        counts = await run.run(store.stuck_counts(flt))
    elapsed = (perf_counter() - started) * 1000
    return StuckCountsLoaded(generation, counts, elapsed, covered)


async def read_sparks(
    run: InFlight, store: Store, base: SessionFilter, now: datetime
) -> SparksLoaded:
    """The reason panel's sparklines: one grouped statement over the last SPARK_DAYS
    days' ended sessions (an index range), never one per reason."""
    started = perf_counter()
    found = await run.run(store.trends(base, SPARK_DAYS, now=now))
    return SparksLoaded(base, found, (perf_counter() - started) * 1000)


async def read_matches(
    run: InFlight, store: Store, generation: int, flt: SessionFilter, cap: int
) -> MatchesSelected:
    """Every row of the view, newest first, when it holds at most `cap`; else none, with
    the count (one page past the cap says it is passed; the count is then taken)."""
    rows = []
    async for page in run_pages(run, store, flt, cap + 1):
        rows.extend(page.rows)
    if len(rows) <= cap:
        return MatchesSelected(generation, rows, len(rows), cap)
    counted = await run.run(store.counts(flt))
    return MatchesSelected(generation, [], counted.filtered, cap)


async def read_selection(
    run: InFlight, store: Store, generation: int, flt: SessionFilter, ids: frozenset[str]
) -> SelectionChecked:
    """The sessions among `ids` the view `flt` holds, read by id (not the window)."""
    still: list[SessionRow] = []
    async for page in run_pages(run, store, replace(flt, ids=ids), len(ids)):
        still.extend(page.rows)
    return SelectionChecked(generation, ids, still)


async def run_pages(
    run: InFlight,
    store: Store,
    flt: SessionFilter,
    limit: int | None,
    *,
    sort: SortKey = SortKey.STARTED,
    ascending: bool = False,
    page_size: int = 500,
) -> AsyncIterator[Page]:
    """`operations.pages` (the one paging walk), each page read under the app's
    in-flight guard."""
    from tui.store import operations  # the store is open: SQLAlchemy is loaded

    walk = operations.pages(store, flt, sort, limit=limit, page_size=page_size, ascending=ascending)

    async def step() -> Page | None:
        return await anext(walk, None)

    while (page := await run.run(step())) is not None:
        yield page


async def write_end(
    run: InFlight,
    store: Store,
    ids: list[str],
    reason: str,
    actor: str | None,
    kinds: Mapping[str, Sequence[str]] | None = None,
) -> SessionsEnded:
    """End the sessions, then read them back to show them as they now are.

    An end that stopped part-way, or whose last commit's answer was lost, is not a
    failure that "ended nothing": its outcomes are what the database holds, and the
    message says so (`SessionsEnded.interrupted`)."""
    from tui.domain.audit import default_actor
    from tui.store import operations  # the store is open: SQLAlchemy is loaded

    started = perf_counter()
    interrupted: EndInterrupted | None = None
    # The CLI's `end` plans and applies the same way: one plan, one write.
    plan = await run.run(
        operations.plan_end(store, ids, reason, actor or default_actor(), kinds=kinds)
    )
    try:
        outcomes = list(await run.run(operations.apply_end(store, plan)))
    except EndInterrupted as stopped:
        interrupted = stopped
        outcomes = list(stopped.outcomes)
    rows: dict[str, SessionRow] = {}
    reread: StoreError | None = None
    try:
        rows = await run.run(operations.rows_by_id(store, ids))
    except StoreError as error:
        # The one failure caught in a worker: the write has committed, so the
        # failure handler's "nothing was ended" would be false. Say what happened.
        reread = error
    elapsed = (perf_counter() - started) * 1000
    return SessionsEnded(
        reason,
        outcomes,
        rows,
        elapsed,
        reread,
        interrupted=interrupted,
        audit_note=None
        if store.audit_kept
        else no_audit_note(store.schema.audit_table, shape=store.schema.audit_problem),
    )


async def read_detail(run: InFlight, store: Store, session_id: str) -> DetailLoaded:
    detail = await run.run(store.get_session(session_id))
    chain = await run.run(store.session_chain(session_id)) if detail is not None else None
    return DetailLoaded(session_id, detail, chain)
