"""One headless app process, timed from its own start; prints one JSON line and exits.

    python3 tests/bench/harness.py empty
    python3 tests/bench/harness.py app --db PATH [--wait-facets]
    python3 tests/bench/harness.py app --url postgresql://… [--wait-facets]

Clock: the parent puts its `time.time()` into the environment variable BENCH_T0 *just
before* it spawns this process; every timestamp below is `time.time() - BENCH_T0` in ms,
so it includes interpreter start-up and every import (what an operator waits for).
Without BENCH_T0 (run by hand) the process create time from /proc is used instead
(10 ms resolution).

What a "frame" is: Textual composes each screen update in `Screen._compositor_refresh`
and hands it to `App._display(screen, update)`, which writes it to the terminal (headless:
which drops it; the escape-sequence encoding is the only step skipped). `FrameProbe`
wraps `_display` on the app instance, so a frame's timestamp is the moment it would be
written. "Rows painted" is the first frame after the rows were applied in which the table
itself was rendered (its `render_lines` ran after the rows were applied).

Figures printed (ms since process start, KB for memory):
  code_start     the harness's first line runs (interpreter start-up done)
  imported       textual (and, for `app`, the dashboard) imported
  first_frame    the first frame handed to the driver
  first_rows     the first frame showing rows: for `empty` its 100 static rows (added in
                 on_mount, so usually the first frame); for `app` the first frame after the
                 first PageLoaded was applied by the main screen's handler that rendered the table
  mount_cb       App on_mount -> call_after_refresh fired (for reference: it can fire a
                 frame or two late, so it is not the first-frame figure)
  page_received / page_applied / page_db_ms   (`app`) the first PageLoaded
  page_warm      (`app`) it was read by `tui.store.warm` (bare driver, before SQLAlchemy)
  maxrss_kb      VmHWM at first_rows (peak resident set so far); rss_kb: current RSS
  facets_*       (`app`, with --wait-facets) the same once the first FacetsLoaded applied
  emitted        when the BENCH-JSON line was written (then the app exits; the line
                 "BENCH-EXIT <ms>" follows once the process is really on its way out)

Imports are deliberately kept to the stdlib until the mode is known, so that the empty
app pays for exactly what an empty Textual app pays for.
"""

from __future__ import annotations

import time

_T_CODE = time.time()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

SIZE = (160, 45)
"""Same size as the in-process measurements."""

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _process_start() -> float:
    """The process create time (epoch seconds): BENCH_T0 if the parent gave it, else /proc."""
    given = os.environ.get("BENCH_T0")
    if given:
        return float(given)
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    start_ticks = int(fields[19])
    with open("/proc/stat") as f:
        btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
    return btime + start_ticks / _CLK_TCK


T0 = _process_start()


def ms() -> float:
    return (time.time() - T0) * 1000.0


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def maxrss_kb() -> int:
    """Peak RSS of this process image: VmHWM from /proc/self/status.

    Not `ru_maxrss`: on Linux that survives execve, so a child started by a big parent
    reports the parent's RSS at fork time as its own peak (`ru_maxrss_kb` is kept in the
    output only to show the difference).
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def emit(out: dict[str, Any]) -> None:
    """Write the result line straight to fd 1 (Textual captures sys.stdout while it runs).

    Written *before* the app exits: if the process then hangs on its way out (it can, see
    README "exit hang"), the parent still has the figures and reports the hang separately.
    """
    out["emitted"] = ms()
    out["emitted_maxrss_kb"] = maxrss_kb()
    out["ru_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    os.write(1, ("BENCH-JSON " + json.dumps(out) + "\n").encode())


class FrameProbe:
    """Frames as they are handed to the driver, and which watched widgets each one drew.

    `after_render(widget, cb)` calls `cb()` right after the first frame, from now on, that
    was composed after `widget.render_lines` ran: the widget's new content is in that frame.
    Both hooks are instance attributes (the compositor and the screen look the methods up
    on the instance), so nothing in Textual or the app is changed for other instances.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.frames = 0
        self.first_frame: Callable[[], None] | None = None
        self._waiters: list[list[Any]] = []  # [widget, rendered_since, callback]
        self._watched: set[int] = set()
        self._refreshed: dict[int, float] = {}
        # Private read: Textual has no public hook for a frame written to the terminal.
        display = app._display

        def _display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            self.frames += 1
            if self.frames == 1 and self.first_frame is not None:
                self.first_frame()
            ready = [w for w in self._waiters if w[1]]
            for waiter in ready:
                self._waiters.remove(waiter)
                waiter[2]()

        # Private read: the same hook, set on this instance only.
        app._display = _display

    def refreshed_since(self, widget: Any, since: float) -> bool:
        """Whether `widget.refresh` ran at or after `since` (time.perf_counter): its next
        frame is still to come. True for a widget not watched yet (not known)."""
        if id(widget) not in self._watched:
            return True
        return self._refreshed.get(id(widget), -1.0) >= since

    def _watch(self, widget: Any) -> None:
        if id(widget) in self._watched:
            return
        self._watched.add(id(widget))
        refresh = widget.refresh

        def _refresh(*args: Any, **kwargs: Any) -> Any:
            self._refreshed[id(widget)] = time.perf_counter()
            return refresh(*args, **kwargs)

        widget.refresh = _refresh
        render_lines = widget.render_lines

        def _render_lines(crop: Any) -> Any:
            for waiter in self._waiters:
                if waiter[0] is widget:
                    waiter[1] = True
            return render_lines(crop)

        widget.render_lines = _render_lines

    def watch(self, widget: Any) -> None:
        """Record `widget`'s refreshes and renders from now on (`refreshed_since`)."""
        self._watch(widget)

    def after_render(self, widget: Any, callback: Callable[[], None]) -> None:
        self._watch(widget)
        self._waiters.append([widget, False, callback])

    def after_render_or_timeout(
        self, widget: Any, callback: Callable[[bool], None], timeout: float = 5.0
    ) -> None:
        """Like after_render; if the widget is not drawn within `timeout` seconds (nothing
        changed on screen), call back anyway, with False. (A widget's refresh reaches the
        screen's dirty set only via its own idle handler and an Update message, so "is it
        dirty right now?" cannot tell whether a frame is still coming: hence a timeout.)"""
        done = False

        def rendered() -> None:
            nonlocal done
            if not done:
                done = True
                timer.stop()
                callback(True)

        def expired() -> None:
            nonlocal done
            if done:
                return
            done = True
            self._waiters[:] = [w for w in self._waiters if w[2] is not rendered]
            callback(False)

        timer = self.app.set_timer(timeout, expired)
        self.after_render(widget, rendered)


