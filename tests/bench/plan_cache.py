"""PostgreSQL's plan cache and the hot reads' statements (issue 27, goal 1).

    python3 -m tests.bench.plan_cache [--sizes 10000,1000000] [--reps 30]

asyncpg prepares every statement, and after five runs of a prepared statement the
server may switch it to a generic plan (`plan_cache_mode = auto`, PostgreSQL 12+; before
12 the same rule without the setting). The raw driver's statement has its values in the
text: it has no parameters, so it is planned once for them. For the first page of a
reason, a status and an owner (`user:`) filter, each statement the Store runs (its text
and bound values, as `Statements.watching` sees them) is run on connections with each
`plan_cache_mode`, beside the literal statement (`inproc.compile_sql`); printed per
statement and mode: the client's median ms for both, and `EXPLAIN (ANALYZE, BUFFERS)` of
`EXECUTE` after seven runs: the plan's top line (a generic plan shows PostgreSQL's own
row estimate), planning and execution time. The literal statement's own EXPLAIN is
printed once, under `auto`.

A throwaway server (`tests/support/pgserver.py`), each size copied from the cached demo
file (`dbs.build_pg`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MODES = ("auto", "force_custom_plan", "force_generic_plan")


def _literal(value: Any) -> str:
    """A bound value as SQL text for `EXECUTE` (the hot reads bind text, numbers, times)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _explained(rows: list[Any]) -> str:
    lines = [r[0] for r in rows]
    times = " ".join(
        line.strip() for line in lines if line.startswith(("Planning Time", "Execution Time"))
    )
    return f"{lines[0].split('(actual')[0].strip()} | {times}"


async def _measure(url: str, reps: int) -> None:
    import asyncpg

    from tests.bench.inproc import compile_sql, window_floor_value
    from tui.domain.models import SessionFilter, Status
    from tui.store.store import open_store
    from tui.store.target import url_target

    target = url_target(url)
    store = await open_store(target, read_only=True)
    try:
        dialect, d = store.engine.dialect, store.d
        floor = await window_floor_value(target, dialect, d)
        filters = {
            "reason reset-requested": SessionFilter(reasons=frozenset({"reset-requested"})),
            "status active": SessionFilter(status=Status.ACTIVE),
            "status ended": SessionFilter(status=Status.ENDED),
            "user: (common, ~25%)": SessionFilter(user="ada@example.com"),
            "user: (rare, ~4%)": SessionFilter(user="ken@example.com"),
        }
        for name, flt in filters.items():
            seen: list[Any] = []
            with store.sql.watching(lambda stmt, _text, seen=seen: seen.append(stmt)):
                await store.list_sessions(flt)
            bound = [store.sql.bind(stmt) for stmt in seen]
            literal = compile_sql(dialect, d, flt, 100, floor)
            pairs = list(zip(bound, literal, strict=False))
            # a window's first statement reads the rows without a start time: none here
            for (sql, args), lit in pairs if len(pairs) == 1 else pairs[1:]:
                print(f"  {name}: {' '.join(sql.split())[:70]}…", flush=True)
                for mode in MODES:
                    con = await asyncpg.connect(url, server_settings={"plan_cache_mode": mode})
                    try:
                        stmt, lit_stmt = await con.prepare(sql), await con.prepare(lit)
                        for _ in range(8):  # past the five custom plans
                            await stmt.fetch(*args)
                            await lit_stmt.fetch()
                        ours, raw = [], []
                        for _ in range(reps):
                            t0 = time.perf_counter()
                            await stmt.fetch(*args)
                            t1 = time.perf_counter()
                            await lit_stmt.fetch()
                            ours.append((t1 - t0) * 1000)
                            raw.append((time.perf_counter() - t1) * 1000)
                        await con.execute(f"PREPARE p AS {sql}")
                        execute = f"EXECUTE p({', '.join(_literal(a) for a in args)})"
                        for _ in range(7):
                            await con.execute(execute)
                        plan = await con.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {execute}")
                        print(
                            f"    {mode:<19} bound {statistics.median(ours):7.2f} ms"
                            f"  literal {statistics.median(raw):7.2f} ms"
                            f"   EXECUTE: {_explained(plan)}"
                        )
                        if mode == "auto":
                            plan = await con.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {lit}")
                            print(f"    {'':<19} literal's own plan: {_explained(plan)}")
                    finally:
                        await con.close()
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tests.bench.plan_cache")
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tests.bench import dbs
    from tests.support.pgserver import PgServer

    server = PgServer()
    server.start()
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            url = server.create_database(f"plans_{n}")
            dbs.build_pg(url, n, print)
            print(f"PostgreSQL {n:,} sessions (median ms over {args.reps} runs each)", flush=True)
            asyncio.run(_measure(url, args.reps))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
