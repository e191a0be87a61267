"""The list's main statements are answered from the tool's indexes, not by a full table scan.

A 20,000-session service database of today's schema (the service's v0.7 through v0.9,
users included) is built once per backend, migrated with our revisions
(which add the `ix_sessions_tui_*` indexes) and ANALYZEd, so the planner's choice is the
one a real, large database would get. The statements are exactly those the store runs
(`queries.list_statement`), compiled with literal values and explained by the database.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect as SaDialect

from tests.support.dbs import ANCHOR, create_service_db
from tests.support.pgserver import PgServer
from tests.support.sql_log import statement_log
from tui.domain.models import NOT_RECORDED_TOKEN, Cursor, SessionFilter, SortKey, Status
from tui.domain.trends import TrendBy, TrendWindow
from tui.store import queries as q
from tui.store.backends import backend_for
from tui.store.migrate import upgrade
from tui.store.store import open_store
from tui.store.tables import ACTIVE_INDEX, TOOL_INDEXES
from tui.store.target import DbTarget

TABLE = "remote_agent_sessions"
INDEX_PREFIX = "ix_sessions_tui_"
N_SESSIONS = 20_000


@dataclass
class PlanDb:
    kind: str
    target: DbTarget
    cursors: dict[str, Cursor]
    explain: Callable[..., Any]
    """The database's plan for `sql`: lines (SQLite) or the JSON document (PostgreSQL)."""
    query: Callable[[str], list[Sequence[Any]]]
    dialect: SaDialect


async def _build(url: str) -> tuple[DbTarget, dict[str, Cursor]]:
    target = await create_service_db(url, sessions=N_SESSIONS, era="v0.7")
    await upgrade(target)
    store = await open_store(target)
    try:
        # Real cursors: the last row of a first page, as the store hands them out.
        cursors = {}
        for name, flt in (
            ("all", SessionFilter()),
            ("active", SessionFilter(status=Status.ACTIVE)),
            ("rare", SessionFilter(reasons=frozenset({"repo-removed"}))),
        ):
            page = await store.list_sessions(flt, limit=100)
            assert page.next_cursor is not None, name
            cursors[name] = page.next_cursor
    finally:
        await store.close()
    return target, cursors


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def plan_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PlanDb]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("plans") / "archon.db"
        target, cursors = asyncio.run(_build(f"sqlite:///{path}"))
        conn = sqlite3.connect(str(path))
        conn.execute("ANALYZE")
        conn.commit()

        def explain_sqlite(sql: str) -> list[str]:
            return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]

        def query_sqlite(sql: str) -> list[Sequence[Any]]:
            return list(conn.execute(sql))

        try:
            yield PlanDb(
                "sqlite",
                target,
                cursors,
                explain_sqlite,
                query_sqlite,
                sqlite.aiosqlite.dialect(),
            )
        finally:
            conn.close()
        return

    server: PgServer = request.getfixturevalue("pg_server")
    name = "plans_" + uuid.uuid4().hex[:12]
    url = server.create_database(name)
    target, cursors = asyncio.run(_build(url))
    # INDEX_CLEANUP ON: a plain VACUUM skips the index pass when few rows died and leaves
    # their pages out of the visibility map, and then whether an index-only scan looks
    # cheaper than an index scan depends on which pages those were.
    server.psql("VACUUM (ANALYZE, INDEX_CLEANUP ON)", name)

    def explain_pg(sql: str, prefix: bool = True) -> Any:
        return json.loads(server.psql(("EXPLAIN (FORMAT JSON) " if prefix else "") + sql, name))

    def query_pg(sql: str) -> list[Sequence[Any]]:
        out = server.psql(sql, name)
        return [line.split("|") for line in out.splitlines()]

    try:
        yield PlanDb(
            "postgresql", target, cursors, explain_pg, query_pg, postgresql.asyncpg.dialect()
        )
    finally:
        if server.is_running():
            server.drop_database(name)


CASES: dict[str, tuple[SessionFilter, str | None]] = {
    "no-filter": (SessionFilter(), None),
    "status-active": (SessionFilter(status=Status.ACTIVE), None),
    "status-ended": (SessionFilter(status=Status.ENDED), None),
    "one-reason": (SessionFilter(reasons=frozenset({"reset-requested"})), None),
    "rare-reason": (SessionFilter(reasons=frozenset({"repo-removed"})), None),
    "rare-unrecognised-value": (SessionFilter(reasons=frozenset({"session-expired"})), None),
    "not-recorded": (SessionFilter(reasons=frozenset({NOT_RECORDED_TOKEN})), None),
    "several-reasons": (
        SessionFilter(reasons=frozenset({"reset-requested", "cwd-changed", NOT_RECORDED_TOKEN})),
        None,
    ),
    "several-reasons-ended-after-cursor": (
        SessionFilter(status=Status.ENDED, reasons=frozenset({"repo-removed", "cwd-changed"})),
        "rare",
    ),
    "page-after-cursor": (SessionFilter(), "all"),
    "active-page-after-cursor": (SessionFilter(status=Status.ACTIVE), "active"),
    "rare-reason-page-after-cursor": (SessionFilter(reasons=frozenset({"repo-removed"})), "rare"),
}


