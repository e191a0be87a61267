"""The store's workflow runs, at each era of the service's schema and on both backends,
over rows written by the service's own statements (`tests.support.run_writes`, which
cites them): what a version lacks reads as None, never an error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.run_writes import ServiceRuns, runs_database
from tests.support.service_schema import ERAS, RUNS_OUTCOME, statements
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import OPTIONAL_RUN_COLUMNS, RunCursor, RunDetail, RunFilter, RunPage, RunRow
from tui.domain.timefmt import utcnow
from tui.store.errors import AmbiguousId, UnknownRun
from tui.store.store import Store, open_store
from tui.store.target import DbTarget

Make = Callable[[str], tuple[DbTarget, ServiceRuns]]

COLUMN_SINCE = {
    "working_path": "v0.2.13",
    "user_id": "v0.4",
    "parent_run_id": "v0.7",
    "output_root": "v0.8",
}


def created_status(svc: ServiceRuns) -> str:
    """What `createWorkflowRun` leaves: the column's default (migration 008's `running`
    on PostgreSQL until 018, v0.2.13; `pending` on SQLite always)."""
    return "running" if svc.db.pg and not since(svc.era, "v0.2.13") else "pending"


@pytest.fixture
def make_runs(db_url: str, request: pytest.FixtureRequest) -> Make:
    def make(era: str) -> tuple[DbTarget, ServiceRuns]:
        return runs_database(request, db_url, era)

    return make


def since(era: str, first: str) -> bool:
    return ERAS.index(era) >= ERAS.index(first)


def read(target: DbTarget, work: Callable[[Store], Any], *, ahead: timedelta = timedelta(0)) -> Any:
    """`work(store)` on a store whose clock is `ahead` of the real one."""

    async def go() -> Any:
        store = await open_store(target, clock=lambda: utcnow() + ahead)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(go())


def all_rows(store: Store, flt: RunFilter | None = None, limit: int = 2) -> Any:
    async def walk() -> list[RunRow]:
        rows: list[RunRow] = []
        cursor: RunCursor | None = None
        while True:
            page: RunPage = await store.list_runs(flt, cursor, limit)
            rows += page.rows
            if page.next_cursor is None:
                return rows
            cursor = page.next_cursor

    return walk()


@pytest.mark.parametrize("era", ERAS)
def test_each_era_reads_its_runs_and_a_lacking_column_is_none(make_runs: Make, era: str) -> None:
    target, svc = make_runs(era)
    owner = svc.user("Ada Lovelace", "ada@example.com") if since(era, "v0.4") else None
    conv = svc.conversation(user_id=owner)
    code = svc.codebase("archon")
    parent = svc.create("plan", conv, codebase_id=code, working_path="/wt/a", user_id=owner)
    svc.start(parent)
    svc.complete(parent, cost=1.25)
    child = svc.create("fix", conv, working_path="/wt/a", user_id=owner, parent_run_id=parent)
    svc.event(child, "step_started", "build")

    async def work(store: Store) -> tuple[list[RunRow], RunDetail | None, frozenset[str]]:
        return await all_rows(store), await store.get_run(child), store.run_columns

    rows, detail, columns = read(target, work)
    assert {r.id for r in rows} == {parent, child}
    done = next(r for r in rows if r.id == parent)
    assert done.status == "completed" and done.cost_usd == 1.25
    assert done.workflow_name == "plan" and done.codebase_name == "archon"
    assert done.platform_type == "slack" and done.completed_at is not None
    for column, first in COLUMN_SINCE.items():
        assert (column in columns) is since(era, first), column
    assert "outcome" not in columns
    assert not (OPTIONAL_RUN_COLUMNS - {"outcome"}) - set(COLUMN_SINCE)
    assert done.working_path == ("/wt/a" if since(era, "v0.2.13") else None)
    assert done.owner == ("Ada Lovelace" if since(era, "v0.4") else None)
    assert done.outcome is None
    assert detail is not None
    assert detail.row.status == created_status(svc)
    assert detail.row.parent_run_id == (parent if since(era, "v0.7") else None)
    assert detail.parent == (done if since(era, "v0.7") else None)
    assert detail.user_message == "run it"
    assert detail.events is not None and [e.event_type for e in detail.events] == ["step_started"]
    assert detail.events[0].event_order is None or since(era, "v0.8")
    assert (detail.node_sessions is None) is not since(era, "v0.6")
    assert detail.output_root is None


def test_postgresql_before_v0_2_13_creates_runs_running(make_runs: Make, backend: str) -> None:
    """Migration 008's default was `running` on PostgreSQL until 018 (v0.2.13); SQLite's
    was always `pending`: the store shows what each wrote."""
    target, svc = make_runs("016")
    run = svc.create("plan", svc.conversation())
    rows = read(target, all_rows)
    assert [(r.id, r.status) for r in rows] == [
        (run, "running" if backend == "postgresql" else "pending")
    ]


def test_pages_are_newest_first_without_gaps_or_repeats(make_runs: Make) -> None:
    target, svc = make_runs("v0.8")
    conv = svc.conversation()
    made = [svc.create(f"wf-{i}", conv) for i in range(7)]

    async def work(store: Store) -> tuple[list[RunRow], list[RunRow]]:
        whole = (await store.list_runs(None, None, 100)).rows
        return whole, await all_rows(store, limit=3)

    whole, paged = read(target, work)
    assert [r.id for r in paged] == [r.id for r in whole]
    assert sorted(r.id for r in whole) == sorted(made)
    keys = [(r.started_at, r.id) for r in whole]
    assert keys == sorted(keys, reverse=True)


def test_filters_combine(make_runs: Make) -> None:
    target, svc = make_runs("v0.8")
    ada = svc.user("Ada Lovelace", "ada@example.com")
    bob = svc.user(None, "bob@example.com")
    conv_a, conv_b = svc.conversation(user_id=ada), svc.conversation(user_id=bob)
    code = svc.codebase("payments-api")
    a1 = svc.create("deploy-prod", conv_a, codebase_id=code, user_message="ship the release")
    a2 = svc.create("review", conv_a, working_path="/wt/feature-x")
    svc.start(a2)
    b1 = svc.create("deploy-staging", conv_b)

    def ids(flt: RunFilter) -> set[str]:
        return {r.id for r in read(target, lambda s: all_rows(s, flt))}

    assert ids(RunFilter(workflow="DEPLOY")) == {a1, b1}
    assert ids(RunFilter(statuses=frozenset({"running"}))) == {a2}
    assert ids(RunFilter(codebase="pay")) == {a1}
    assert ids(RunFilter(owner="ada")) == {a1, a2}
    assert ids(RunFilter(owner="bob@")) == {b1}
    assert ids(RunFilter(text="release")) == {a1}
    assert ids(RunFilter(text="feature-x")) == {a2}
    assert ids(RunFilter(text=b1[4:12])) == {b1}
    assert ids(RunFilter(conversation_id=conv_b)) == {b1}
    assert ids(RunFilter(conversation_id="not-an-id")) == set()
    assert ids(RunFilter(workflow="deploy", owner="ada")) == {a1}
    assert ids(RunFilter(since=utcnow() + timedelta(hours=1))) == set()
    assert ids(RunFilter(since=utcnow() - timedelta(hours=1))) == {a1, a2, b1}


def test_ids_resolve_from_a_unique_prefix(make_runs: Make) -> None:
    target, svc = make_runs("v0.8")
    run = svc.create("plan", svc.conversation())

    async def work(store: Store) -> tuple[str, str]:
        return await store.resolve_run_id(run[:10]), await store.resolve_run_id(run.upper())

    assert read(target, work) == (run, run)
    for bad in ("", "zzzz-not-there"):
        with pytest.raises(UnknownRun):
            read(target, lambda s, b=bad: s.resolve_run_id(b))
    assert read(target, lambda s: s.get_run("not-a-run")) is None


def test_an_ambiguous_prefix_names_the_runs(make_runs: Make) -> None:
    target, svc = make_runs("v0.8")
    conv = svc.conversation()
    made = [svc.create("plan", conv) for _ in range(40)]
    shared = next(
        a[:1] for a in made for b in made if a != b and a[:1] == b[:1]
    )  # forty ids: two share a first character
    with pytest.raises(AmbiguousId, match="several runs"):
        read(target, lambda s: s.resolve_run_id(shared))


def test_the_detail_lists_sub_runs_sessions_events_and_node_sessions(make_runs: Make) -> None:
    target, svc = make_runs("v0.8")
    conv = svc.conversation()
    parent = svc.create("umbrella", conv, working_path="/wt/u")
    svc.start(parent)
    kids = [
        svc.create(f"sub-{i}", conv, working_path="/wt/u", parent_run_id=parent) for i in range(3)
    ]
    first = svc.event(parent, "workflow_started")
    second = svc.event(parent, "node_started", "plan")
    svc.node_session(parent, "umbrella", "plan", conv)
    svc.db.run(
        "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type)"
        f" VALUES ('{svc.db.new_id()}', '{conv}', 'claude')"
    )
    detail = read(target, lambda s: s.get_run(parent))
    assert detail is not None
    assert sorted(c.id for c in detail.children) == sorted(kids)
    assert {c.parent_run_id for c in detail.children} == {parent}
    assert detail.parent is None
    assert len(detail.sessions) == 1
    assert detail.events is not None and {e.id for e in detail.events} == {first, second}
    orders = [e.event_order for e in detail.events]
    assert detail.node_sessions is not None
    assert [(n.node_id, n.last_run_id) for n in detail.node_sessions] == [("plan", parent)]
    if svc.db.pg:  # the sequence numbers events from v0.8 on; newest first
        assert orders == sorted(orders, reverse=True)
        assert [e.id for e in detail.events] == [second, first]


def test_outcome_reads_where_the_version_has_it(make_runs: Make) -> None:
    """Main after v0.9.0 adds `outcome` (6594996d3)."""
    target, svc = make_runs("v0.8")
    for stmt in statements(RUNS_OUTCOME["postgresql" if svc.db.pg else "sqlite"]):
        svc.db.run(stmt)
    run = svc.create("plan", svc.conversation())
    svc.start(run)
    svc.complete(run)
    svc.set_outcome(run, "failed")
    rows = read(target, all_rows)
    assert [(r.status, r.outcome, r.cost_usd) for r in rows] == [("completed", "failed", None)]


def test_metadata_that_is_no_cost_reads_as_none(make_runs: Make) -> None:
    """A cost the service never wrote as a number (a string, or metadata that is not an
    object) is no cost: the row still reads."""
    target, svc = make_runs("v0.8")
    conv = svc.conversation()
    texty = svc.create("a", conv, metadata={"total_cost_usd": "3.50"})
    listy = svc.create("b", conv)
    svc.db.run(
        "UPDATE remote_agent_workflow_runs SET metadata = '[1, 2]'"
        f"{'::jsonb' if svc.db.pg else ''} WHERE id = '{listy}'"
    )
    rows = {r.id: r for r in read(target, all_rows)}
    assert rows[texty].cost_usd is None and rows[listy].cost_usd is None
    detail = read(target, lambda s: s.get_run(listy))
    assert detail is not None and detail.metadata.value == [1, 2]


def test_without_a_runs_table_nothing_errs(make_runs: Make) -> None:
    target, svc = make_runs("v0.8")
    for table in ("workflow_node_sessions", "workflow_events", "workflow_runs"):
        svc.db.run(f"DROP TABLE remote_agent_{table}")

    async def work(store: Store) -> tuple[Any, ...]:
        return (
            await store.list_runs(),
            await store.run_stuck_counts(),
            await store.get_run("x"),
            store.has_runs,
        )

    page, counts, detail, has = read(target, work)
    assert page.rows == [] and page.next_cursor is None
    assert set(counts.values()) == {None}
    assert detail is None and has is False
    with pytest.raises(UnknownRun, match="no workflow runs table"):
        read(target, lambda s: s.resolve_run_id("abc"))


def test_now_is_the_store_clock(make_runs: Make) -> None:
    """Durations run to the store's now while a run has not finished."""
    target, svc = make_runs("v0.8")
    run = svc.create("plan", svc.conversation())
    rows = read(target, all_rows)
    started = rows[0].started_at
    assert isinstance(started, datetime)
    assert rows[0].duration(started + timedelta(minutes=3)) == timedelta(minutes=3)
    assert rows[0].id == run


