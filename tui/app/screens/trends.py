"""Why sessions end, over time: ended sessions per day (per hour over 48 h), stacked by
reason, under the list's filters; a reason and a day picked here filter the list. One
key switches to the workflow runs: runs per day stacked by status, and the recorded
spend by workflow (`Store.run_trends`), and back.

The screen owns its worker (one grouped statement, `Store.trends` or
`Store.run_trends`); the chart is `TrendChart`, which draws any `Trends`. The session
filters are the list's when the screen opened, but its status, since window and stuck
kind (`queries.trend_filter`): trends count ended sessions by end time. Opened from
the runs list (`for_runs`), the screen counts workflow runs under that list's filter as
the trends take it (`run_trends.trend_filter`), says which filters apply
(`run_search.describe`), and has no sessions to switch to; opened from the sessions
list, its runs are every run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from msgspec import Struct
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from tui.app.data import as_store_error
from tui.app.screens.base import SessionsScreen
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.trend_chart import TrendChart, colour
from tui.domain.models import SessionFilter
from tui.domain.run_search import describe as describe_runs
from tui.domain.run_trends import RunTrendBy, RunTrends, trend_filter
from tui.domain.runs import RunFilter
from tui.domain.text import safe_text
from tui.domain.trends import WINDOW_DAYS, Trends, reason_filter_token
from tui.domain.wording import (
    NO_RUN_OUTCOME,
    NO_RUNS_TABLE,
    RUN_TRENDS_WHAT,
    runs_under,
    trend_group_label,
    trends_empty,
    trends_title,
)

RUN_PICK_NOTE = "a day of runs lists no sessions: the runs list (w on the list) has its filters"
RUN_SPLIT_NOTE = "status or outcome splits the workflow runs: switch to them first"
RUNS_ONLY_NOTE = "opened from the runs list: the sessions list's trends key counts sessions"


class TrendPick(Struct, frozen=True):
    """A reason and a bucket chosen on the chart: the list shows those sessions."""

    reason: str
    """The reason filter's value (a stored value, or the `not recorded` token)."""
    start: datetime
    end: datetime
    label: str


