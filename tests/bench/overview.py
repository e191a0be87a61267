"""The overview's rows with N deployments (one of them hung) against one deployment's
row alone, side by side in one run, alternating.

    python3 -m tests.bench.overview                           # 10 deployments at 100k
    python3 -m tests.bench.overview --sessions 10000 --reps 3 # while developing

Each sample starts a fresh overview app (headless, in this process) and reads two
moments from the overview's own clock (`OverviewScreen.started`):

- first row (`answered_at`): the row is drawn in the table with its live state, service
  version and active count (its costlier cells may still say "counting…");
- complete row (`complete_at`): the row is drawn with every count.

"one" is the overview over one deployment; "N" over `--deployments` live ones plus a
hung server (a loopback port that accepts and never answers) whose timeout is
`--timeout` seconds, longer than any live row should take: for N, the last live row's
moment. The live deployments read the same SQLite file (the tool's demo at that size,
without workflow runs, kept in `tests/bench/.cache/`), each on its own store. Target
(issue 29): N's last live first row within 1.5x one's first row. The load average is
printed beside the figures: compare the ratios, not the milliseconds. Each sample
starts after a full garbage collection: the apps before it leave cycles, and a full
collection of them (up to 0.3 s) would otherwise land in whichever sample comes next.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench.dbs import CACHE_DIR
from tests.support.app_helpers import wait_until
from tests.support.overview_scenes import answered, overview_app, silent_port
from tui.deployments import Deployment

TARGET = 1.5
ANCHOR = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def demo_file(n_sessions: int) -> Path:
    """The demo database of `n_sessions` (fixed seed and anchor), built once."""
    from tui.store.demo import write_demo_db

    path = CACHE_DIR / f"overview-demo-{n_sessions}.db"
    if not path.is_file():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        print(f"building {path} …")
        asyncio.run(write_demo_db(path, n_sessions=n_sessions, anchor=ANCHOR, runs=False))
    return path


async def last_live_row(
    deployments: list[Deployment], live: list[str], within: float
) -> tuple[float, float]:
    """Seconds from the overview's start to the last live row's first answer and to its
    complete row."""
    app = overview_app(deployments, within=within)
    async with app.run_test(size=(250, 20)) as pilot:
        await wait_until(pilot, lambda: answered(app, *live), "the live rows", tries=5000)
        overview = app.overview
        first = max(overview.answered_at[name] for name in live)
        complete = max(overview.complete_at[name] for name in live)
        assert all(overview.rows[name].state == "live" for name in live), "a live row failed"
        hung = [d.name for d in deployments if d.name not in live]
        assert not any(overview.rows[name].answers for name in hung), "the hung one answered"
    return first, complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--deployments", type=int, default=10)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    path = demo_file(args.sessions)
    one = [Deployment("one", db=path)]
    samples: dict[str, list[tuple[float, float]]] = {"one": [], "many": []}
    loads = [os.getloadavg()[0]]
    with silent_port() as port:
        many = [Deployment(f"d{i}", db=path) for i in range(args.deployments)]
        many.append(Deployment("hung", url=f"postgresql://archon:pw@127.0.0.1:{port}/archon"))
        live = [d.name for d in many if d.name != "hung"]
        for _ in range(args.reps):
            for key, deps, names in (("one", one, ["one"]), ("many", many, live)):
                gc.collect()  # the samples before: their garbage collected outside this one
                samples[key].append(asyncio.run(last_live_row(deps, names, args.timeout)))
            loads.append(os.getloadavg()[0])
    med: dict[str, Any] = {
        k: [statistics.median(s[i] for s in v) for i in (0, 1)] for k, v in samples.items()
    }
    n = args.deployments
    print(f"sessions {args.sessions:,}, {n} live + 1 hung, {args.reps} reps")
    print(f"  load average (1 min) during the run: {min(loads):.1f} to {max(loads):.1f}")
    for i, what in enumerate(("first row", "complete row")):
        ratio = med["many"][i] / med["one"][i]
        print(f"  {what}: one {med['one'][i] * 1000:6.0f} ms, {n} + hung (last live) ", end="")
        print(f"{med['many'][i] * 1000:6.0f} ms (medians): ratio {ratio:.2f}x", end="")
        if i == 0:
            print(f" (target ≤ {TARGET}x): {'PASS' if ratio <= TARGET else 'FAIL'}", end="")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
