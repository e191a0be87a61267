"""The walk every compare-and-set write of the store takes (ends of sessions, cancels of
runs): the ids in batches, each batch its own transaction (its rows locked first), run
again on a server's write conflict, and a write stopped part-way told as what the
database holds (the batch read back).

The write's own statements, its outcomes and its words stay with it; this module holds
only the order of the steps and what is done when one fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

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


@contextlib.asynccontextmanager
async def batch_transaction(
    engine: AsyncEngine,
    write_options: Mapping[str, Any],
    ids: sa.ColumnElement[Any],
    batch: list[str],
    *,
    check_file: Callable[[], None],
    error: Callable[[Exception], Any],
) -> AsyncIterator[AsyncConnection]:
    """One batch's transaction: its rows locked in id order first (`ids`: the table's id
    column), so two writes over the same rows never deadlock, then `check_file` while
    holding the write lock (the path still names the file this writes); rolled back on
    any failure, a cancel too, else committed (`commit`) once the body is done."""
    async with engine.connect() as conn:
        if write_options:
            conn = await conn.execution_options(**write_options)
        trans = await conn.begin()
        try:
            await conn.execute(sa.select(ids).where(ids.in_(batch)).order_by(ids).with_for_update())
            check_file()
            yield conn
        except BaseException:
            with contextlib.suppress(Exception):
                await trans.rollback()
            raise
        await commit(trans, error)


async def reread_batch(
    read: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
    rows: sa.Select[Any],
    audited: sa.Select[Any] | None,
) -> tuple[Sequence[RowMapping], dict[str, str] | None] | None:
    """A batch as the database holds it, after its commit's answer was lost or it was
    cancelled: its `rows`, and this write's audit rows (`audited`: id, outcome; None
    where no audit is kept), in one read (`read`), asked again on a failure up to
    `limits.REREAD_ATTEMPTS` times; None when the database did not answer."""
    for attempt in range(limits.REREAD_ATTEMPTS):
        try:
            async with read() as conn:
                found = (await conn.execute(rows)).mappings().all()
                written = (
                    {str(a[0]): str(a[1]) for a in await conn.execute(audited)}
                    if audited is not None
                    else None
                )
            return found, written
        except StoreError:
            if attempt == limits.REREAD_ATTEMPTS - 1:
                return None
        await asyncio.sleep(limits.REREAD_PAUSE_S * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover
