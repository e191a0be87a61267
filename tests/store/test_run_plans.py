"""The runs list's page statements walk the tool's runs indexes (migration 0010) in their
order and stop at the page: no sort of the matching runs, no scan of the table.

A service database of today's schema (v0.8) with 20,000 runs (`tests.bench.runs_list`'s
mix: most completed, 1% running) is built once per backend, migrated and ANALYZEd. The
statements are the ones the store sends (`statement_log` around `Store.list_runs`),
compiled with literal values and explained by the database.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect as SaDialect

from tests.bench.runs_list import build
from tests.support.dbs import create_service_db
from tests.support.pgserver import PgServer
from tests.support.sql_log import statement_log
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import RunCursor, RunFilter
from tui.store.migrate import upgrade
from tui.store.store import open_store
from tui.store.tables import RUNS_STARTED_INDEX, RUNS_STATUS_INDEX, WORKFLOW_RUNS
from tui.store.target import DbTarget

N_RUNS = 20_000


@dataclass
class RunPlanDb:
    kind: str
    target: DbTarget
    explain: Callable[[str], Any]
    """The database's plan for `sql`: lines (SQLite) or the JSON document (PostgreSQL)."""
    dialect: SaDialect


async def _build(url: str, pg: bool) -> DbTarget:
    target = await create_service_db(url, era="v0.8")
    await build(target, N_RUNS, pg)
    await upgrade(target)
    return target


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def run_plan_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunPlanDb]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("run_plans") / "archon.db"
        target = asyncio.run(_build(f"sqlite:///{path}", False))
        conn = sqlite3.connect(str(path))
        try:
            yield RunPlanDb(
                "sqlite",
                target,
                lambda sql: [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)],
                sqlite.aiosqlite.dialect(),
            )
        finally:
            conn.close()
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = "run_plans_" + uuid.uuid4().hex[:12]
    target = asyncio.run(_build(server.create_database(name), True))
    server.psql("VACUUM (ANALYZE, INDEX_CLEANUP ON)", name)
    try:
        yield RunPlanDb(
            "postgresql",
            target,
            lambda sql: json.loads(server.psql("EXPLAIN (FORMAT JSON) " + sql, name)),
            postgresql.asyncpg.dialect(),
        )
    finally:
        if server.is_running():
            server.drop_database(name)