TODAY = {"has_owner": True, "has_deleted": True, "has_hidden": True}
"""The Store's dialect on today's schema: the list joins the conversation's user."""


def _compiled(db: PlanDb, flt: SessionFilter, cursor: Cursor | None) -> str:
    d = q.Dialect(backend_for(db.kind), True, **TODAY)
    stmt = q.list_statement(d, flt, SortKey.STARTED, cursor, 100)
    return str(stmt.compile(dialect=db.dialect, compile_kwargs={"literal_binds": True}))


def _pg_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _pg_nodes(child)


def _full_scan_problems(kind: str, plan: Any) -> list[str]:
    """Why `plan` is not index-driven on remote_agent_sessions ([] when it is)."""
    problems: list[str] = []
    if kind == "sqlite":
        on_table = [line for line in plan if f" {TABLE}" in f" {line}".split(" USING")[0]]
        if not on_table:
            problems.append(f"{TABLE} does not appear in the plan")
        for line in on_table:
            if line.startswith(("SCAN", "SEARCH")) and not (
                "USING INDEX" in line or "USING COVERING INDEX" in line
            ):
                problems.append(f"full scan: {line}")
        if not any(INDEX_PREFIX in line for line in on_table):
            problems.append(f"no {INDEX_PREFIX}* index is used")
        return problems
    nodes = list(_pg_nodes(plan[0]["Plan"]))
    on_table = [n for n in nodes if n.get("Relation Name") == TABLE]
    if not on_table:
        problems.append(f"{TABLE} does not appear in the plan")
    problems += [f"Seq Scan on {TABLE}" for n in on_table if n["Node Type"] == "Seq Scan"]
    if not any(
        n["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
        and str(n.get("Index Name", "")).startswith(INDEX_PREFIX)
        for n in nodes
    ):
        problems.append(f"no index scan on an {INDEX_PREFIX}* index")
    return problems


@pytest.mark.parametrize("case", list(CASES))
def test_list_statement_uses_an_index(plan_db: PlanDb, case: str) -> None:
    flt, cursor_name = CASES[case]
    cursor = plan_db.cursors[cursor_name] if cursor_name else None
    sql = _compiled(plan_db, flt, cursor)
    assert "LIMIT 101" in sql
    if cursor is not None:
        assert f"({TABLE}.started_at, {TABLE}.id) < (" in sql
    plan = plan_db.explain(sql)
    shown = json.dumps(plan, indent=1) if plan_db.kind == "postgresql" else "\n".join(plan)
    problems = _full_scan_problems(plan_db.kind, plan)
    assert problems == [], f"{case}: {problems}\n--- SQL ---\n{sql}\n--- plan ---\n{shown}"


SEEK_CASES = ("rare-reason", "not-recorded", "rare-reason-page-after-cursor", "several-reasons")


@pytest.mark.parametrize("case", SEEK_CASES)
def test_reason_filters_seek_the_reason_index(plan_db: PlanDb, case: str) -> None:
    """Using "an index" is not enough for a reason: walking the started_at index with a
    filter uses one too, and cost 312 ms for not-recorded on 1M PostgreSQL sessions
    (pre-016 rows are the oldest). The reason must bound the read of the reason index."""
    flt, cursor_name = CASES[case]
    cursor = plan_db.cursors[cursor_name] if cursor_name else None
    sql = _compiled(plan_db, flt, cursor)
    plan = plan_db.explain(sql)
    merged = len(flt.reasons) > 1  # k pages of 101 merged: only that bounded sort is allowed
    if plan_db.kind == "sqlite":
        text = "\n".join(plan)
        seek = "USING INDEX ix_sessions_tui_reason_started (ended_reason=?"
        assert sum(seek in line for line in plan) == len(flt.reasons), text
        if not merged:
            assert "TEMP B-TREE" not in text, text
        return
    nodes = list(_pg_nodes(plan[0]["Plan"]))
    seeks = [
        n
        for n in nodes
        if n.get("Index Name") == "ix_sessions_tui_reason_started"
        and "ended_reason" in str(n.get("Index Cond", ""))
    ]
    assert seeks, json.dumps(plan, indent=1)
    if not merged:
        sorts = [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")]
        assert not sorts, json.dumps(plan, indent=1)


USER_CASES = {
    "common-user": SessionFilter(user="Ada Lovelace"),
    "rare-user-by-email": SessionFilter(user="KEN@example.com"),
    "unknown-user": SessionFilter(user="nobody@example.com"),
    "user-and-status": SessionFilter(user="grace@example.com", status=Status.ACTIVE),
}


@pytest.mark.parametrize("case", list(USER_CASES))
def test_user_filter_reads_users_then_conversations_then_their_sessions(
    plan_db: PlanDb, case: str
) -> None:
    """The owner filter costs the user's sessions, not the table: the users table (small)
    is read first, its ids seek idx_conversations_user_id, and the conversations' ids seek
    the sessions by conversation_id. Never a walk of every session testing each one."""
    sql = _compiled(plan_db, USER_CASES[case], None)
    plan = plan_db.explain(sql)
    if plan_db.kind == "sqlite":
        text = "\n".join(plan)
        on_sessions = [line for line in plan if f"{TABLE} USING" in line or line.endswith(TABLE)]
        assert on_sessions, text
        assert all("(conversation_id=?" in line for line in on_sessions), text
        assert any("idx_conversations_user_id" in line for line in plan), text
        return
    shown = json.dumps(plan, indent=1)
    nodes = list(_pg_nodes(plan[0]["Plan"]))
    # `newer` is the duplicate check, a per-row subplan run for the page's active rows
    on_sessions = [
        n for n in nodes if n.get("Relation Name") == TABLE and n.get("Alias") != "newer"
    ]
    assert on_sessions, shown
    for node in on_sessions:  # an index scan, or a bitmap heap scan over one
        cond = str(node.get("Index Cond", "")) + str(node.get("Recheck Cond", ""))
        assert "conversation_id = ANY" in cond, shown
    # The user's conversations come from the users first, in an InitPlan run once; with
    # the demo's eight users PostgreSQL rightly reads them by seq scan or by the index.
    init = [n for n in nodes if n.get("Parent Relationship") == "InitPlan"]
    assert init and "remote_agent_users" in json.dumps(init), shown


def _user_statements(db: PlanDb, flt: SessionFilter) -> dict[str, str]:
    """What the Store runs for an owner filter: the newest `SEARCH_WINDOW` sessions
    walked first down to their floor, then the full statement when the window did not
    fill the page."""
    d = q.Dialect(backend_for(db.kind), True, **TODAY)
    kw = {"literal_binds": True}
    boundary = q.window_boundary(d, None, q.SEARCH_WINDOW)
    floor = db.query(str(boundary.compile(dialect=db.dialect, compile_kwargs=kw)))[0][0]
    if db.kind == "postgresql":  # psql hands back text
        floor = datetime.fromisoformat(str(floor))
    window = q.bounded_search_statement(d, flt, None, 100, floor)
    full = q.list_statement(d, flt, SortKey.STARTED, None, 100)
    return {
        "window": str(window.compile(dialect=db.dialect, compile_kwargs=kw)),
        "full": str(full.compile(dialect=db.dialect, compile_kwargs=kw)),
    }


@pytest.mark.parametrize("plan_db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", list(USER_CASES))
def test_user_filter_never_reads_every_conversation_without_statistics(
    plan_db: PlanDb, case: str, tmp_path: Path
) -> None:
    """SQLite as the service leaves it, never ANALYZEd: the owner filter reads the users,
    then only their conversations (a seek of idx_conversations_user_id), or, walking the
    window, tests each walked session's own conversation; never a pass over every
    conversation (221,250 of them at 1M sessions: 1-3 s per page)."""
    assert plan_db.target.path is not None  # (PostgreSQL's autovacuum keeps statistics)
    bare = tmp_path / "no-stats.db"
    copy = sqlite3.connect(str(bare))
    source = sqlite3.connect(str(plan_db.target.path))
    try:
        source.backup(copy)
        copy.execute("DROP TABLE IF EXISTS sqlite_stat1")
        copy.commit()
    finally:
        source.close()
        copy.close()
    conn = sqlite3.connect(str(bare))
    try:
        for kind, sql in _user_statements(plan_db, USER_CASES[case]).items():
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            text = f"{kind}:\n" + "\n".join(plan)
            conversations = [line for line in plan if "remote_agent_conversations" in line]
            assert conversations, text
            assert all(line.startswith("SEARCH ") for line in conversations), text
            if kind == "full":
                assert any("idx_conversations_user_id (user_id=?)" in line for line in plan), text
            else:  # the walk: a range of a started_at index (the active one under
                # status active) down to the window's floor
                walk = [line for line in plan if line.startswith(f"SEARCH {TABLE}")]
                assert any(INDEX_PREFIX in w and "started_at>?" in w for w in walk), text
    finally:
        conn.close()


def test_the_check_catches_a_forced_full_scan(plan_db: PlanDb) -> None:
    """The same statement, with the indexes taken away, must be reported as a full scan."""
    sql = _compiled(plan_db, SessionFilter(status=Status.ACTIVE), None)
    if plan_db.kind == "sqlite":
        forced = plan_db.explain(
            sql.replace(f"FROM {TABLE} LEFT", f"FROM {TABLE} NOT INDEXED LEFT", 1)
        )
    else:
        forced = plan_db.explain(
            "SET enable_indexscan = off; SET enable_bitmapscan = off; "
            "SET enable_indexonlyscan = off; EXPLAIN (FORMAT JSON) " + sql,
            prefix=False,
        )
    problems = _full_scan_problems(plan_db.kind, forced)
    assert any("scan" in p.lower() for p in problems), forced


STUCK_CASES = {
    "every-kind": SessionFilter(),
    "status-active": SessionFilter(status=Status.ACTIVE),
    "platform": SessionFilter(platform="slack"),
}


def _stuck_plan(plan_db: PlanDb, flt: SessionFilter, *, active_index: bool) -> Any:
    """The plan of the stuck counts as `Store.stuck_counts` runs them: the statement it
    sends, planned under the transaction settings it sends before it (on PostgreSQL, no
    parallel workers, and no hash or merge join where it probes by index; a planner left
    to its statistics may choose otherwise). `active_index` off is a database not
    migrated to 0008. Every kind is computed, as where the service version can produce
    each (on SQLite from v0.2.13 on, as this database is, `duplicate` is not computed:
    that statement reads less, the duplicate probe aside)."""

    def compiled(stmt: Any) -> str:
        return str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))

    async def run() -> list[str]:
        store = await open_store(plan_db.target, read_only=True)
        try:
            assert store.d.has_active_index
            if not active_index:
                store.d = replace(store.d, has_active_index=False)
            store.d = replace(store.d, undetectable=frozenset())
            with statement_log(store) as sent:
                await store.stuck_counts(flt)
            return [compiled(stmt) for stmt in sent]
        finally:
            await store.close()

    sent = asyncio.run(run())
    settings = [sql for sql in sent if sql.startswith("SET LOCAL ")]
    (counts,) = [sql for sql in sent if TABLE in sql]
    if plan_db.kind == "sqlite":
        assert settings == []
        return plan_db.explain(counts)
    assert any("max_parallel_workers_per_gather" in sql for sql in settings), sent
    script = ["BEGIN", *settings, "EXPLAIN (FORMAT JSON) " + counts, "COMMIT"]
    return plan_db.explain(";\n".join(script) + ";", prefix=False)


