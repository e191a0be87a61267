"""In-process figures (b)-(g): one real SessionsApp under `run_test`, instrumented.

    python3 -m tests.bench.inproc --db PATH --out result.json [--reps 20]
    python3 -m tests.bench.inproc --url postgresql://… --out result.json

Run by tests/bench/run.py in a fresh process per database, so no figure inherits another
size's caches. Every interval starts at `perf_counter()` just before the action is called
and ends in a callback that runs after (1) the app's own handler applied the message and
(2) the first frame composed after the widget showing the result (the table; the reason
panel for facets) was rendered again (tests.bench.harness.FrameProbe).

Keys are injected straight into the driver (as Pilot does) but without `Pilot.press`'s
built-in `wait_for_idle` sleeps: those wait until the *process* is idle, which would
fold a background SQLite thread's CPU time into every "key round trip".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

from textual import events, on
from textual.screen import UPDATE_PERIOD
from textual.worker import WorkerCancelled, WorkerFailed

from tests.bench.harness import SIZE, FrameProbe, maxrss_kb
from tui.app import data
from tui.app.app import SessionsApp
from tui.app.list_controller import FacetsAsk
from tui.app.messages import (
    CountsWanted,
    FacetsLoaded,
    LoadMode,
    PageLoaded,
    SessionsEnded,
    StuckCountsLoaded,
)
from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
from tui.app.screens.main import MainScreen
from tui.domain.models import NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN, SessionFilter, Status
from tui.domain.search import SearchQuery
from tui.settings import Settings
from tui.store import queries as q
from tui.store.target import DbTarget, sqlite_target, url_target

WAIT = 180.0
PAGE_CPU: dict[tuple[int, LoadMode], float] = {}
"""The event loop thread's CPU from a page's ask to its answer (`timed_read_page`), by
generation and mode: the store call and whatever else ran on the loop meanwhile."""
SETTLED = ("facets", "stuck", "sparks")
"""The workers of a question's counts, waited for before the next change."""
"""Seconds any single expected message may take before the run is declared stuck."""

KEY_CHARS = {"enter": "\r", "tab": "\t", "x": "x", "down": None, "up": None, "end": None}


def send_key(app: SessionsApp, key: str) -> None:
    """What Pilot.press does for one key, minus its idle-waiting."""
    event = events.Key(key, KEY_CHARS.get(key))
    event.set_sender(app)
    # A key goes in as the driver hands it over (from its thread, through the loop), so
    # the key probe's pace is a terminal's; app.post_message queues it at once and the
    # probe then floods the loop it measures.
    # Private read: Textual has no public way to hand a key over as its driver does.
    driver = app._driver
    assert driver is not None
    driver.send_message(event)


async def timed_read_page(*args: Any, **kwargs: Any) -> PageLoaded:
    """`data.read_page`, with the loop thread's CPU over the same interval as its
    `elapsed` (`PAGE_CPU`): a figure that load on the machine does not stretch."""
    started = time.thread_time()
    page = await READ_PAGE(*args, **kwargs)
    PAGE_CPU[page.generation, page.mode] = (time.thread_time() - started) * 1000
    return page


READ_PAGE = data.read_page
data.read_page = timed_read_page  # the list's reads call it through the module


