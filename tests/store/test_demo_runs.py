"""The demo's workflow runs, on both backends: every status the service writes, each stuck
run kind, sub-runs, events and node sessions, none after the anchor, the same every time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.sqlite_files import sqlite_file
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import RUN_STATUSES, RunFilter
from tui.store.demo import write_demo, write_demo_db
from tui.store.store import open_store
from tui.store.target import resolve_target

ANCHOR = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


def test_the_demo_has_runs_in_every_status_and_each_stuck_kind(empty_db_url: str) -> None:
    target = resolve_target(url=empty_db_url, must_exist=False)
    asyncio.run(write_demo(target, n_sessions=400, seed=7, anchor=ANCHOR))

    async def read() -> tuple[Any, ...]:
        store = await open_store(target, clock=lambda: ANCHOR)
        try:
            rows = []
            cursor = None
            while True:
                page = await store.list_runs(None, cursor, 500)
                rows += page.rows
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
            counts = await store.run_stuck_counts()
            parents = await store.list_runs(RunFilter(workflow="release"), None, 500)
            details = [await store.get_run(r.id) for r in parents.rows]
            return rows, counts, details
        finally:
            await store.close()

    rows, counts, details = asyncio.run(read())
    assert {r.status for r in rows} == set(RUN_STATUSES)
    assert all(n is not None and n >= 1 for n in counts.values()), counts
    assert all(r.started_at is not None and r.started_at <= ANCHOR for r in rows)
    assert all(r.completed_at is None or r.completed_at <= ANCHOR for r in rows)
    assert any(r.cost_usd for r in rows)
    assert any(d is not None and len(d.children) == 2 for d in details)
    assert all(d is not None and d.events for d in details)
    held = [r for r in rows if RunStuckKind.PATH_HELD in r.stuck]
    assert len(held) == 1 and held[0].path_lost_by is not None


def test_the_same_seed_and_anchor_write_the_same_runs(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    asyncio.run(write_demo_db(a, n_sessions=300, seed=3, anchor=ANCHOR))
    asyncio.run(write_demo_db(b, n_sessions=300, seed=3, anchor=ANCHOR))
    tables = ("workflow_runs", "workflow_events", "workflow_node_sessions")

    def dump(path: Path) -> list[list[tuple[object, ...]]]:
        with sqlite_file(path) as conn:
            return [
                conn.execute(f"SELECT * FROM remote_agent_{t} ORDER BY 1, 2, 3").fetchall()
                for t in tables
            ]

    first = dump(a)
    assert all(first) and first == dump(b)
    without = tmp_path / "c.db"
    asyncio.run(write_demo_db(without, n_sessions=300, seed=3, anchor=ANCHOR, runs=False))
    with sqlite_file(without) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "remote_agent_workflow_runs" not in names
