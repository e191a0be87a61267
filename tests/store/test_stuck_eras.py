"""Stuck kinds on databases the service's own statement sequences made, era by era
(`tests/support/service_sequences.py` names each statement's file:line@tag): the counts
are exactly the situations seeded, and no healthy sequence leaves a session in a kind."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.service_sequences import SERVICE_ERAS
from tests.support.stuck import HEALTHY_ACTIVE, StuckScene, stuck_copy
from tui.domain.models import SessionFilter, SessionRow
from tui.domain.stuck import StuckKind
from tui.store.migrate import upgrade
from tui.store.store import open_store


async def _read(
    scene: StuckScene,
) -> tuple[dict[StuckKind, int | None], list[SessionRow], dict[StuckKind, set[str]]]:
    store = await open_store(scene.target, read_only=True)
    try:
        counts = await store.stuck_counts()
        rows = list((await store.list_sessions(limit=1000)).rows)
        filtered = {
            k: {r.id for r in (await store.list_sessions(SessionFilter(stuck=k))).rows}
            for k in StuckKind
        }
        return counts, rows, filtered
    finally:
        await store.close()


@pytest.fixture(params=SERVICE_ERAS)
def era_scene(db_url: str, request: pytest.FixtureRequest) -> StuckScene:
    return stuck_copy(request, db_url, era=request.param)


@pytest.mark.parametrize("migrated", [False, True], ids=["service-indexes", "migrated"])
def test_counts_are_exactly_the_situations_seeded(era_scene: StuckScene, migrated: bool) -> None:
    if migrated:
        asyncio.run(upgrade(era_scene.target))
    counts, rows, filtered = asyncio.run(_read(era_scene))
    assert counts == era_scene.counts
    found = {era_scene.name_of(r.id): r.stuck for r in rows}
    assert found == era_scene.kinds
    for kind in StuckKind:
        assert filtered[kind] == era_scene.of_kind(kind)
    # each detectable kind is seeded at least once in every era
    assert all(n for n in counts.values() if n is not None)


def test_no_healthy_sequence_leaves_a_session_in_any_kind(era_scene: StuckScene) -> None:
    _, rows, _ = asyncio.run(_read(era_scene))
    by_name = {era_scene.name_of(r.id): r for r in rows}
    healthy = [n for n in HEALTHY_ACTIVE if n in by_name]
    assert "message" in healthy and "auto-attach" in healthy and "removed-project" in healthy
    for name in healthy:
        row = by_name[name]
        assert row.active, name
        assert row.stuck == (), (name, row.stuck)


def test_the_session_codebase_is_the_stored_one(era_scene: StuckScene) -> None:
    """From v0.2.13 on the service starts every session without a codebase: the row says
    so, and the conversation's codebase is its own field."""
    _, rows, _ = asyncio.run(_read(era_scene))
    row = {era_scene.name_of(r.id): r for r in rows}["project-then-message"]
    assert row.conversation_codebase_id is not None
    assert row.codebase_name == "alpha"
    if era_scene.era == "016":
        assert row.codebase_id == row.conversation_codebase_id
    else:
        assert row.codebase_id is None
    removed = {era_scene.name_of(r.id): r for r in rows}["removed-project"]
    assert removed.codebase_id is None and removed.conversation_codebase_id is None
