"""Trends and the `ended` sort at 10k, 100k and 1M sessions, side by side in one run:
SQLite and (with --pg) PostgreSQL.

    python3 -m tests.bench.trends [--sizes 10000,100000,1000000] [--pg] [--reps 9]

What is measured (each the median of --reps after one warm-up call):

- `trends 30d`: `Store.trends(days=30)` under no other filter, what `sessions-tui trends`
  and the dashboard's screen ask. Target (issue 18): ≤ 150 ms at 1M on both backends.
  The bench databases spread their sessions over 180 days whatever their size, so this
  window holds 1/6 of the table: 100x more sessions at 1M than at 10k.
- `fixed window`: the same statement over the newest ended sessions' span that holds
  as many sessions as 30 days hold at 10k (~1,650): what "a fixed window" means for a
  table that grows by its history (the same sessions per day, more days). Target: at
  most 1.2x from 10k to 1M.
- `trends 30d + search`: the 30 days under a free-text search that matches nothing,
  an unindexed filter (every session of the window tested with its joined rows).
- `ended first page`: `Store.list_sessions(sort=ended)` first page of 100, and
  `started first page` beside it (the yardstick: issue 18 asks for about the same).
- `runs 30d` and `runs fixed window` (issue 28): `Store.run_trends(days=30)` over
  --runs-sizes workflow runs (`tests.bench.runs_list.build`: a v0.8 service database,
  runs spread over 90 days and written oldest first as the service writes them, migrated
  so the tool's runs index is there), and the same
  statement over the newest runs' span that holds as many runs as 30 days hold at the
  smallest size. Target: the fixed window at most 1.2x from the smallest size to the
  largest (the cost follows the window, not the table), judged on this process's CPU on
  SQLite and on the shared buffers the statement touched on PostgreSQL (both steady on a
  shared machine, where the wall clock is mostly the wait for a core).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.bench import dbs
from tests.bench.runs_list import build as build_runs
from tests.support.dbs import create_service_db
from tui.domain.models import SessionFilter, SortKey
from tui.domain.run_trends import RunTrendBy
from tui.domain.runs import RunFilter
from tui.domain.timefmt import utcnow
from tui.domain.trends import TrendBy
from tui.store import queries as q
from tui.store.migrate import upgrade
from tui.store.sql_run_trends import run_trends_statement
from tui.store.sql_runs import RunSql
from tui.store.store import Store, open_store
from tui.store.target import DbTarget, resolve_target, url_target

TARGET_MS = 150.0
GROWTH = 1.2
NOW = dbs.ANCHOR
BASE_SESSIONS = 10_000
"""The size whose 30 days make the fixed window (its sessions per day, 30 days)."""
NO_MATCH = SessionFilter(search="zq-matches-nothing-zq")


async def _times(call: Callable[[], Awaitable[Any]], reps: int) -> list[float]:
    await call()
    out = []
    for _ in range(reps):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def _fixed(store: Store, n: int) -> Callable[[], Awaitable[Any]]:
    """The fixed window: the span of the newest ended sessions that holds as many as
    30 days hold at BASE_SESSIONS (the same sessions per day at every size)."""
    step = timedelta(days=1) * (BASE_SESSIONS / n)  # 30 buckets, as 30 days at 10k
    spans = [(str(i), NOW - step * (30 - i), NOW - step * (29 - i)) for i in range(30)]
    stmt = q.trends_statement(store.d, SessionFilter(), spans, hourly=False, by=TrendBy.REASON)

    async def call() -> Any:
        async with store.engine.connect() as conn:
            return (await conn.execute(stmt)).all()

    return call


async def measure(target: DbTarget, n: int, reps: int) -> dict[str, list[float]]:
    store = await open_store(target, read_only=True)
    try:
        out = {
            "trends 30d": await _times(lambda: store.trends(days=30, now=NOW), reps),
            "fixed window": await _times(await _fixed(store, n), reps),
            "trends 30d + search": await _times(
                lambda: store.trends(NO_MATCH, days=30, now=NOW), max(3, reps // 3)
            ),
            "ended first page": await _times(
                lambda: store.list_sessions(SessionFilter(), SortKey.ENDED), reps
            ),
            "started first page": await _times(lambda: store.list_sessions(SessionFilter()), reps),
        }
        window = await store.trends(days=30, now=NOW)
        out["_in window"] = [float(window.total)]
    finally:
        await store.close()
    return out


async def _cpu_times(call: Callable[[], Awaitable[Any]], reps: int) -> list[float]:
    """This process's CPU per call, in ms: SQLite runs in this process, and on a shared
    machine its wall clock is mostly the wait for a core."""
    await call()
    out = []
    for _ in range(reps):
        used = time.process_time()
        await call()
        out.append((time.process_time() - used) * 1000)
    return out


async def measure_runs(target: DbTarget, n: int, base: int, reps: int) -> dict[str, list[float]]:
    """`runs 30d` and `runs fixed window` over a database of `n` runs (see the module),
    and what the fixed window's growth is judged on: SQLite's CPU, PostgreSQL's shared
    buffers (`EXPLAIN (ANALYZE, BUFFERS)`: the pages the statement touched)."""
    store = await open_store(target, read_only=True)
    try:
        now = utcnow()
        step = timedelta(days=1) * (base / n)  # 30 buckets, as 30 days at `base`
        spans = [(str(i), now - step * (30 - i), now - step * (29 - i)) for i in range(30)]
        rs = RunSql(store.d, store.run_columns)
        stmt = run_trends_statement(rs, RunFilter(), spans, RunTrendBy.STATUS)

        async def fixed() -> Any:
            async with store.engine.connect() as conn:
                for setting in store.d.backend.traits.branches_sql:  # as the store reads it
                    await conn.execute(sa.text(setting))
                return (await conn.execute(stmt)).all()

        rows = await fixed()
        out = {
            "runs 30d": await _times(lambda: store.run_trends(days=30), reps),
            "runs fixed window": await _times(fixed, reps),
            "_in window": [float(sum(int(r[4]) for r in rows))],
        }
        if store.d.backend.traits.driver_dialect.name == "sqlite":
            out["_judged"] = await _cpu_times(fixed, reps)
        else:
            literal = {"literal_binds": True}
            sql = str(stmt.compile(store.engine.sync_engine, compile_kwargs=literal))
            async with store.engine.connect() as conn:
                explain = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql
                plan = (await conn.exec_driver_sql(explain)).scalar_one()[0]["Plan"]
            out["_judged"] = [float(plan["Shared Hit Blocks"] + plan["Shared Read Blocks"])]
        return out
    finally:
        await store.close()


async def _runs_database(url: str, n: int, pg: bool) -> DbTarget:
    target = await create_service_db(url, era="v0.8")
    await build_runs(target, n, pg, ordered=True)
    await upgrade(target)
    return target


def bench_runs(sizes: list[int], reps: int, server: Any) -> tuple[list[str], bool]:
    """The runs' lines, per backend (PostgreSQL with `server`), and whether one failed."""
    import tempfile

    lines: list[str] = []
    failed = False
    backends = ["sqlite", "postgresql"] if server is not None else ["sqlite"]
    for backend in backends:
        results: dict[int, dict[str, list[float]]] = {}
        for n in sizes:
            if backend == "sqlite":
                url = f"sqlite:///{tempfile.mkdtemp()}/runs.db"
            else:
                url = server.create_database(f"bench_run_trends_{n}")
            target = asyncio.run(_runs_database(url, n, backend != "sqlite"))
            results[n] = r = asyncio.run(measure_runs(target, n, min(sizes), reps))
            held = r["_in window"][0]
            lines.append(f"{backend:<10} {n:>9,}  runs in the fixed window: {held:,.0f}")
            for key in ("runs 30d", "runs fixed window"):
                lines.append(f"{'':<10} {'':>9}  {key:<20} {_fmt(r[key])}")
            judged = statistics.median(r["_judged"])
            what = "cpu ms" if backend == "sqlite" else "buffers"
            lines.append(f"{'':<10} {'':>9}  {'fixed window ' + what:<20} {judged:8.1f}")
            print("\n".join(lines[-4:]), flush=True)
        small, big = min(results), max(results)
        if small != big:
            a = statistics.median(results[small]["_judged"])
            b = statistics.median(results[big]["_judged"])
            ok = b / a <= GROWTH
            failed |= not ok
            on = "CPU" if backend == "sqlite" else "buffers"
            lines.append(
                f"{backend:<10} runs fixed window growth {small:,} → {big:,} ({on}): "
                f"{b / a:.2f}x  {'PASS' if ok else 'FAIL'} (≤ {GROWTH}x)"
            )
    return lines, failed


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} ms [{min(values):.1f}-{max(values):.1f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--runs-sizes", default="10000,100000", help="workflow runs; 0: none")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",") if int(n)]  # 0: the runs alone
    backends = ["sqlite", "postgresql"] if args.pg else ["sqlite"]
    server = None
    if args.pg:
        from tests.support.pgserver import PgServer

        server = PgServer()
        server.start()
    failed = False
    lines: list[str] = []
    try:
        for backend in backends if sizes else []:
            results: dict[int, dict[str, list[float]]] = {}
            for n in sizes:
                if backend == "sqlite":
                    path, _ = dbs.ensure_sqlite(n)
                    target = resolve_target(db=str(path))
                else:
                    assert server is not None
                    url = server.create_database(f"bench_trends_{n}")
                    dbs.build_pg(url, n)
                    target = url_target(url)
                results[n] = asyncio.run(measure(target, n, args.reps))
                r = results[n]
                lines.append(
                    f"{backend:<10} {n:>9,}  ended in the 30 days: {r['_in window'][0]:,.0f}"
                )
                for key, values in r.items():
                    if key.startswith("_"):
                        continue
                    verdict = ""
                    if key == "trends 30d" and n >= 1_000_000:
                        ok = statistics.median(values) <= TARGET_MS
                        failed |= not ok
                        verdict = "  PASS" if ok else "  FAIL"
                    lines.append(f"{'':<10} {'':>9}  {key:<20} {_fmt(values)}{verdict}")
                print("\n".join(lines[-7:]), flush=True)
            small, big = min(results), max(results)
            if small != big:
                a = statistics.median(results[small]["fixed window"])
                b = statistics.median(results[big]["fixed window"])
                ok = b / a <= GROWTH
                failed |= not ok
                lines.append(
                    f"{backend:<10} fixed window growth {small:,} → {big:,}: {b / a:.2f}x"
                    f"  {'PASS' if ok else 'FAIL'} (≤ {GROWTH}x)"
                )
        run_sizes = [int(n) for n in args.runs_sizes.split(",") if int(n)]
        if run_sizes:
            run_lines, run_failed = bench_runs(run_sizes, args.reps, server)
            lines += run_lines
            failed |= run_failed
    finally:
        if server is not None:
            server.cleanup()
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
