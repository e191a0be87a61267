"""The db part of a filter change in the app, this tree's app beside another's, in one run.

    python3 -m tests.bench.hot_reads_app --base /work/wt-base [--sizes 10000,1000000]
        [--rounds 2] [--reps 12] [--filters reason,status]

The in-process bench's filter series alone (`inproc.py --filters`): the real app, a
change at a time, `PageLoaded.elapsed` as the db part, and the same statement through
`sqlite3` alone as the raw driver, measured after the series in the same process.
Each round runs one process per tree, the order alternating, on the same cached
databases (`dbs.ensure_sqlite`). `--base`'s `tui` is measured with this tree's bench
code (a directory of two links, `tui` to the base tree's and `tests` to this one's), so
both trees are timed the same way. Prints the medians per tree and size, the ratio to
the raw driver, and the 1-minute load average beside each process; then the same by
the event loop thread's CPU over the same intervals (`inproc.timed_read_page`, the raw
driver's by `time.thread_time`), which the machine's load does not stretch: the store
call and whatever else ran on the loop between the ask and the answer.
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


def _run(root: Path, db: Path, reps: int, filters: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    try:
        env = dict(os.environ, PYTHONPATH=str(root))
        cmd = [sys.executable, "-m", "tests.bench.inproc", "--db", str(db), "--out", str(out)]
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
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tests.bench import dbs

    names = args.filters.split(",")
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"base": _mixed(args.base, Path(scratch)), "new": REPO}
        for n in (int(s) for s in args.sizes.split(",")):
            db, _ = dbs.ensure_sqlite(n, print)
            db_ms: dict[tuple[str, str], list[float]] = {}
            raw_ms: dict[tuple[str, str], list[float]] = {}
            db_cpu: dict[tuple[str, str], list[float]] = {}
            raw_cpu: dict[tuple[str, str], list[float]] = {}
            loads: dict[str, list[float]] = {"base": [], "new": []}
            for r in range(args.rounds):
                order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
                for tree in order:
                    got = _run(trees[tree], db, args.reps, args.filters)
                    loads[tree] += list(got["load"])
                    for name in names:
                        db_ms.setdefault((tree, name), []).extend(
                            got["figures"][f"filter_db:{name}"]["samples"]
                        )
                        raw_ms.setdefault((tree, name), []).extend(got["raw_sql"][name]["samples"])
                        db_cpu.setdefault((tree, name), []).extend(
                            got["figures"][f"filter_db_cpu:{name}"]["samples"]
                        )
                        raw_cpu.setdefault((tree, name), []).extend(got["raw_sql"][name]["cpu"])
            print(f"SQLite {n:,} sessions, {args.rounds} rounds x {args.reps} changes per tree")
            for what, db_of, raw_of in (("wall", db_ms, raw_ms), ("loop CPU", db_cpu, raw_cpu)):
                print(
                    f"  median ms, {what:<9} db part base   db part new   raw driver"
                    "   base/raw   new/raw"
                )
                for name in names:
                    raw = statistics.median(raw_of[("base", name)] + raw_of[("new", name)])
                    b = statistics.median(db_of[("base", name)])
                    a = statistics.median(db_of[("new", name)])
                    print(
                        f"  {name:<20}{b:14.2f}{a:14.2f}{raw:13.2f}{b / raw:10.1f}x"
                        f"{a / raw:9.1f}x   (goal 2x + 2 ms = {2 * raw + 2:.2f} ms)"
                    )
            for tree, values in loads.items():
                print(f"  load average, {tree} processes: {min(values):.1f}-{max(values):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
