"""The dashboard over several deployments, for tests, snapshots and the screenshot: the
overview app with a fixed clock, and deployments that are down in known ways."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.support.app_helpers import ACTOR, NOW, record_toasts, settle, wait_until
from tui.app.fleet_app import FleetApp, make_fleet_app
from tui.deployments import Deployment
from tui.fleet import ReadOptions
from tui.settings import Settings
from tui.store.store import open_store
from tui.store.target import DbTarget

REFUSED = "postgresql://archon:s3cret@127.0.0.1:1/archon"
"""A server that is not there: port 1 refuses at once (nothing listens on it)."""
MISSING = Path("/nonexistent/sessions-tui-overview/archon.db")
"""A SQLite file that does not exist, at a path that reads the same on every run."""


def deployment_of(target: DbTarget, name: str, **more: object) -> Deployment:
    """A deployment naming `target`'s database (the URL with its password, as a config
    file's `url` would hold it)."""
    if target.kind == "sqlite":
        return Deployment(name, db=target.path, **more)  # type: ignore[arg-type]
    return Deployment(name, url=target.secret_url(), **more)  # type: ignore[arg-type]


def overview_app(
    deployments: Sequence[Deployment],
    *,
    within: float = 30.0,
    refresh: float = 0,
    clock: Callable[[], datetime] = lambda: NOW,
) -> FleetApp:
    """The app the CLI starts for several deployments, its clock fixed (or the test's)."""
    settings = Settings(
        target=DbTarget(kind="sqlite", source="(several deployments)"),
        refresh_seconds=refresh,
        actor=ACTOR,
        clock=clock,
        theme="textual-dark",
    )
    options = ReadOptions(
        within=within, stale_after=settings.stale_after, run_quiet_after=timedelta(minutes=30)
    )
    app = make_fleet_app(settings, deployments, options)
    record_toasts(app)
    return app


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def answered(app: FleetApp, *names: str) -> bool:
    """Whether each of these rows has had a whole reading (every count) or its error."""
    return all(app.overview.rows[name].answers for name in names)


async def every_row_answered(pilot: Pilot[Any]) -> None:
    app: FleetApp = pilot.app  # type: ignore[assignment]
    names = [d.name for d in app.deployments]
    await wait_until(pilot, lambda: answered(app, *names), "every row's first answer")
    await settle(pilot)


def screenshot_deployments(live: Path, runs: Path) -> list[Deployment]:
    """The README's overview: the live demo (`live`, ends in the last 24 h), the runs
    database (`runs`, read-only), a refused server and a missing file."""
    return [
        Deployment("staging", db=live, colour="green", title="Staging"),
        Deployment("prod", db=runs, colour="red", title="Production", read_only=True),
        Deployment("edge", url=REFUSED, colour="yellow", title="Edge (EU)"),
        Deployment("lab", db=MISSING),
    ]


async def active_count(target: DbTarget) -> int:
    """The active sessions of `target`, read by a store of its own (what a row must say)."""
    store = await open_store(target, read_only=True)
    try:
        return (await store.counts()).active
    finally:
        await store.close()


def row_cells(app: FleetApp, name: str) -> list[str]:
    """The overview row of deployment `name`, each cell as plain text."""
    return [cell.plain for cell in app.overview.table.get_row(name)]
