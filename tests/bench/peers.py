"""The peers, side by side in one run: time to the newest sessions on screen, and peak RSS.

    python3 -m tests.bench.peers [--sizes 10000[,1000000]] [--reps 3] [--out PATH]

Optional and slow the first time: it creates (or reuses) a scratch venv in
tests/bench/.cache/peers-venv and pip installs harlequin and VisiData there, with pyte
(the screen emulator) and psutil for the driver, `peers_pty.py`, which runs in that venv.
For each size it takes the cached demo file of `dbs.py` and the newest session's id (what
`sessions-tui list --limit 1` prints first), then starts each tool in a real
pseudo-terminal of a fixed size on that file and times it from spawn until the id is on
the emulated screen. How each tool is driven is printed beside its figures:

  sessions-tui  `sessions-tui --db FILE`; it shows the newest sessions first by itself.
  harlequin     `harlequin -a sqlite FILE`; once its catalog shows `main db`, the query
                (QUERY below) is pasted into the editor (bracketed paste); once the
                editor shows it, it is run with ctrl+j. It has no option to run a query
                at start. Typing it by hand would add seconds a person spends, not
                counted here.
  VisiData      `vd FILE`, and again with `--load-lazy`; once the table list is shown,
                `/remote_agent_sessions` enter enter opens the table; once its status
                shows all its rows, `c started_at` enter goes to the column and `]`
                sorts it descending. `]` is typed again while the id is not on screen and
                the screen has been still for a second.

Every run gets a fresh, empty HOME (no configuration, history or saved editor buffers).
One discarded warm-up of each tool per size, then `--reps` rounds of every tool, in a
rotated order, so load drift hits all of them alike. Medians are reported; the machine
(cpu count, model) and the 1-minute load average before, at its highest after a run, and
after are printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench import dbs
from tests.bench.run import child_env, git_state, log, short

VENV = dbs.CACHE_DIR / "peers-venv"
HOMES = dbs.CACHE_DIR / "peers-home"
DRIVER = dbs.BENCH_DIR / "peers_pty.py"
PEER_PACKAGES = ("harlequin", "visidata")
DRIVER_PACKAGES = ("pyte", "psutil")
QUERY = "SELECT * FROM remote_agent_sessions ORDER BY started_at DESC LIMIT 100"
COLS, ROWS = 200, 50
SESSIONS_TUI = "import sys; from tui.cli.main import main; sys.exit(main())"
"""What the `sessions-tui` console script runs, with this interpreter and this checkout."""
PASTE = "\x1b[200~{}\x1b[201~"
CTRL_J = "\n"
LIST_NEWEST = ("list", "--limit", "1", "--format", "json")
ENTER = "\r"


@dataclass
class Tool:
    name: str
    package: str
    driven: str
    cmd: list[str]
    steps: list[dict[str, Any]] = field(default_factory=list)
    resend: dict[str, Any] | None = None
    """The final stage's resend (see peers_pty.py): keys, after how long, only when still."""
    pythonpath: bool = False
    eager: bool = False
    """A curses tool: its screen is checked after every read (see peers_pty.py)."""


def venv_python() -> Path:
    return VENV / "bin" / "python"


def venv_versions() -> dict[str, str]:
    """Installed versions in the scratch venv (empty if it has none of them)."""
    if not venv_python().exists():
        return {}
    names = [*PEER_PACKAGES, *DRIVER_PACKAGES, "textual"]
    code = (
        "import json, importlib.metadata as m\n"
        "out = {}\n"
        f"for n in {names!r}:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    proc = subprocess.run(
        [str(venv_python()), "-c", code], capture_output=True, text=True, check=True
    )
    versions: dict[str, str] = json.loads(proc.stdout)
    return versions


def ensure_venv(upgrade: bool) -> dict[str, str]:
    """The scratch venv with the peers and the driver's packages; their versions."""
    if not venv_python().exists():
        log(f"  creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    versions = venv_versions()
    wanted = [*PEER_PACKAGES, *DRIVER_PACKAGES]
    if upgrade or any(name not in versions for name in wanted):
        log(f"  pip install {' '.join(wanted)} into {VENV}")
        pip = [str(venv_python()), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, *(["--upgrade"] if upgrade else []), *wanted], check=True)
        versions = venv_versions()
    return versions


