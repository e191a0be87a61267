"""The list's reads: the controller's asks run as the screen's workers, and their
answers put on screen.

`ListController` decides what to read and what an answer means; this object starts
the page reads (worker group `list`, the last one asked wins), keeps the timers (the
late "loading…" mark, the waiting clock), and hands each page to the table, the
header and the selection; a new window's counts are `ListCounts`'. Failures of the
screen's workers land in `failed`, which the screen's worker handler calls.

A new question's page is read with the screen's repaints held (`FramesHeld`): a filter
change dirties the filter line and the widget the operator used, and on an idle screen
Textual paints them at once, over the old rows; its screen timer then puts the next frame,
the rows', one to two frame periods (1/60 s) after that one, whenever the page came.
Held, the change is painted once, with its rows, as soon as they are on the table. The
hold is `App.batch_update` (Textual paints nothing while one is open), let go once the
page was taken, the read failed or was cancelled, or after `FRAMES_HELD_S`, whichever
comes first: a late page never keeps the screen still longer than that (its "loading…"
mark comes later, `LOADING_AFTER`). Let go, the screen is told to look for what is dirty
(`check_idle`): its idle handler, which starts the screen timer, ran while the hold was
open and started nothing.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, cast

from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui.app import data
from tui.app.list_controller import LoadMode, PageAsk
from tui.app.messages import PageLoaded
from tui.domain import wording
from tui.domain.text import safe_text
from tui.store.errors import FileMoved as StoreFileMoved

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from tui.app.screens.main import MainScreen

LOADING_AFTER = 0.15
"""A new question shows "loading…" only once its page is this late: shown at once, it
cost a full table redraw and a frame before every page, fast or not."""
READS = ("list", "facets")
"""The worker groups that answer the list's question (cancelled together): the
screen's pages and the reason panel's counts."""


FRAMES_HELD_S = 0.05
"""The longest the screen waits for a new question's page before it paints again: three
frames, under what an operator sees as a pause, and longer than a page read takes on an
indexed database of a million sessions."""


class FramesHeld:
    """One hold on `screen`'s app's repaints, let go once: by `release`, or at
    `FRAMES_HELD_S`."""

    def __init__(self, screen: MainScreen) -> None:
        self._screen = screen
        self._batch: AbstractContextManager[None] | None = screen.app.batch_update()
        self._batch.__enter__()
        self._limit = asyncio.get_running_loop().call_later(FRAMES_HELD_S, self.release)

    def release(self) -> None:
        """Let the screen paint again (once; later calls change nothing)."""
        batch, self._batch = self._batch, None
        if batch is not None:
            self._limit.cancel()
            batch.__exit__(None, None, None)
            self._screen.check_idle()


class ListReads:
    """One list screen's reads: asked, timed, cancelled, answered."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.controller = screen.controller
        self.loading_timer: Timer | None = None
        """Set while a new question's page is not in yet: it will dim the old rows."""
        self._wait_timer: Timer | None = None
        self._first_rows = False
        self._held: FramesHeld | None = None
        """The hold on repaints of the question being read, let go with its page."""

    @property
    def ready(self) -> bool:
        return self.screen.sessions_app.store is not None

    @property
    def live(self) -> bool:
        """A store is open and answering: more rows may be asked for."""
        return self.ready and self.screen.sessions_app.connected

    # -- asking --------------------------------------------------------------------------

    def requery(self) -> None:
        """A new question: first page and counts, answers to older questions dropped."""
        screen = self.screen
        ask = self.controller.ask(ready=self.ready)
        if ask is None:
            screen.filters.show()  # asked again when the Store opens: the warm page is stale
            return
        self._stop_loading()
        timer: Timer = screen.set_timer(LOADING_AFTER, lambda: self._show_loading(timer))
        self.loading_timer = timer
        self._time_wait()
        screen.table.set_sort(ask.sort, ask.ascending)
        if self._held is not None:  # its read is cancelled, perhaps before it began
            self._held.release()
        self._held = FramesHeld(screen)  # the change painted once, with its rows
        self.page(ask, self._held)
        screen.filters.show()

    def page(self, ask: PageAsk, held: FramesHeld | None = None) -> Worker[None]:
        """Read one page in the screen's `list` worker; `held` let go once the page was
        taken (or the read failed or was cancelled)."""
        app = self.screen.sessions_app

        async def read() -> None:
            try:
                page = await data.read_page(
                    app.inflight,
                    self.screen.store,
                    ask.generation,
                    ask.flt,
                    ask.sort,
                    ask.cursor,
                    ask.limit,
                    ask.mode,
                    ascending=ask.ascending,
                    from_end=ask.from_end,
                    window=ask.window,
                )
            except BaseException:
                if held is not None:
                    held.release()
                raise
            self.screen.post_message(page)
            # Let go once the page was handled (`took_page` lets go with the rows on the
            # table; a page answering an older question is dropped).
            if held is not None and not self.screen.call_later(held.release):
                held.release()

        # The coroutine function, not a coroutine: a read cancelled before it began (a
        # newer question in the same turn) leaves no coroutine never awaited. Textual runs
        # either; its annotation takes the function only as Coroutine[None, None, T].
        work = cast("Callable[[], Coroutine[None, None, None]]", read)
        return self.screen.run_worker(work, group="list", exclusive=True, exit_on_error=False)

    def refresh(self, *, recount: bool) -> None:
        """Re-read the loaded window (cursor, selection and scroll stay); `recount`:
        every reason counted afresh too."""
        if self.live:
            self.page(self.controller.refresh(recount=recount))
            self._time_wait()

    def refresh_all(self) -> None:
        """Re-read the loaded window, and count every reason afresh: the operator asked."""
        self.screen.reason_panel.forget_sparks()
        self.refresh(recount=True)

    def tick(self) -> None:
        """The timer's tick: the counts re-read only what can have changed.

        A tick never cancels a read still running: on a locked SQLite file each read
        waits out the busy timeout, and a tick that cancelled it just before it failed
        would throw the error away, leaving "live" over stale rows while the lock holds.
        """
        screen = self.screen
        if not screen.sessions_app.check_file():
            return
        if any(self._answers(w) and w.is_running for w in screen.workers):
            return
        self.refresh(recount=False)

    def search_older(self) -> None:
        """A bounded search that stopped at its window goes on into the next one (its
        counts follow once the rows are in); where the list reads no window but the
        counts do (`user:`), the counts' window widens."""
        controller = self.controller
        if self.ready and controller.can_search_older:
            ask = controller.older()
            if ask is not None:
                self.screen.table.border_subtitle = controller.older_line()
                self.page(ask)
        elif self.ready and controller.can_widen_counts:
            controller.widen_counts()
            self.screen.counts.ask(controller.state.generation, fresh_data=False)
        else:
            self.screen.notify(wording.NO_OLDER)

    def below(self) -> None:
        ask = self.controller.below() if self.live else None
        if ask is not None:
            self._time_wait()
            self.page(ask)

    def above(self) -> None:
        ask = self.controller.above() if self.live else None
        if ask is not None:
            self.page(ask)

    def jump(self, *, to_end: bool) -> None:
        """g/G (Home/End) beyond the window: the list's first or last page; the counts stay."""
        if self.ready:
            self.page(self.controller.jump(to_end=to_end))

    # -- waiting -------------------------------------------------------------------------

    def _time_wait(self) -> None:
        """A list question is on its way (the controller times it): tick the header."""
        if self._wait_timer is None:
            self._wait_timer = self.screen.set_interval(0.5, self._tick_wait)

    def _tick_wait(self) -> None:
        if self.controller.tick():
            self.screen.connection.show_live()

    def _answered(self, live_changed: bool) -> None:
        if self._wait_timer is not None:
            self._wait_timer.stop()
            self._wait_timer = None
        if live_changed:
            self.screen.connection.show_live()

    def _stop_loading(self) -> None:
        if self.loading_timer is not None:
            self.loading_timer.stop()
            self.loading_timer = None

    def _show_loading(self, timer: Timer) -> None:
        """The new question is late: the rows on screen answer the old one, so dim them.
        A timer stopped or replaced meanwhile (its question answered) changes nothing."""
        if timer is not self.loading_timer:
            return
        self.loading_timer = None
        self.screen.table.border_subtitle = self.controller.LOADING_LINE
        self.screen.table.set_stale(True)

    def cancel_wait(self) -> None:
        """Stop waiting: the workers are cancelled and the server cancels their queries
        (PostgreSQL: `pg_cancel_backend` on this tool's reads). The rows stay, dimmed,
        under the filter they do not answer, until the refresh key asks again."""
        screen = self.screen
        for worker in screen.workers:
            if self._answers(worker):
                worker.cancel()
        live_changed = self.controller.cancel()
        screen.sessions_app.cancel_reads()
        self._answered(live_changed)
        self._stop_loading()
        if screen.table.stale:
            screen.table.border_subtitle = self.controller.stale_line(cancelled=True)
        screen.notify("Cancelled the waiting query", severity="warning")

    # -- answers -------------------------------------------------------------------------

    def took_page(self, message: PageLoaded) -> None:
        screen, app = self.screen, self.screen.sessions_app
        if message.warm:
            # Stale or not, the bare driver has answered: SQLAlchemy may load now.
            screen.call_after_refresh(app.first_rows_painted)
            self.controller.warm_unmarked = message.duplicates_unknown
        shown = self.controller.take_page(message, ready=self.ready)
        if shown is None:
            return
        self._answered(shown.live_changed)
        table, settings, state = screen.table, screen.settings, self.controller.state
        if not shown.append:
            self._stop_loading()  # this question is answered
            table.set_stale(False)
        if shown.check:
            screen.selection.check(message.generation, shown.check)
        table.more_above = state.prev_cursor is not None
        table.more_below = state.next_cursor is not None
        table.show(
            shown.rows,
            now=settings.clock(),
            stale_after=settings.stale_after,
            selected=state.selected,
            append=shown.append,
            keep_position=shown.keep_position,
            prepend=shown.prepend,
            at_end=shown.at_end,
        )
        if (shown.new_window or message.mode is LoadMode.OLDER) and self.ready:
            # An older window widens the counts with the list.
            screen.counts.ask(message.generation, fresh_data=shown.keep_position)
        if not self._first_rows:
            self._first_rows = True
            screen.call_after_refresh(app.first_rows_painted)
        table.border_subtitle = shown.subtitle
        if shown.new_window:
            screen.status_bar.set_read(settings.clock())
        app.store_answered()
        if self._held is not None:  # the screen's next frame has the rows
            table.refresh_now()
            self._held.release()
            self._held = None

    def _answers(self, worker: Worker[object]) -> bool:
        """Whether `worker` reads an answer to the list's question."""
        owners = (self.screen, self.screen.reason_panel)
        return worker.group in READS and any(worker.node is o for o in owners)

    def failed(self, event: Worker.StateChanged) -> None:
        """The one place the screen's worker failures land (the end flow's too)."""
        screen, worker = self.screen, event.worker
        if event.state is WorkerState.CANCELLED and worker.group == "list":
            self.controller.state.loading_more = False
        if event.state is not WorkerState.ERROR:
            return
        if worker.group == "list":
            self._answered(self.controller.failed())
            if screen.table.stale:
                screen.table.border_subtitle = self.controller.stale_line(cancelled=False)
        app = screen.sessions_app
        error = data.as_store_error(worker.error, screen.settings.target)
        said = safe_text(error)  # driver messages can quote stored strings
        if worker.group == "end":
            screen.notify(
                f"Nothing was ended: {said}. Not retried: check and try again.",
                severity="error",
                timeout=15,
            )
        else:
            screen.notify(said, severity="error", timeout=10)
        if isinstance(error, StoreFileMoved):
            app.check_file()  # reopens: a probe would ask the old file
        elif error.retryable:
            app.disconnected()