def test_a_search_reads_a_window_of_the_newest_runs_and_says_where_to_go_on(
    make_runs: Make,
) -> None:
    """`search_runs` looks at `window` runs at a time, newest first: a text found there
    is the list's own page; otherwise the page says how many runs it searched and where
    the next window starts, and walking the windows finds what the whole list holds."""
    target, svc = make_runs("v0.8")
    conv = svc.conversation()
    for i in range(7):
        svc.create(f"wf-{i}", conv, user_message="needle here" if i == 4 else "hay")

    async def work(store: Store) -> tuple[list[RunRow], list[RunPage], list[RunPage], RunPage]:
        whole = (await store.list_runs(None, None, 100)).rows

        async def walk(text: str) -> list[RunPage]:
            pages: list[RunPage] = []
            cursor: RunCursor | None = None
            while True:
                page = await store.search_runs(RunFilter(text=text), cursor, 50, window=3)
                pages.append(page)
                cursor = page.next_cursor or page.resume
                if cursor is None:
                    return pages

        wide = await store.search_runs(RunFilter(text="needle"), None, 50, window=100)
        return whole, await walk("needle"), await walk("matches-nothing"), wide

    whole, needle, nothing, wide = read(target, work)
    (match,) = [r for r in whole if r.workflow_name == "wf-4"]
    at = [r.id for r in whole].index(match.id)
    found = [r.id for p in needle for r in p.rows]
    assert found == [match.id]
    assert [bool(p.rows) for p in needle].index(True) == at // 3
    assert all(p.searched == 3 for p in needle + nothing)
    assert len(nothing) == 3 and all(p.rows == [] for p in nothing)
    assert [p.resume is None for p in nothing] == [False, False, True]
    assert [r.id for r in wide.rows] == [match.id]
    assert (wide.resume, wide.next_cursor, wide.searched) == (None, None, 100)


