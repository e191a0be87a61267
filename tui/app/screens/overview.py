"""The overview: one row per deployment, each read by its own worker.

Every deployment is read on its own store (`tui.fleet_kept.KeptStore`: opened read-only
at the first reading, kept open for the next, opened again after a failure) within the
`deployment_timeout` setting, in a worker of its own group, and read again a refresh
interval after its answer: one that is down or hung costs its own row its timeout and no
other row anything. A reading answers twice: the row's state, version and active count
first (`HeadlineRead`), then its costlier cells (`DeploymentRead`), which say "counting…"
until a first reading has them. Those counts pass the fleet's gate one deployment at a
time, after the first answers of the SQLite deployments being read (`tui.fleet_kept`). A
row keeps its last good numbers when a reading fails, says why, and ages them: amber
after `AMBER_AFTER` refresh intervals without a good reading, red after `RED_AFTER`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.app.render import palette
from tui.app.screens.base import SessionsScreen
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.row_table import RowTable
from tui.domain.overview import Age, DeploymentRow
from tui.domain.snapshot import Headline, Snapshot
from tui.domain.text import safe_text

if TYPE_CHECKING:
    from tui.app.fleet_app import FleetApp
    from tui.deployments import Deployment
    from tui.fleet import Reading, ReadOptions
    from tui.fleet_kept import Fleet

COLUMNS = ("Deployment", "State", "Read", "Service", "Active", "Stuck", "Stuck runs", "Ended 24 h")
STATE_WIDTH = 36
"""Cells of the state: a down deployment's one line is cut there (its sessions list, if
opened, says it whole)."""
TOP_REASONS = 2
"""Reasons an "Ended 24 h" cell names, the most frequent first."""
MIN_EVERY = 5.0
"""The overview reads a deployment at most this often."""
COUNTING = "counting…"
"""A costlier cell before its first count is known."""
TICK = 1.0
"""How often the "read … ago" column and the ages are drawn again."""


@dataclass
class HeadlineRead(Message, bubble=False):
    """The first part of one deployment's reading (or why it failed), from its worker."""

    name: str
    reading: Reading[Headline]


@dataclass
class DeploymentRead(Message, bubble=False):
    """One deployment's whole reading (or why its second part failed), from its worker."""

    name: str
    reading: Reading[Snapshot]


def _count(n: int | None, style: str) -> Text:
    if n is None:
        return Text("—", style="dim")
    return Text(f"{n:,}", style=style if n else "")


def _stuck(snapshot: Snapshot) -> Text:
    shown = [(k.wire, n) for k, n in snapshot.stuck.items() if n]
    if not shown:
        return Text("none", style="dim")
    return Text(" · ".join(f"{wire} {n:,}" for wire, n in shown), style=palette().stale)


def _stuck_runs(snapshot: Snapshot) -> Text:
    if not snapshot.has_runs:
        return Text("no runs table", style="dim")
    shown = [(k.wire, n) for k, n in snapshot.stuck_runs.items() if n]
    if not shown:
        return Text("none", style="dim")
    return Text(" · ".join(f"{wire} {n:,}" for wire, n in shown), style=palette().stale)


def _ended(snapshot: Snapshot) -> Text:
    total = sum(snapshot.ended_recently.values())
    if not total:
        return Text("none", style="dim")
    top = " · ".join(
        f"{reason or 'not recorded'} {n:,}" for reason, n in snapshot.top_reasons(TOP_REASONS)
    )
    return Text(f"{total:,}: {top}")


def deployment_name(deployment: Deployment) -> Text:
    """Its label, bold, in its colour (data, never markup)."""
    return Text(safe_text(deployment.label), style=f"bold {deployment.colour or ''}".strip())


