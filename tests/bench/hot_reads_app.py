"""The db part of a filter change in the app, this tree's app beside another's, in one run.

    python3 -m tests.bench.hot_reads_app --base /work/wt-base [--sizes 10000,1000000]
        [--rounds 2] [--reps 12] [--filters reason,status] [--pg]

The in-process bench's filter series alone (`inproc.py --filters`): the real app, a
change at a time, `PageLoaded.elapsed` as the db part, and the same statement through
`sqlite3` (or `asyncpg`) alone as the raw driver, measured after the series in the same
process. Each round runs one process per tree, the order alternating, on the same
databases: the cached files (`dbs.ensure_sqlite`), or with `--pg` a throwaway
PostgreSQL server with each size copied from them (`dbs.build_pg`). `--base`'s `tui` is
measured with this tree's bench code (a directory of two links, `tui` to the base
tree's and `tests` to this one's), so both trees are timed the same way. Prints the
medians per tree and size, the ratio to the raw driver, and the 1-minute load average
beside each process; then the same by the event loop thread's CPU over the same
intervals (`inproc.timed_read_page`, the raw driver's by `time.thread_time`), which the
machine's load does not stretch: the store call and whatever else ran on the loop
between the ask and the answer; and the whole change (ask to painted) in each tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def _run(root: Path, target: list[str], reps: int, filters: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    try:
        env = dict(os.environ, PYTHONPATH=str(root))
        cmd = [sys.executable, "-m", "tests.bench.inproc", *target, "--out", str(out)]
        cmd += ["--reps", str(reps), "--filters", filters]
        load = os.getloadavg()[0]
        done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise SystemExit(f"{root}: {done.stderr[-2000:]}")
        got: dict[str, Any] = json.loads(out.read_text())
        got["load"] = (load, os.getloadavg()[0])
        return got
    finally:
        out.unlink(missing_ok=True)


def _mixed(base: Path, scratch: Path) -> Path:
    """A root whose `tui` is the base tree's and whose `tests` is this tree's."""
    root = scratch / "base-root"
    root.mkdir()
    (root / "tui").symlink_to(base.resolve() / "tui")
    (root / "tests").symlink_to(REPO / "tests")
    return root


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tests.bench.hot_reads_app")
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--reps", type=int, default=12)
    ap.add_argument("--filters", default="reason,status")
    ap.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tests.bench import dbs

    names = args.filters.split(",")
    server = None
    if args.pg:
        from tests.support.pgserver import PgServer

        server = PgServer()
        server.start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            trees = {"base": _mixed(args.base, Path(scratch)), "new": REPO}
            for n in (int(s) for s in args.sizes.split(",")):
                if server is not None:
                    url = server.create_database(f"hot_app_{n}")
                    dbs.build_pg(url, n, print)
                    _compare(trees, "PostgreSQL", n, ["--url", url], args, names)
                else:
                    db, _ = dbs.ensure_sqlite(n, print)
                    _compare(trees, "SQLite", n, ["--db", str(db)], args, names)
    finally:
        if server is not None:
            server.stop()
    return 0


def _compare(
    trees: dict[str, Path],
    kind: str,
    n: int,
    target: list[str],
    args: argparse.Namespace,
    names: list[str],
) -> None:
    """Both trees' series on one database, `args.rounds` times, and the medians printed:
    the db part by wall time and by the loop thread's CPU beside the raw driver's, and
    the whole change (ask to painted) beside the base's."""
    got_ms: dict[tuple[str, str, str], list[float]] = {}
    loads: dict[str, list[float]] = {"base": [], "new": []}
    for r in range(args.rounds):
        order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
        for tree in order:
            got = _run(trees[tree], target, args.reps, args.filters)
            loads[tree] += list(got["load"])
            for name in names:
                figures, raw = got["figures"], got["raw_sql"][name]
                for what, samples in (
                    ("wall", figures[f"filter_db:{name}"]["samples"]),
                    ("loop CPU", figures[f"filter_db_cpu:{name}"]["samples"]),
                    ("raw wall", raw["samples"]),
                    ("raw loop CPU", raw["cpu"]),
                    ("painted", figures[f"filter:{name}"]["samples"]),
                ):
                    got_ms.setdefault((tree, name, what), []).extend(samples)

    def med(tree: str, name: str, what: str) -> float:
        return statistics.median(got_ms[(tree, name, what)])

    print(f"{kind} {n:,} sessions, {args.rounds} rounds x {args.reps} changes per tree")
    for what in ("wall", "loop CPU"):
        print(f"  median ms, {what:<9} db part base   db part new   raw driver   base/raw", end="")
        print("   new/raw")
        for name in names:
            raw = statistics.median(
                got_ms[("base", name, f"raw {what}")] + got_ms[("new", name, f"raw {what}")]
            )
            b, a = med("base", name, what), med("new", name, what)
            print(
                f"  {name:<20}{b:14.2f}{a:14.2f}{raw:13.2f}{b / raw:10.1f}x"
                f"{a / raw:9.1f}x   (goal 2x + 2 ms = {2 * raw + 2:.2f} ms)"
            )
    print("  median ms, change -> painted   base      new   new/base")
    for name in names:
        b, a = med("base", name, "painted"), med("new", name, "painted")
        print(f"  {name:<28}{b:9.1f}{a:9.1f}{a / b:10.2f}x")
    for tree, values in loads.items():
        print(f"  load average, {tree} processes: {min(values):.1f}-{max(values):.1f}")


if __name__ == "__main__":
    sys.exit(main())
