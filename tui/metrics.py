"""The deployments' snapshots as Prometheus metrics: what `sessions-tui metrics` serves
and writes, Textual-free.

Every scrape reads each deployment's `Snapshot` (`tui.store.snapshot.read_snapshot`)
through `tui.fleet.read_each`: all at once, each within `deployment_timeout`, a down one
giving `up` 0 and no counts. The exposition itself (names, escaping, text format) is
`prometheus_client`'s. A read younger than `metrics_cache_seconds` answers the next
scrape again, and scrapes that arrive while a read is under way wait for it and share
it, so the databases are read at most once per cache period whoever scrapes.

The metrics, all gauges, each labelled `deployment` (the `[deployments.NAME]` name, or
`DEFAULT_DEPLOYMENT` for the database resolved as always):

    sessions_tui_up                           1 read, 0 not (down, hung, unset)
    sessions_tui_scrape_duration_seconds      how long its read took (or gave up)
    sessions_tui_read_timestamp_seconds       when its read finished (Unix time)
    sessions_tui_active_sessions              active sessions
    sessions_tui_ended_sessions               ended sessions, all time
    sessions_tui_stuck_sessions{kind}         a kind the version cannot show is absent
    sessions_tui_stuck_runs{kind}             likewise; absent without a runs table
    sessions_tui_workflow_runs{status}        runs by stored status
    sessions_tui_ended_sessions_last_24h{reason}  ends of the last 24 h by stored reason;
                                              an end with none is `NOT_RECORDED`
    sessions_tui_service_info{version}        1, the service version detected
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from msgspec import Struct
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from tui.deployments import Deployment
from tui.domain.models import NOT_RECORDED_TOKEN
from tui.domain.snapshot import Snapshot
from tui.fleet import Reading, ReadOptions, read_each

if TYPE_CHECKING:
    from tui.store.store import Store

PREFIX = "sessions_tui_"
DEFAULT_DEPLOYMENT = "default"
"""The `deployment` label of the one database read without `-d`/`--all`."""
NOT_RECORDED = NOT_RECORDED_TOKEN
"""The `reason` of an end whose reason was not recorded: the tool's own token (the
one `list --reason` takes), never a service reason, and not empty (an empty label value
is no label in PromQL)."""
NO_STATUS = ""
"""The `status` of a run with none stored."""

Work = Callable[["Store"], Awaitable[Snapshot]]
Report = Callable[[str], None]


async def _read_snapshot(store: Store) -> Snapshot:
    from tui.store.snapshot import read_snapshot

    return await read_snapshot(store)


class Scrape(Struct, frozen=True):
    """One read of every deployment: its readings, and when it finished (Unix time and
    the monotonic clock, for the cache)."""

    readings: list[Reading[Snapshot]]
    finished_at: float
    finished_mono: float


class SnapshotSource:
    """Reads every deployment's snapshot, at most once per `cache_seconds`; concurrent
    callers share one read. Thread-safe: each read runs its own event loop. `report`
    gets one line when a deployment goes down (with why) or comes back: `up` 0 says
    that it is down, the exporter's log says why."""

    def __init__(
        self,
        deployments: Sequence[Deployment],
        options: ReadOptions,
        cache_seconds: float,
        work: Work = _read_snapshot,
        report: Report | None = None,
    ) -> None:
        self.deployments = list(deployments)
        self.options = options
        self.cache_seconds = cache_seconds
        self.work = work
        self.report = report
        self._lock = threading.Lock()
        self._last: Scrape | None = None
        self._down: dict[str, str] = {}

    def scrape(self) -> Scrape:
        """The last read if it is fresh, or finished after this call began (a read under
        way when it came); else a new read."""
        asked = time.monotonic()
        with self._lock:
            last = self._last
            if last is not None and (
                last.finished_mono >= asked or asked - last.finished_mono < self.cache_seconds
            ):
                return last
            readings = asyncio.run(read_each(self.deployments, self.work, self.options))
            self._last = Scrape(readings, time.time(), time.monotonic())
            self._report(readings)
            return self._last

    def _report(self, readings: list[Reading[Snapshot]]) -> None:
        for reading in readings:
            name, error = reading.deployment.name, reading.error
            was = self._down.pop(name, None)
            if error is not None:
                self._down[name] = error
            if self.report is None or error == was:
                continue
            line = "up again" if error is None else error
            if not line.startswith(f"deployment {name}"):
                line = f"deployment {name}: {line}"
            self.report(line)


