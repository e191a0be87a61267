"""One tool in a real pseudo-terminal, timed until a text is on its rendered screen.

    <peers-venv>/bin/python tests/bench/peers_pty.py SPEC.json

Run by `tests.bench.peers` with the scratch venv's Python, which has pyte (the screen
emulator) and psutil; this file imports nothing else outside the stdlib, and nothing of
the project. SPEC is a JSON object:

    cmd        argv of the tool
    env, cwd   its environment and working directory
    cols, rows the terminal's size
    steps      [{"wait": TEXT, "send": TEXT, "name": NAME}, ...]: once TEXT is on the
               screen, write SEND to the terminal (as keys typed), record when as NAME
    expect     the text to wait for last: the newest session's id
    resend     (optional, also in a step) keys to type again while that stage's text is
               not on screen, `resend_after` seconds after the last keys were typed; with
               `resend_still`, only once the screen has also been still that long
               (VisiData's sort). Counted in `resends`.
    settle     seconds the screen must stay still after `expect` appeared before the
               peak memory is read (the tool finishing what it does at start; at most
               SETTLE_MAX_S)
    timeout    seconds before giving up
    eager      (optional) feed the emulator every read, not only when the text is among
               the raw bytes (a curses tool: see below)
    keep_screen  (optional) print the screen as it was when `expect` was found (it is
               printed anyway when it was not)

Clock: t0 is taken just before the tool is spawned, so its interpreter start-up and
imports count. The screen is the pyte emulator's, fed every byte the tool writes, in
order; a text "is on screen" when it is in the emulator's display after the bytes read so
far. It is checked at once when the text is among the raw bytes just read, else at most
FEED_EVERY_S later (or at once with `eager`), so a time can be up to FEED_EVERY_S late.

Memory: every ~20 ms, the summed RSS of the tool's process tree (psutil; the tree listed
again every 0.25 s); at the end, VmHWM (the kernel's peak RSS) of each process still
alive. Peak = the larger of the sampled tree peak and the main process's VmHWM.

Prints one JSON line and exits; the tool is killed (its process group) at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]
import pyte  # type: ignore[import-untyped, import-not-found, unused-ignore]

SAMPLE_S = 0.02
CHILDREN_EVERY_S = 0.25
FEED_EVERY_S = 0.1
"""Bytes waiting this long are fed to the emulator even if the text is not among them."""
SETTLE_MAX_S = 10.0
"""The memory is read at the latest this long after `expect` appeared, still or not."""


class Tree:
    """A process and its descendants; their summed RSS, read every SAMPLE_S.

    The descendants are listed again every CHILDREN_EVERY_S only: psutil finds them by
    reading every process's /proc entry, CPU taken from the tools measured.
    """

    def __init__(self, root: Any) -> None:
        self.root = root
        self.procs: list[Any] = [root]
        self.listed = 0.0

    def rss(self, now: float) -> int:
        if now - self.listed >= CHILDREN_EVERY_S:
            self.listed = now
            with contextlib.suppress(psutil.Error):
                self.procs = [self.root, *self.root.children(recursive=True)]
        total = 0
        alive = []
        for p in self.procs:
            try:
                total += p.memory_info().rss
                alive.append(p)
            except psutil.Error:
                pass
        self.procs = alive
        return total


def vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(spec: dict[str, Any]) -> dict[str, Any]:
    cols, rows = int(spec["cols"]), int(spec["rows"])
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    # Answers to the terminal's queries (device attributes, cursor position) go back in.
    screen.write_process_input = lambda data: os.write(master, data.encode())

    def become_tty_owner() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    out: dict[str, Any] = {"steps": {}}
    t0 = time.time()
    proc = subprocess.Popen(
        spec["cmd"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=spec["env"],
        cwd=spec["cwd"],
        preexec_fn=become_tty_owner,
        close_fds=True,
    )
    os.close(slave)
    tree = Tree(psutil.Process(proc.pid))
    steps = list(spec["steps"])
    expect: str = spec["expect"]
    final_stage = {k: spec[k] for k in ("resend", "resend_after", "resend_still") if k in spec}
    settle = float(spec.get("settle", 1.0))
    deadline = t0 + float(spec["timeout"])
    peak = 0
    last_sample = 0.0
    last_output = time.time()
    last_send = time.time()
    found_at: float | None = None
    eager = bool(spec.get("eager"))
    pending_since = 0.0
    pending: list[bytes] = []
    tail = b""
    out["bytes"] = 0
    out["feed_s"] = 0.0
    resends = 0
    finished = False

    def on_screen(text: str) -> bool:
        return any(text in line for line in screen.display)

    def send(keys: str) -> None:
        nonlocal last_send
        os.write(master, keys.encode())
        last_send = time.time()

    try:
        while not finished:
            now = time.time()
            if now > deadline:
                out["error"] = "timeout"
                break
            if now - last_sample >= SAMPLE_S:
                peak = max(peak, tree.rss(now))
                last_sample = now
            ready, _, _ = select.select([master], [], [], SAMPLE_S)
            got = b""
            while ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the tool exited: EIO on the master
                    data = b""
                if not data:
                    out["error"] = f"the tool exited (code {proc.poll()})"
                    finished = True
                    break
                got += data
                ready, _, _ = select.select([master], [], [], 0)
            now = time.time()
            if got:
                last_output = now
                out["bytes"] += len(got)
            if found_at is not None:
                finished = finished or now - last_output >= settle or now - found_at >= SETTLE_MAX_S
                continue
            if got:
                if not pending:
                    pending_since = now
                pending.append(got)
            want = steps[0]["wait"] if steps else expect
            # The emulator is fed at once when the text is among the raw bytes, else every
            # FEED_EVERY_S: pyte costs ~2 us a byte, CPU the measured tool would lose. A
            # curses tool redraws only the cells that changed, so its text may never be
            # whole among the bytes: `eager` feeds every read (it writes little).
            tail = tail[-len(want) :] + got
            due = eager or now - pending_since >= FEED_EVERY_S
            if pending and (want.encode() in tail or due):
                feed_started = time.perf_counter()
                for chunk in pending:
                    stream.feed(chunk)
                pending.clear()
                out["feed_s"] += time.perf_counter() - feed_started
                if on_screen(want):
                    if steps:
                        step = steps.pop(0)
                        out["steps"][step["name"]] = now - t0
                        send(step["send"])
                        tail = b""
                    else:
                        found_at = now
                        out["seconds"] = now - t0
                    continue
            stage = steps[0] if steps else final_stage
            resend = stage.get("resend")
            after = float(stage.get("resend_after", 1.0))
            still = not stage.get("resend_still") or now - last_output >= after
            if resend and now - last_send >= after and still:
                send(resend)
                resends += 1
        peak = max(peak, tree.rss(time.time() + CHILDREN_EVERY_S))
        hwm = {p.pid: vm_hwm_kb(p.pid) for p in tree.procs}
        out["peak_rss_mb"] = max(peak / 2**20, hwm.get(proc.pid, 0) / 1024)
        out["sampled_tree_peak_mb"] = peak / 2**20
        out["vm_hwm_mb"] = {str(k): v / 1024 for k, v in hwm.items()}
        out["processes"] = len(tree.procs)
        out["resends"] = resends
        if "seconds" not in out or spec.get("keep_screen"):
            for chunk in pending:
                stream.feed(chunk)
            out["screen"] = screen.display
    finally:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)
    return out


def main(argv: list[str]) -> int:
    with open(argv[0]) as f:
        spec = json.load(f)
    print("PEER-JSON " + json.dumps(run(spec)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