class TrendsScreen(SessionsScreen):
    """The chart, its legend, and a line on the picked day and reason."""

    HELP_TITLE = "Trends"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="trends-back"),
        Binding("q", "app.pop_screen", "Back", show=False, id="trends-back-q"),
        Binding(
            "left,h",
            "move_day(-1)",
            "Earlier",
            key_display="←",
            id="trends-earlier",
            tooltip="The day (or hour) before",
        ),
        Binding(
            "right,l",
            "move_day(1)",
            "Later",
            key_display="→",
            id="trends-later",
            tooltip="The day (or hour) after",
        ),
        Binding(
            "up,k",
            "move_group(-1)",
            "Reason up",
            show=False,
            id="trends-reason-up",
            tooltip="The reason above in the legend",
        ),
        Binding(
            "down,j",
            "move_group(1)",
            "Reason down",
            show=False,
            id="trends-reason-down",
            tooltip="The reason below in the legend",
        ),
        Binding(
            "enter",
            "pick",
            "List them",
            id="trends-pick",
            tooltip="The list filtered to the picked reason and day",
        ),
        Binding(
            "d",
            "cycle_window",
            "Window",
            id="trends-window",
            tooltip="The last 48 h (per hour), 7, 30 or 90 days",
        ),
        Binding("r", "reload", "Reload", id="trends-reload", tooltip="Count again"),
        Binding(
            "w",
            "switch_subject",
            "Runs/sessions",
            show=False,
            id="trends-runs",
            tooltip="Workflow runs per day by status and their recorded spend, or back "
            "to the ended sessions",
        ),
        Binding(
            "s",
            "switch_split",
            "Status/outcome",
            show=False,
            id="trends-runs-split",
            tooltip="The runs by status, or by outcome where the service version has it",
        ),
    ]

    def __init__(
        self,
        flt: SessionFilter | None,
        under: str,
        on_pick: Callable[[TrendPick], None],
        days: int = 30,
        *,
        runs: RunFilter | None = None,
    ) -> None:
        """`flt`, `under` and `on_pick`: the sessions list's filter, its words and what a
        pick does; None (`for_runs`): runs only. `runs`: the runs list's filter."""
        super().__init__()
        self.flt = flt
        self.under = under
        """The list's filters in words, for the subtitle."""
        self.on_pick = on_pick
        self.days = days
        self.trends: Trends | None = None
        """What the chart draws: ended sessions, or (`runs`) runs by status."""
        self.runs = flt is None
        """Whether the screen shows the workflow runs' trends."""
        self.run_filter = trend_filter(runs or RunFilter())
        """The runs the runs' trends count: the runs list's filter as trends take it."""
        self.run_under = runs_under(describe_runs(self.run_filter))
        """Those filters in words, for the subtitle."""
        self.run_trends: RunTrends | None = None
        """The runs' series (runs, spend) while `runs`."""
        self.run_by = RunTrendBy.STATUS
        """What the runs are stacked by (outcome only where the runs table has it)."""
        self.day = 0
        self.group = 0

    @classmethod
    def for_runs(cls, flt: RunFilter, days: int = 30) -> TrendsScreen:
        """The runs' trends under the runs list's filter `flt`, with no sessions."""
        return cls(None, "", lambda _pick: None, days, runs=flt)

    def compose(self) -> ComposeResult:
        yield Static("", id="trends-title")
        yield Static(Text(self._under(), style="dim"), id="trends-under")
        with Horizontal(id="trends-body"):
            yield TrendChart(id="trends-chart")
            yield Static("", id="trends-legend")
        yield Static("loading…", id="trends-note")
        yield KeyFooter()

    @property
    def chart(self) -> TrendChart:
        return self.query_one(TrendChart)

    def on_mount(self) -> None:
        self.chart.focus()
        self.action_reload()

    # -- reading ------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.query_one("#trends-note", Static).update("loading…")
        self.load(self.days)

    def action_cycle_window(self) -> None:
        steps = list(WINDOW_DAYS)
        self.days = steps[(steps.index(self.days) + 1) % len(steps)] if self.days in steps else 30
        self.action_reload()

    def _under(self) -> str:
        return self.run_under if self.runs else self.under

    def action_switch_subject(self) -> None:
        """Sessions to runs and back: the same window, counted again."""
        if self.disabled_because("switch_subject") is not None:
            return
        self.runs = not self.runs
        self.trends, self.run_trends, self.group = None, None, 0
        self.query_one("#trends-under", Static).update(Text(self._under(), style="dim"))
        self.refresh_bindings()
        self.action_reload()

    def action_switch_split(self) -> None:
        """The runs by status, or by outcome, counted again."""
        if self.disabled_because("switch_split") is None:
            by = RunTrendBy.OUTCOME if self.run_by is RunTrendBy.STATUS else RunTrendBy.STATUS
            self.run_by, self.group = by, 0
            self.action_reload()

    def disabled_because(self, action: str) -> str | None:
        if action == "pick" and self.runs:
            return RUN_PICK_NOTE
        if action == "switch_subject" and self.flt is None:
            return RUNS_ONLY_NOTE
        if action == "switch_split":
            if not self.runs:
                return RUN_SPLIT_NOTE
            if not self.store.has_run_outcome:
                return NO_RUN_OUTCOME
        return None

    @work(exclusive=True, group="trends", exit_on_error=False)
    async def load(self, days: int) -> None:
        now = self.sessions_app.settings.clock()
        inflight = self.sessions_app.inflight
        if self.runs:
            found = self.store.run_trends(self.run_filter, days, self.run_by, now=now)
            runs = await inflight.run(found)
            self._show(runs.runs, runs)
            return
        self._show(await inflight.run(self.store.trends(self.flt, days, now=now)))

    def _what(self) -> tuple[str, str]:
        """What the chart counts, in its title and when it is empty."""
        if self.runs:
            return RUN_TRENDS_WHAT, "workflow run started"
        return "Ended sessions", "session ended"

    def _show(self, found: Trends, runs: RunTrends | None = None) -> None:
        before = self._group_key()
        self.trends, self.run_trends = found, runs
        groups = found.groups()
        self.group = groups.index(before) if before in groups else 0
        totals = found.bucket_totals()
        latest = max((i for i, n in enumerate(totals) if n), default=len(totals) - 1)
        self.day = latest
        what = self._what()[0]
        self.query_one("#trends-title", Static).update(
            Text(trends_title(found.window.days, found.window.hourly, what), style="bold")
        )
        self.chart.show(found, self.day, self.group)
        self._describe()

    def _group_key(self) -> str | None:
        if self.trends is None:
            return None
        groups = self.trends.groups()
        return groups[self.group] if 0 <= self.group < len(groups) else None

    # -- the pick -----------------------------------------------------------------------

    def action_move_day(self, step: int) -> None:
        if self.trends is None:
            return
        self.day = max(0, min(self.trends.window.count - 1, self.day + step))
        self.chart.pick(self.day, self.group)
        self._describe()

    def action_move_group(self, step: int) -> None:
        if self.trends is None or not self.trends.groups():
            return
        self.group = max(0, min(len(self.trends.groups()) - 1, self.group + step))
        self.chart.pick(self.day, self.group)
        self._describe()

    @on(TrendChart.Clicked)
    def _clicked(self, message: TrendChart.Clicked) -> None:
        self.day = message.index
        self.chart.pick(self.day, self.group)
        self._describe()

    def action_pick(self) -> None:
        t = self.trends
        if t is None or not t.groups():
            return
        bucket = t.window.buckets()[self.day]
        start, end = t.window.span(bucket)
        token = reason_filter_token(self._group_key())
        self.app.pop_screen()
        self.on_pick(TrendPick(token, start, end, t.window.label(bucket)))

    def _describe(self) -> None:
        """The legend (each reason's total, the picked one marked) and the line on the
        picked day: its total, the picked reason's count, and what enter does."""
        t = self.trends
        note = self.query_one("#trends-note", Static)
        legend = self.query_one("#trends-legend", Static)
        if t is None:
            return
        groups = t.groups()
        if not groups:
            legend.update("")
            runs = self.run_trends
            empty = trends_empty(t.window.days, self._what()[1])
            note.update(Text(NO_RUNS_TABLE if runs and not runs.has_table else empty))
            return
        lines = Text()
        for i, g in enumerate(groups):
            picked = i == self.group
            lines.append("▶ " if picked else "  ")
            lines.append("█ " if picked else "▒ ", style=colour(i))
            name = trend_group_label(t.by, g)
            lines.append(f"{name[:20]:<20} ", style="bold" if picked else "")
            lines.append(f"{t.group_total(g):>7,}\n", style="bold" if picked else "dim")
        lines.append(f"  {'in all':<22} {t.total:>7,}", style="dim")
        if self.run_trends is not None:
            lines.append_text(spend_legend(self.run_trends))
        legend.update(lines)
        bucket = t.window.buckets()[self.day]
        key = t.window.key(bucket)
        group = groups[self.group]
        day_total = t.bucket_totals()[self.day]
        count = t.counts.get((key, group), 0)
        text = Text()
        text.append(f"{t.window.label(bucket)} (UTC): ", style="bold")
        text.append(f"{day_total:,} {t.measure.name} · ")
        text.append(safe_text(trend_group_label(t.by, group)), style=colour(self.group))
        text.append(f" {count:,}")
        if self.run_trends is not None:
            text.append(f" · {day_spend(self.run_trends, key)}")
        text.append(self._keys_hint(), style="dim")
        note.update(text)

    def _keys_hint(self) -> str:
        """`←→ day  ↑↓ reason  enter lists them  d window`, the keys as `[keys]` left them."""
        key = self.key
        up, down = "trends-reason-up", "trends-reason-down"
        moved = {up, down} & self.sessions_app.settings.keys.keys()
        reasons = f"{key(up)} {key(down)}" if moved else "↑↓"
        days = f"{key('trends-earlier')}{key('trends-later')}"
        if self.runs:
            window = f"{key('trends-window')} window"
            if self.flt is not None:
                window += f"  {key('trends-runs')} sessions"
            return f"  ·  {days} day  {reasons} {self.run_by.value}  {window}"
        picks = f"{key('trends-pick')} lists them  {key('trends-window')} window"
        return f"  ·  {days} day  {reasons} reason  {picks}"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = as_store_error(event.worker.error, self.sessions_app.settings.target)
        self.query_one("#trends-note", Static).update(Text(safe_text(error)))
        if error.retryable:
            self.sessions_app.disconnected()


def spend_legend(runs: RunTrends) -> Text:
    """Below the statuses: each workflow's recorded spend over the window (top-level runs),
    and how many runs recorded none (not 0 spend)."""
    spend, uncosted = runs.spend, runs.uncosted
    text = Text()
    text.append("\n\nspend by workflow\n", style="bold")
    for g in spend.groups():
        name = trend_group_label(spend.by, g)
        text.append(f"  {name[:20]:<20} {spend.measure.shown(spend.group_total(g)):>9}\n")
    if not spend.groups():
        text.append(f"  {spend.measure.nothing}\n", style="dim")
    if uncosted.total:
        text.append(f"  {uncosted.total:,} {uncosted.measure.in_all}", style="dim")
    return text


def day_spend(runs: RunTrends, key: str) -> str:
    """The recorded spend of the runs started in one bucket, or that none was recorded."""
    spent = sum(n for (bucket, _), n in runs.spend.counts.items() if bucket == key)
    none = sum(n for (bucket, _), n in runs.uncosted.counts.items() if bucket == key)
    said = f"spend {runs.spend.measure.shown(spent)}" if spent else "no spend recorded"
    return f"{said} ({none:,} not recorded)" if none else said
