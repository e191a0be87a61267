"""The db part of the hot reads, this tree beside another, on the same databases in one run.

    python3 -m tests.bench.hot_reads --base /work/wt-base [--sizes 10000] [--pg] [--rounds 3]

`--base` is another checkout (say `git worktree add --detach ../base <commit>`). Each
round spawns one process per tree (`PYTHONPATH` that tree, the order alternating), which
opens the Store as the dashboard does (`gc.freeze()` after it, as the App does), and times
the Store's public reads as `PageLoaded.elapsed` does, around the awaited call:

* a filter change: the first page of a reason (two reasons, alternating), a status, a
  search (two texts), an owner (`user:`); a scroll (the next pages from a cursor);
* the refresh: reason counts (the incremental refresh after the first full count),
  stuck counts, counts;
* the floor: the same first page of the reason and status filters through the raw driver
  alone (`sqlite3`, `asyncpg`), compiled with literal values (`inproc.compile_sql`).

It prints each tree's medians, the ratio new/base, and the db part against the floor:
the goal is at most 2x the raw driver + 2 ms (issue 27).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
REASONS = ("reset-requested", "conversation-closed")
SEARCHES = ("flaky", "billing")
USERS = ("ada@example.com", "ken@example.com")


async def _measure(target_arg: list[str], reps: int) -> dict[str, list[float]]:
    """In the child: each read `reps` times, in ms."""
    from tui.domain.models import SessionFilter, SortKey, Status
    from tui.store.store import open_store
    from tui.store.target import sqlite_target, url_target

    target = sqlite_target(target_arg[1]) if target_arg[0] == "--db" else url_target(target_arg[1])
    store = await open_store(target, read_only=True)
    gc.collect()
    gc.freeze()
    out: dict[str, list[float]] = {}

    async def timed(name: str, call: Any) -> Any:
        started = time.perf_counter()
        result = await call
        out.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        return result

    try:
        filters = {
            "reason": [SessionFilter(reasons=frozenset({r})) for r in REASONS],
            "status": [SessionFilter(status=s) for s in (Status.ACTIVE, Status.ENDED)],
            "search": [SessionFilter(search=t) for t in SEARCHES],
            "user": [SessionFilter(user=u) for u in USERS],
        }
        for flts in filters.values():  # warm, as the app's pooled connections are
            for flt in flts:
                await store.list_sessions(flt)
        for i in range(reps):
            for name, flts in filters.items():
                await timed(name, store.list_sessions(flts[i % 2]))
        cursor = (await store.list_sessions()).next_cursor
        for _ in range(reps):
            page = await timed(
                "scroll", store.list_sessions(SessionFilter(), SortKey.STARTED, cursor)
            )
            cursor = page.next_cursor
        await store.reason_counts()
        await store.stuck_counts()
        for _ in range(reps):
            await timed("reason_counts", store.reason_counts())
            await timed("stuck_counts", store.stuck_counts())
            await timed("counts", store.counts())
        raw = await _floors(store, target, filters, reps)
        out.update(raw)
    finally:
        await store.close()
    return out


async def _floors(
    store: Any, target: Any, filters: dict[str, list[Any]], reps: int
) -> dict[str, list[float]]:
    """The reason and status first pages through the raw driver alone."""
    from tests.bench.inproc import compile_sql, raw_pg, raw_sqlite

    dialect = store.engine.dialect
    out: dict[str, list[float]] = {}
    for name in ("reason", "status"):
        samples: list[float] = []
        for flt in filters[name]:
            sqls = compile_sql(dialect, store.d, flt, 100, None)
            if target.kind == "sqlite":
                samples += raw_sqlite(target.path, sqls, 100, reps)
            else:
                from tui.store.backends import backend_for

                url = backend_for(target.kind).url(target)
                dsn = url.set(drivername="postgresql").render_as_string(False)
                samples += await raw_pg(dsn, sqls, 100, reps)
        out[f"raw_{name}"] = samples
    return out


def child(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--url")
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args(argv)
    target = ["--db", args.db] if args.db else ["--url", args.url]
    print(json.dumps(asyncio.run(_measure(target, args.reps))))
    return 0


def _spawn(tree: Path, target: list[str], reps: int) -> dict[str, list[float]]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *target, "--reps", str(reps)]
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


ROWS = (
    "reason",
    "raw_reason",
    "status",
    "raw_status",
    "search",
    "user",
    "scroll",
    "reason_counts",
    "stuck_counts",
    "counts",
)


def _table(kind: str, n: int, base: dict[str, list[float]], new: dict[str, list[float]]) -> str:
    def med(samples: dict[str, list[float]], key: str) -> float:
        return statistics.median(samples[key])

    lines = [
        f"{kind} {n:,} sessions (median ms)      base      new   new/base",
    ]
    for key in ROWS:
        b, a = med(base, key), med(new, key)
        lines.append(f"  {key:<28}{b:9.2f}{a:9.2f}{a / b:10.2f}x")
    for name in ("reason", "status"):
        raw = statistics.median(base[f"raw_{name}"] + new[f"raw_{name}"])
        budget = 2 * raw + 2
        for tree, samples in (("base", base), ("new", new)):
            got = med(samples, name)
            verdict = "MET" if got <= budget else "NOT MET"
            lines.append(
                f"  {name} db part / raw driver, {tree:<4}: {got / raw:5.1f}x"
                f" ({got:.2f} ms; goal 2x + 2 ms = {budget:.2f} ms: {verdict})"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        return child(argv[1:])
    ap = argparse.ArgumentParser(prog="python3 -m tests.bench.hot_reads")
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--pg", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tests.bench import dbs

    sizes = [int(s) for s in args.sizes.split(",")]
    targets: list[tuple[str, int, list[str]]] = []
    for n in sizes:
        path, _ = dbs.ensure_sqlite(n, print)
        targets.append(("sqlite", n, ["--db", str(path)]))
    server = None
    if args.pg:
        from tests.support.pgserver import PgServer

        server = PgServer()
        server.start()
        for n in sizes:
            url = server.create_database(f"hot_{n}")
            dbs.build_pg(url, n, print)
            targets.append(("postgresql", n, ["--url", url]))
    try:
        print(f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
        for kind, n, target in targets:
            got: dict[str, dict[str, list[float]]] = {"base": {}, "new": {}}
            for r in range(args.rounds):
                order = [("base", args.base), ("new", REPO)]
                for name, tree in order if r % 2 == 0 else reversed(order):
                    for key, samples in _spawn(tree.resolve(), target, args.reps).items():
                        got[name].setdefault(key, []).extend(samples)
            print(_table(kind, n, got["base"], got["new"]), flush=True)
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