class ProbeScreen(MainScreen):
    """The main screen plus probes. These handlers run before MainScreen's own (MRO
    order), so each defers with `call_next`, which runs after every handler of the
    message; the probes themselves are the app's."""

    @property
    def probes(self) -> ProbeApp:
        app = self.app
        assert isinstance(app, ProbeApp)
        return app

    @on(PageLoaded)
    def _probe_page(self, m: PageLoaded) -> None:
        received = perf_counter()
        if m.generation == self.state.generation:
            info = {"received": received, "db_ms": m.elapsed_ms, "rows": len(m.rows)}
            info["db_cpu_ms"] = PAGE_CPU.pop((m.generation, m.mode), None)
            self.call_next(self.probes._after, "page", m.mode, info)

    @on(FacetsLoaded)
    def _probe_facets(self, m: FacetsLoaded) -> None:
        received = perf_counter()
        if m.generation == self.state.generation:
            info = {"received": received, "db_ms": m.elapsed_ms}
            self.call_next(self.probes._after, "facets", None, info)

    @on(StuckCountsLoaded)
    def _probe_stuck(self, m: StuckCountsLoaded) -> None:
        received = perf_counter()
        if m.generation == self.state.generation:
            info = {"received": received, "db_ms": m.elapsed_ms, "counts": m.counts}
            self.call_next(self.probes._after, "stuck", None, info)

    @on(SessionsEnded)
    def _probe_ended(self, m: SessionsEnded) -> None:
        received = perf_counter()
        info = {
            "received": received,
            "outcomes": [type(o).__name__ for o in m.outcomes],
            "db_ms": m.elapsed_ms,
        }
        self.call_next(self.probes._after, "ended", None, info)


class ProbeApp(SessionsApp):
    """SessionsApp whose main screen is a ProbeScreen, with the probes' futures."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._probes: list[tuple[str, LoadMode | None, asyncio.Future[dict[str, Any]]]] = []
        self.ticks: list[float] = []
        self.ticking = False
        self.unrendered: list[str] = []
        """Results after which the widget was not redrawn within the timeout (should be none)."""

    # -- probes ---------------------------------------------------------------------------

    def expect(self, kind: str, mode: LoadMode | None = None) -> asyncio.Future[dict[str, Any]]:
        """A future resolved with timestamps when the next `kind` message is applied+painted."""
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._probes.append((kind, mode, fut))
        return fut

    MAIN_SCREEN = ProbeScreen

    def on_mount(self) -> None:
        self.frames = FrameProbe(self)

    def _after(self, kind: str, mode: LoadMode | None, info: dict[str, Any]) -> None:
        info["applied"] = perf_counter()
        for probe in self._probes:
            k, m, fut = probe
            if k == kind and (m is None or m is mode) and not fut.done():
                self._probes.remove(probe)

                def painted(rendered: bool, fut: Any = fut, what: str = f"{kind} {mode}") -> None:
                    info.update(painted=perf_counter(), rendered=rendered)
                    if not rendered:
                        self.unrendered.append(what)
                    if not fut.done():
                        fut.set_result(info)

                main = self.main_screen
                widget = {"facets": main.reason_panel, "stuck": main.stuck_panel}.get(
                    kind, main.table
                )
                if not self.frames.refreshed_since(widget, info["received"]):
                    # The handler left the widget as it was (the same counts): nothing
                    # of it to paint. Painted once the screen has painted what did
                    # change, at once when nothing did (Textual runs the callback when
                    # the screen is idle with nothing dirty).
                    info["unchanged"] = True
                    main.call_after_refresh(painted, True)
                    return
                self.frames.after_render_or_timeout(widget, painted)
                return

    # -- event-loop ticker ----------------------------------------------------------------

    def start_ticker(self) -> None:
        self.set_interval(0.005, self._tick)

    def _tick(self) -> None:
        if self.ticking:
            self.ticks.append(perf_counter())


async def wait(fut: asyncio.Future[dict[str, Any]], what: str) -> dict[str, Any]:
    try:
        return await asyncio.wait_for(fut, WAIT)
    except TimeoutError:
        raise RuntimeError(f"timed out waiting for {what}") from None


async def next_paint(app: SessionsApp) -> None:
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(None))
    await asyncio.wait_for(done, WAIT)


async def idle_screen(app: SessionsApp) -> None:
    """Paint what is pending, then let two of Textual's frame periods pass: a change is
    made on an idle screen, as an operator's key is. Made right after a frame, its paint
    would wait for the screen's update timer (60 frames a second) for a varying part of
    a period: 7 ms for the static repaint on an idle screen, 12-22 ms right after a paint
    (PostgreSQL 10k, 2026-12-07)."""
    await next_paint(app)
    await asyncio.sleep(IDLE_S)


async def until(cond: Callable[[], bool], what: str, step: float = 0.0005) -> float:
    deadline = perf_counter() + WAIT
    while not cond():
        if perf_counter() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(step)
    return perf_counter()


def ms(a: float, b: float) -> float:
    return (b - a) * 1000.0


def max_gap_ms(ticks: list[float], start: float, end: float) -> float:
    """The longest stretch in [start, end] in which the app's message loop ran no tick."""
    inside = [t for t in ticks if start <= t <= end]
    points = [start, *inside, end]
    return max((b - a) * 1000.0 for a, b in itertools.pairwise(points))