def test_stuck_runs_page_like_the_list_and_keep_a_run_without_a_start_time(
    make_runs: Make,
) -> None:
    """A paused run whose `started_at` is NULL (the service's writes never leave one, a
    hand-edited row can) is stuck all the same: `stuck_runs` lists it last, as the list
    does, counts agree, and its pages go on by their cursor without a gap or a repeat."""
    target, svc = make_runs("v0.8")
    conv = svc.conversation()
    gates = [svc.create(f"gate-{i}", conv) for i in range(3)]
    for gate in gates:
        svc.start(gate)
        svc.pause(gate)
    svc.create("idle", conv)  # pending, young: not stuck
    svc.db.run(f"UPDATE remote_agent_workflow_runs SET started_at = NULL WHERE id = '{gates[0]}'")

    async def work(store: Store) -> tuple[RunPage, list[RunRow], Any]:
        whole = await store.stuck_runs(None, 100)
        paged: list[RunRow] = []
        cursor: RunCursor | None = None
        while True:
            page = await store.stuck_runs(None, 1, cursor)
            paged += page.rows
            cursor = page.next_cursor
            if cursor is None:
                return whole, paged, await store.run_stuck_counts()

    whole, paged, counts = read(target, work)
    assert [r.id for r in whole.rows][-1] == gates[0] and whole.next_cursor is None
    assert sorted(r.id for r in whole.rows) == sorted(gates)
    assert whole.rows[-1].started_at is None
    assert [r.id for r in paged] == [r.id for r in whole.rows]
    assert counts[RunStuckKind.AWAITING_APPROVAL] == len(gates)