class OverviewScreen(SessionsScreen):
    """Every chosen deployment at a glance; enter opens one's sessions list."""

    HELP_TITLE = "Deployments"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="overview-open", tooltip="Its sessions list"),
        Binding("r", "refresh", "Refresh", id="overview-refresh", tooltip="Read every one now"),
    ]
    DEFAULT_CSS = """
    OverviewScreen #overview-title { height: 1; padding: 0 1; }
    OverviewScreen DataTable { height: 1fr; }
    OverviewScreen #overview-why { height: 1; padding: 0 1; }
    """

    def __init__(
        self, deployments: Sequence[Deployment], options: ReadOptions, fleet: Fleet
    ) -> None:
        super().__init__()
        self.deployments = list(deployments)
        self.options = options
        self.fleet = fleet
        """Each deployment's kept store, and the gate of the costlier counts."""
        self.rows = {d.name: DeploymentRow() for d in self.deployments}
        """Each deployment's row state, by name."""
        self.started = monotonic()
        """When the overview began reading (the app's clock for "how long it took")."""
        self.answered_at: dict[str, float] = {}
        """When each row was first drawn with an answer (its state, version and active
        count, or why it is down), seconds after `started`."""
        self.complete_at: dict[str, float] = {}
        """When each row was first drawn whole (every count, or why it is down)."""
        self._shown: dict[tuple[str, str], object] = {}
        """What each cell shows, by deployment and column."""
        refresh = self.settings.refresh_seconds
        self.every = max(refresh, MIN_EVERY) if refresh > 0 else 0.0
        """Seconds between one deployment's readings (0: only when asked, `r`)."""

    def compose(self) -> ComposeResult:
        self.table = RowTable(cursor_type="row", zebra_stripes=True)
        yield Static(self._title(), id="overview-title")
        yield self.table
        self.why = Static(id="overview-why", markup=False)
        """The highlighted deployment's last error, whole (its cell is cut)."""
        yield self.why
        yield KeyFooter()

    def _title(self) -> Text:
        n = len(self.deployments)
        title = Text(" sessions-tui ", style="bold reverse")
        title.append(f"  {n} deployments", style="bold")
        keys = (
            f"  ·  {self.key('overview-open')} opens one's sessions  ·  "
            f"{self.key('deployment-next')} {self.key('deployment-previous')} switch  ·  "
            f"{self.key('overview')} comes back here"
        )
        title.append(keys, style="dim")
        return title

    def on_mount(self) -> None:
        for column in COLUMNS:
            width = STATE_WIDTH if column == "State" else None
            self.table.add_column(column, key=column, width=width)
        for d in self.deployments:
            self.table.add_row(*self._cells(d), key=d.name)
        self.table.focus()
        for d in self.deployments:
            self.read(d)
        self.set_interval(TICK, self.redraw)

    # -- reading -------------------------------------------------------------------------

    def read(self, deployment: Deployment) -> None:
        """Its reading in its own worker (a reading still running is left to finish)."""
        group = f"overview@{deployment.name}"
        if any(w.group == group and w.is_running for w in self.workers):
            return

        name = deployment.name

        def told(first: Reading[Headline]) -> None:
            self.post_message(HeadlineRead(name, first))

        async def reading() -> None:
            whole = await self.fleet.read(name, told)
            if whole is not None:
                self.post_message(DeploymentRead(name, whole))

        self.run_worker(reading(), group=group, exit_on_error=False)

    @on(HeadlineRead)
    def _headed(self, message: HeadlineRead) -> None:
        reading, name = message.reading, message.name
        if reading.value is None:  # the reading failed: it is over
            self._took(name, reading.deployment, None, reading.error)
            return
        self.rows[name].headed(reading.value, self.settings.clock())
        self._draw(reading.deployment)
        self.answered_at.setdefault(name, monotonic() - self.started)

    @on(DeploymentRead)
    def _read(self, message: DeploymentRead) -> None:
        reading = message.reading
        self._took(message.name, reading.deployment, reading.value, reading.error)

    def _took(
        self, name: str, deployment: Deployment, snapshot: Snapshot | None, error: str | None
    ) -> None:
        self.rows[name].took(snapshot, error, self.settings.clock())
        self._draw(deployment)
        at = monotonic() - self.started
        self.answered_at.setdefault(name, at)
        self.complete_at.setdefault(name, at)
        if self.every > 0:
            self.set_timer(self.every, lambda: self.read(deployment))

    def action_refresh(self) -> None:
        for d in self.deployments:
            self.read(d)

    # -- drawing -------------------------------------------------------------------------

    def redraw(self) -> None:
        for d in self.deployments:
            self._draw(d)

    def _draw(self, deployment: Deployment) -> None:
        """Its cells that changed (any other would have the table drawn again for
        nothing)."""
        changed: dict[str, Text] = {}
        for column, cell in zip(COLUMNS, self._cells(deployment), strict=True):
            key, look = (deployment.name, column), (cell.plain, cell.style, cell.spans)
            if self._shown.get(key) != look:
                self._shown[key] = look
                changed[column] = cell
        if changed:
            self.table.update_cells(deployment.name, changed)
        if deployment is self.chosen():
            self._say_why(deployment)

    def _say_why(self, deployment: Deployment) -> None:
        error = self.rows[deployment.name].error
        line = deployment_name(deployment)
        if error is None:
            line = Text("")
        else:
            line.append(f": {safe_text(error)}", style="red")
        self.why.update(line)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        deployment = self.chosen()
        if deployment is not None:
            self._say_why(deployment)

    def _cells(self, deployment: Deployment) -> list[Text]:
        row = self.rows[deployment.name]
        now = self.settings.clock()
        name = deployment_name(deployment)
        if deployment.read_only:
            name.append(" (read-only)", style="dim")
        state = row.state
        if state == "live":
            said = Text("● live", style=palette().active)
        elif state == "waiting":
            said = Text("… waiting", style="yellow")
        else:
            said = Text(f"✖ {safe_text(row.error or '')}", style="bold red")
            said.truncate(STATE_WIDTH, overflow="ellipsis")
        read = Text(row.read_ago(now))
        headline, snapshot = row.headline, row.snapshot
        if headline is None:
            blank = Text("—", style="dim")
            return [name, said, read, blank, blank, blank, blank, blank]
        age = row.age(now, self.every or self.options.within)
        if age is Age.AGED:
            read.stylize(f"bold {palette().warning}")
        elif age is Age.OLD:
            read.stylize(f"bold reverse {palette().stale}")
        numbers = [
            Text(safe_text(headline.version), style=palette().info),
            _count(headline.active, palette().active),
        ]
        if snapshot is not None:
            numbers += [_stuck(snapshot), _stuck_runs(snapshot), _ended(snapshot)]
        else:  # its first costlier counts: being read, or lost with the reading
            unknown = COUNTING if row.counting else "—"
            numbers += [Text(unknown, style="dim italic") for _ in range(3)]
        if age is not Age.FRESH:  # its numbers are old: all of them say so
            for cell in numbers:
                cell.stylize("dim")
        return [name, said, read, *numbers]

    # -- opening -------------------------------------------------------------------------

    def chosen(self) -> Deployment | None:
        if not self.deployments:
            return None
        return self.deployments[min(self.table.cursor_row, len(self.deployments) - 1)]

    def action_open(self) -> None:
        deployment = self.chosen()
        if deployment is not None:
            cast("FleetApp", self.app).open_deployment(deployment.name)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
