"""The served dashboard's first rows in a browser against the same rows in a terminal.

Side by side in one run, alternating, on the same database and the same terminal size:

- **terminal**: `python -m tui --db PATH --read-only` started in a pseudo-terminal; from
  just before the spawn to the first output in which the newest session's short id
  stands (escape sequences removed);
- **browser**: `sessions-tui --db PATH serve` started once (not timed), then each sample
  a fresh page load in headless chromium; from the navigation's start (the page's own
  `performance.now()` origin) to the first frame xterm.js parses with that id on its
  screen (`tests/support/browser.HOOK`). That includes the page and its script, the
  websocket, textual-serve starting the dashboard process, and the relay.

Both dashboards are read-only (serve's default), so they run the same code. Target:
browser ≤ 2x terminal (issue 18). Run from the repository root:

    python3 -m tests.bench.serve_first_rows [--sessions 10000] [--reps 7]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

from tests.bench.dbs import CACHE_DIR, ensure_sqlite
from tests.support.browser import (
    ANSI,
    REPO,
    Served,
    chromium,
    find_chromium,
    first_mark,
    serving,
    wait_for,
)
from tests.support.sqlite_files import sqlite_file

TARGET = 2.0
BYTECODE = {"PYTHONPYCACHEPREFIX": str(CACHE_DIR / "pyc")}
"""Both sides' dashboards start from cached bytecode, as an installed tool does (run.py)."""


def newest_id(path: Path) -> str:
    with sqlite_file(path) as db:
        row = db.execute(
            "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC LIMIT 1"
        ).fetchone()
    return str(row[0])


def in_terminal(path: Path, marker: str, cols: int, rows: int, limit: float = 60) -> float:
    """Milliseconds from spawning the dashboard in a pty to `marker` in its output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", PYTHONPATH=str(REPO), **BYTECODE)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    argv = [sys.executable, "-m", "tui", "--db", str(path), "--read-only"]
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True
    )
    os.close(slave)
    received = bytearray()
    try:
        while True:
            left = limit - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError("the terminal dashboard never showed the first rows")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                raise RuntimeError("the terminal dashboard exited") from None
            received.extend(chunk)
            if marker in ANSI.sub("", received.decode("utf-8", errors="replace")):
                return (time.perf_counter() - start) * 1000
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)


def in_browser(driver: Any, served: Served, marker: str) -> tuple[float, float]:
    """Milliseconds from the navigation's start to the first frame showing `marker`, and
    to the dashboard's first frame of all."""
    driver.get(served.url)
    found = wait_for(lambda: first_mark(driver, marker), 60, "the first rows in the browser")
    frame = first_mark(driver, "(first frame)")
    driver.get("about:blank")
    wait_for(lambda: not served.dashboards(), 30, "the tab's dashboard to quit")
    return float(found), float(frame or 0)


def summary(name: str, samples: list[float]) -> str:
    return (
        f"{name:<9} median {statistics.median(samples):7.0f} ms   "
        f"min {min(samples):7.0f}   max {max(samples):7.0f}   (n={len(samples)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args(argv)
    why = find_chromium()
    if why is not None:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    path, _ = ensure_sqlite(args.sessions)
    marker = newest_id(path)[:8]
    print(f"{args.sessions:,} sessions ({path.name}); first rows = the newest id {marker}")
    terminal: list[float] = []
    browser: list[float] = []
    first_frame: list[float] = []
    env = dict(os.environ, **BYTECODE)
    with (
        serving(["--db", str(path)], env=env) as served,
        chromium(wanted=[marker]) as driver,
    ):
        in_browser(driver, served, marker)  # warm-up: caches, and the size
        driver.get(served.url)
        cols, rows = wait_for(
            lambda: driver.execute_script(
                "return window.__xterm && window.__xterm.cols > 20"
                " ? [window.__xterm.cols, window.__xterm.rows] : null"
            ),
            60,
            "the page's terminal size",
        )
        driver.get("about:blank")
        wait_for(lambda: not served.dashboards(), 30, "the tab's dashboard to quit")
        in_terminal(path, marker, cols, rows)  # warm-up
        print(f"terminal size {cols}x{rows}, both sides; {args.reps} samples each, alternating")
        for _ in range(args.reps):
            terminal.append(in_terminal(path, marker, cols, rows))
            rows_ms, frame_ms = in_browser(driver, served, marker)
            browser.append(rows_ms)
            first_frame.append(frame_ms)
    print(summary("terminal", terminal))
    print(summary("browser", browser))
    print(summary("  frame", first_frame) + "   the dashboard's first frame in the page")
    ratio = statistics.median(browser) / statistics.median(terminal)
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"browser / terminal (medians) = {ratio:.2f}x   target <= {TARGET:g}x   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