def _page_statements(db: RunPlanDb, flt: RunFilter, cursor: RunCursor | None) -> list[str]:
    """The page statements `list_runs` sends (those that order the runs), as SQL."""

    async def run() -> list[Any]:
        store = await open_store(db.target, read_only=True)
        try:
            with statement_log(store) as sent:
                await store.list_runs(flt, cursor, 50)
            return list(sent)
        finally:
            await store.close()

    order = f"ORDER BY {WORKFLOW_RUNS}."
    out = []
    for stmt in asyncio.run(run()):
        sql = str(stmt.compile(dialect=db.dialect, compile_kwargs={"literal_binds": True}))
        if order in sql:
            out.append(sql)
    assert out, "list_runs sent no page statement"
    return out


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _problems(kind: str, plan: Any, index: str) -> list[str]:
    """Why `plan` is not a walk of `index` in the page's order ([] when it is)."""
    if kind == "sqlite":
        on_runs = [line for line in plan if f" {WORKFLOW_RUNS}" in line]
        problems = [f"sort: {line}" for line in plan if "TEMP B-TREE" in line]
        problems += [f"not by an index: {line}" for line in on_runs if "INDEX" not in line]
        if not any(f"INDEX {index}" in line for line in on_runs):
            problems.append(f"{index} is not used")
        return problems
    nodes = list(_nodes(plan[0]["Plan"]))
    problems = [n["Node Type"] for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")]
    problems += [
        f"Seq Scan on {WORKFLOW_RUNS}"
        for n in nodes
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == WORKFLOW_RUNS
    ]
    if not any(
        n["Node Type"] in ("Index Scan", "Index Only Scan") and n.get("Index Name") == index
        for n in nodes
    ):
        problems.append(f"no index scan on {index}")
    return problems


CASES: dict[str, tuple[RunFilter, str]] = {
    "first-page": (RunFilter(), RUNS_STARTED_INDEX),
    "workflow": (RunFilter(workflow="release"), RUNS_STARTED_INDEX),
    "text": (RunFilter(text="release"), RUNS_STARTED_INDEX),
    "status-running": (RunFilter(statuses=frozenset({"running"})), RUNS_STATUS_INDEX),
    "status-completed": (RunFilter(statuses=frozenset({"completed"})), RUNS_STATUS_INDEX),
    "stuck-quiet": (RunFilter(stuck=RunStuckKind.QUIET), RUNS_STATUS_INDEX),
    "stuck-paused": (RunFilter(stuck=RunStuckKind.AWAITING_APPROVAL), RUNS_STATUS_INDEX),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_runs_page_walks_the_runs_index_and_stops(run_plan_db: RunPlanDb, case: str) -> None:
    """Each filter's first page, and the page after it: a walk of the runs index in the
    list's order (all runs, or the runs of one status), never a sort or a table scan."""
    flt, index = CASES[case]
    for sql in _page_statements(run_plan_db, flt, None):
        plan = run_plan_db.explain(sql)
        assert _problems(run_plan_db.kind, plan, index) == [], f"{case}\n{sql}\n{plan}"

    async def first_cursor() -> RunCursor | None:
        store = await open_store(run_plan_db.target, read_only=True)
        try:
            return (await store.list_runs(flt, None, 50)).next_cursor
        finally:
            await store.close()

    cursor = asyncio.run(first_cursor())
    assert cursor is not None and cursor.key is not None
    for sql in _page_statements(run_plan_db, flt, cursor):
        plan = run_plan_db.explain(sql)
        assert _problems(run_plan_db.kind, plan, index) == [], f"{case} next\n{sql}\n{plan}"


def test_the_runs_without_a_start_time_are_a_range_of_the_same_index(
    run_plan_db: RunPlanDb,
) -> None:
    """The list's last segment (no start time, by id) past a cursor there: the range
    `started_at IS NULL` of the started index, never a table scan. SQLite reads it in id
    order; PostgreSQL's planner does not take `IS NULL` as fixing the leading column, so
    it sorts that range: the runs without a start time, which the service's writes never
    leave (`started_at` defaults to the clock), not the table."""
    top = "f" * 32 if run_plan_db.kind == "sqlite" else str(uuid.UUID(int=2**128 - 1))
    (sql,) = _page_statements(run_plan_db, RunFilter(), RunCursor(key=None, id=top))
    assert "started_at IS NULL" in sql
    plan = run_plan_db.explain(sql)
    problems = _problems(run_plan_db.kind, plan, RUNS_STARTED_INDEX)
    if run_plan_db.kind == "postgresql":
        problems = [p for p in problems if p != "Sort"]
        conds = [str(n.get("Index Cond")) for n in _nodes(plan[0]["Plan"])]
        assert any("started_at IS NULL" in c for c in conds), plan
    assert problems == [], f"{sql}\n{plan}"


def test_a_search_window_that_matches_nothing_reads_the_window_not_the_table(
    run_plan_db: RunPlanDb,
) -> None:
    """`search_runs` for a text no run holds: the window's floor is a read of the started
    index in order, and the walk a range of it bounded by the floor (an index condition
    on PostgreSQL: it stops there, not at the table's end)."""

    async def run() -> list[Any]:
        store = await open_store(run_plan_db.target, read_only=True)
        try:
            with statement_log(store) as sent:
                page = await store.search_runs(RunFilter(text="no-such-run"), None, 50, 500)
            assert page.rows == [] and page.resume is not None and page.searched == 500
            return list(sent)
        finally:
            await store.close()

    order = f"ORDER BY {WORKFLOW_RUNS}."
    sent = [
        str(s.compile(dialect=run_plan_db.dialect, compile_kwargs={"literal_binds": True}))
        for s in asyncio.run(run())
    ]
    floor, walk = [sql for sql in sent if order in sql]
    assert "OFFSET 499" in floor
    plan = run_plan_db.explain(floor)
    assert _problems(run_plan_db.kind, plan, RUNS_STARTED_INDEX) == [], f"{floor}\n{plan}"
    plan = run_plan_db.explain(walk)
    if run_plan_db.kind == "sqlite":
        assert _problems("sqlite", plan, RUNS_STARTED_INDEX) == [], f"{walk}\n{plan}"
        return
    # PostgreSQL may read the window's range as a bitmap and sort what matches in it:
    # either way a range of the started index bounded by the floor, never the table.
    nodes = list(_nodes(plan[0]["Plan"]))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], plan
    assert any(
        n.get("Index Name") == RUNS_STARTED_INDEX and "started_at >=" in str(n.get("Index Cond"))
        for n in nodes
    ), plan