@pytest.mark.parametrize("case", list(STUCK_CASES))
def test_stuck_counts_read_the_active_sessions_through_indexes(plan_db: PlanDb, case: str) -> None:
    """Without the tool's active index (a database not migrated to 0008) the counts still
    cost the active sessions only: reached by an index on `active`, each conversation by
    its primary key, a conversation's other sessions (duplicate) by conversation_id."""
    plan = _stuck_plan(plan_db, STUCK_CASES[case], active_index=False)
    if plan_db.kind == "sqlite":
        text = "\n".join(plan)
        reads = [line for line in plan if line.startswith(("SCAN", "SEARCH"))]
        assert reads, text
        assert all("USING" in line for line in reads), text  # no table walked whole
        (sessions,) = [line for line in reads if line.split()[1] == TABLE]
        if case != "platform":  # else by the platform's conversations, also an index
            # (with statistics, as here, SQLite may pick the active index by itself)
            assert "(active=?" in sessions or ACTIVE_INDEX in sessions, text
        assert any("newer USING" in line and "conversation" in line for line in reads), text
        return
    shown = json.dumps(plan, indent=1)
    nodes = list(_pg_nodes(plan[0]["Plan"]))
    scans = [n for n in nodes if "Relation Name" in n]
    assert not [n for n in scans if n["Node Type"] == "Seq Scan" and n["Relation Name"] == TABLE], (
        shown
    )
    outer = [n for n in scans if n["Relation Name"] == TABLE and n.get("Alias") != "newer"]
    assert outer, shown
    if case != "platform":
        assert all("active" in json.dumps(n) for n in outer), shown


