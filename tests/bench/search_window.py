"""A free-text search that matches nothing, answered for its first window: sizes side by
side in one run, SQLite and (with --pg) PostgreSQL.

    python3 -m tests.bench.search_window [--sizes 10000,1000000] [--pg] [--window N]

Target (issue 17): within 150 ms at 1M for the first window (`Store.search_window`, the
dashboard's default window), on both backends. The full scan it replaces (`list_sessions`
with the same search) is measured alongside as information.

Beside the wall-clock times, the CPU the searches used (this process, where SQLite and
the driver run, plus on PostgreSQL the server's processes), as a mean per call over the
repetitions: on a shared machine the wall clock follows the load, the CPU much less, so
it tells a slower query from a busier machine. The 1-minute load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.bench import dbs
from tui.config import settings_default
from tui.domain.models import SessionFilter
from tui.store.store import open_store
from tui.store.target import DbTarget

NO_MATCH = SessionFilter(search="zq-matches-nothing-zq")
TARGET_MS = 150.0


def _server_cpu_ms(data_dir: Path | None) -> float:
    """CPU time (user + system) of a PostgreSQL server's processes so far, in ms: the
    postmaster's children, which run the queries. 0 without a server."""
    if data_dir is None:
        return 0.0
    postmaster = (data_dir / "postmaster.pid").read_text().split()[0]
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if fields[1] == postmaster:  # ppid
            total += int(fields[11]) + int(fields[12])
    return total * 1000 / tick


async def _times(
    call: Callable[[], Awaitable[Any]], reps: int, data_dir: Path | None
) -> tuple[list[float], float]:
    """Wall-clock ms of each call, and the mean CPU ms per call (this process + server)."""
    await call()  # warm the cache: the operator's second search is the common case
    out = []
    cpu0, server0 = time.process_time(), _server_cpu_ms(data_dir)
    for _ in range(reps):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu0) * 1000 + _server_cpu_ms(data_dir) - server0
    return out, cpu / reps


async def measure(
    target: DbTarget, window: int, reps: int, full: bool, data_dir: Path | None
) -> dict[str, Any]:
    store = await open_store(target, read_only=True)
    try:
        first, first_cpu = await _times(
            lambda: store.search_window(NO_MATCH, None, 100, window), reps, data_dir
        )
        whole, whole_cpu = (
            await _times(lambda: store.list_sessions(NO_MATCH), 3, data_dir) if full else ([], 0.0)
        )
    finally:
        await store.close()
    return {"window": first, "window_cpu": first_cpu, "full": whole, "full_cpu": whole_cpu}


def _line(label: str, values: list[float], cpu: float) -> str:
    if not values:
        return f"{label:<12} —"
    return (
        f"{label:<12} median {statistics.median(values):7.1f} ms  "
        f"[{min(values):.1f}-{max(values):.1f}]  cpu {cpu:6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--window", type=int, default=settings_default("search_window"))
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--no-full", action="store_true", help="skip the full-scan yardstick")
    parser.add_argument(
        "--pg-url",
        action="append",
        help="an already built PostgreSQL demo database, one per size in --sizes order "
        "(with --pg-data; skips building them)",
    )
    parser.add_argument("--pg-data", type=Path, help="that server's data directory (its CPU)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    failed = False
    rows: list[str] = [f"window {args.window:,} sessions, target ≤ {TARGET_MS:.0f} ms at 1M"]
    backends = ["sqlite", "postgresql"] if args.pg else ["sqlite"]
    server = None
    if args.pg and not args.pg_url:
        from tests.support.pgserver import PgServer

        server = PgServer()
        server.start()
    try:
        for backend in backends:
            for n in sizes:
                target, data_dir = dbs.size_target(
                    backend,
                    n,
                    tag="bench_search",
                    server=server,
                    pg_urls=args.pg_url,
                    pg_data=args.pg_data,
                    sizes=sizes,
                )
                result = asyncio.run(
                    measure(target, args.window, args.reps, not args.no_full, data_dir)
                )
                median = statistics.median(result["window"])
                verdict = ""
                if n >= 1_000_000:
                    ok = median <= TARGET_MS
                    failed |= not ok
                    verdict = "  PASS" if ok else "  FAIL"
                first = _line("first window", result["window"], result["window_cpu"])
                whole = _line("full scan", result["full"], result["full_cpu"])
                load = os.getloadavg()[0]
                rows.append(f"{backend:<10} {n:>9,}  {first}{verdict}  (load {load:.1f})")
                rows.append(f"{'':<10} {'':>9}  {whole}  [info]")
    finally:
        if server is not None:
            server.cleanup()
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
