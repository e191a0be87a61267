"""One `metrics` scrape of N deployments beside the same counts read directly, in
parallel, side by side in one run (issue 29: a scrape costs what the counts cost).

    python3 -m tests.bench.metrics_scrape                          # 3 deployments x 10k, SQLite
    python3 -m tests.bench.metrics_scrape --deployments 10 --sessions 1000000
    python3 -m tests.bench.metrics_scrape --pg                     # + PostgreSQL deployments
    python3 -m tests.bench.metrics_scrape --pg --no-sqlite         # PostgreSQL only

Each deployment is its own copy of one demo file built for the run (the tool's own
`write_demo_db`, runs included, as `--demo` builds it), or with `--pg` its own database
in a throwaway server (one built by `dbs.build_pg`, the others the server's copies of
it). Three figures, measured `--reps` times in rotation after one warm-up each, wall
clock:

- **direct**: `tui.fleet.read_each(deployments, read_snapshot)`, every deployment at
  once (what the overview and `check` read);
- **collect**: the exporter's registry collected and written as text in this process
  (`tui.metrics`, cache off): direct plus the exposition;
- **scrape**: `GET /metrics` from a real `sessions-tui metrics --listen` process
  (`metrics_cache_seconds = 0`): collect plus HTTP.

Target: scrape median <= 1.1x direct median (the exposition and HTTP add at most a
tenth). Exits 1 when it fails.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.bench import dbs
from tests.support.metrics_exporter import deployment_table, exporting, get, isolated_env
from tui.deployments import Deployment
from tui.fleet import ReadOptions, read_each
from tui.metrics import SnapshotSource, exposition, registry_for
from tui.store.demo import write_demo_db
from tui.store.snapshot import read_snapshot
from tui.store.target import DbTarget, sqlite_target, url_target

TARGET = 1.1
OPTIONS = ReadOptions(
    within=600, stale_after=timedelta(hours=24), run_quiet_after=timedelta(minutes=30)
)


def deployment(name: str, target: DbTarget) -> Deployment:
    if target.kind == "sqlite":
        return Deployment(name, db=target.path)
    return Deployment(name, url=target.secret_url())


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(targets: list[DbTarget], reps: int, folder: Path) -> dict[str, list[float]]:
    deployments = [deployment(f"d{i}", t) for i, t in enumerate(targets)]
    env: dict[str, str] = {}
    config = "metrics_cache_seconds = 0\ndeployment_timeout = 600\n\n"
    config += "\n".join(
        deployment_table(d.name, t, env) for d, t in zip(deployments, targets, strict=True)
    )
    registry = registry_for(SnapshotSource(deployments, OPTIONS, cache_seconds=0))

    def direct() -> None:
        readings = asyncio.run(read_each(deployments, read_snapshot, OPTIONS))
        assert all(r.ok for r in readings), [r.error for r in readings]

    def collect() -> None:
        assert b"sessions_tui_up" in exposition(registry)

    environment = isolated_env(folder, config) | env
    with exporting(["--all", "metrics", "--listen", "127.0.0.1:0"], environment) as exporter:

        def scrape() -> None:
            status, text = get(exporter.url)
            assert status == 200 and text.count("sessions_tui_up{") == len(deployments)
            assert 'sessions_tui_up{deployment="d0"} 1.0' in text

        figures = {"direct": direct, "collect": collect, "scrape": scrape}
        out: dict[str, list[float]] = {name: [] for name in figures}
        for call in figures.values():
            call()
        for _ in range(reps):
            for name, call in figures.items():
                out[name].append(timed(call))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL deployments too")
    parser.add_argument(
        "--no-sqlite", action="store_true", help="only the PostgreSQL deployments (with --pg)"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    server = None
    try:
        runs: dict[str, list[DbTarget]] = {}
        if not args.no_sqlite:
            built = scratch / "demo.db"
            print(f"building a demo database of {args.sessions:,} sessions …", flush=True)
            asyncio.run(write_demo_db(built, n_sessions=args.sessions))
            copies = [scratch / f"d{i}.db" for i in range(args.deployments)]
            for path in copies:
                shutil.copyfile(built, path)
            runs["sqlite"] = [sqlite_target(path) for path in copies]
        if args.pg:
            from tests.support.pgserver import PgServer

            server = PgServer()
            server.start()
            # One database is built; the others are the server's own copies of it
            # (CREATE DATABASE … TEMPLATE), the same rows, statistics and visibility map.
            first = server.create_database("bench_metrics_0")
            dbs.build_pg(first, args.sessions)
            urls = [first]
            for i in range(1, args.deployments):
                server.psql(f"CREATE DATABASE bench_metrics_{i} TEMPLATE bench_metrics_0")
                urls.append(server.url(f"bench_metrics_{i}"))
            runs["postgresql"] = [url_target(url) for url in urls]
        failed = False
        print(
            f"{args.deployments} deployments x {args.sessions:,} sessions, {args.reps} reps;"
            " wall median [min], ms"
        )
        for backend, targets in runs.items():
            with tempfile.TemporaryDirectory() as folder:
                out = measure(targets, args.reps, Path(folder))
            medians = {name: statistics.median(values) for name, values in out.items()}
            cells = "  ".join(
                f"{name} {medians[name]:8.1f} [{min(out[name]):7.1f}]" for name in out
            )
            ratio = medians["scrape"] / medians["direct"]
            ok = ratio <= TARGET
            failed |= not ok
            print(
                f"{backend:<10} {cells}  scrape/direct {ratio:.2f}x "
                f"(collect/direct {medians['collect'] / medians['direct']:.2f}x)  "
                + ("PASS" if ok else "FAIL")
            )
        return 1 if failed else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