@pytest.mark.parametrize("case", list(STUCK_CASES))
def test_stuck_counts_read_the_active_index_alone(plan_db: PlanDb, case: str) -> None:
    """With the tool's active index (0008: the active sessions alone, by conversation)
    the counts never read the sessions table: with no filter but the status, every
    session comes from that index (covering; SQLite is told to use it) or, on PostgreSQL,
    from it or another index by `active` as the planner's statistics say, and `duplicate`
    seeks it by conversation under any filter. Each conversation is read by its primary
    key."""
    plan = _stuck_plan(plan_db, STUCK_CASES[case], active_index=True)
    if plan_db.kind == "sqlite":
        text = "\n".join(plan)
        reads = [line for line in plan if line.startswith(("SCAN", "SEARCH"))]
        assert all("USING" in line for line in reads), text  # no table walked whole
        (newer,) = [line for line in reads if line.split()[1] == "newer"]
        assert f"USING COVERING INDEX {ACTIVE_INDEX} (conversation_id=?" in newer, text
        (outer,) = [line for line in reads if line.split()[1] == TABLE]
        if case != "platform":
            assert outer == f"SCAN {TABLE} USING COVERING INDEX {ACTIVE_INDEX}", text
        (conv,) = [line for line in reads if line.split()[1] == "remote_agent_conversations"]
        assert "(id=?)" in conv, text
        return
    shown = json.dumps(plan, indent=1)
    scans = [n for n in _pg_nodes(plan[0]["Plan"]) if n.get("Relation Name") == TABLE]
    assert scans, shown
    assert all(n["Node Type"] != "Seq Scan" for n in scans), shown
    newer = [n for n in scans if n.get("Alias") == "newer"]
    assert newer and all(n.get("Index Name") == ACTIVE_INDEX for n in newer), shown
    if case != "platform":
        # The active sessions alone: PostgreSQL weighs that index (covering) against the
        # other indexes that begin with `active` by its statistics, and on this small
        # table took either in different runs; any of them reads the active rows only.
        for n in scans:
            assert n["Node Type"] in ("Index Only Scan", "Index Scan"), shown
            by_active = n.get("Index Cond", "").startswith("(active = true)")
            assert n.get("Index Name") == ACTIVE_INDEX or by_active, shown


