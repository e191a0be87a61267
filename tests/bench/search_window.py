"""A free-text search that matches nothing, answered for its first window: sizes side by
side in one run, SQLite and (with --pg) PostgreSQL.

    python3 -m tests.bench.search_window [--sizes 10000,1000000] [--pg] [--window 20000]

Target (issue 17): within 150 ms at 1M for the first window (`Store.search_window`, the
dashboard's default window), on both backends. The full scan it replaces (`list_sessions`
with the same search) is measured alongside as information.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.bench import dbs
from tui.domain.models import SessionFilter
from tui.settings import Settings
from tui.store.store import open_store
from tui.store.target import DbTarget, resolve_target, url_target

NO_MATCH = SessionFilter(search="zq-matches-nothing-zq")
TARGET_MS = 150.0


async def _times(call: Callable[[], Awaitable[Any]], reps: int) -> list[float]:
    await call()  # warm the cache: the operator's second search is the common case
    out = []
    for _ in range(reps):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def measure(target: DbTarget, window: int, reps: int, full: bool) -> dict[str, Any]:
    store = await open_store(target, read_only=True)
    try:
        first = await _times(lambda: store.search_window(NO_MATCH, None, 100, window), reps)
        whole = await _times(lambda: store.list_sessions(NO_MATCH), 3) if full else []
    finally:
        await store.close()
    return {"window": first, "full": whole}


def _line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<12} —"
    return (
        f"{label:<12} median {statistics.median(values):7.1f} ms  "
        f"[{min(values):.1f}-{max(values):.1f}]"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument(
        "--window", type=int, default=Settings.__dataclass_fields__["search_window"].default
    )
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--no-full", action="store_true", help="skip the full-scan yardstick")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    failed = False
    rows: list[str] = [f"window {args.window:,} sessions, target ≤ {TARGET_MS:.0f} ms at 1M"]
    backends = ["sqlite", "postgresql"] if args.pg else ["sqlite"]
    server = None
    if args.pg:
        from tests.support.pgserver import PgServer

        server = PgServer()
        server.start()
    try:
        for backend in backends:
            for n in sizes:
                if backend == "sqlite":
                    path, _ = dbs.ensure_sqlite(n)
                    target = resolve_target(db=str(path))
                else:
                    assert server is not None
                    url = server.create_database(f"bench_search_{n}")
                    dbs.build_pg(url, n)
                    target = url_target(url)
                result = asyncio.run(measure(target, args.window, args.reps, not args.no_full))
                median = statistics.median(result["window"])
                verdict = ""
                if n >= 1_000_000:
                    ok = median <= TARGET_MS
                    failed |= not ok
                    verdict = "  PASS" if ok else "  FAIL"
                rows.append(
                    f"{backend:<10} {n:>9,}  " + _line("first window", result["window"]) + verdict
                )
                rows.append(f"{'':<10} {'':>9}  " + _line("full scan", result["full"]) + "  [info]")
    finally:
        if server is not None:
            server.cleanup()
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