def newest_id(db: Path) -> str:
    """The id of the first session `sessions-tui list --limit 1` prints: the newest."""
    proc = subprocess.run(
        [sys.executable, "-c", SESSIONS_TUI, "--db", str(db), *LIST_NEWEST],
        capture_output=True,
        text=True,
        check=True,
        env=child_env(),
        cwd=dbs.REPO_ROOT,
    )
    session_id: str = json.loads(proc.stdout)["sessions"][0]["id"]
    return session_id


def session_count(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        count: int = con.execute("SELECT count(*) FROM remote_agent_sessions").fetchone()[0]
    finally:
        con.close()
    return count


def tools(db: Path) -> list[Tool]:
    vbin = VENV / "bin"
    return [
        Tool(
            "sessions-tui",
            "sessions-tui",
            "`sessions-tui --db FILE`, nothing typed",
            [sys.executable, "-c", SESSIONS_TUI, "--db", str(db)],
            pythonpath=True,
        ),
        Tool(
            "harlequin",
            "harlequin",
            "`harlequin -a sqlite FILE`; at `main db` in the catalog the query is pasted; "
            "once the editor shows it, ctrl+j",
            [str(vbin / "harlequin"), "-a", "sqlite", str(db)],
            steps=[
                {"name": "catalog", "wait": "main db", "send": PASTE.format(QUERY)},
                # Keys typed as the catalog comes in can be lost (once at load 6 the
                # query never ran): the paste is typed again if the editor does not show
                # it within 5 s, ctrl+j if no result shows within 10 s.
                {
                    "name": "pasted",
                    "wait": QUERY[-30:],
                    "send": CTRL_J,
                    "resend": PASTE.format(QUERY),
                    "resend_after": 5.0,
                },
            ],
            resend={"resend": CTRL_J, "resend_after": 10.0},
        ),
        *(visidata(vbin, db, session_count(db), lazy) for lazy in (False, True)),
    ]


def visidata(vbin: Path, db: Path, rows: int, lazy: bool) -> Tool:
    """VisiData as it starts (every table of the file loaded to list them with their row
    counts), or with `--load-lazy` (a table is loaded when it is opened). The sort is typed
    once the table's status shows all its rows: typed while they load, a sort runs beside
    the load and again after it (`afterLoad`), which took longer in a trial at 1M
    (60-70 s against 44 s)."""
    option = ["--load-lazy"] if lazy else []
    return Tool(
        "VisiData" + (" --load-lazy" if lazy else ""),
        "visidata",
        f"`vd {option[0] + ' ' if lazy else ''}FILE`; `/remote_agent_sessions` enter enter; "
        "at `N rows` (all loaded) `c started_at` enter, `]`",
        [str(vbin / "vd"), *option, str(db)],
        steps=[
            {"name": "tables", "wait": "tables [", "send": "/remote_agent_sessions" + 2 * ENTER},
            {"name": "loaded", "wait": f"{rows} rows", "send": "cstarted_at" + ENTER + "]"},
        ],
        resend={"resend": "]", "resend_after": 1.0, "resend_still": True},
        eager=True,
    )


def tool_env(tool: Tool, home: Path) -> dict[str, str]:
    """The same small terminal environment for every tool, each with a fresh HOME."""
    env = {
        "PATH": os.pathsep.join([str(VENV / "bin"), os.environ.get("PATH", "/usr/bin:/bin")]),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }
    if tool.pythonpath:  # this checkout, with the bytecode cache run.py's harness uses
        base = child_env()
        env["PYTHONPATH"] = base["PYTHONPATH"]
        env["PYTHONPYCACHEPREFIX"] = base["PYTHONPYCACHEPREFIX"]
    return env


def run_once(tool: Tool, expect: str, timeout: float, keep_screen: bool) -> dict[str, Any]:
    home = HOMES / tool.package
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    spec = {
        "cmd": tool.cmd,
        "env": tool_env(tool, home),
        "cwd": str(home),
        "cols": COLS,
        "rows": ROWS,
        "steps": tool.steps,
        "expect": expect,
        **(tool.resend or {}),
        "settle": 1.0,
        "timeout": timeout,
        "keep_screen": keep_screen,
        "eager": tool.eager,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        spec_path = f.name
    try:
        proc = subprocess.run(
            [str(venv_python()), str(DRIVER), spec_path],
            capture_output=True,
            text=True,
            timeout=timeout + 60,
        )
    finally:
        os.unlink(spec_path)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PEER-JSON ")]
    if not lines:
        raise RuntimeError(f"driver failed for {tool.name}: {proc.stderr[-4000:]}")
    out: dict[str, Any] = json.loads(lines[-1][len("PEER-JSON ") :])
    out["loadavg_1m"] = os.getloadavg()[0]
    return out


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "model": model or platform.processor(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def measure(db: Path, reps: int, timeout: float, keep_screen: bool) -> dict[str, Any]:
    session_id = newest_id(db)
    expect = session_id[:8]  # the width sessions-tui shows; the others show it whole
    log(f"  newest session {session_id} (looking for {expect!r} on screen)")
    ts = tools(db)
    runs: dict[str, list[dict[str, Any]]] = {t.name: [] for t in ts}
    load_before = os.getloadavg()
    for t in ts:  # warm-up: page cache, bytecode, first-run files
        run_once(t, expect, timeout, keep_screen=False)
    for rep in range(reps):
        order = ts[rep % len(ts) :] + ts[: rep % len(ts)]
        for t in order:
            r = run_once(t, expect, timeout, keep_screen and rep == 0)
            runs[t.name].append(r)
            shown = f"{r['seconds']:.2f} s" if "seconds" in r else f"FAILED ({r.get('error')})"
            log(f"    {t.name:<20} {shown}, peak RSS {r['peak_rss_mb']:.0f} MB")
    load_after = os.getloadavg()
    result: dict[str, Any] = {
        "newest_id": session_id,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "loadavg_max": max(r["loadavg_1m"] for rs in runs.values() for r in rs),
        "tools": {},
    }
    for t in ts:
        rs = runs[t.name]
        secs = [r["seconds"] for r in rs if "seconds" in r]
        rss = [r["peak_rss_mb"] for r in rs if "seconds" in r]
        result["tools"][t.name] = {
            "package": t.package,
            "driven": t.driven,
            "failed": len(rs) - len(secs),
            "seconds": secs,
            "peak_rss_mb": rss,
            "runs": rs,
        }
    return result


def spread(values: list[float], fmt: str) -> str:
    if not values:
        return "—"
    med = statistics.median(values)
    return f"{med:{fmt}} [{min(values):{fmt}}-{max(values):{fmt}}]"


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"\nPeers: newest sessions on screen ({COLS}x{ROWS} pty), median [min-max] of runs")
    print("load: the 1-minute load average before the size, its highest after a run, after")
    print(f"machine: {m['cpus']} cpus, {m['model']}, {m['memory_gb']} GB, Python {m['python']}")
    head = ("size", "tool", "version", "s to newest rows", "peak RSS MB", "load before/max/after")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for n, res in sorted(report["sizes"].items(), key=lambda kv: int(kv[0])):
        load = "{:.1f} / {:.1f} / {:.1f}".format(
            res["loadavg_before"][0], res["loadavg_max"], res["loadavg_after"][0]
        )
        for name, fig in res["tools"].items():
            version = report["versions"].get(fig["package"], "?")
            failed = f" ({fig['failed']} failed)" if fig["failed"] else ""
            cells = (
                short(int(n)),
                name,
                version,
                spread(fig["seconds"], ".2f") + failed,
                spread(fig["peak_rss_mb"], ".0f"),
                load,
            )
            print("| " + " | ".join(cells) + " |")
    print("\nHow each tool was driven:")
    first = next(iter(report["sizes"].values()))
    for name, fig in first["tools"].items():
        print(f"  {name:<20} {fig['driven']}")
    print(f"  harlequin's query: {QUERY}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--sizes", default="10000", help="session counts, comma-separated")
    ap.add_argument("--reps", type=int, default=3, help="timed runs of each tool per size")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    ap.add_argument("--upgrade", action="store_true", help="pip install --upgrade the peers")
    ap.add_argument(
        "--keep-screens", action="store_true", help="store each tool's first screen in the JSON"
    )
    ap.add_argument("--out", type=Path, default=dbs.RESULTS_DIR / "peers.json")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    from tui import __version__

    versions = {**ensure_venv(args.upgrade), "sessions-tui": __version__}
    log("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    report: dict[str, Any] = {
        "machine": machine(),
        "git": git_state(),
        "versions": versions,
        "terminal": f"{COLS}x{ROWS}",
        "query": QUERY,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sizes": {},
    }
    for n in sizes:
        log(f"size {n:,}")
        db, _ = dbs.ensure_sqlite(n, log=log)
        report["sizes"][str(n)] = measure(db, args.reps, args.timeout, args.keep_screens)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print_table(report)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
