"""The app's database workers: each calls the store and posts one typed message.

They never touch a widget. Failures are not caught here: they end the worker in
the ERROR state and the app's single `on_worker_state_changed` handler reports them.
The one exception is re-reading rows after an end has committed (see `end_sessions`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from importlib import import_module
from time import perf_counter
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.message_pump import MessagePump

from tui.app.messages import (
    DetailLoaded,
    FacetsLoaded,
    LoadMode,
    PageLoaded,
    Reconnected,
    SessionsEnded,
    StoreOpened,
    WarmMissed,
)
from tui.domain.models import Cursor, ReasonFacets, SessionFilter, SessionRow, SortKey
from tui.store.errors import StoreError
from tui.store.warm import first_page

if TYPE_CHECKING:
    from tui.settings import Settings
    from tui.store.store import Store


T = TypeVar("T")


def _forget(inflight: set[asyncio.Future[Any]]) -> Callable[[asyncio.Future[Any]], None]:
    def done(task: asyncio.Future[Any]) -> None:
        inflight.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a dropped answer's error is not "never retrieved"

    return done


class DataWorkers(MessagePump):
    """Mixed into the App so every worker has one owner and one failure handler."""

    settings: Settings
    store: Store | None

    _inflight: set[asyncio.Future[Any]]

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the database is not open yet")
        return self.store

    async def _db(self, call: Coroutine[Any, Any, T]) -> T:
        """Run a store call to its end even when its worker is cancelled.

        Cancelling aiosqlite mid-query leaves SQLAlchemy waiting forever on a close,
        which hung the quit in 5 of 8 benchmark runs. A superseded query now finishes
        in the background and its answer is dropped by the generation check.
        """
        task = asyncio.ensure_future(call)
        self._inflight.add(task)
        task.add_done_callback(_forget(self._inflight))
        return await asyncio.shield(task)

    async def settle_database(self, limit: float) -> None:
        """Let in-flight store calls finish (bounded) so the pool closes cleanly."""
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=limit)

    @work(exclusive=True, group="warm", exit_on_error=False)
    async def warm_page(self, generation: int, limit: int) -> None:
        """The default first page through the bare driver, while SQLAlchemy is not loaded."""
        started = perf_counter()
        page = await first_page(self.settings.target, limit)
        if page is None:
            self.post_message(WarmMissed())
            return
        elapsed = (perf_counter() - started) * 1000
        self.post_message(
            PageLoaded(
                generation, LoadMode.REPLACE, page.rows, page.next_cursor, elapsed, warm=True
            )
        )

    @work(exclusive=True, group="open", exit_on_error=False)
    async def open_database(self) -> None:
        # SQLAlchemy is imported here, in a thread, after the first frame is on screen.
        module = await asyncio.to_thread(import_module, "tui.store.store")
        store = await module.open_store(self.settings.target, read_only=self.settings.read_only)
        self.post_message(StoreOpened(store))

    @work(exclusive=True, group="list", exit_on_error=False)
    async def load_page(
        self,
        generation: int,
        flt: SessionFilter,
        sort: SortKey,
        cursor: Cursor | None,
        limit: int,
        mode: LoadMode,
    ) -> None:
        started = perf_counter()
        page = await self._db(self._store().list_sessions(flt, sort, cursor, limit))
        elapsed = (perf_counter() - started) * 1000
        self.post_message(PageLoaded(generation, mode, page.rows, page.next_cursor, elapsed))

    @work(exclusive=True, group="facets", exit_on_error=False)
    async def load_facets(
        self, generation: int, flt: SessionFilter, totals: bool, recount: bool = False
    ) -> None:
        """One GROUP BY under the non-reason filters; the whole table's only when asked.

        The filtered count is derived from the groups (ReasonFacets.matching), so a
        reason-only change needs no query at all: the app reuses the last facets.
        `recount` (the operator's refresh) skips the store's settled counts.
        """
        store = self._store()
        base = flt.without_reasons()
        started = perf_counter()
        facets = await self._db(store.reason_counts(base, recount=recount))
        whole: ReasonFacets | None = None
        if base.is_empty:
            whole = facets
        elif totals:
            whole = await self._db(store.reason_counts(SessionFilter(), recount=recount))
        elapsed = (perf_counter() - started) * 1000
        self.post_message(FacetsLoaded(generation, base, facets, whole, elapsed))

    @work(group="end", exit_on_error=False)
    async def end_sessions(self, ids: list[str], reason: str, actor: str | None) -> None:
        """Not exclusive: a write in flight is never cancelled by the next one."""
        store = self._store()
        started = perf_counter()
        outcomes = await self._db(store.end_sessions(ids, reason, actor))
        rows: dict[str, SessionRow] = {}
        reread: StoreError | None = None
        try:
            for sid in ids:
                detail = await self._db(store.get_session(sid))
                if detail is not None:
                    rows[sid] = detail.row
        except StoreError as error:
            # The one failure caught in a worker: the write has committed, so the
            # failure handler's "nothing was ended" would be false. Say what happened.
            reread = error
        elapsed = (perf_counter() - started) * 1000
        self.post_message(SessionsEnded(reason, outcomes, rows, elapsed, reread))

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def load_detail(self, session_id: str, reply_to: MessagePump) -> None:
        store = self._store()
        detail = await self._db(store.get_session(session_id))
        chain = await self._db(store.session_chain(session_id)) if detail is not None else None
        reply_to.post_message(DetailLoaded(session_id, detail, chain))

    @work(exclusive=True, group="probe", exit_on_error=False)
    async def probe(self) -> None:
        await self._db(self._store().ping())
        self.post_message(Reconnected())