def run_empty(out: dict[str, Any]) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    out["imported"] = ms()

    class EmptyApp(App[None]):
        """The yardstick: the same Textual, one DataTable, 100 rows of static text."""

        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row", zebra_stripes=True)

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            probe = FrameProbe(self)
            probe.first_frame = lambda: out.setdefault("first_frame", ms())
            widths = (8, 20, 8, 8, 20, 12, 7, 7, 7, 8)
            for i, w in enumerate(widths):
                table.add_column(f"col{i}", width=w, key=f"c{i}")
            for r in range(100):
                table.add_row(*(f"row {r} cell {c}" for c in range(len(widths))), key=str(r))
            table.focus()
            probe.after_render(table, self._rows)
            self.call_after_refresh(lambda: out.setdefault("mount_cb", ms()))

        def _rows(self) -> None:
            out["first_rows"] = ms()
            out["row_count"] = self.query_one(DataTable).row_count
            out["maxrss_kb"], out["rss_kb"] = maxrss_kb(), rss_kb()
            emit(out)
            self.call_after_refresh(self.exit)

    EmptyApp().run(headless=True, size=SIZE)


def run_app(out: dict[str, Any], db: str | None, url: str | None, wait_facets: bool) -> None:
    # As the CLI's `launch_dashboard` does: the first page is begun before Textual loads.
    from tui.settings import Settings
    from tui.store import warm
    from tui.store.target import sqlite_target, url_target

    target = sqlite_target(db) if db else url_target(url or "")
    settings = Settings(target=target)  # what the CLI builds for `--db PATH`: defaults
    early = warm.start(
        target, settings.page_size, stale_after=settings.stale_after, now=settings.clock()
    )

    from textual import on

    from tui.app.app import SessionsApp
    from tui.app.messages import FacetsLoaded, PageLoaded
    from tui.app.screens.main import MainScreen

    out["imported"] = ms()

    class BenchScreen(MainScreen):
        """The real main screen, plus timestamps. Handlers here run *before* MainScreen's
        (MRO), so each one defers its work with call_next: after the screen's own handler."""

        _rows_done = False
        _facets_done = False

        @on(PageLoaded)
        def _bench_page(self, message: PageLoaded) -> None:
            if "page_received" in out or message.generation != self.state.generation:
                return
            out["page_received"] = ms()
            out["page_db_ms"] = message.elapsed_ms
            out["page_warm"] = message.warm
            self.call_next(self._page_applied)

        def _page_applied(self) -> None:
            out["page_applied"] = ms()
            app = self.app
            assert isinstance(app, BenchApp)
            app.probe.after_render(self.table, self._rows)

        def _rows(self) -> None:
            self._rows_done = True
            out["first_rows"] = ms()
            out["row_count"] = self.table.row_count
            out["maxrss_kb"], out["rss_kb"] = maxrss_kb(), rss_kb()
            self._maybe_exit()

        @on(FacetsLoaded)
        def _bench_facets(self, message: FacetsLoaded) -> None:
            if message.generation == self.state.generation:
                self.call_next(self._facets_applied)

        def _facets_applied(self) -> None:
            if self._facets_done:
                return
            self._facets_done = True
            out["facets_applied"] = ms()
            out["facets_maxrss_kb"], out["facets_rss_kb"] = maxrss_kb(), rss_kb()
            self._maybe_exit()

        def _maybe_exit(self) -> None:
            if self._rows_done and (self._facets_done or not wait_facets):
                emit(out)
                self.app.call_after_refresh(self.app.exit)

    class BenchApp(SessionsApp):
        """The real app with a BenchScreen as its main screen, and the frame probe."""

        MAIN_SCREEN = BenchScreen

        def on_mount(self) -> None:
            self.probe = FrameProbe(self)
            self.probe.first_frame = lambda: out.setdefault("first_frame", ms())
            self.call_after_refresh(lambda: out.setdefault("mount_cb", ms()))

    BenchApp(settings, early).run(headless=True, size=SIZE)


def main(argv: list[str]) -> int:
    out: dict[str, Any] = {"mode": argv[0] if argv else "?", "code_start": (_T_CODE - T0) * 1000}
    mode = argv[0] if argv else ""
    if mode == "empty":
        run_empty(out)
    elif mode == "app":
        db = url = None
        wait_facets = "--wait-facets" in argv
        if "--db" in argv:
            db = argv[argv.index("--db") + 1]
        elif "--url" in argv:
            url = argv[argv.index("--url") + 1]
        else:
            print("app needs --db PATH or --url URL", file=sys.stderr)
            return 2
        run_app(out, db, url, wait_facets)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write(f"BENCH-EXIT {ms():.1f}\n")
    sys.stdout.flush()
    return 0 if "first_rows" in out else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
