"""The runs list at scale: first page, next page, filter changes and the stuck-run counts
over N workflow runs in the service's v0.8 schema, SQLite and (with --url) PostgreSQL.

    python3 -m tests.bench.runs_list                         # SQLite, 100k runs
    python3 -m tests.bench.runs_list --runs 10000 --reps 5   # while developing
    python3 -m tests.bench.runs_list --url postgresql://…/empty_db   # an empty database
    python3 -m tests.bench.runs_list --migrate   # without the tool's indexes, then with them
    python3 -m tests.bench.runs_list --sessions 1000000          # beside 1M sessions, SQLite
    python3 -m tests.bench.runs_list --sessions 1000000 --pg     # the same, then PostgreSQL

Targets (issue 28): a filter change within 100 ms median and 150 ms p95, the stuck-run
counts within 150 ms. Rows are bulk-inserted (a status mix like a busy service's: most
completed, 1% running), not replayed statement by statement; each figure is the wall
median and p95 of `--reps` runs after one warm-up, and this process's CPU median: SQLite
is judged on CPU (it runs in this process, and on a shared machine its wall clock is
mostly the wait for a core), PostgreSQL on the wall clock. Exits 1 when a target fails
(with `--migrate`, once migrated).

With `--sessions N` the runs go into a copy of the benchmark's demo file of N sessions
(`dbs.ensure_sqlite`: the service's v0.8 schema, this tool's migrations, the demo's own
runs), their times before the demo's anchor, cached as
`tests/bench/.cache/runs{RUNS}-{hash of build}-{demo file}` (a changed `build` or demo
file is a new name; the stale file of that size is deleted). As `dbs` holds for its
files, the SQLite file is not ANALYZEd (neither the service nor this tool runs it); with
`--pg` a throwaway server gets the same rows by COPY (`dbs.copy_pg`), then `VACUUM
(ANALYZE)`, as autovacuum does after a bulk load. The 1-minute load average is printed
before and after each backend's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import inspect
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.bench import dbs
from tests.support.dbs import create_service_db
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import RunFilter
from tui.store.migrate import upgrade
from tui.store.sql_runs import runs
from tui.store.store import Store, make_engine, open_store
from tui.store.tables import codebases, conversations
from tui.store.target import DbTarget, resolve_target, sqlite_target, url_target

STATUSES = [("completed", 80), ("failed", 10), ("cancelled", 7), ("running", 1)]
STATUSES += [("pending", 1), ("paused", 1)]
FILTER_MEDIAN_MS, FILTER_P95_MS, COUNTS_MS = 100.0, 150.0, 150.0


def _id(rng: random.Random, pg: bool) -> str:
    value = uuid.UUID(int=rng.getrandbits(128), version=4)
    return str(value) if pg else value.hex


async def build(
    target: DbTarget,
    n: int,
    pg: bool,
    *,
    ordered: bool = False,
    now: datetime | None = None,
    analyze: bool = True,
) -> None:
    """N runs over the 90 days before `now` (default: the clock's). `ordered`: written
    oldest first, as the service writes them (a run's row is inserted when it starts),
    so a span of starts is a run of neighbouring pages; otherwise in random order, the
    worst case for such a span. `analyze`: ANALYZE the database afterwards."""
    rng = random.Random(28)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    ages = sorted((rng.randint(0, 90 * 86400) for _ in range(n)), reverse=True) if ordered else []
    convs = [_id(rng, pg) for _ in range(max(10, n // 50))]
    code = _id(rng, pg)
    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(codebases), [{"id": code, "name": "archon", "default_cwd": "/srv"}]
            )
            await conn.execute(
                sa.insert(conversations),
                [{"id": c, "platform_type": "slack", "platform_conversation_id": c} for c in convs],
            )
            batch: list[dict[str, Any]] = []
            for i in range(n):
                age = ages[i] if ordered else rng.randint(0, 90 * 86400)
                started = now - timedelta(seconds=age)
                status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
                done = status in ("completed", "failed", "cancelled")
                batch.append(
                    {
                        "id": _id(rng, pg),
                        "workflow_name": rng.choice(["fix-issue", "review-pr", "release"]),
                        "conversation_id": rng.choice(convs),
                        "codebase_id": code,
                        "status": status,
                        "user_message": "run it",
                        "metadata": {"total_cost_usd": 1.25} if pg else '{"total_cost_usd": 1.25}',
                        "started_at": started,
                        "completed_at": started + timedelta(minutes=9) if done else None,
                        "last_activity_at": started + timedelta(minutes=9),
                        "working_path": f"/wt/{rng.randint(0, n // 20)}",
                    }
                )
                if len(batch) == 5000:
                    await conn.execute(sa.insert(runs), batch)
                    batch = []
            if batch:
                await conn.execute(sa.insert(runs), batch)
        if analyze:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(sa.text("ANALYZE"))
    finally:
        await engine.dispose()


def cached_sqlite(n_sessions: int, n_runs: int, log=print) -> Path:
    """The demo file of `n_sessions` with `n_runs` more runs (`build`, random order,
    before the demo's anchor, not ANALYZEd), cached (see the module's docstring)."""
    demo, _ = dbs.ensure_sqlite(n_sessions, log)
    key = hashlib.sha256(inspect.getsource(build).encode()).hexdigest()[:8]
    path = dbs.CACHE_DIR / f"runs{n_runs}-{key}-{demo.name}"
    if path.exists():
        return path
    for stale in dbs.CACHE_DIR.glob(f"runs{n_runs}-*-demo-*-n{n_sessions}-*.db"):
        log(f"  removing stale cache {stale.name}")
        for extra in ("", "-wal", "-shm"):
            Path(f"{stale}{extra}").unlink(missing_ok=True)
    log(f"  building {path.name} ({n_runs:,} runs beside {n_sessions:,} sessions) …")

    def fill(tmp: Path) -> None:
        shutil.copyfile(demo, tmp)
        asyncio.run(build(sqlite_target(tmp), n_runs, False, now=dbs.ANCHOR, analyze=False))

    dbs.built_whole(path, fill, log)
    return path


async def timed(reps: int, job: Callable[[], Awaitable[Any]]) -> tuple[float, float, float]:
    """Wall median, wall p95 and CPU median, in ms."""
    await job()
    wall, cpu = [], []
    for _ in range(reps):
        start, used = time.perf_counter(), time.process_time()
        await job()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    wall.sort()
    return statistics.median(wall), wall[max(0, int(len(wall) * 0.95) - 1)], statistics.median(cpu)


async def measure(store: Store, reps: int) -> list[tuple[str, float, float, float, int | None]]:
    first = await store.list_runs()
    figures: list[tuple[str, Callable[[], Awaitable[Any]], int | None]] = [
        ("first page", lambda: store.list_runs(), None),
        ("next page", lambda: store.list_runs(None, first.next_cursor), None),
        ("status running", lambda: store.list_runs(RunFilter(statuses=frozenset({"running"}))), 1),
        ("workflow release", lambda: store.list_runs(RunFilter(workflow="release")), 1),
        ("stuck quiet", lambda: store.list_runs(RunFilter(stuck=RunStuckKind.QUIET)), 1),
        ("search text", lambda: store.list_runs(RunFilter(text="release")), 1),
        ("search window miss", lambda: store.search_runs(RunFilter(text="no-such-run")), 1),
        ("stuck counts", lambda: store.run_stuck_counts(), 0),
    ]
    out = []
    for name, job, target in figures:
        median, p95, cpu = await timed(reps, job)
        out.append((name, median, p95, cpu, target))
    return out


def _verdict(kind: int | None, median: float, p95: float, pg: bool) -> str:
    if kind == 1:
        good = median <= FILTER_MEDIAN_MS and (not pg or p95 <= FILTER_P95_MS)
    elif kind == 0:
        good = median <= COUNTS_MS
    else:
        return ""
    return "PASS" if good else "FAIL"


Figures = list[tuple[str, float, float, float, int | None]]


async def figures_of(target: DbTarget, reps: int) -> Figures:
    store = await open_store(target)
    try:
        return await measure(store, reps)
    finally:
        await store.close()


def report(label: str, n_runs: int, before: Figures, after: Figures | None, pg: bool) -> bool:
    """Print the figures (and the migrated ones beside them); whether every target held."""
    backend = "postgresql" if pg else "sqlite"
    ok = True
    head = f"{'backend':10} {'runs':>8}  {'figure':18} {'median':>9} {'p95':>9} {'cpu':>9}"
    if after is not None:
        head = f"{head}        {'migrated':>9} {'p95':>9} {'cpu':>9}"
    print(f"{label}\n{head}")
    for n, (name, wall, p95, cpu, kind) in enumerate(before):
        line = f"{backend:10} {n_runs:>8,}  {name:18} {wall:7.1f}ms {p95:7.1f}ms {cpu:7.1f}ms"
        verdict = _verdict(kind, wall if pg else cpu, p95, pg)
        if after is not None:
            _n, wall, p95, cpu, _k = after[n]
            line = f"{line}  {verdict:4}  {wall:7.1f}ms {p95:7.1f}ms {cpu:7.1f}ms"
            verdict = _verdict(kind, wall if pg else cpu, p95, pg)
        ok = ok and verdict != "FAIL"
        print(f"{line}  {verdict}", flush=True)
    return ok


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def measured(target: DbTarget, label: str, n_runs: int, reps: int, pg: bool) -> bool:
    """The figures on one database as it is, with the load average around them."""
    before = _load()
    figures = asyncio.run(figures_of(target, reps))
    return report(
        f"{label}, load average (1/5/15 min) {before} → {_load()}", n_runs, figures, None, pg
    )


def beside_sessions(n_sessions: int, n_runs: int, reps: int, pg: bool) -> bool:
    """`--sessions`: the cached file on SQLite, then (`pg`) the same rows on PostgreSQL."""
    path = cached_sqlite(n_sessions, n_runs)
    label = f"beside {n_sessions:,} sessions"
    ok = measured(resolve_target(db=str(path)), f"sqlite, {label}", n_runs, reps, False)
    if pg:
        from tests.support.pgserver import PgServer

        server = PgServer()
        server.start()
        try:
            url = server.create_database(f"bench_runs_list_{n_sessions}")
            dbs.copy_pg(url, path)
            ok = measured(url_target(url), f"postgresql, {label}", n_runs, reps, True) and ok
        finally:
            server.cleanup()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a SQLite file)")
    parser.add_argument(
        "--migrate",
        action="store_true",
        help="measure without the tool's indexes, run `migrate`, measure again: side by side",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=0,
        help="the runs beside the demo's N sessions, cached (see above); 0: the runs alone",
    )
    parser.add_argument(
        "--pg", action="store_true", help="with --sessions: PostgreSQL too (a throwaway server)"
    )
    args = parser.parse_args()
    if args.sessions:
        if args.url or args.migrate:
            parser.error("--sessions measures the cached, migrated files: no --url, --migrate")
        raise SystemExit(0 if beside_sessions(args.sessions, args.runs, args.reps, args.pg) else 1)
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/runs.db"
    pg = not url.startswith("sqlite")

    async def go() -> bool:
        target = await create_service_db(url, era="v0.8")
        await build(target, args.runs, pg)
        before = await figures_of(target, args.reps)
        after = None
        if args.migrate:
            await upgrade(target)
            after = await figures_of(target, args.reps)
        return report(f"the runs alone, load average {_load()}", args.runs, before, after, pg)

    raise SystemExit(0 if asyncio.run(go()) else 1)


if __name__ == "__main__":
    main()
