"""The overview's first rows with N deployments (one of them hung) against one
deployment's first row alone, side by side in one run, alternating.

    python3 -m tests.bench.overview                           # 10 deployments at 100k
    python3 -m tests.bench.overview --sessions 10000 --reps 3 # while developing

Each sample starts a fresh overview app (headless, in this process) and takes, from the
overview's own clock (`OverviewScreen.started` to `answered_at`), the moment the last
live row had its first answer. "one" is the overview over one deployment; "N" over
`--deployments` live ones plus a hung server (a loopback port that accepts and never
answers) whose timeout is `--timeout` seconds, longer than any live row should take. The
live deployments read the same SQLite file (the tool's demo at that size, without
workflow runs, kept in `tests/bench/.cache/`), each on its own connection. Target
(issue 29): N's last live row within 1.5x one's row.
"""

from __future__ import annotations

import argparse
import asyncio
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


async def last_live_row(deployments: list[Deployment], live: list[str], within: float) -> float:
    """Seconds from the overview's start to the last live row's first answer."""
    app = overview_app(deployments, within=within)
    async with app.run_test(size=(250, 20)) as pilot:
        await wait_until(pilot, lambda: answered(app, *live), "the live rows", tries=5000)
        seconds = max(app.overview.answered_at[name] for name in live)
        hung = [d.name for d in deployments if d.name not in live]
        assert not any(app.overview.rows[name].answers for name in hung), "the hung one answered"
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--deployments", type=int, default=10)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    path = demo_file(args.sessions)
    one = [Deployment("one", db=path)]
    samples: dict[str, list[float]] = {"one": [], "many": []}
    with silent_port() as port:
        many = [Deployment(f"d{i}", db=path) for i in range(args.deployments)]
        many.append(Deployment("hung", url=f"postgresql://archon:pw@127.0.0.1:{port}/archon"))
        live = [d.name for d in many if d.name != "hung"]
        for _ in range(args.reps):
            samples["one"].append(asyncio.run(last_live_row(one, ["one"], args.timeout)))
            samples["many"].append(asyncio.run(last_live_row(many, live, args.timeout)))
    med: dict[str, Any] = {k: statistics.median(v) for k, v in samples.items()}
    ratio = med["many"] / med["one"]
    print(f"sessions {args.sessions:,}, {args.deployments} live + 1 hung, {args.reps} reps")
    print(f"  one deployment, its row:        {med['one'] * 1000:8.0f} ms (median)")
    print(f"  {args.deployments} + hung, last live row:   {med['many'] * 1000:8.0f} ms (median)")
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"  ratio {ratio:.2f}x (target ≤ {TARGET}x): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
