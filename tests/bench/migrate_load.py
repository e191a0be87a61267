"""`sessions-tui migrate` against a live service: how long do the service's reads and writes wait?

    python3 -m tests.bench.migrate_load                       # SQLite 1M + PostgreSQL 100k
    python3 -m tests.bench.migrate_load --pg-sessions 1000000 # PostgreSQL at 1M (slow build)
    python3 -m tests.bench.migrate_load --no-pg --sqlite-sessions 100000
    python3 -m tests.bench.migrate_load --compare-settings 3   # SQLite index build settings

A database as today's service leaves it (`dbs.ensure_service_sqlite`, `dbs.build_service_pg`:
the service's DDL and the demo rows, no sessions-tui revision or index) gets a writer and a
reader acting as the service: the writer updates one random session every 20 ms (SQLite:
its own connection with the service's `busy_timeout = 5000` and WAL, as the service opens
the file), the reader reads one by id every 20 ms. Meanwhile the real CLI runs
`sessions-tui migrate --yes` in a child process. Reported: the longest wait of a read and
of a write while the migration ran, the writes that failed, and how long the migration took.

On SQLite the same statements are then timed alone on a fresh copy, one `CREATE INDEX` each,
which is how long each holds the file's one write lock (the longest is what the service's
writes can wait) and the rate the question `migrate` asks estimates from
(`tui.store.backends.sqlite.INDEX_ROWS_PER_SECOND`); their sum is the yardstick, how long
the single transaction of the old `migrate` held the lock on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench import dbs
from tui.store.backends.sqlite import INDEX_BUILD_THREADS

TOOL_INDEXES = {
    "ix_sessions_tui_reason_started": "ended_reason, started_at, id",
    "ix_sessions_tui_active_started": "active, started_at, id",
    "ix_sessions_tui_started": "started_at, id",
    "ix_sessions_tui_parent": "parent_session_id",
    "ix_sessions_tui_facets": "ended_reason, active, started_at",
    "ix_sessions_tui_live": "active, ended_at, ended_reason",
    "ix_sessions_tui_ended": "ended_at, id",
}
PERIOD_S = 0.02


@dataclass
class Probe:
    """Latencies of one kind of service statement, and the failures."""

    waits: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def line(self, what: str) -> str:
        if not self.waits:
            return f"{what}: no samples"
        ordered = sorted(self.waits)
        p50 = ordered[len(ordered) // 2] * 1000
        return (
            f"{what}: {len(ordered)} done, longest {ordered[-1] * 1000:.0f} ms, "
            f"median {p50:.1f} ms, failed {len(self.errors)}"
            + (f" (first: {self.errors[0]})" if self.errors else "")
        )


def _migrate(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from tui.cli.main import main; main()", *args, "migrate", "--yes"],
        capture_output=True,
        text=True,
        cwd=dbs.REPO_ROOT,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"migrate failed ({done.returncode}): {done.stderr.strip()}")
    return took, done.stdout.strip()


# -- SQLite -------------------------------------------------------------------------------------


def _cpu_s() -> float:
    """CPU seconds of this process so far (SQLite's sorter threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sqlite_ids(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT id FROM remote_agent_sessions LIMIT 20000")]
    finally:
        con.close()


def _sqlite_loop(
    path: Path, ids: list[str], write: bool, probe: Probe, stop: threading.Event
) -> None:
    con = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA busy_timeout = 5000")
    rng = random.Random(1 if write else 2)
    while not stop.is_set():
        sid = rng.choice(ids)
        started = time.perf_counter()
        try:
            if write:
                con.execute(
                    "UPDATE remote_agent_sessions SET metadata = metadata WHERE id = ?", (sid,)
                )
            else:
                con.execute("SELECT * FROM remote_agent_sessions WHERE id = ?", (sid,)).fetchall()
            probe.waits.append(time.perf_counter() - started)
        except sqlite3.OperationalError as exc:
            probe.errors.append(str(exc))
        time.sleep(PERIOD_S)
    con.close()


def bench_sqlite(n: int) -> None:
    print(f"SQLite, {n:,} sessions")
    cached, _ = dbs.ensure_service_sqlite(n)
    copy = dbs.writable_copy(cached, "migrate-load")
    try:
        con = sqlite3.connect(copy)
        con.execute("PRAGMA journal_mode = WAL")  # as the service opens it
        con.close()
        ids = _sqlite_ids(copy)
        writes, reads, stop = Probe(), Probe(), threading.Event()
        threads = [
            threading.Thread(target=_sqlite_loop, args=(copy, ids, w, p, stop))
            for w, p in ((True, writes), (False, reads))
        ]
        for t in threads:
            t.start()
        time.sleep(0.5)
        load = os.getloadavg()[0]
        took, out = _migrate(["--db", str(copy)])
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        print(f"  migrate took {took:.1f} s: {out.splitlines()[-1] if out else ''}")
        print(f"  load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
        print("  " + writes.line("service writes"))
        print("  " + reads.line("service reads"))
    finally:
        dbs.drop_copy(copy)

    copy = dbs.writable_copy(cached, "migrate-rate")
    try:
        con = sqlite3.connect(copy, isolation_level=None)
        con.execute(f"PRAGMA threads = {INDEX_BUILD_THREADS}")  # as `migrate` builds them
        holds, cpus = [], []
        for name, columns in TOOL_INDEXES.items():
            started, cpu = time.perf_counter(), _cpu_s()
            con.execute(f"CREATE INDEX {name} ON remote_agent_sessions ({columns})")
            holds.append(time.perf_counter() - started)
            cpus.append(_cpu_s() - cpu)
        con.close()
        rates = sorted(n / h for h in holds)
        print(
            "  each index alone (write lock held): "
            + ", ".join(f"{h:.2f}" for h in holds)
            + f" s; longest {max(holds):.2f} s; rate median {rates[len(rates) // 2]:,.0f}"
            f" sessions/s (slowest {rates[0]:,.0f}); load average {os.getloadavg()[0]:.1f}"
        )
        # The CPU each build needed: what the lock would be held for on an idle core.
        # Wall time above is that stretched by whatever else the machine runs.
        print("  CPU time of each build: " + ", ".join(f"{c:.2f}" for c in cpus) + " s")
        # The yardstick, same run, same machine: one transaction held the lock for all of them.
        print(f"  all in one transaction (how migrate ran before): {sum(holds):.1f} s")
    finally:
        dbs.drop_copy(copy)


BUILD_SETTINGS = {
    "defaults": [],
    "threads=2": ["PRAGMA threads = 2"],
    "cache 256 MB": ["PRAGMA cache_size = -262144"],
    "mmap 1 GB": ["PRAGMA mmap_size = 1073741824"],
    "threads=2, temp in memory": ["PRAGMA threads = 2", "PRAGMA temp_store = MEMORY"],
    "threads=2, synchronous normal": ["PRAGMA threads = 2", "PRAGMA synchronous = NORMAL"],
}
"""Connection settings that might shorten an index build: SQLite's multi-threaded sorter,
a page cache large enough that the sort never spills to temporary files, reading the
table through mmap. Each builds the same index (a setting changes how, not what)."""


def compare_settings(n: int, reps: int) -> None:
    """The longest index (`ix_sessions_tui_reason_started`) built and dropped `reps` times
    under each of `BUILD_SETTINGS`, in alternating order: wall time (the write lock held)
    and CPU time (what it needs of an idle core), medians."""
    import statistics

    name, columns = "ix_sessions_tui_reason_started", TOOL_INDEXES["ix_sessions_tui_reason_started"]
    cached, _ = dbs.ensure_service_sqlite(n)
    copy = dbs.writable_copy(cached, "migrate-settings")
    walls: dict[str, list[float]] = {k: [] for k in BUILD_SETTINGS}
    cpus: dict[str, list[float]] = {k: [] for k in BUILD_SETTINGS}
    loads: list[float] = []
    try:
        con = sqlite3.connect(copy, isolation_level=None)
        con.execute("PRAGMA journal_mode = WAL")
        con.close()
        order = list(BUILD_SETTINGS)
        for rep in range(reps):
            for setting in order if rep % 2 == 0 else order[::-1]:
                con = sqlite3.connect(copy, isolation_level=None)
                for pragma in BUILD_SETTINGS[setting]:
                    con.execute(pragma)
                started, cpu = time.perf_counter(), _cpu_s()
                con.execute(f"CREATE INDEX {name} ON remote_agent_sessions ({columns})")
                walls[setting].append(time.perf_counter() - started)
                cpus[setting].append(_cpu_s() - cpu)
                con.execute(f"DROP INDEX {name}")
                con.close()
                loads.append(os.getloadavg()[0])
        print(
            f"SQLite, {n:,} sessions: {name}, {reps} builds per setting"
            f" (load average {min(loads):.1f}-{max(loads):.1f})"
        )
        for setting in order:
            w, c = walls[setting], cpus[setting]
            print(
                f"  {setting:<14} wall median {statistics.median(w):.2f} s "
                f"[{min(w):.2f}-{max(w):.2f}], CPU median {statistics.median(c):.2f} s"
            )
    finally:
        dbs.drop_copy(copy)


# -- PostgreSQL ---------------------------------------------------------------------------------


async def _pg_loop(
    url: str, ids: list[str], write: bool, probe: Probe, stop: asyncio.Event
) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    rng = random.Random(1 if write else 2)
    try:
        while not stop.is_set():
            sid = rng.choice(ids)
            started = time.perf_counter()
            try:
                if write:
                    await con.execute(
                        "UPDATE remote_agent_sessions SET metadata = metadata WHERE id = $1::uuid",
                        sid,
                    )
                else:
                    await con.fetch("SELECT * FROM remote_agent_sessions WHERE id = $1::uuid", sid)
                probe.waits.append(time.perf_counter() - started)
            except asyncpg.PostgresError as exc:
                probe.errors.append(str(exc))
            await asyncio.sleep(PERIOD_S)
    finally:
        await con.close()


async def _pg_run(url: str) -> tuple[Probe, Probe, float, str]:
    import asyncpg

    con = await asyncpg.connect(url)
    ids = [str(r[0]) for r in await con.fetch("SELECT id FROM remote_agent_sessions LIMIT 20000")]
    await con.close()
    writes, reads, stop = Probe(), Probe(), asyncio.Event()
    tasks = [
        asyncio.create_task(_pg_loop(url, ids, w, p, stop))
        for w, p in ((True, writes), (False, reads))
    ]
    await asyncio.sleep(0.5)
    took, out = await asyncio.to_thread(_migrate, ["--url", url])
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*tasks)
    return writes, reads, took, out


def bench_pg(n: int) -> None:
    from tests.support.pgserver import PgServer

    print(f"PostgreSQL, {n:,} sessions")
    with PgServer() as server:
        url = server.create_database("migrate_load")
        dbs.build_service_pg(url, n)
        writes, reads, took, out = asyncio.run(_pg_run(url))
        print(f"  migrate took {took:.1f} s: {out.splitlines()[-1] if out else ''}")
        print("  " + writes.line("service writes"))
        print("  " + reads.line("service reads"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite-sessions", type=int, default=1_000_000)
    parser.add_argument("--pg-sessions", type=int, default=100_000)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument(
        "--compare-settings",
        type=int,
        metavar="REPS",
        help="only time the longest SQLite index under each of BUILD_SETTINGS, REPS times",
    )
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    print(f"load average {os.getloadavg()[0]:.2f}")
    if args.compare_settings:
        compare_settings(args.sqlite_sessions, args.compare_settings)
        return
    if not args.no_sqlite:
        bench_sqlite(args.sqlite_sessions)
    if not args.no_pg:
        bench_pg(args.pg_sessions)


if __name__ == "__main__":
    main()
