"""The counts under a question the operator types (free text, `user:`): the reason and
stuck counts over the search's window, beside the exact counts over the whole table the
dashboard took before (issue 27, goal 3). Sizes side by side in one run, SQLite and
(with --pg) PostgreSQL.

    python3 -m tests.bench.window_counts [--sizes 10000,1000000] [--pg] [--window N]

Target: the window's counts (`Store.reason_counts_in`, `Store.stuck_counts_in`, the
dashboard's default window) within 150 ms at 1M, each, on both backends. The exact
counts (`reason_counts`, `stuck_counts` under the same filter) are measured alongside
as information: what the same question cost when its counts read the whole table.
Each figure is the median of `--reps` calls after one warm-up call, with the mean CPU
per call (this process, plus on PostgreSQL the server's processes) and the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from pathlib import Path
from typing import Any

from tests.bench import dbs
from tests.bench.search_window import _times
from tui.config import settings_default
from tui.domain.models import SessionFilter
from tui.store.store import open_store
from tui.store.target import DbTarget

TARGET_MS = 150.0
QUESTIONS = {
    "text": SessionFilter(search="flaky"),
    "text, no match": SessionFilter(search="zq-matches-nothing-zq"),
    "user, common": SessionFilter(user="ada@example.com"),
    "user, rare": SessionFilter(user="ken@example.com"),
}
"""The in-process bench's searches and owners (tests/bench/inproc.py), and a search that
matches nothing."""


async def measure(
    target: DbTarget, window: int, reps: int, exact: bool, data_dir: Path | None
) -> dict[str, dict[str, tuple[list[float], float]]]:
    """Per question: (wall ms of each call, mean CPU ms) of each count."""
    store = await open_store(target, read_only=True)
    out: dict[str, dict[str, tuple[list[float], float]]] = {}
    try:
        for name, flt in QUESTIONS.items():
            got = out[name] = {}
            got["reasons, window"] = await _times(
                lambda flt=flt: store.reason_counts_in(flt, window), reps, data_dir
            )
            got["stuck, window"] = await _times(
                lambda flt=flt: store.stuck_counts_in(flt, window), reps, data_dir
            )
            if exact:
                got["reasons, exact"] = await _times(
                    lambda flt=flt: store.reason_counts(flt), max(3, reps // 3), data_dir
                )
                got["stuck, exact"] = await _times(
                    lambda flt=flt: store.stuck_counts(flt), max(3, reps // 3), data_dir
                )
    finally:
        await store.close()
    return out


def _line(label: str, found: tuple[list[float], float]) -> str:
    values, cpu = found
    return (
        f"{label:<16} median {statistics.median(values):7.1f} ms  "
        f"[{min(values):.1f}-{max(values):.1f}]  cpu {cpu:6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--window", type=int, default=settings_default("search_window"))
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--no-exact", action="store_true", help="skip the whole-table counts")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (with --pg)")
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
    if args.no_sqlite and args.pg:
        backends.remove("sqlite")
    server: Any = None
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
                    tag="bench_counts",
                    server=server,
                    pg_urls=args.pg_url,
                    pg_data=args.pg_data,
                    sizes=sizes,
                )
                result = asyncio.run(
                    measure(target, args.window, args.reps, not args.no_exact, data_dir)
                )
                load = os.getloadavg()[0]
                rows.append(f"{backend:<10} {n:>9,}  (load {load:.1f})")
                for question, found in result.items():
                    for label, figures in found.items():
                        verdict = "  [info]"
                        if label.endswith("window") and n >= 1_000_000:
                            ok = statistics.median(figures[0]) <= TARGET_MS
                            failed |= not ok
                            verdict = "  PASS" if ok else "  FAIL"
                        rows.append(f"  {question:<15} {_line(label, figures)}{verdict}")
    finally:
        if server is not None:
            server.cleanup()
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
