"""Scale benchmark: a million sessions should feel like a hundred, measured as ratios in one run.

    python3 -m tests.bench.run [--sizes 10000,100000,1000000] [--pg [--pg-max N]] [--quick]
                               [--strict] [--out PATH]

Builds (or reuses) demo SQLite databases of each size, then for each size measures
(a) process start -> first frame / first rows against an empty Textual app, (f) peak RSS
against the same, and, in a fresh process per database, (b) filter changes, (c) scrolling
to the next page, (d) ending a session, (e) reason-facet refreshes and the input latency
while they run, and (g) one auto-refresh tick. Prints a table and PASS/FAIL per target,
writes JSON to tests/bench/results/latest.json. Exits 0 unless it crashed (or, with
--strict, when a target FAILs). See tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench import dbs

PROCESS_FIGURES = (
    "first_frame",
    "first_rows",
    "facets_applied",
    "imported",
    "maxrss_kb",
    "emitted_maxrss_kb",
)
TARGET_FILTERS = ("reason", "status", "search", "rare_reason", "user")
PAINT_FILTERS = ("reason", "status")
"""The filter changes whose layout + render is set beside a static repaint of the table."""
PAINT_RATIO = 1.3
NOISE_MS = 3.0
"""Growth checks: an absolute change below this is flagged as within measurement noise."""
STARTUP_TARGETS = (("first_frame", "first frame", 1.1), ("first_rows", "first rows", 1.2))
"""Each start-up moment, its label and its limit as a multiple of the empty app's."""
INTERVAL_DRAWS = 2000
"""Bootstrap draws for a start-up ratio's interval (`ratio_interval`)."""


def ratio_interval(app: list[float], empty: list[float], share: float = 0.9) -> list[float]:
    """The central `share` of median(app) / median(empty) over bootstrap resamples of both
    sets of start-ups (seeded: the same samples give the same interval). A start-up
    target whose limit lies inside it is flagged as within noise: another run of as many
    start-ups may give either verdict."""
    import random

    draw = random.Random(0)
    ratios = sorted(
        statistics.median(draw.choices(app, k=len(app)))
        / statistics.median(draw.choices(empty, k=len(empty)))
        for _ in range(INTERVAL_DRAWS)
    )
    cut = int(INTERVAL_DRAWS * (1 - share) / 2)
    return [ratios[cut], ratios[-cut - 1]]


def git_state() -> dict[str, Any]:
    """Which code was measured: HEAD plus the files changed in the working tree."""

    def git(*args: str) -> str:
        try:  # not strip(): a porcelain line starts with a meaningful space
            return subprocess.run(
                ["git", *args], cwd=dbs.REPO_ROOT, capture_output=True, text=True, timeout=10
            ).stdout.rstrip("\n")
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if not line[3:].startswith("tests/bench/")
    ]
    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "subject": git("log", "-1", "--format=%s"),
        "uncommitted": dirty,
    }


def log(text: str = "") -> None:
    print(text, file=sys.stderr, flush=True)