class Bench:
    def __init__(
        self,
        app: ProbeApp,
        reps: int,
        quick: bool,
        log: Callable[[str], None],
        only: frozenset[str] | None = None,
    ) -> None:
        self.app = app
        self.reps = reps
        self.quick = quick
        self.log = log
        self.only = only
        """The filter series to run, and nothing else (`--filters`); None: everything."""
        self.out: dict[str, Any] = {"figures": {}, "raw_sql": {}, "notes": []}
        self.statements: dict[str, list[SessionFilter]] = {}

    def put(self, name: str, samples: list[float], **extra: Any) -> None:
        self.out["figures"][name] = {"samples": [round(s, 3) for s in samples], **extra}

    async def requery_and_wait(self, action: Callable[[], None]) -> tuple[float, dict, dict]:
        """Run a filter action; return (t0, page info, facets info) once both are painted."""
        app = self.app
        await self.settle()
        await idle_screen(app)
        page = app.expect("page", LoadMode.REPLACE)
        facets = app.expect("facets")
        t0 = perf_counter()
        action()
        p = await wait(page, "the first page after a filter change")
        await next_paint(app)  # the counts are asked once the rows are painted
        reading = any(w.group == "facets" and not w.is_finished for w in app.workers)
        if not reading and not facets.done():
            # A reason-only change reuses the last facets: the panel was updated with the
            # page, so its counts are painted when the page is. No facets message comes.
            app._probes = [probe for probe in app._probes if probe[2] is not facets]
            return t0, p, dict(p)
        f = await wait(facets, "the facets after a filter change")
        return t0, p, f

    async def settle(self) -> None:
        """Wait for the last question's counts: their SQL is done too."""
        for worker in [w for w in self.app.workers if w.group in SETTLED and not w.is_finished]:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    async def reset(self) -> None:
        app = self.app
        main = app.main_screen
        main.state.clear_filters()
        main.reason_panel.sync(main.state.reasons)
        await self.requery_and_wait(main.reads.requery)

    # -- (b) filter changes ---------------------------------------------------------------

    async def static_repaint(self, rows: list[Any]) -> float:
        """The yardstick of a filter change's layout + render: the same table, same size
        and columns, given a page of static rows (`rows`, the page the change turned
        from: as many rows, drawn afresh) straight through `table.show`, as the app's
        handler gives it a new page, with nothing else on screen changed; timed from
        after `show` (a change's "applied") to the first frame after the table was
        rendered again. Then the change's own page is put back (untimed)."""
        app = self.app
        table = app.main_screen.table
        settings = app.settings
        current = list(table.window.rows)
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

        def painted(rendered: bool) -> None:
            if not rendered:
                app.unrendered.append("static repaint")
            if not done.done():
                done.set_result(perf_counter())

        def show(page: list[Any]) -> None:
            table.show(
                page,
                now=settings.clock(),
                stale_after=settings.stale_after,
                selected=set(),
                append=False,
                keep_position=False,
            )

        await self.settle()  # as a change starts: nothing else reading
        await idle_screen(app)
        show(rows)
        t0 = perf_counter()
        app.frames.after_render_or_timeout(table, painted)
        took = ms(t0, await asyncio.wait_for(done, WAIT))
        show(current)
        await next_paint(app)
        return took

    async def filter_series(
        self,
        name: str,
        values: list[Any],
        apply: Callable[[Any], None],
        reps: int,
        yardstick: bool = False,
    ) -> None:
        """`reps` changes alternating between `values`; with `yardstick`, each change is
        followed by one static repaint of the same table (`static_repaint`), so the two
        are measured side by side under the same load."""
        if self.only is not None and name not in self.only:
            return
        app = self.app
        main = app.main_screen
        await self.reset()
        total, db, applied, paint, facets, static = [], [], [], [], [], []
        db_cpu: list[float] = []
        flts: list[SessionFilter] = []
        rows = []
        before = list(main.table.window.rows)  # the page each change turns from
        for i in range(reps):
            value = values[i % len(values)]
            t0, p, f = await self.requery_and_wait(lambda value=value: apply(value))
            if i < len(values):
                flts.append(main.state.filter(app.settings.clock()))
            total.append(ms(t0, p["painted"]))
            db.append(p["db_ms"])
            if p.get("db_cpu_ms") is not None:
                db_cpu.append(p["db_cpu_ms"])
            applied.append(ms(p["received"], p["applied"]))
            paint.append(ms(p["applied"], p["painted"]))
            facets.append(ms(t0, f["painted"]))
            rows.append(p["rows"])
            if yardstick:
                static.append(await self.static_repaint(before))
            before = list(main.table.window.rows)
        self.statements[name] = flts
        self.put(f"filter:{name}", total, values=[str(v) for v in values], rows=rows)
        self.put(f"filter_db:{name}", db)
        if db_cpu:
            self.put(f"filter_db_cpu:{name}", db_cpu)
        self.put(f"filter_apply:{name}", applied)
        self.put(f"filter_paint:{name}", paint)
        self.put(f"filter_facets:{name}", facets)
        if yardstick:
            self.put(f"paint_static:{name}", static, rows=rows)
        self.log(
            f"    filter {name:<14} median {statistics.median(total):7.1f} ms"
            f"  (db {statistics.median(db):6.1f}, apply {statistics.median(applied):5.1f},"
            f" paint {statistics.median(paint):5.1f}, facets {statistics.median(facets):7.1f})"
            + (f"; static repaint {statistics.median(static):5.1f}" if static else "")
        )

    async def filters(self) -> None:
        app = self.app
        main = app.main_screen
        reps = self.reps
        extra = max(4, reps // 4)

        def search(text: str) -> None:
            main.state.search = SearchQuery.parse(text)
            main.reads.requery()

        await self.filter_series(
            "reason",
            ["reset-requested", "conversation-closed"],
            main.filters.only_reason,
            reps,
            yardstick=True,
        )
        await self.filter_series(
            "status", [Status.ACTIVE, Status.ENDED], main.filters.set_status, reps, yardstick=True
        )
        await self.filter_series("search", ["flaky", "billing"], search, reps)
        await self.filter_series(
            "rare_reason", ["repo-removed", "session-expired"], main.filters.only_reason, reps
        )
        # The owner: the demo's most common user (~25% of sessions) and a rare one (~4%).
        await self.filter_series(
            "user", ["user:ada@example.com", "user:ken@example.com"], search, reps
        )
        # Informational: harder questions, fewer repetitions, no target of their own.
        await self.filter_series(
            "x_unrecognised",
            [UNRECOGNISED_TOKEN, NOT_RECORDED_TOKEN],
            main.filters.only_reason,
            extra,
        )
        await self.filter_series(
            "x_search_none", ["zz-no-such-text", "zz-nothing-here"], search, extra
        )

        def reasons(values: frozenset[str]) -> None:  # what ticking several in the panel does
            main.state.reasons = values
            main.reads.requery()

        several = [
            frozenset({"reset-requested", "cwd-changed"}),
            frozenset({"conversation-closed", NOT_RECORDED_TOKEN}),
        ]
        await self.filter_series("x_several_reasons", several, reasons, extra)

    # -- (g) refresh, (c) scroll ----------------------------------------------------------

    async def refresh_series(self, name: str, reps: int) -> None:
        app = self.app
        main = app.main_screen
        total, db = [], []
        for _ in range(reps):
            page = app.expect("page", LoadMode.REFRESH)
            facets = app.expect("facets")
            t0 = perf_counter()
            main.reads.tick()  # the timer's tick (`r` would also recount every reason)
            p = await wait(page, "a refresh page")
            await wait(facets, "refresh facets")
            total.append(ms(t0, p["painted"]))
            db.append(p["db_ms"])
        self.put(name, total, loaded=len(main.state.order))
        self.put(name.replace("refresh", "refresh_db"), db)
        self.log(
            f"    {name:<21} median {statistics.median(total):7.1f} ms"
            f"  (db {statistics.median(db):6.1f}, {len(main.state.order)} rows loaded)"
        )

    async def scroll(self) -> None:
        app = self.app
        main = app.main_screen
        table = main.table
        total, db, apply_ = [], [], []
        for _ in range(self.reps):
            if main.state.next_cursor is None:
                self.out["notes"].append("scroll: ran out of pages")
                break
            page = app.expect("page", LoadMode.APPEND)
            t0 = perf_counter()
            table.move_cursor(row=table.row_count - 1, animate=False)
            p = await wait(page, "an appended page")
            total.append(ms(t0, p["painted"]))
            db.append(p["db_ms"])
            apply_.append(ms(p["received"], p["applied"]))
        self.put("scroll_next_page", total, loaded_after=len(main.state.order))
        self.put("scroll_db", db)
        self.put("scroll_apply", apply_)
        self.log(
            f"    scroll to next page    median {statistics.median(total):7.1f} ms"
            f"  (db {statistics.median(db):6.1f}; {len(main.state.order)} rows loaded)"
        )

    # -- (e) facets and input latency -----------------------------------------------------

    async def facets(self) -> None:
        app = self.app
        main = app.main_screen
        table = main.table
        reps = self.reps  # a tick lands in one frame or two: more samples, steadier median
        app.start_ticker()
        # Baseline: the same probes with nothing running.
        app.ticking, app.ticks = True, []
        s0 = perf_counter()
        idle_keys = await self.key_probes(lambda: perf_counter() - s0 > 0.5)
        app.ticking = False
        idle_gap = max_gap_ms(app.ticks, s0, perf_counter())

        # A refresh tick or an end: settled counts + the live delta. Then the full
        # recount (first load, the operator's r, every 5 minutes), keys probed as well.
        figures: dict[bool, list[float]] = {False: [], True: []}
        db: dict[bool, list[float]] = {False: [], True: []}
        gaps, key_max, key_all = [], [], []
        unchanged = {False: 0, True: 0}
        for recount in (False, True):
            for _ in range(reps):
                fut = app.expect("facets")
                app.ticks = []
                app.ticking = True
                t0 = perf_counter()
                flt = main.state.filter(app.settings.clock())
                gen = main.state.generation
                main.counts.count(FacetsAsk(gen, flt, False, False, None, True, recount))
                keys = await self.key_probes(fut.done)
                f = await wait(fut, "facets")
                app.ticking = False
                figures[recount].append(ms(t0, f["painted"]))
                db[recount].append(f["db_ms"])
                unchanged[recount] += bool(f.get("unchanged"))
                gaps.append(max_gap_ms(app.ticks, t0, f["painted"]))
                key_max.append(max(keys) if keys else 0.0)
                key_all.extend(keys)
        assert table.cursor_row in (0, 1)
        # Unchanged: the same counts, the panel not drawn again (painted = the screen idle).
        self.put("facets_refresh", figures[False], panel_unchanged=unchanged[False])
        self.put("facets_refresh_db", db[False])
        self.put("facets_recount", figures[True], panel_unchanged=unchanged[True])
        self.put("facets_recount_db", db[True])
        self.put("facets_loop_max_gap", gaps, idle_baseline_ms=round(idle_gap, 2))
        self.put(
            "facets_key_latency_max",
            key_max,
            idle_baseline_ms=round(max(idle_keys) if idle_keys else 0.0, 2),
            keys_sent=len(key_all),
        )
        await self.stuck_counts()
        self.log(
            f"    facets refresh         median {statistics.median(figures[False]):7.1f} ms;"
            f" full recount {statistics.median(figures[True]):7.1f} ms;"
            f" max loop gap {max(gaps):.1f} ms (idle {idle_gap:.1f});"
            f" max key latency {max(key_max):.1f} ms over {len(key_all)} keys"
        )

    async def stuck_counts(self) -> None:
        """(e'') The stuck panel's counts with no filter (what every refresh and end reads),
        until the panel is painted; the db part is `store.stuck_counts`."""
        app = self.app
        main = app.main_screen
        painted, db = [], []
        counts: dict[Any, int] = {}
        unchanged = 0
        for _ in range(self.reps):
            fut = app.expect("stuck")
            t0 = perf_counter()
            flt = main.state.filter(app.settings.clock())
            main.stuck_panel.post_message(CountsWanted(main.state.generation, flt))
            f = await wait(fut, "stuck counts")
            painted.append(ms(t0, f["painted"]))
            db.append(f["db_ms"])
            counts = f["counts"]
            unchanged += bool(f.get("unchanged"))
        shown = {k.wire: n for k, n in counts.items()}
        self.put("stuck_counts", painted, panel_unchanged=unchanged)
        self.put("stuck_counts_db", db, counts=shown)
        self.log(
            f"    stuck counts           median {statistics.median(painted):7.1f} ms"
            f" (db {statistics.median(db):.1f} ms); {shown}"
        )

    async def key_probes(self, stop: Callable[[], bool]) -> list[float]:
        """Press down/up alternately; each latency is key sent -> cursor moved."""
        app = self.app
        main = app.main_screen
        table = main.table
        out: list[float] = []
        while not stop():
            before = table.cursor_row
            key = "down" if before == 0 else "up"
            t0 = perf_counter()
            send_key(app, key)
            t1 = await until(lambda before=before: table.cursor_row != before, f"key {key}")
            out.append(ms(t0, t1))
        return out

    # -- (d) ending a session ---------------------------------------------------------------

    async def end_session(self) -> None:
        app = self.app
        main = app.main_screen
        table = main.table
        await self.requery_and_wait(lambda: main.filters.set_status(Status.ACTIVE))
        n = min(max(5, self.reps // 2), max(0, (table.row_count - 1) // 2))
        if n == 0:
            self.out["notes"].append("end: no active sessions to end")
            return
        actor = "bench@sessions-tui"
        worker, worker_db, flow, flow_steps = [], [], [], []
        row = 0
        for _ in range(n):
            sid = main.state.order[row]
            done = app.expect("ended")
            facets = app.expect("facets")
            t0 = perf_counter()
            main.end_flow.end_sessions([sid], "reset-requested", actor)
            e = await wait(done, "SessionsEnded (worker)")
            await wait(facets, "facets after an end")
            assert e["outcomes"] == ["Ended"], e
            worker.append(ms(t0, e["painted"]))
            worker_db.append(e["db_ms"])
            row += 1
        for _ in range(n):
            table.move_cursor(row=row, animate=False)
            await next_paint(app)
            sid = table.current_id
            assert sid is not None and main.state.rows[sid].active
            done = app.expect("ended")
            facets = app.expect("facets")
            t0 = perf_counter()
            send_key(app, "x")
            t1 = await until(lambda: isinstance(app.screen, EndReasonScreen), "reason picker")
            await next_paint(app)
            t2 = perf_counter()
            send_key(app, "enter")
            await until(lambda: isinstance(app.screen, ConfirmEndScreen), "confirm dialog")
            await next_paint(app)
            t3 = perf_counter()
            send_key(app, "tab")
            await until(lambda: app.focused is not None and app.focused.id == "confirm", "focus")
            send_key(app, "enter")
            e = await wait(done, "SessionsEnded (keys)")
            await wait(facets, "facets after an end")
            assert e["outcomes"] == ["Ended"], e
            flow.append(ms(t0, e["painted"]))
            flow_steps.append(
                {
                    "picker_ms": ms(t0, t2),
                    "confirm_ms": ms(t2, t3),
                    "write_ms": ms(t3, e["painted"]),
                    "picker_shown_ms": ms(t0, t1),
                }
            )
            row += 1
        self.put("end_worker", worker)
        self.put("end_db", worker_db)
        self.put("end_keys", flow, steps=flow_steps)
        self.log(
            f"    end (worker)           median {statistics.median(worker):7.1f} ms;"
            f" full key flow median {statistics.median(flow):7.1f} ms"
        )

    async def run(self) -> None:
        app = self.app
        self.log("    filters …")
        await self.filters()
        if self.only is not None:
            return
        await self.reset()
        await self.refresh_series("refresh_tick", self.reps)
        await self.scroll()
        await self.refresh_series("refresh_tick_deep", max(5, self.reps // 4))
        await self.reset()
        await self.facets()
        await self.end_session()
        self.out["maxrss_kb"] = maxrss_kb()
        if app.unrendered:
            self.out["notes"].append(
                f"{len(app.unrendered)} results were not redrawn within 5 s (timed as 5 s):"
                f" {sorted(set(app.unrendered))}"
            )
        self.out["dialect"] = app.store.engine.dialect if app.store else None


# -- the raw-driver comparison ------------------------------------------------------------------


def compile_sql(
    dialect: Any, d: q.Dialect, flt: SessionFilter, page_size: int, floor: Any
) -> list[str]:
    """What Store.list_sessions runs for a first page: a search or an owner filter first
    tries the newest rows (`SEARCH_WINDOW`): on a backend that puts rows without a start
    time first, those; then the window's floor (`window_boundary`), then the window down
    to it (`bounded_search_statement`, with `floor`, which `window_floor_value` read:
    the same value the store's first statement finds); and runs the full statement only
    when that did not fill the page. The raw runners follow the same rule."""
    from tui.domain.models import Cursor, SortKey

    def text(stmt: Any) -> str:
        return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    full = text(q.list_statement(d, flt, SortKey.STARTED, None, page_size))
    if not ((flt.search and flt.search.strip()) or (flt.user and flt.user.strip())):
        return [full]
    tries: list[str] = []
    if d.backend.traits.nulls_first_desc:  # undated rows first
        top = Cursor(key=None, id="", segment_top=True)
        tries.append(text(q.list_statement(d, flt, SortKey.STARTED, top, page_size)))
    tries.append(text(q.window_boundary(d, None, q.SEARCH_WINDOW)))
    if floor is not None:  # else the rest fits in the window: the full statement is it
        tries.append(text(q.bounded_search_statement(d, flt, None, page_size, floor)))
    return [*tries, full]


async def window_floor_value(target: DbTarget, dialect: Any, d: q.Dialect) -> Any:
    """The floor of the first window (None: the whole list fits in it), read with the
    raw driver before the timed runs, as `compile_sql` needs it."""
    sql = str(
        q.window_boundary(d, None, q.SEARCH_WINDOW).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}
        )
    )
    if target.kind == "sqlite":
        con = sqlite3.connect(f"file:{target.path}?mode=ro", uri=True)
        try:
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
    else:
        import asyncpg

        from tui.store.backends import backend_for

        url = backend_for(target.kind).url(target)
        pg = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
        try:
            rows = await pg.fetch(sql)
        finally:
            await pg.close()
    return rows[0][0] if len(rows) == 2 else None


IDLE_S = 2 * UPDATE_PERIOD
"""What `idle_screen` waits before a change, and the raw driver before each of its reads:
a read after an idle stretch waits for the server's process and the CPU to wake (the
Store alone, PostgreSQL 1M, a reason page: 1.49 ms back to back, 2.45-2.49 ms after 33 ms
idle), so both sides of "db part vs raw driver" start from the same idle."""


def raw_sqlite(
    path: Path,
    sqls: list[str],
    page_size: int,
    n: int,
    clock: Callable[[], float] = perf_counter,
    idle: float = 0.0,
) -> list[float]:
    """`n` timed reads of the page, by `clock` (`time.thread_time`: the CPU they took),
    each after `idle` seconds with nothing running."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def page() -> None:
        for sql in sqls:  # the next statement only when this one did not fill the page
            if len(con.execute(sql).fetchall()) > page_size:
                return

    try:
        page()  # warm, as the app's pooled connection is
        out = []
        for _ in range(n):
            if idle:
                time.sleep(idle)
            t0 = clock()
            page()
            out.append(ms(t0, clock()))
        return out
    finally:
        con.close()


async def raw_pg(
    dsn: str,
    sqls: list[str],
    page_size: int,
    n: int,
    clock: Callable[[], float] = perf_counter,
    idle: float = 0.0,
) -> list[float]:
    """As `raw_sqlite`, through asyncpg (`time.thread_time`: the loop thread's CPU)."""
    import asyncpg

    con = await asyncpg.connect(dsn)

    async def page() -> None:
        for sql in sqls:
            if len(await con.fetch(sql)) > page_size:
                return

    try:
        await page()
        out = []
        for _ in range(n):
            if idle:
                await asyncio.sleep(idle)
            t0 = clock()
            await page()
            out.append(ms(t0, clock()))
        return out
    finally:
        await con.close()


async def main_async(
    target: DbTarget, reps: int, quick: bool, only: frozenset[str] | None = None
) -> dict[str, Any]:
    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    settings = Settings(target=target, refresh_seconds=0)
    app = ProbeApp(settings)
    # Registered before the app runs: the first page may well be painted before
    # run_test hands over control.
    first = app.expect("page", LoadMode.REPLACE)
    facets = app.expect("facets")
    started = perf_counter()
    async with app.run_test(headless=True, size=SIZE) as _pilot:
        p = await wait(first, "the first page")
        await wait(facets, "the first facets")
        bench = Bench(app, reps, quick, log, only)
        main = app.main_screen
        for widget in (main.table, main.reason_panel, main.stuck_panel):
            app.frames.watch(widget)
        bench.out["startup_inprocess_ms"] = ms(started, p["painted"])
        await bench.run()
        assert app.store is not None
        d = app.store.d
        dialect = app.store.engine.dialect
        page_size = app.settings.page_size
    out = bench.out
    out.pop("dialect", None)
    # Raw driver: the same compiled SQL, as many times as the app ran it.
    for name, flts in bench.statements.items():
        samples: list[float] = []
        cpu: list[float] = []
        floor = await window_floor_value(target, dialect, d)
        sqls = [compile_sql(dialect, d, flt, page_size, floor) for flt in flts]
        n = max(3, len(out["figures"][f"filter:{name}"]["samples"]) // max(1, len(sqls)))
        for sql in sqls:
            if target.kind == "sqlite":
                assert target.path is not None
                samples += raw_sqlite(target.path, sql, page_size, n, idle=IDLE_S)
                cpu += raw_sqlite(target.path, sql, page_size, n, time.thread_time, IDLE_S)
            else:
                from tui.store.backends import backend_for  # after the measured start-up

                url = backend_for(target.kind).url(target)
                dsn = url.set(drivername="postgresql").render_as_string(False)
                samples += await raw_pg(dsn, sql, page_size, n, idle=IDLE_S)
                cpu += await raw_pg(dsn, sql, page_size, n, time.thread_time, IDLE_S)
        out["raw_sql"][name] = {"samples": [round(s, 3) for s in samples], "sql": sqls}
        if cpu:
            out["raw_sql"][name]["cpu"] = [round(s, 3) for s in cpu]
        log(f"    raw driver {name:<14} median {statistics.median(samples):7.2f} ms")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--db", type=Path)
    src.add_argument("--url")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--filters",
        help="only these filter series, nothing else (say reason,status: the hot reads alone)",
    )
    args = ap.parse_args(argv)
    target = sqlite_target(args.db) if args.db else url_target(args.url)
    only = frozenset(args.filters.split(",")) if args.filters else None
    t0 = time.time()
    out = asyncio.run(main_async(target, args.reps, args.quick, only))
    out["wall_s"] = time.time() - t0
    args.out.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
