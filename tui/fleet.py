"""Reading several deployments at once: each on its own connection, within its own
timeout, so one that is down or slow never delays the others beyond that timeout, and
says why in its own `Reading` instead of failing the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from time import monotonic
from typing import TYPE_CHECKING, Generic, TypeVar

from msgspec import Struct

from tui.deployments import Deployment

if TYPE_CHECKING:
    from tui.store.store import Store

T = TypeVar("T")

CLOSE_WITHIN = 2.0
"""Seconds a store's close may take after its read (a dropped server can hang it)."""


class ReadOptions(Struct, frozen=True):
    """How each deployment is read: `within` seconds (the `deployment_timeout`
    setting, connecting included), its store opened with these rules."""

    within: float
    stale_after: timedelta
    run_quiet_after: timedelta
    statement_timeout: float | None = None


class Reading(Struct, Generic[T], frozen=True):
    """One deployment's answer: its `value`, or the one line that says why there is
    none (`error`, password masked); `seconds` from start to answer or give-up."""

    deployment: Deployment
    value: T | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


async def read_one(
    deployment: Deployment,
    work: Callable[[Store], Awaitable[T]],
    options: ReadOptions,
) -> Reading[T]:
    """`work` on the deployment's database, opened read-only, within `options.within`
    seconds (connecting included)."""
    from tui.store.errors import StoreError
    from tui.store.store import open_store

    started = monotonic()
    try:
        target = deployment.target()
    except StoreError as exc:
        return Reading(deployment, error=str(exc), seconds=monotonic() - started)
    store: Store | None = None
    try:
        async with asyncio.timeout(options.within):
            store = await open_store(
                target,
                read_only=True,
                stale_after=options.stale_after,
                statement_timeout=options.statement_timeout,
            )
            store.run_quiet_after = options.run_quiet_after
            value = await work(store)
    except TimeoutError:
        why = f"no answer within {options.within:g} s"
        return Reading(deployment, error=why, seconds=monotonic() - started)
    except (StoreError, OSError) as exc:
        message = target.scrub(str(target.error(exc)))
        return Reading(deployment, error=message, seconds=monotonic() - started)
    finally:
        if store is not None:
            try:
                async with asyncio.timeout(CLOSE_WITHIN):
                    await store.close()
            except (TimeoutError, StoreError, OSError):
                pass  # the answer (or its error) stands; the connection is gone either way
    return Reading(deployment, value=value, seconds=monotonic() - started)


async def read_each(
    deployments: Sequence[Deployment],
    work: Callable[[Store], Awaitable[T]],
    options: ReadOptions,
) -> list[Reading[T]]:
    """`work` on every deployment at once; the readings in the deployments' order."""
    return list(await asyncio.gather(*(read_one(d, work, options) for d in deployments)))