# -- statistics ---------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): with 20 samples, p95 is the 19th smallest."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def summary(values: list[float], unit: str = "ms") -> dict[str, Any]:
    return {
        "unit": unit,
        "n": len(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "p95": pct(values, 95),
        "samples": [round(v, 3) for v in values],
    }


# -- (a) and (f): whole processes ------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """The environment of every measured process.

    Bytecode: with PYTHONDONTWRITEBYTECODE set (as in this sandbox) the project's own modules
    would be compiled from source on every start while site-packages have .pyc files, which
    is not what an installed tool does. So both the empty app and the app get a private
    bytecode cache (PYTHONPYCACHEPREFIX under tests/bench/.cache), filled by the warm-up runs;
    nothing is written next to the sources.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(dbs.REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(dbs.CACHE_DIR / "pyc")
    return env


EXIT_GRACE_S = 20.0
"""How long a harness may take to exit after printing its figures before it counts as hung."""


def spawn(args: list[str]) -> dict[str, Any]:
    """Run the harness once: its figures, plus `hung_on_exit` and `wall_ms`."""
    env = child_env()
    cmd = [sys.executable, str(dbs.BENCH_DIR / "harness.py"), *args]
    with tempfile.TemporaryFile() as err:
        t0 = time.time()
        env["BENCH_T0"] = repr(t0)
        proc = subprocess.Popen(
            cmd, env=env, cwd=dbs.REPO_ROOT, stdout=subprocess.PIPE, stderr=err, text=True
        )
        out: dict[str, Any] | None = None
        assert proc.stdout is not None
        deadline = time.time() + 300
        for line in proc.stdout:
            if line.startswith("BENCH-JSON "):
                out = json.loads(line[len("BENCH-JSON ") :])
                break
            if time.time() > deadline:
                break
        if out is None:
            proc.kill()
            proc.wait()
            err.seek(0)
            raise RuntimeError(
                f"harness {' '.join(args)} gave no figures (exit {proc.returncode}):\n"
                + err.read().decode(errors="replace")[-4000:]
            )
        try:
            proc.wait(timeout=EXIT_GRACE_S)
            out["hung_on_exit"] = False
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            out["hung_on_exit"] = True
            log(f"    ! harness {args[0]} hung on exit after printing its figures (killed)")
        out["wall_ms"] = (time.time() - t0) * 1000
    return out


def process_figures(app_args: dict[int, list[str]], reps: int) -> dict[int, dict[str, Any]]:
    """Start-up figures for every size, interleaved: each repetition runs, for each size in
    turn, one empty app then one app, so drift in machine load hits every size and both
    apps alike. One discarded warm-up of each first (it also fills the bytecode cache)."""
    sizes = sorted(app_args)
    spawn(["empty"])
    for n in sizes:
        spawn(["app", *app_args[n], "--wait-facets"])
    runs: dict[int, dict[str, list[dict[str, Any]]]] = {n: {"empty": [], "app": []} for n in sizes}
    for rep in range(reps):
        for n in sizes if rep % 2 == 0 else reversed(sizes):
            runs[n]["empty"].append(spawn(["empty"]))
            runs[n]["app"].append(spawn(["app", *app_args[n], "--wait-facets"]))
    result: dict[int, dict[str, Any]] = {}
    for n in sizes:
        out: dict[str, Any] = {"runs": runs[n]}
        out["hangs"] = {
            who: sum(bool(r.get("hung_on_exit")) for r in rs) for who, rs in runs[n].items()
        }
        for who, rs in runs[n].items():
            for fig in PROCESS_FIGURES:
                vals = [r[fig] for r in rs if fig in r]
                if vals:
                    out[f"{who}.{fig}"] = summary(vals, "KB" if fig.endswith("_kb") else "ms")
        e, a = runs[n]["empty"], runs[n]["app"]
        log(
            "  {:>9,}: first frame {:.0f} ms (empty {:.0f}), first rows {:.0f} ms (empty {:.0f}),"
            " peak RSS {:.0f} MB (empty {:.0f})".format(
                n,
                statistics.median(r["first_frame"] for r in a),
                statistics.median(r["first_frame"] for r in e),
                statistics.median(r["first_rows"] for r in a),
                statistics.median(r["first_rows"] for r in e),
                statistics.median(r["emitted_maxrss_kb"] for r in a) / 1024,
                statistics.median(r["maxrss_kb"] for r in e) / 1024,
            )
        )
        result[n] = out
    return result


# -- (b)-(g): in-process --------------------------------------------------------------------------


def inprocess_figures(src_args: list[str], reps: int, quick: bool) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out_path = Path(f.name)
    try:
        cmd = [sys.executable, "-m", "tests.bench.inproc", *src_args, "--out", str(out_path)]
        cmd += ["--reps", str(reps)] + (["--quick"] if quick else [])
        env = child_env()
        proc = subprocess.run(cmd, cwd=dbs.REPO_ROOT, env=env, timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"in-process bench failed (exit {proc.returncode}): {cmd}")
        return json.loads(out_path.read_text())
    finally:
        out_path.unlink(missing_ok=True)


# -- assembling one size ------------------------------------------------------------------------


def size_result(proc: dict[str, Any], inproc: dict[str, Any]) -> dict[str, Any]:
    figs: dict[str, Any] = {}
    for key, value in proc.items():
        if key not in ("runs", "hangs"):
            figs[f"process.{key}"] = value
    for name, fig in inproc["figures"].items():
        extra = {k: v for k, v in fig.items() if k != "samples"}
        figs[name] = {**summary(fig["samples"]), **({"info": extra} if extra else {})}
    for name, raw in inproc["raw_sql"].items():
        figs[f"raw_sql:{name}"] = {**summary(raw["samples"]), "info": {"sql": raw["sql"]}}
    ratios = {
        "first_frame": figs["process.app.first_frame"]["median"]
        / figs["process.empty.first_frame"]["median"],
        "first_rows": figs["process.app.first_rows"]["median"]
        / figs["process.empty.first_rows"]["median"],
        # The peak once rows and facets are in: SQLAlchemy is loaded only after the
        # first page now, so the peak at first rows would flatter the app.
        "maxrss": figs["process.app.emitted_maxrss_kb"]["median"]
        / figs["process.empty.maxrss_kb"]["median"],
    }
    for name in PAINT_FILTERS:
        if f"paint_static:{name}" in figs:
            ratios[f"paint_vs_static:{name}"] = (
                figs[f"filter_paint:{name}"]["median"] / figs[f"paint_static:{name}"]["median"]
            )
    for name in inproc["raw_sql"]:
        ratios[f"db_vs_raw:{name}"] = (
            figs[f"filter_db:{name}"]["median"] / figs[f"raw_sql:{name}"]["median"]
        )
    return {
        "figures": figs,
        "ratios": ratios,
        "process_runs": proc["runs"],
        "process_hangs_on_exit": proc.get("hangs", {}),
        "notes": inproc.get("notes", []),
        "inprocess_wall_s": inproc.get("wall_s"),
        "inprocess_maxrss_kb": inproc.get("maxrss_kb"),
        "loadavg_during_inprocess": inproc.get("loadavg"),
    }


# -- the table ------------------------------------------------------------------------------------

ROWS: list[tuple[str, str, str]] = [
    # (figure key, label, how to show: "mmm" = median [min-max], "mp" = median / p95)
    ("process.app.first_frame", "(a) start -> first frame, app", "mmm"),
    ("process.empty.first_frame", "(a) start -> first frame, empty app", "mmm"),
    ("process.app.first_rows", "(a) start -> first rows, app", "mmm"),
    ("process.empty.first_rows", "(a) start -> first rows, empty app", "mmm"),
    ("process.app.facets_applied", "    facet counts in, app [info]", "mmm"),
    ("process.app.imported", "    imports done, app [info]", "mmm"),
    ("process.empty.imported", "    imports done, empty app [info]", "mmm"),
    ("filter:reason", "(b) reason filter -> painted", "mp"),
    ("filter:status", "(b) status filter -> painted", "mp"),
    ("filter:search", "(b) text search -> painted", "mp"),
    ("filter:rare_reason", "(b) rare reason -> painted", "mp"),
    ("filter:user", "(b) owner (user:) -> painted", "mp"),
    ("filter_db:reason", "    db part (PageLoaded.elapsed), reason", "mp"),
    ("raw_sql:reason", "    same SQL, raw driver, reason", "mp"),
    ("filter_db:status", "    db part, status", "mp"),
    ("raw_sql:status", "    same SQL, raw driver, status", "mp"),
    ("filter_db:search", "    db part, search", "mp"),
    ("raw_sql:search", "    same SQL, raw driver, search", "mp"),
    ("filter_db:rare_reason", "    db part, rare reason", "mp"),
    ("raw_sql:rare_reason", "    same SQL, raw driver, rare reason", "mp"),
    ("filter_db:user", "    db part, owner", "mp"),
    ("raw_sql:user", "    same SQL, raw driver, owner", "mp"),
    ("filter_apply:reason", "    apply (handler: state + table.show)", "mp"),
    ("filter_paint:reason", "    applied -> painted (layout+render)", "mp"),
    ("paint_static:reason", "    same table repainted, static rows", "mp"),
    ("filter_paint:status", "    applied -> painted, status", "mp"),
    ("paint_static:status", "    same table repainted, static rows", "mp"),
    ("filter_facets:reason", "    facets painted (after same change)", "mp"),
    ("filter:x_unrecognised", "(b') 'unrecognised'/'not-recorded' [info]", "mp"),
    ("filter_db:x_unrecognised", "    db part [info]", "mp"),
    ("filter:x_search_none", "(b') search matching nothing [info]", "mp"),
    ("filter_db:x_search_none", "    db part [info]", "mp"),
    ("filter:x_several_reasons", "(b') several reasons ticked [info]", "mp"),
    ("filter_db:x_several_reasons", "    db part [info]", "mp"),
    ("scroll_next_page", "(c) cursor to last row -> next page", "mp"),
    ("scroll_db", "    db part", "mp"),
    ("end_worker", "(d) end_sessions worker -> row painted", "mp"),
    ("end_db", "    db part (write + re-read)", "mp"),
    ("end_keys", "(d) keys x,enter,tab,enter -> painted", "mp"),
    ("facets_refresh", "(e) facets refresh (delta) -> painted", "mp"),
    ("facets_refresh_db", "    db part (store.reason_counts)", "mp"),
    ("stuck_counts", "(e) stuck counts -> painted", "mp"),
    ("stuck_counts_db", "    db part (store.stuck_counts)", "mp"),
    ("facets_recount", "(e') full recount -> painted [info]", "mp"),
    ("facets_recount_db", "    db part [info]", "mp"),
    ("facets_loop_max_gap", "(e) max event-loop gap during facets", "mp"),
    ("facets_key_latency_max", "(e) max key latency during facets", "mp"),
    ("process.app.maxrss_kb", "(f) peak RSS at first rows, app (MB) [info]", "mmm"),
    ("process.empty.maxrss_kb", "(f) peak RSS, empty app (MB)", "mmm"),
    ("process.app.emitted_maxrss_kb", "(f) peak RSS, rows+facets in, app (MB)", "mmm"),
    ("refresh_tick", "(g) refresh tick -> painted (100 rows)", "mp"),
    ("refresh_db", "    db part", "mp"),
    ("refresh_tick_deep", "(g') refresh tick after (c) [info]", "mp"),
]
NO_GROWTH_CHECK = {
    "process.empty.first_frame",
    "process.empty.first_rows",
    "process.empty.imported",
    "process.empty.maxrss_kb",
}


def short(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def fmt(fig: dict[str, Any] | None, how: str) -> str:
    if fig is None:
        return "—"
    scale = 1 / 1024 if fig["unit"] == "KB" else 1.0

    def v(x: float) -> str:
        x *= scale
        return f"{x:.0f}" if abs(x) >= 100 else f"{x:.1f}"

    if how == "mmm":
        return f"{v(fig['median'])} [{v(fig['min'])}-{v(fig['max'])}]"
    return f"{v(fig['median'])} / {v(fig['p95'])}"


def growth(sizes: dict[int, Any], key: str) -> dict[str, Any] | None:
    ns = sorted(sizes)
    if len(ns) < 2:
        return None
    a = sizes[ns[0]]["figures"].get(key)
    b = sizes[ns[-1]]["figures"].get(key)
    if not a or not b or a["median"] <= 0:
        return None
    delta = b["median"] - a["median"]
    noise = a["unit"] == "ms" and abs(delta) < NOISE_MS
    return {
        "from": ns[0],
        "to": ns[-1],
        "factor": b["median"] / a["median"],
        "delta": delta,
        "unit": a["unit"],
        "within_noise": noise,
    }


def checks_for(backend: dict[str, Any]) -> list[dict[str, Any]]:
    sizes: dict[int, Any] = backend["sizes"]
    out: list[dict[str, Any]] = []

    def add(target: str, where: str, value: float, limit: float, shown: str, **kw: Any) -> None:
        out.append(
            {
                "target": target,
                "where": where,
                "value": value,
                "limit": limit,
                "shown": shown,
                "pass": value <= limit,
                **kw,
            }
        )

    for n, res in sorted(sizes.items()):
        f, r, s = res["figures"], res["ratios"], short(n)
        for moment, label, limit in STARTUP_TARGETS:
            app, empty = f[f"process.app.{moment}"], f[f"process.empty.{moment}"]
            low, high = ratio_interval(app["samples"], empty["samples"])
            shown = f"{r[moment]:.2f}x (90% interval {low:.2f}-{high:.2f}x)"
            noise = low <= limit <= high
            add(f"{label} <= {limit}x empty app", s, r[moment], limit, shown, within_noise=noise)
        for name in TARGET_FILTERS:
            fig = f[f"filter:{name}"]
            add(
                f"filter {name}: median <= 100 ms", s, fig["median"], 100, f"{fig['median']:.0f} ms"
            )
            add(f"filter {name}: p95 <= 150 ms", s, fig["p95"], 150, f"{fig['p95']:.0f} ms")
            db, raw = f[f"filter_db:{name}"]["median"], f[f"raw_sql:{name}"]["median"]
            add(
                f"filter {name}: db <= 2x raw + 2 ms",
                s,
                db,
                2 * raw + 2,
                f"{db:.1f} vs {raw:.2f} raw (limit {2 * raw + 2:.1f})",
            )
        for name in PAINT_FILTERS:
            ratio = r.get(f"paint_vs_static:{name}")
            if ratio is not None:
                add(
                    f"filter {name}: layout+render <= {PAINT_RATIO}x static repaint",
                    s,
                    ratio,
                    PAINT_RATIO,
                    f"{ratio:.2f}x ({f[f'filter_paint:{name}']['median']:.1f} vs"
                    f" {f[f'paint_static:{name}']['median']:.1f} ms)",
                )
        add("peak RSS <= 2x empty app", s, r["maxrss"], 2.0, f"{r['maxrss']:.2f}x")
        gap = f["facets_loop_max_gap"]["max"]
        key = f["facets_key_latency_max"]["max"]
        idle_gap = (f["facets_loop_max_gap"].get("info") or {}).get("idle_baseline_ms")
        idle_key = (f["facets_key_latency_max"].get("info") or {}).get("idle_baseline_ms")
        worst = max(gap, key)
        add(
            "facets never block input: max latency < 50 ms",
            s,
            worst,
            50,
            f"loop gap {gap:.1f} ms, key {key:.1f} ms"
            f" (same probes with nothing loading: {idle_gap} / {idle_key} ms)",
        )
    for key, label, _how in ROWS:
        if key in NO_GROWTH_CHECK or "[info]" in label:
            continue
        g = growth(sizes, key)
        if g is None:
            continue
        unit = "MB" if g["unit"] == "KB" else "ms"
        delta = g["delta"] / 1024 if unit == "MB" else g["delta"]
        shown = f"{g['factor']:.2f}x (Δ {delta:+.1f} {unit})"
        item = {
            "target": f"grows <= 1.2x {short(g['from'])}->{short(g['to'])}: {label.strip()}",
            "where": "",
            "value": g["factor"],
            "limit": 1.2,
            "shown": shown,
            "pass": g["factor"] <= 1.2,
            "within_noise": g["within_noise"],
        }
        out.append(item)
    return out


def table(name: str, backend: dict[str, Any]) -> str:
    sizes: dict[int, Any] = backend["sizes"]
    ns = sorted(sizes)
    lines = []
    w0, w = 44, 20
    head = f"{name:<{w0}}" + "".join(f"{short(n):>{w}}" for n in ns)
    if len(ns) > 1:
        head += f"{'growth ' + short(ns[0]) + '->' + short(ns[-1]):>18}"
    lines += [head, "-" * len(head)]
    lines.append(f"{'(ms unless MB; mmm = median [min-max]; mp = median / p95)':<{w0}}")
    for key, label, how in ROWS:
        if not any(key in sizes[n]["figures"] for n in ns):
            continue
        cells = "".join(f"{fmt(sizes[n]['figures'].get(key), how):>{w}}" for n in ns)
        g = growth(sizes, key)
        gtxt = f"{g['factor']:.2f}x" if g else ""
        lines.append(f"{label:<{w0}}{cells}{gtxt:>18}")

    def load_text(n: int) -> str:
        loads = sizes[n].get("loadavg_during_inprocess") or []
        return "/".join(f"{la[0]:.1f}" for la in loads if la)

    loads = "".join(f"{load_text(n):>{w}}" for n in ns)
    lines.append(f"{'1-min load average during (b)-(g) [info]':<{w0}}{loads}")
    hangs = "".join(
        "{:>{w}}".format(
            "{app}/{empty}".format(
                **{"app": 0, "empty": 0, **(sizes[n].get("process_hangs_on_exit") or {})}
            ),
            w=w,
        )
        for n in ns
    )
    lines.append(f"{'(a) runs hung on exit, app/empty [info]':<{w0}}{hangs}")
    lines.append("")
    lines.append(f"{'ratios (medians)':<{w0}}")
    for rk, label in (
        ("first_frame", "first frame / empty"),
        ("first_rows", "first rows / empty"),
        ("maxrss", "peak RSS / empty"),
    ):
        cells = "".join(f"{sizes[n]['ratios'][rk]:>{w - 1}.2f}x" for n in ns)
        lines.append(f"{'  ' + label:<{w0}}{cells}")
    for fname in TARGET_FILTERS:
        cells = "".join(f"{sizes[n]['ratios'][f'db_vs_raw:{fname}']:>{w - 1}.1f}x" for n in ns)
        lines.append(f"{'  db part / raw driver, ' + fname:<{w0}}{cells}")
    for fname in PAINT_FILTERS:
        got = [sizes[n]["ratios"].get(f"paint_vs_static:{fname}") for n in ns]
        if any(v is not None for v in got):
            cells = "".join(f"{v:>{w - 1}.2f}x" if v is not None else f"{'—':>{w}}" for v in got)
            lines.append(f"{'  layout+render / static repaint, ' + fname:<{w0}}{cells}")
    return "\n".join(lines)


def checks_text(checks: list[dict[str, Any]]) -> str:
    lines = []
    for c in checks:
        verdict = "PASS" if c["pass"] else "FAIL"
        if not c["pass"] and c.get("within_noise"):
            verdict = "FAIL (within noise)"
        where = f"[{c['where']}] " if c["where"] else ""
        lines.append(f"  {verdict:<20} {where}{c['target']}: {c['shown']}")
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------


def merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Concatenate the samples of several in-process runs of the same database."""
    out: dict[str, Any] = json.loads(json.dumps(rounds[0]))
    for extra in rounds[1:]:
        for section in ("figures", "raw_sql"):
            for name, fig in extra[section].items():
                mine = out[section].setdefault(name, {"samples": []})
                mine["samples"] = mine.get("samples", []) + fig["samples"]
                for key, value in fig.items():
                    if (
                        key != "samples"
                        and isinstance(value, list)
                        and isinstance(mine.get(key), list)
                        and key not in ("values", "sql")
                    ):
                        mine[key] = mine[key] + value
        out["notes"] = out.get("notes", []) + extra.get("notes", [])
    out["wall_s"] = sum(r.get("wall_s", 0) for r in rounds)
    out["maxrss_kb"] = max(r.get("maxrss_kb", 0) for r in rounds)
    out["loadavg"] = [r.get("loadavg") for r in rounds]
    return out


def run_backend(
    kind: str, sizes: list[int], args: argparse.Namespace, pg: Any = None
) -> dict[str, Any]:
    backend: dict[str, Any] = {"sizes": {}, "builds": {}}
    app_args: dict[int, list[str]] = {}
    originals: dict[int, Path] = {}
    log(f"\n== {kind}: databases ==")
    for n in sizes:
        if kind == "sqlite":
            path, built = dbs.ensure_sqlite(n, log)
            backend["builds"][n] = {
                "path": str(path),
                "built_s": built,
                "bytes": path.stat().st_size,
            }
            app_args[n] = ["--db", str(path)]
            originals[n] = path
        else:
            url = pg.create_database(f"bench_{n}")
            built = dbs.build_pg(url, n, log)
            backend["builds"][n] = {"built_s": built}
            app_args[n] = ["--url", url]
    log(f"\n== {kind}: (a)/(f) process start-up, {args.process_reps} runs per size and app ==")
    proc = process_figures(app_args, args.process_reps)
    rounds: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    per_round = -(-args.reps // args.rounds)
    for r in range(args.rounds):
        for n in sizes if r % 2 == 0 else list(reversed(sizes)):
            log(
                f"\n== {kind} {n:,} sessions: (b)-(g) in-process, round {r + 1}/{args.rounds}"
                f" ({per_round} reps; load average {os.getloadavg()[0]:.2f}) =="
            )
            copy: Path | None = None
            if kind == "sqlite":
                copy = dbs.writable_copy(originals[n], "inproc")
                inproc_args = ["--db", str(copy)]
            else:
                inproc_args = app_args[n]
            try:
                res = inprocess_figures(inproc_args, per_round, args.quick)
                res["loadavg"] = os.getloadavg()
                rounds[n].append(res)
            finally:
                if copy is not None:
                    dbs.drop_copy(copy)
    for n in sizes:
        backend["sizes"][n] = size_result(proc[n], merge_rounds(rounds[n]))
    return backend


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python3 -m tests.bench.run", description=__doc__.split("\n")[0]
    )
    ap.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated session counts (default: %(default)s)",
    )
    ap.add_argument(
        "--pg",
        action="store_true",
        help="also run on a throwaway PostgreSQL server (tests/support/pgserver.py)",
    )
    ap.add_argument(
        "--pg-max",
        type=int,
        default=1_000_000,
        help="largest PostgreSQL size (default %(default)s; 1M is copied from the cached"
        " SQLite file, ~1.5-2 min)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="fewer repetitions (3 processes, 8 changes): for development only",
    )
    ap.add_argument(
        "--process-reps",
        type=int,
        default=None,
        help="process start-ups per size and app (default 7, quick 3)",
    )
    ap.add_argument(
        "--reps",
        type=int,
        default=None,
        help="changes per filter, pages scrolled, ticks (default 20, quick 8)",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="in-process runs per size, in alternating size order (default 2,"
        " quick 1); --reps is split between them",
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 if any target FAILs")
    ap.add_argument("--out", type=Path, default=dbs.RESULTS_DIR / "latest.json")
    ap.add_argument(
        "--report",
        type=Path,
        metavar="JSON",
        help="measure nothing: print the table and checks of an earlier run",
    )
    args = ap.parse_args(argv)
    if args.report:
        text, failed = report(json.loads(args.report.read_text()))
        print(text)
        return 1 if args.strict and failed else 0
    args.process_reps = args.process_reps or (3 if args.quick else 7)
    args.reps = args.reps or (8 if args.quick else 20)
    args.rounds = args.rounds or (1 if args.quick else 2)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())

    import textual

    import tui

    started = time.time()
    results: dict[str, Any] = {
        "meta": {
            "command": "python3 -m tests.bench.run "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "tui_version": tui.__version__,
            "textual_version": textual.__version__,
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
            "loadavg_at_start": os.getloadavg(),
            "process_reps": args.process_reps,
            "reps": args.reps,
            "rounds": args.rounds,
            "sizes": sizes,
            "anchor": dbs.ANCHOR.isoformat(),
            "git": git_state(),
            "notes": [],
        },
        "backends": {},
    }
    log(
        f"sessions-tui {tui.__version__} · textual {textual.__version__} · "
        f"python {platform.python_version()} · sqlite {sqlite3.sqlite_version}"
    )
    results["backends"]["sqlite"] = run_backend("sqlite", sizes, args)
    if args.pg:  # kept, and shown, even if the PostgreSQL part does not finish
        partial = dict(results, meta={**results["meta"], "wall_s": time.time() - started})
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(partial, indent=1, default=str))
        print(report(json.loads(json.dumps(partial, default=str)))[0], flush=True)
        log(f"SQLite part written to {args.out}")

    if args.pg:
        from tests.support.pgserver import PgServer

        pg_sizes = [n for n in sizes if n <= args.pg_max]
        skipped = [n for n in sizes if n > args.pg_max]
        if skipped:
            results["meta"]["notes"].append(
                f"PostgreSQL capped at {args.pg_max:,} sessions (skipped "
                f"{', '.join(f'{n:,}' for n in skipped)}): pass --pg-max {max(skipped)} to include"
            )
        server = PgServer()
        server.start()
        try:
            results["backends"]["postgresql"] = run_backend("postgresql", pg_sizes, args, server)
        finally:
            server.cleanup()

    results["meta"]["wall_s"] = time.time() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text, failed = report(results)
    args.out.write_text(json.dumps(results, indent=1, default=str))
    print("\n" + text + f"\nJSON: {args.out}")
    return 1 if args.strict and failed else 0


def report(results: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The table and the target checks (also stored into `results`); the failed checks."""
    all_checks: list[dict[str, Any]] = []
    text: list[str] = []
    for name, backend in results["backends"].items():
        backend["sizes"] = {int(n): res for n, res in backend["sizes"].items()}
        backend["growth"] = {k: growth(backend["sizes"], k) for k, _l, _h in ROWS}
        backend["checks"] = checks_for(backend)
        all_checks += backend["checks"]
        title = "SQLite" if name == "sqlite" else "PostgreSQL"
        text += [
            table(title, backend),
            "",
            f"Targets ({title}):",
            checks_text(backend["checks"]),
            "",
        ]
    failed = [c for c in all_checks if not c["pass"]]
    meta = results["meta"]
    for note in meta["notes"]:
        text.append(f"note: {note}")
    for name, backend in results["backends"].items():
        for n, res in sorted(backend["sizes"].items()):
            for note in res.get("notes", []):
                text.append(f"note: {name} {short(n)}: {note}")
    g = meta.get("git") or {}
    if g:
        dirty = f" + uncommitted: {', '.join(g['uncommitted'])}" if g.get("uncommitted") else ""
        text.append(f"code: {g.get('head')} {g.get('subject')!r}{dirty}")
    text.append(
        f"{len(all_checks) - len(failed)} PASS, {len(failed)} FAIL"
        f" · run took {meta.get('wall_s', 0) / 60:.1f} min · {meta['command']}"
    )
    return "\n".join(text), failed


if __name__ == "__main__":
    sys.exit(main())
