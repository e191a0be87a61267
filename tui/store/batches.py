"""The walk every compare-and-set write of the store takes (ends of sessions, cancels of
runs): the ids in batches, each batch its own transaction, run again on a server's
write conflict, and a write stopped part-way told as what the database holds.

The write's own statements, its outcomes and its words stay with it; this module holds
only the order of the steps and what is done when one fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncTransaction

from tui.store import limits
from tui.store.errors import ConnectionFailed, StoreError

O = TypeVar("O")  # noqa: E741 - an outcome
T = TypeVar("T")

INTERRUPTED = StoreError("interrupted")
"""The cause a write cancelled part-way reports (Ctrl-C)."""


class CommitUnknown(Exception):
    """The commit was sent, and the connection failed before its answer came back."""

    def __init__(self, error: StoreError) -> None:
        super().__init__(str(error))
        self.error = error


class Stopped(Protocol[O]):
    """The write's own exception for a stop part-way, from what is known: (the outcomes
    known so far, the ids not written, the ids whose state could not be read back, the
    cause, whether a commit's answer was lost)."""

    def __call__(
        self,
        known: dict[str, O],
        left: Sequence[str],
        unresolved: Sequence[str],
        cause: StoreError,
        *,
        unknown: bool,
    ) -> Exception: ...


Reread = Callable[[list[str]], Awaitable[tuple[dict[str, O], Sequence[str], Sequence[str]]]]
"""A batch read back after its commit's answer was lost or it was cancelled: (the
outcomes it holds, the ids it left unwritten, the ids that could not be read)."""


async def write_batches(
    valid: list[str],
    *,
    pause: float,
    write: Callable[[list[str]], Awaitable[dict[str, O]]],
    reread: Reread[O],
    stopped: Stopped[O],
    error: Callable[[Exception], StoreError],
) -> dict[str, O]:
    """`valid` written `limits.END_BATCH` at a time (`write`, one transaction each), with
    `pause` seconds between batches (the service's queued writes go first). A lost
    commit answer or a cancel (Ctrl-C, a cancelled worker) re-reads the batch and raises
    `stopped` with what the database holds; any other failure is raised as it is
    (`error`) before anything committed, else through `stopped`."""
    known: dict[str, O] = {}
    size = limits.END_BATCH
    batches = [valid[i : i + size] for i in range(0, len(valid), size)]
    for n, batch in enumerate(batches):
        try:
            if n and pause:
                await asyncio.sleep(pause)
            known.update(await write(batch))
        except CommitUnknown as lost:
            found, left, unresolved = await reread(batch)
            known.update(found)
            rest = [i for b in batches[n + 1 :] for i in b]
            raise stopped(known, (*left, *rest), unresolved, lost.error, unknown=True) from None
        except asyncio.CancelledError:
            # This batch may have committed as the cancel landed, so it is re-read, and
            # the write reports what the database holds instead of a bare cancellation.
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            found, left, unresolved = await reread(batch)
            known.update(found)
            rest = [i for b in batches[n + 1 :] for i in b]
            raise stopped(known, (*left, *rest), unresolved, INTERRUPTED, unknown=False) from None
        except Exception as exc:
            failure = error(exc)
            if n == 0:
                raise failure from None
            rest = [i for b in batches[n:] for i in b]
            raise stopped(known, rest, (), failure, unknown=False) from None
    return known


async def retry_conflicts(
    once: Callable[[], Awaitable[T]], is_conflict: Callable[[Exception], bool]
) -> T:
    """`once` (one batch in one transaction), run again when the server rolled it back
    for a deadlock or a serialization failure, up to `limits.CONFLICT_ATTEMPTS` times
    (the compare-and-set makes that safe); a lost commit answer is never retried."""
    for attempt in range(limits.CONFLICT_ATTEMPTS):
        try:
            return await once()
        except CommitUnknown:
            raise
        except Exception as exc:
            if not is_conflict(exc) or attempt == limits.CONFLICT_ATTEMPTS - 1:
                raise
        await asyncio.sleep(limits.CONFLICT_PAUSE_S * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


async def commit(trans: AsyncTransaction, error: Callable[[Exception], Any]) -> None:
    """The batch's commit; a connection lost before its answer is `CommitUnknown`."""
    try:
        await trans.commit()
    except Exception as exc:
        failure = error(exc)
        if isinstance(failure, ConnectionFailed):
            raise CommitUnknown(failure) from exc
        raise
