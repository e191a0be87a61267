"""`list_sessions`' first try for a search or an owner that matches nothing near the top,
as it was and as it is, side by side in one run: SQLite and (with --pg) PostgreSQL.

    python3 -m tests.bench.list_first_try [--sizes 1000000] [--pg] [--reps 9]

`list --search TEXT` and a `user:` filter (the CLI's, and the dashboard's owner filter)
first look at the newest `SEARCH_WINDOW` sessions; with fewer matches than a page there,
the list's own statement runs next. Goal: that first try costs the window, what
`Store.search_window` costs (32-121 ms at 1M in the issue 17 runs), on both backends.

* **before**: the statement the first try was, the window's floor computed inside it
  (`started_at >= (the start time SEARCH_WINDOW rows down) OR started_at IS NULL`),
  rebuilt here from the query builders as a yardstick (the store no longer has it).
* **now**: the store's first try (`Store._window_rows`): the floor read first (an OFFSET
  down the started_at index), then the window walked as a range down to it.
* **full**: the list's own statement, which follows either try when the window has no
  page: the same before and now, for information.
* **list now**: the whole `list_sessions` call as the CLI makes it (first try + full).

Each line: the median wall-clock time [min-max] over `--reps` repetitions (before and now
alternate, one after the other, after one warm-up each), the CPU per call (this process,
where SQLite and the driver run, plus on PostgreSQL the server's processes) and the
1-minute load average. `--pg-url URL --pg-data DIR` (one URL per size) measures
PostgreSQL databases already built as `dbs.build_pg` builds them.
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

import sqlalchemy as sa

from tests.bench import dbs
from tests.bench.search_window import _server_cpu_ms
from tui.domain.models import SessionFilter, SortKey
from tui.store import queries as q
from tui.store.store import SEARCH_WINDOW, Store, open_store
from tui.store.tables import sessions as s
from tui.store.target import DbTarget

CASES = {
    "search, no match": SessionFilter(search="zq-matches-nothing-zq"),
    "user:, no match": SessionFilter(user="nobody@example.com"),
    # For comparison, what a first try that finds its page costs: a title word and the
    # demo's rare owner (~4% of sessions).
    "search flaky": SessionFilter(search="flaky"),
    "user:ken": SessionFilter(user="ken@example.com"),
}
PAGE = 100


def lowest_timestamp(kind: str) -> sa.ColumnElement[Any]:
    """A value below every stored start time: the floor the old first try fell back to
    (SQLite stores text, PostgreSQL timestamps)."""
    if kind == "sqlite":
        return sa.literal("", sa.Text())
    return sa.cast(sa.literal("-infinity"), sa.DateTime())


def old_first_try(d: q.Dialect, flt: SessionFilter, limit: int) -> sa.Select[Any]:
    """The first try as it was (until this benchmark's change): the page's statement
    with the window's floor as a subquery inside it, ORed with the rows without a start
    time, which neither SQLite nor PostgreSQL can turn into a range of the index."""
    key = d.sort_key(SortKey.STARTED, None)
    inner = sa.select(key).order_by(key.desc(), s.c.id.desc())
    lowest = lowest_timestamp(d.backend.traits.driver_dialect.name)
    floor = sa.func.coalesce(inner.limit(1).offset(SEARCH_WINDOW).scalar_subquery(), lowest)
    window = sa.or_(key >= floor, s.c.started_at.is_(None))
    conds = [*q.conditions(d, flt, windowed=True), window, *q.with_id(d)]
    return (
        sa.select(*q.row_columns(d), key.label("_sort_key"))
        .select_from(q.joined(d))
        .where(*conds)
        .order_by(key.desc(), s.c.id.desc())
        .limit(limit + 1)
    )


async def _old(store: Store, flt: SessionFilter) -> int:
    async with store.engine.connect() as conn:
        return len((await conn.execute(old_first_try(store.d, flt, PAGE))).all())


async def _now(store: Store, flt: SessionFilter) -> int:
    # The first try as the store runs it on the bare driver: one window of the newest
    # sessions (`search_window` is that read, plus the marks of the page it found).
    page = await store.search_window(flt, None, PAGE, SEARCH_WINDOW)
    return len(page.rows)


async def _full(store: Store, flt: SessionFilter) -> int:
    async with store.engine.connect() as conn:
        stmt = q.list_statement(store.d, flt, SortKey.STARTED, None, PAGE)
        return len((await conn.execute(stmt)).all())


async def _list(store: Store, flt: SessionFilter) -> int:
    return len((await store.list_sessions(flt, limit=PAGE)).rows)


Call = Callable[[Store, SessionFilter], Awaitable[int]]


async def _one(call: Call, store: Store, flt: SessionFilter, data_dir: Path | None) -> tuple:
    cpu0, server0 = time.process_time(), _server_cpu_ms(data_dir)
    started = time.perf_counter()
    found = await call(store, flt)
    wall = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - cpu0) * 1000 + _server_cpu_ms(data_dir) - server0
    return wall, cpu, found


async def measure(
    target: DbTarget, reps: int, data_dir: Path | None
) -> dict[str, dict[str, tuple[list[float], float]]]:
    """Per case, per kind: the wall-clock ms of each call and the mean CPU ms."""
    store = await open_store(target, read_only=True)
    out: dict[str, dict[str, tuple[list[float], float]]] = {}
    try:
        for case, flt in CASES.items():
            kinds: dict[str, Call] = {"before": _old, "now": _now, "full": _full, "list now": _list}
            walls: dict[str, list[float]] = {k: [] for k in kinds}
            found_by: dict[str, set[int]] = {k: set() for k in kinds}
            cpus: dict[str, float] = dict.fromkeys(kinds, 0.0)
            for call in kinds.values():  # warm the cache: a second list is the common case
                await call(store, flt)
            slow = max(1, reps // 3)  # the full read is the slow one: fewer of it
            for rep in range(reps):
                for kind, call in kinds.items():
                    if kind in ("full", "list now") and rep >= slow:
                        continue
                    wall, cpu, found = await _one(call, store, flt, data_dir)
                    found_by[kind].add(found)
                    walls[kind].append(wall)
                    cpus[kind] += cpu
            # Each try found what the list's page holds: none, or a full page (+1).
            assert len(set().union(*found_by.values()) - {0, PAGE, PAGE + 1}) == 0, found_by
            out[case] = {k: (walls[k], cpus[k] / len(walls[k])) for k in kinds}
    finally:
        await store.close()
    return out


def _line(label: str, values: list[float], cpu: float) -> str:
    return (
        f"{label:<9} median {statistics.median(values):7.1f} ms  "
        f"[{min(values):.1f}-{max(values):.1f}]  cpu {cpu:6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--pg-url",
        action="append",
        help="an already built PostgreSQL demo database, one per size in --sizes order "
        "(with --pg-data; skips building them)",
    )
    parser.add_argument("--pg-data", type=Path, help="that server's data directory (its CPU)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    rows = [f"first try of list_sessions, window {SEARCH_WINDOW:,} sessions, page {PAGE}"]
    backends = [] if args.no_sqlite else ["sqlite"]
    backends += ["postgresql"] if args.pg or args.pg_url else []
    server = None
    if "postgresql" in backends and not args.pg_url:
        from tests.support.pgserver import PgServer

        server = PgServer()
        server.start()
    try:
        for backend in backends:
            for n in sizes:
                target, data_dir = dbs.size_target(
                    backend,
                    n,
                    tag="bench_first_try",
                    server=server,
                    pg_urls=args.pg_url,
                    pg_data=args.pg_data,
                    sizes=sizes,
                )
                result = asyncio.run(measure(target, args.reps, data_dir))
                load = os.getloadavg()[0]
                for case, kinds in result.items():
                    rows.append(f"{backend:<10} {n:>9,}  {case}  (load {load:.1f})")
                    for kind, (walls, cpu) in kinds.items():
                        rows.append(f"{'':<22}{_line(kind, walls, cpu)}")
    finally:
        if server is not None:
            server.cleanup()
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
