"""Ending every active session in one step against a live service: how long is the
database's write lock held at a time, and how long do the service's writes wait?

    python3 -m tests.bench.end_load                         # SQLite 1M + PostgreSQL 1M
    python3 -m tests.bench.end_load --sessions 100000       # smaller, both backends
    python3 -m tests.bench.end_load --no-pg

The benchmark's demo database (`dbs.ensure_sqlite`, `dbs.build_pg`: the tool's migrations
applied, the audit table included) holds 9,680 active sessions at 1M; the run first makes
the newest ended ones active again until `--active` (20,000) are, the figure of issue 16,
on its own copy (SQLite) or database (PostgreSQL). A writer acting as
the service updates one random session every 20 ms (SQLite: its own connection with the
service's `busy_timeout = 5000`, in WAL as the service opens the file), on sessions the end
does not touch half the time and on the ones it ends the other half. Meanwhile a child
process opens the tool's Store and ends every active session with one `end_sessions` call,
as a confirmed select-all does. The child times each batch's transaction (`BEGIN` to the
commit's answer: the longest time the write lock, SQLite's or the rows', was held at once);
the writer reports its longest wait. Both figures go to tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.bench import dbs
from tests.bench.migrate_load import PERIOD_S, Probe

REASON = "reset-requested"
TOP_UP = (
    "UPDATE remote_agent_sessions SET active = {true}, ended_at = NULL, ended_reason = NULL"
    " WHERE id IN (SELECT id FROM remote_agent_sessions WHERE active = {false}"
    " ORDER BY started_at DESC LIMIT {n})"
)
"""Make `n` more sessions active: the newest ended ones."""


def _child(url: str, ids_file: str, batch: int | None = None) -> None:
    """In the child: end every id in one call; print the batch times and the total.
    `batch` replaces `END_BATCH` (the yardstick: every id in one transaction)."""
    import sqlalchemy as sa

    from tui.store import limits
    from tui.store.store import open_store
    from tui.store.target import resolve_target

    if batch:
        limits.END_BATCH = batch

    ids = Path(ids_file).read_text().split()
    holds: list[float] = []
    began: dict[int, float] = {}
    wrote: set[int] = set()

    # Each batch is one transaction on a connection of its own: from its BEGIN to the
    # connection's return to the pool (after the commit's answer), when it wrote.
    def on_begin(conn: sa.Connection) -> None:
        began[id(conn.connection.dbapi_connection)] = time.perf_counter()

    def on_execute(conn: sa.Connection, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            wrote.add(id(conn.connection.dbapi_connection))

    def on_checkin(dbapi_connection: object, _record: object) -> None:
        key = id(dbapi_connection)
        started = began.pop(key, None)
        if key in wrote and started is not None:
            wrote.discard(key)
            holds.append(time.perf_counter() - started)

    async def run() -> dict[str, object]:
        store = await open_store(resolve_target(url=url))
        engine = store.engine.sync_engine
        sa.event.listen(engine, "begin", on_begin)
        sa.event.listen(engine, "before_cursor_execute", on_execute)
        sa.event.listen(engine.pool, "checkin", on_checkin)
        try:
            started = time.perf_counter()
            outcomes = await store.end_sessions(ids, REASON, "bench@end-load")
            took = time.perf_counter() - started
        finally:
            await store.close()
        ended = sum(type(o).__name__ == "Ended" for o in outcomes)
        return {"took": took, "holds": holds, "ended": ended, "given": len(ids)}

    print(json.dumps(asyncio.run(run())))


def _end(url: str, ids: list[str], batch: int | None = None) -> dict[str, object]:
    ids_file = dbs.CACHE_DIR / "scratch" / "end-load-ids.txt"
    ids_file.parent.mkdir(parents=True, exist_ok=True)
    ids_file.write_text("\n".join(ids))
    done = subprocess.run(
        [
            sys.executable,
            *("-m", "tests.bench.end_load", "--child", url, str(ids_file), str(batch or 0)),
        ],
        capture_output=True,
        text=True,
        cwd=dbs.REPO_ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"end failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _report(result: dict[str, object], writes: Probe) -> None:
    holds = sorted(result["holds"])  # type: ignore[arg-type]
    print(
        f"  ended {result['ended']:,} of {result['given']:,} in {result['took']:.1f} s,"  # type: ignore[str-format]
        f" {len(holds)} transactions: longest {holds[-1] * 1000:.0f} ms,"
        f" median {holds[len(holds) // 2] * 1000:.0f} ms"
    )
    print("  " + writes.line("service writes (meanwhile)"))


# -- SQLite -------------------------------------------------------------------------------------


def _sqlite_writer(path: Path, ids: list[str], probe: Probe, stop: threading.Event) -> None:
    con = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA busy_timeout = 5000")
    rng = random.Random(1)
    while not stop.is_set():
        sid = rng.choice(ids)
        started = time.perf_counter()
        try:
            con.execute("UPDATE remote_agent_sessions SET metadata = metadata WHERE id = ?", (sid,))
            probe.waits.append(time.perf_counter() - started)
        except sqlite3.OperationalError as exc:
            probe.errors.append(str(exc))
        time.sleep(PERIOD_S)
    con.close()


def bench_sqlite(n: int, want: int, batch: int = 0) -> None:
    print(f"SQLite, {n:,} sessions")
    cached, _ = dbs.ensure_sqlite(n)
    copy = dbs.writable_copy(cached, "end-load")
    try:
        con = sqlite3.connect(copy, isolation_level=None)
        con.execute("PRAGMA journal_mode = WAL")  # as the service opens it
        (have,) = con.execute("SELECT count(*) FROM remote_agent_sessions WHERE active").fetchone()
        if have < want:
            con.execute(TOP_UP.format(true=1, false=0, n=want - have))
        active = [r[0] for r in con.execute("SELECT id FROM remote_agent_sessions WHERE active")]
        others = [r[0] for r in con.execute("SELECT id FROM remote_agent_sessions LIMIT 20000")]
        con.close()
        writes, stop = Probe(), threading.Event()
        writer = threading.Thread(
            target=_sqlite_writer, args=(copy, [*active, *others], writes, stop)
        )
        writer.start()
        time.sleep(0.5)
        result = _end(f"sqlite:///{copy}", active, batch)
        time.sleep(0.5)
        stop.set()
        writer.join()
        _report(result, writes)
    finally:
        dbs.drop_copy(copy)


# -- PostgreSQL ---------------------------------------------------------------------------------


async def _pg_writer(url: str, ids: list[str], probe: Probe, stop: asyncio.Event) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    rng = random.Random(1)
    try:
        while not stop.is_set():
            sid = rng.choice(ids)
            started = time.perf_counter()
            try:
                await con.execute(
                    "UPDATE remote_agent_sessions SET metadata = metadata WHERE id = $1::uuid", sid
                )
                probe.waits.append(time.perf_counter() - started)
            except asyncpg.PostgresError as exc:
                probe.errors.append(str(exc))
            await asyncio.sleep(PERIOD_S)
    finally:
        await con.close()


async def _pg_run(url: str, want: int, batch: int = 0) -> tuple[dict[str, object], Probe]:
    import asyncpg

    con = await asyncpg.connect(url)
    have = await con.fetchval("SELECT count(*) FROM remote_agent_sessions WHERE active")
    if have < want:
        await con.execute(TOP_UP.format(true="true", false="false", n=want - have))
        await con.execute("VACUUM (ANALYZE) remote_agent_sessions")
    active = [
        str(r[0]) for r in await con.fetch("SELECT id FROM remote_agent_sessions WHERE active")
    ]
    others = [
        str(r[0]) for r in await con.fetch("SELECT id FROM remote_agent_sessions LIMIT 20000")
    ]
    await con.close()
    writes, stop = Probe(), asyncio.Event()
    task = asyncio.create_task(_pg_writer(url, [*active, *others], writes, stop))
    await asyncio.sleep(0.5)
    result = await asyncio.to_thread(_end, url, active, batch)
    await asyncio.sleep(0.5)
    stop.set()
    await task
    return result, writes


def bench_pg(n: int, want: int, batch: int = 0) -> None:
    from tests.support.pgserver import PgServer

    print(f"PostgreSQL, {n:,} sessions")
    with PgServer() as server:
        url = server.create_database("end_load")
        dbs.build_pg(url, n)
        result, writes = asyncio.run(_pg_run(url, want, batch))
        _report(result, writes)


def main() -> None:
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None)
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--active", type=int, default=20_000, help="sessions to end")
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="sessions per transaction instead of END_BATCH (the yardstick: --batch 20000)",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    print(f"load average {os.getloadavg()[0]:.2f}")
    if not args.no_sqlite:
        bench_sqlite(args.sessions, args.active, args.batch)
    if not args.no_pg:
        bench_pg(args.sessions, args.active, args.batch)


if __name__ == "__main__":
    main()