def test_the_plan_database_is_big_and_migrated(plan_db: PlanDb) -> None:
    """The plans above mean something only on a large, analyzed table that has our indexes."""
    count = plan_db.query(f"SELECT COUNT(*) FROM {TABLE}")[0][0]
    assert int(count) == N_SESSIONS
    if plan_db.kind == "sqlite":
        names_sql = f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{TABLE}'"
        assert plan_db.query("SELECT COUNT(*) FROM sqlite_stat1")[0][0] > 0
    else:
        names_sql = f"SELECT indexname FROM pg_indexes WHERE tablename = '{TABLE}'"
        analyzed = plan_db.query(
            f"SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = '{TABLE}'"
        )
        assert analyzed[0][0] in ("t", True)
    names = {row[0] for row in plan_db.query(names_sql)}
    assert set(TOOL_INDEXES) <= names


FACET_CASES = {
    "all": SessionFilter(),
    "ended": SessionFilter(status=Status.ENDED),
    "active": SessionFilter(status=Status.ACTIVE),
}


@pytest.mark.parametrize("case", list(FACET_CASES))
def test_facet_counts_read_one_index_in_one_pass(plan_db: PlanDb, case: str) -> None:
    """Reason counts run on every filter change: one pass, no per-row table lookups.

    SQLite answers from the covering ix_sessions_tui_facets index in group order (no
    temporary B-tree). PostgreSQL aggregates in a single scan of the table or an index.
    """
    stmt = q.facet_statement(q.Dialect(backend_for(plan_db.kind), True), FACET_CASES[case])
    sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    plan = plan_db.explain(sql)
    if plan_db.kind == "sqlite":
        text = "\n".join(plan)
        assert "USING COVERING INDEX ix_sessions_tui_facets" in text, text
        assert "TEMP B-TREE" not in text, text
    else:
        nodes = list(_pg_nodes(plan[0]["Plan"]))
        scans = [n for n in nodes if n.get("Relation Name") == TABLE]
        assert len(scans) == 1, json.dumps(plan, indent=1)
        assert any("Aggregate" in n["Node Type"] for n in nodes), json.dumps(plan, indent=1)


LIVE_MARK = ANCHOR - timedelta(minutes=10)
"""A full count's mark on the demo data: the database's clock (the demo's anchor) less
the store's margin. Some sessions ended after it; none of the active ones started after."""

REFRESH_BRANCHES = {  # what bounds each branch's read, in the statement's order
    q.NEW_ACTIVE: ("ix_sessions_tui_active_started", "started_at>?"),
    1: ("ix_sessions_tui_live", "active>?"),
    2: ("ix_sessions_tui_live", "active>? AND active<?"),
    3: ("ix_sessions_tui_live", "active<?"),
    4: ("ix_sessions_tui_live", "active=?"),  # IS NULL
    5: ("ix_sessions_tui_live", "active=? AND ended_at=?"),  # IS NULL
    6: ("ix_sessions_tui_live", "active=? AND ended_at>?"),
    q.STARTED_SINCE: ("", "started_at>?"),
}