def _gauge(name: str, doc: str, labels: Sequence[str], unit: str = "") -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, doc, labels=["deployment", *labels], unit=unit)


def families(scrape: Scrape) -> list[Metric]:
    """Every metric family of one scrape, each deployment's samples in the file's order."""
    up = _gauge("up", "1 if the deployment's database was read, 0 if not", [])
    took = _gauge(
        "scrape_duration", "How long reading the deployment took (or gave up)", [], "seconds"
    )
    read_at = _gauge(
        "read_timestamp", "When the deployment's last read finished (Unix time)", [], "seconds"
    )
    active = _gauge("active_sessions", "Active sessions", [])
    ended = _gauge("ended_sessions", "Ended sessions, all time", [])
    stuck = _gauge(
        "stuck_sessions",
        "Active sessions stuck, by kind (a kind the service version cannot show is absent)",
        ["kind"],
    )
    stuck_runs = _gauge(
        "stuck_runs",
        "Workflow runs stuck, by kind (absent where not detectable or without runs)",
        ["kind"],
    )
    runs = _gauge("workflow_runs", "Workflow runs, by stored status", ["status"])
    recent = _gauge(
        "ended_sessions_last_24h",
        f"Sessions ended in the last 24 hours, by stored reason ({NOT_RECORDED}: none)",
        ["reason"],
    )
    info = InfoMetricFamily(
        PREFIX + "service", "The service version detected", labels=["deployment"]
    )
    for reading in scrape.readings:
        name = [reading.deployment.name]
        up.add_metric(name, 1 if reading.ok else 0)
        took.add_metric(name, reading.seconds)
        read_at.add_metric(name, scrape.finished_at)
        snap = reading.value
        if snap is None:
            continue
        active.add_metric(name, snap.active)
        ended.add_metric(name, snap.ended)
        for kind, n in snap.stuck.items():
            if n is not None:
                stuck.add_metric([*name, kind.wire], n)
        if snap.has_runs:
            for run_kind, n in snap.stuck_runs.items():
                if n is not None:
                    stuck_runs.add_metric([*name, run_kind.wire], n)
            for status, n in sorted(snap.runs_by_status.items(), key=lambda kv: kv[0] or ""):
                runs.add_metric([*name, status or NO_STATUS], n)
        for reason, n in sorted(snap.ended_recently.items(), key=lambda kv: kv[0] or ""):
            recent.add_metric([*name, NOT_RECORDED if reason is None else reason], n)
        info.add_metric(name, {"version": snap.version})
    return [up, took, read_at, active, ended, stuck, stuck_runs, runs, recent, info]


class SnapshotCollector(Collector):
    """A custom collector: each `collect()` (a scrape, a textfile write) yields the
    families of `source.scrape()`."""

    def __init__(self, source: SnapshotSource) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        return families(self.source.scrape())

    def describe(self) -> Iterable[Metric]:
        """Nothing: registering reads no database (names are checked per scrape)."""
        return []


def registry_for(source: SnapshotSource) -> CollectorRegistry:
    """A registry holding the snapshot collector alone (no process metrics: a textfile
    written by cron would carry the writer's, not the exporter's)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(source))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The text format (0.0.4) of one collection."""
    from prometheus_client.exposition import generate_latest

    return generate_latest(registry)


def write_textfile(path: str, registry: CollectorRegistry) -> None:
    """The exposition written to a temporary file beside `path`, then renamed over it:
    a reader (node_exporter's textfile collector) sees the old file or the new, never
    part of one."""
    from prometheus_client.exposition import write_to_textfile

    write_to_textfile(path, registry)
