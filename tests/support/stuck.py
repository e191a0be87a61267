"""A service database of one era made by the service's own statement sequences
(`service_sequences`): the healthy sequences, which must leave no session in any kind,
and the situations each kind stands for, which must leave exactly their sessions there.

`idle` is a day of quiet (the default `--stale-after`): its sequences run three days ago
on the service's clock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import pytest

from tests.support.dbs import create_service_db
from tests.support.service_sequences import (
    APP_VERSION,
    ERA_016,
    ERA_V0_2_13,
    ERA_V0_6_0,
    SCHEMA_ERA,
    Service,
)
from tests.support.templates import ServiceTemplates
from tui.domain.stuck import StuckKind
from tui.store.migrate import upgrade
from tui.store.store import make_engine
from tui.store.target import DbTarget, resolve_target

IDLE, ORPHANED, DUPLICATE = StuckKind.IDLE, StuckKind.ORPHANED, StuckKind.DUPLICATE
HOUR = 3600
DAY = 24 * HOUR
QUIET = 3 * DAY

HEALTHY_ACTIVE = (
    "message",
    "project-then-message",
    "setproject-then-message",
    "auto-attach",
    "removed-project",
    "after-reset",
    "after-tool-end",
)
"""The healthy sequences' active sessions, where the era has the sequence: never in a kind."""


@dataclass(frozen=True)
class StuckScene:
    url: str
    target: DbTarget
    era: str
    ids: dict[str, str]
    """Session name -> id."""
    kinds: dict[str, tuple[StuckKind, ...]]
    """Session name -> the kinds the tool must find it in, in the table's order."""
    undetectable: frozenset[StuckKind]
    """The kinds the service's writes cannot produce here: none is seeded."""
    conversations: dict[str, str]
    """Session name -> its conversation's id."""

    def name_of(self, session_id: str) -> str:
        return {v: k for k, v in self.ids.items()}[session_id]

    def of_kind(self, kind: StuckKind) -> set[str]:
        return {self.ids[n] for n, kinds in self.kinds.items() if kind in kinds}

    @property
    def counts(self) -> dict[StuckKind, int | None]:
        """What `Store.stuck_counts()` must say with no other filter."""
        return {k: None if k in self.undetectable else len(self.of_kind(k)) for k in StuckKind}


async def create_stuck_db(url: str, *, era: str = ERA_V0_6_0) -> StuckScene:
    """A new service database of stuck era `era` (016, v0.2.13 or v0.6.0), written by
    the service's sequences of that era."""
    target = await create_service_db(url, era=SCHEMA_ERA[era], app_version=APP_VERSION[era])
    pg = target.kind == "postgresql"
    engine = make_engine(target)
    ids: dict[str, str] = {}
    convs: dict[str, str] = {}
    kinds: dict[str, tuple[StuckKind, ...]] = {}
    try:
        svc = Service(engine, era, pg)
        alpha = await svc.register_project("alpha")
        beta = await svc.register_project("beta")
        gamma = await svc.register_project("gamma")

        async def conv(name: str, codebase: str | None = None, at: int = 0) -> str:
            convs[name] = await svc.new_conversation(f"C-{name}", codebase, at=at)
            return convs[name]

        def seen(name: str, sid: str, *found: StuckKind, on: str | None = None) -> None:
            ids[name] = sid
            kinds[name] = tuple(k for k in StuckKind if k in found)
            convs.setdefault(name, convs[on] if on else convs[name])

        # -- healthy: a message; a project set then a message --------------------------
        seen("message", await svc.message(await conv("message")))
        if era == ERA_V0_2_13:  # no project command: the web UI creates it with one
            c = await conv("project-then-message", alpha)
        else:
            c = await conv("project-then-message")
            await svc.set_project(c, alpha)
        seen("project-then-message", await svc.message(c))
        # /setproject (016: /repo) while a session runs, then the next message
        if era != ERA_V0_2_13:
            c = await conv("setproject-then-message")
            seen("before-setproject", await svc.message(c), on="setproject-then-message")
            await svc.set_project(c, beta)
            seen("setproject-then-message", await svc.message(c))
        # a workflow run attaches the project (016: /status links it), then a message
        c = await conv("auto-attach")
        first = await svc.message(c)
        await svc.auto_attach(c, beta)
        now = await svc.message(c)
        if now != first:  # 016: the new isolation ended the first session
            seen("before-auto-attach", first, on="auto-attach")
        seen("auto-attach", now)
        # /remove-project under an active session
        c = await conv("removed-project")
        if era == ERA_V0_2_13:
            await svc.auto_attach(c, gamma)
        else:
            await svc.set_project(c, gamma)
        seen("removed-project", await svc.message(c))
        await svc.remove_project(gamma)
        # the next message after /reset, and after an end by this tool (`reset-requested`)
        c = await conv("after-reset")
        seen("reset-ended", await svc.message(c), on="after-reset")
        await svc.reset(c)
        seen("after-reset", await svc.message(c))
        c = await conv("after-tool-end")
        ended = await svc.message(c)
        seen("tool-ended", ended, on="after-tool-end")
        await svc.deactivate(ended, "reset-requested")
        seen("after-tool-end", await svc.message(c))
        # an ended session on a deleted conversation
        c = await conv("ended-on-deleted")
        seen("ended-on-deleted", await svc.message(c))
        await svc.reset(c)
        await svc.delete_conversation(c)

        # -- stuck ---------------------------------------------------------------------
        c = await conv("idle", at=QUIET)
        seen("idle", await svc.message(c, at=QUIET), IDLE)
        c = await conv("orphaned")
        seen("orphaned", await svc.message(c), ORPHANED)
        await svc.delete_conversation(c)
        c = await conv("idle-orphaned", at=QUIET)
        seen("idle-orphaned", await svc.message(c, at=QUIET), IDLE, ORPHANED)
        await svc.delete_conversation(c, at=QUIET - HOUR)
        c = await conv("race")
        first, second = await svc.racing_first_messages(c)
        duplicate = era == ERA_016 or pg  # else the second ended the first
        seen("race-first", first, *((DUPLICATE,) if duplicate else ()), on="race")
        seen("race-second", second, on="race")
    finally:
        await engine.dispose()
    undetectable = frozenset() if era == ERA_016 or pg else frozenset({DUPLICATE})
    return StuckScene(url, target, era, ids, kinds, undetectable, convs)


def stuck_copy(
    request: pytest.FixtureRequest, url: str, *, era: str = ERA_V0_6_0, migrated: bool = False
) -> StuckScene:
    """What `create_stuck_db(url, era=era)` makes at `url` (not made yet: `db_url`), then
    the tool's `upgrade` if `migrated`: a copy of a scene built once per era and
    `migrated` (`service_templates`), on each backend. The same rows and ids, its times
    the service's clock when it was built, far within the day of quiet that makes `idle`."""

    def make(at: str) -> StuckScene:
        scene = asyncio.run(create_stuck_db(at, era=era))
        if migrated:
            asyncio.run(upgrade(scene.target))
        return scene

    templates: ServiceTemplates = request.getfixturevalue("service_templates")
    server = None if url.startswith("sqlite") else request.getfixturevalue("pg_server")
    built = templates.copy_made(url, server, ("stuck", era, migrated), make)
    return replace(built, url=url, target=resolve_target(url=url))