@pytest.mark.parametrize("case", list(FACET_CASES))
def test_live_facet_counts_read_only_rows_changed_since_the_mark(
    plan_db: PlanDb, case: str
) -> None:
    """A refresh's reason counts (settled counts + this + arithmetic) touch neither
    settled rows nor the active sessions older than the mark: every branch is an index
    range bounded by the odd value, the ended_at or the started_at since the mark.

    On PostgreSQL the statement is also run: the rows its index scans return are the
    rows that changed since the mark, fewer than the active sessions a read of every
    active row (the statement before tui.store.delta) returned.
    """
    d = q.Dialect(backend_for(plan_db.kind), True)
    stmt = q.live_facet_statement(d, FACET_CASES[case], LIVE_MARK, all_active=False)
    sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    if plan_db.kind == "sqlite":
        plan = plan_db.explain(sql)
        text = "\n".join(plan)
        reads = [line for line in plan if TABLE in line]
        assert len(reads) == len(REFRESH_BRANCHES), text
        for line, (index, bound) in zip(reads, REFRESH_BRANCHES.values(), strict=True):
            assert line.startswith("SEARCH") and index in line and bound in line, text
        return
    analyzed = plan_db.explain("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, prefix=False)
    nodes = list(_pg_nodes(analyzed[0]["Plan"]))
    on_table = [n for n in nodes if n.get("Relation Name") == TABLE]
    assert on_table, json.dumps(analyzed, indent=1)
    assert not [n for n in on_table if n["Node Type"] == "Seq Scan"], json.dumps(analyzed)
    returned = sum(n["Actual Rows"] * n["Actual Loops"] for n in on_table)
    ts = LIVE_MARK.strftime("%Y-%m-%d %H:%M:%S")
    (changed,) = plan_db.query(
        "SELECT count(*) FROM remote_agent_sessions WHERE active IS NOT true"
        f" AND (ended_at IS NULL OR ended_at >= '{ts}') OR started_at >= '{ts}'"
    )[0]
    ((active,),) = plan_db.query("SELECT count(*) FROM remote_agent_sessions WHERE active")
    assert int(changed) < int(active) / 2, (changed, active)  # the premise of the test
    assert returned <= 2 * int(changed), json.dumps(analyzed, indent=1)
    assert returned < int(active), json.dumps(analyzed, indent=1)


@pytest.mark.parametrize("case", list(FACET_CASES))
def test_full_counts_live_part_reads_indexes_only(plan_db: PlanDb, case: str) -> None:
    """The live part a full count reads with it (every active row, for the arithmetic)
    is index ranges too, never a scan of the table."""
    d = q.Dialect(backend_for(plan_db.kind), True)
    stmt = q.live_facet_statement(d, FACET_CASES[case], LIVE_MARK, all_active=True)
    sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    plan = plan_db.explain(sql)
    if plan_db.kind == "sqlite":
        reads = [line for line in plan if TABLE in line]
        assert reads and all(line.startswith("SEARCH") for line in reads), "\n".join(plan)
    else:
        assert not _full_scan_problems(plan_db.kind, plan), json.dumps(plan, indent=1)


ASCENDING_CASES = ("no-filter", "status-active", "one-reason")
"""(The fixture's cursors are near the newest end: the rows above them are one page, for
which a hash join and a sort of 100 rows is PostgreSQL's cheapest plan.)"""


def _no_sort_problems(kind: str, plan: Any) -> list[str]:
    """A page in index order needs no sort of the rows it reads."""
    if kind == "sqlite":
        return [f"sort: {line}" for line in plan if "TEMP B-TREE" in line]
    nodes = list(_pg_nodes(plan[0]["Plan"]))
    return [f"{n['Node Type']}" for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")]


@pytest.mark.parametrize("case", ASCENDING_CASES)
def test_the_list_read_from_its_other_end_uses_the_same_index_backwards(
    plan_db: PlanDb, case: str
) -> None:
    """G/End and ascending sorts: the same index, read the other way, no sort."""
    flt, cursor_name = CASES[case]
    cursor = plan_db.cursors[cursor_name] if cursor_name else None
    d = q.Dialect(backend_for(plan_db.kind), True, **TODAY)
    stmt = q.list_statement(d, flt, SortKey.STARTED, cursor, 100, ascending=True)
    sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    plan = plan_db.explain(sql)
    problems = _full_scan_problems(plan_db.kind, plan) + _no_sort_problems(plan_db.kind, plan)
    assert problems == [], f"{case}: {problems}\n{sql}\n{plan}"


def test_a_bounded_search_window_walks_the_started_index(plan_db: PlanDb) -> None:
    """The window's floor and its walk: index ranges on started_at in order, never a
    scan of the sessions or a sort; the page's rows are then read by id (and sorted, a
    page of them)."""
    d = q.Dialect(backend_for(plan_db.kind), True, **TODAY)
    cursor = plan_db.cursors["all"]
    flt = SessionFilter(search="matches-nothing")
    boundary = q.window_boundary(d, cursor, 5000)
    floor = plan_db.query(
        str(boundary.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    )[0][0]
    if plan_db.kind == "postgresql":  # psql hands back text
        floor = datetime.fromisoformat(str(floor))
    walk = q.window_walk(d, flt, cursor, 100, floor)
    for stmt in (boundary, walk, q.bounded_search_statement(d, flt, cursor, 100, floor)):
        sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
        plan = plan_db.explain(sql)
        problems = _full_scan_problems(plan_db.kind, plan)
        if stmt is not walk or plan_db.kind == "sqlite":
            problems = [p for p in problems if not p.startswith("no ix_sessions_tui_")]
        if stmt is boundary or stmt is walk:
            problems += _no_sort_problems(plan_db.kind, plan)
        assert problems == [], f"{problems}\n{sql}\n{plan}"


WALKED = (TABLE, "remote_agent_conversations", "searched_conversation")
"""The tables (and the walk's alias) a window's walk reads row by row: never whole."""


def _whole_table_reads(kind: str, plan: Any) -> list[str]:
    """Reads of a whole sessions or conversations table in `plan`, through an index or
    not (the codebases and users that match a text are read whole: a row per
    repository or person)."""
    if kind == "sqlite":
        return [line for line in plan if line.startswith("SCAN") and line.split()[1] in WALKED]
    nodes = list(_pg_nodes(plan[0]["Plan"]))
    return [
        f"{n['Node Type']} on {n['Relation Name']}"
        for n in nodes
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in WALKED
    ]


@pytest.mark.parametrize("window", [500, 5000])
def test_a_search_window_that_matches_nothing_reads_the_window_not_the_table(
    plan_db: PlanDb, window: int
) -> None:
    """The walk reads the window's sessions and each one's conversation by its key:
    what it costs follows the window. (Joined in the walk, PostgreSQL hashed every
    conversation of the database for it.)"""
    d = q.Dialect(backend_for(plan_db.kind), True, **TODAY)
    flt = SessionFilter(search="matches-nothing")
    boundary = q.window_boundary(d, None, window)
    floor = plan_db.query(
        str(boundary.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    )[0][0]
    if plan_db.kind == "postgresql":
        floor = datetime.fromisoformat(str(floor))
    stmt = q.bounded_search_statement(d, flt, None, 100, floor)
    sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    plan = plan_db.explain(sql)
    shown = json.dumps(plan, indent=1) if plan_db.kind == "postgresql" else "\n".join(plan)
    assert _whole_table_reads(plan_db.kind, plan) == [], f"{sql}\n{shown}"


NARROWING_CASES = {
    "search-matches-nothing": SessionFilter(search="matches-nothing"),
    "unknown-user": SessionFilter(user="nobody@example.com"),
    "user-and-search-match-nothing": SessionFilter(user="Ada", search="matches-nothing"),
}


def _whole_index_reads(db: PlanDb, sql: str) -> tuple[list[str], str]:
    """Reads of the sessions table by `sql` that go down an index with no range to stop
    at (`[]` when none), and the plan to show. SQLite's plan says it: a SCAN. PostgreSQL
    is asked to run it (EXPLAIN ANALYZE): a node that reads more than twice the window
    (ties at its floor are all in) read the table's index, not the window."""
    if db.kind == "sqlite":
        plan = db.explain(sql)
        return [line for line in plan if line.startswith(f"SCAN {TABLE}")], "\n".join(plan)
    plan = db.explain("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, prefix=False)
    reads = []
    for n in _pg_nodes(plan[0]["Plan"]):
        if n.get("Relation Name") != TABLE:
            continue
        read = (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]
        if read > 2 * q.SEARCH_WINDOW:
            reads.append(f"{n['Node Type']} using {n.get('Index Name')}: {read} rows")
    return reads, json.dumps(plan, indent=1)


@pytest.mark.parametrize("case", list(NARROWING_CASES))
def test_a_narrowing_list_tries_its_window_by_a_range_not_the_whole_index(
    plan_db: PlanDb, case: str
) -> None:
    """`list_sessions` with a search or an owner first tries the newest `SEARCH_WINDOW`
    sessions. With nothing there, that try costs the window: the floor read first, then
    the window walked as a range down the started_at index. Only the list's own
    statement (the complete answer, asked for next) may read the whole index. (With the
    floor computed inside the statement, SQLite tested it on every entry: 225-260 ms at
    1M sessions before the full read began.)"""
    flt = NARROWING_CASES[case]

    def compiled(stmt: Any) -> str:
        return str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))

    async def run() -> tuple[list[str], str, int]:
        store = await open_store(plan_db.target, read_only=True)
        try:
            with statement_log(store) as sent:
                page = await store.list_sessions(flt, limit=100)
            full = q.list_statement(store.d, flt, SortKey.STARTED, None, 100)
            return [compiled(stmt) for stmt in sent], compiled(full), len(page.rows)
        finally:
            await store.close()

    sent, full, found = asyncio.run(run())
    assert found == 0
    on_sessions = [sql for sql in sent if TABLE in sql]
    assert full in on_sessions, "the window found nothing: the list's own statement follows"
    first_try = on_sessions[: on_sessions.index(full)]
    assert any("LIMIT" in sql and "OFFSET" in sql for sql in first_try), first_try  # the floor
    for sql in first_try:
        reads, shown = _whole_index_reads(plan_db, sql)
        assert reads == [], f"{sql}\n{shown}"


def _ended_cursor(db: PlanDb, ascending: bool) -> Cursor:
    """The 100th session by end time (newest first, or oldest first `ascending`), read
    with the test's own SQL: the last row of a first page."""
    way = "ASC" if ascending else "DESC"
    row = db.query(
        f"SELECT ended_at, id FROM {TABLE} WHERE ended_at IS NOT NULL"
        f" ORDER BY ended_at {way}, id {way} LIMIT 1 OFFSET 99"
    )[0]
    key: Any = str(row[0]).strip()
    if db.kind == "postgresql":  # psql hands back text
        key = datetime.fromisoformat(key)
    return Cursor(key=key, id=str(row[1]).strip())


ENDED_SORT_CASES = {
    "first-page": lambda db, asc: q.first_segment(SortKey.ENDED, ascending=asc),
    "after-cursor": lambda db, asc: _ended_cursor(db, asc),
    "active-phase": lambda db, asc: Cursor(key=None, id="", segment_top=True),
}


@pytest.mark.parametrize("ascending", [False, True], ids=["desc", "asc"])
@pytest.mark.parametrize("status", [Status.ALL, Status.ENDED])
@pytest.mark.parametrize("case", list(ENDED_SORT_CASES))
def test_the_ended_sort_reads_the_ended_index_in_order(
    plan_db: PlanDb, case: str, status: Status, ascending: bool
) -> None:
    """Each phase of the `ended` sort (the ended sessions, then the active ones) is one
    range of ix_sessions_tui_ended read in order: a page stops after its rows, no sort
    of every filtered session."""
    cursor = ENDED_SORT_CASES[case](plan_db, ascending)
    d = q.Dialect(backend_for(plan_db.kind), True, **TODAY)
    flt = SessionFilter(status=status)
    stmt = q.list_statement(d, flt, SortKey.ENDED, cursor, 100, ascending=ascending)
    sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    plan = plan_db.explain(sql)
    shown = json.dumps(plan) if plan_db.kind == "postgresql" else "\n".join(plan)
    problems = _full_scan_problems(plan_db.kind, plan) + _no_sort_problems(plan_db.kind, plan)
    assert "ix_sessions_tui_ended" in shown, shown
    assert problems == [], f"{problems}\n{sql}\n{shown}"


@pytest.mark.parametrize("case", ["first-page", "active-phase"])
def test_the_ended_sort_of_active_sessions_reads_an_index(plan_db: PlanDb, case: str) -> None:
    """Under `active`, the ended phase holds only odd rows: any index range will do."""
    cursor = ENDED_SORT_CASES[case](plan_db, False)
    d = q.Dialect(backend_for(plan_db.kind), True, **TODAY)
    flt = SessionFilter(status=Status.ACTIVE)
    stmt = q.list_statement(d, flt, SortKey.ENDED, cursor, 100)
    sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    plan = plan_db.explain(sql)
    assert _full_scan_problems(plan_db.kind, plan) == [], f"{sql}\n{plan}"


@pytest.mark.parametrize("days", [2, 30])
def test_trends_read_the_windows_ended_sessions_from_one_index(plan_db: PlanDb, days: int) -> None:
    """Per-day counts by reason: one range of an index holding every column they read
    (no table row visited), so the window's sessions set the cost, not the table's."""
    if plan_db.kind == "postgresql":
        # As autovacuum keeps a live table: its visibility map set, so an index-only
        # scan visits no table page (plain ANALYZE leaves the map empty).
        plan_db.query(f"VACUUM ANALYZE {TABLE}")
    d = q.Dialect(backend_for(plan_db.kind), True, **TODAY)
    window = TrendWindow(days, ANCHOR)
    stmt = q.trends_statement(
        d, SessionFilter(), window.spans(), hourly=window.hourly, by=TrendBy.REASON
    )
    sql = str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))
    plan = plan_db.explain(sql)
    shown = json.dumps(plan) if plan_db.kind == "postgresql" else "\n".join(plan)
    assert _full_scan_problems(plan_db.kind, plan) == [], f"{sql}\n{shown}"
    if plan_db.kind == "sqlite":
        on_table = [line for line in plan if TABLE in line]
        assert on_table, shown
        assert all("USING COVERING INDEX ix_sessions_tui_live" in line for line in on_table), shown
    else:
        scans = [n for n in _pg_nodes(plan[0]["Plan"]) if n.get("Relation Name") == TABLE]
        assert {n["Node Type"] for n in scans} == {"Index Only Scan"}, shown
        assert {n["Index Name"] for n in scans} == {"ix_sessions_tui_live"}, shown


@pytest.mark.parametrize("case", list(NARROWING_CASES))
def test_counts_under_a_narrowing_question_read_its_window_not_the_table(
    plan_db: PlanDb, case: str
) -> None:
    """The dashboard's reason and stuck counts under a search or an owner are taken over
    the search's window: every statement they send reads a range of it, never the
    table or a whole index, whatever the filter keeps."""
    flt = NARROWING_CASES[case]

    def compiled(stmt: Any) -> str:
        return str(stmt.compile(dialect=plan_db.dialect, compile_kwargs={"literal_binds": True}))

    async def run() -> list[str]:
        store = await open_store(plan_db.target, read_only=True)
        try:
            with statement_log(store) as sent:
                facets = await store.reason_counts_in(flt, q.SEARCH_WINDOW)
                _, window = await store.stuck_counts_in(flt, q.SEARCH_WINDOW)
            assert (facets.window, window) == (q.SEARCH_WINDOW, q.SEARCH_WINDOW)
            return [compiled(stmt) for stmt in sent]
        finally:
            await store.close()

    on_sessions = [sql for sql in asyncio.run(run()) if TABLE in sql]
    assert len(on_sessions) == 4  # each: the floor, then its count
    for sql in on_sessions:
        reads, shown = _whole_index_reads(plan_db, sql)
        assert reads == [], f"{sql}\n{shown}"
