"""The screen's repaints held while a new question's first page is read, for a bounded time.

A filter change dirties the filter line and the widget the operator used (a reason's
tick, the status). Left alone, Textual's next frame (every 1/60 s) paints them over the
old rows while the page is read; on a driver that waits on the event loop (asyncpg) that
frame runs between the page's query and its answer, so the answer waits for it, and the
rows need a frame of their own after it. Held, the change is painted once, with its rows.

The hold is `App.batch_update` (Textual paints nothing while one is open), entered when
the page is asked and left when its worker ends (answered, failed or cancelled) or after
`FRAMES_HELD_S`, whichever comes first: a late page never keeps the screen still longer
than that (its "loading…" mark comes later, `list_reads.LOADING_AFTER`).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

FRAMES_HELD_S = 0.04
"""The longest the screen waits for a new question's page before it paints again: a
few frames, well under what an operator sees as a pause."""


class FramesHeld:
    """One hold on `app`'s repaints, let go once: by `release`, or at `FRAMES_HELD_S`."""

    def __init__(self, app: App[object]) -> None:
        self._batch: AbstractContextManager[None] | None = app.batch_update()
        self._batch.__enter__()
        loop = asyncio.get_running_loop()
        self._limit = loop.call_later(FRAMES_HELD_S, self.release)

    def release(self) -> None:
        """Let the screen paint again (once; later calls change nothing)."""
        batch, self._batch = self._batch, None
        if batch is not None:
            self._limit.cancel()
            batch.__exit__(None, None, None)
