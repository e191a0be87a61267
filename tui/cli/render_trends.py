"""`trends`: a trend's numbers per bucket and group, as a table, JSON and CSV. Every
function takes the series as `Trends` (their split and measure say the words), so the
sessions' trends and the workflow runs' (`trends --runs`) are drawn by the same code."""

from __future__ import annotations

from typing import Any

from tui.cli.render import Column, TableWriter
from tui.domain import wording
from tui.domain.export import DEFAULT_CSV, CsvStyle, csv_line
from tui.domain.run_trends import RunTrends
from tui.domain.timefmt import iso_z
from tui.domain.trends import Trends, TrendWindow

# -- JSON ------------------------------------------------------------------------------------


def window_object(w: TrendWindow) -> dict[str, Any]:
    """The window: its unit, its days and its UTC span."""
    return {
        "unit": "hour" if w.hourly else "day",
        "days": w.days,
        "start": iso_z(w.start),
        "end": iso_z(w.end),
    }


def groups_object(t: Trends) -> list[dict[str, Any]]:
    """Per group (largest total first): its total and its number in each bucket."""
    m = t.measure
    return [
        {
            "group": g,
            "status": wording.trend_group_status(t.by, g),
            "total": m.plain(t.group_total(g)),
            "counts": [m.plain(n) for n in t.series(g)],
        }
        for g in t.groups()
    ]


def trends_object(t: Trends) -> dict[str, Any]:
    """`trends --format json`: the window, every bucket (oldest first) and, per group
    (largest total first), its total and its count in each bucket."""
    return {
        "by": t.by.value,
        **window_object(t.window),
        "total": t.measure.plain(t.total),
        "buckets": [iso_z(b) for b in t.window.buckets()],
        "groups": groups_object(t),
    }


def run_trends_object(found: RunTrends) -> dict[str, Any]:
    """`trends --runs --format json`: the window and buckets once, then each series (runs
    by status or outcome; spend, runs with and without a recorded cost by workflow) as
    {by, total, groups}."""
    return {
        "by": found.runs.by.value,
        **window_object(found.window),
        "buckets": [iso_z(b) for b in found.window.buckets()],
        **{
            t.measure.name: {
                "by": t.by.value,
                "total": t.measure.plain(t.total),
                "groups": groups_object(t),
            }
            for t in found.series
        },
        "runs_table": found.has_table,
    }


# -- CSV -------------------------------------------------------------------------------------

TRENDS_CSV_KEYS = ("bucket", "group", "status", "count")
RUN_TRENDS_CSV_KEYS = ("series", "bucket", "group", "status", "value")


def csv_rows(t: Trends) -> list[list[Any]]:
    """(bucket, group, status, number) for each (bucket, group) with a number, oldest
    bucket first; groups as stored (a NULL that counts as a token, as the token)."""
    return [
        [iso_z(bucket), group, wording.trend_group_status(t.by, group), t.measure.plain(n)]
        for bucket, group, n in t.rows()
    ]


def trends_csv(t: Trends, style: CsvStyle = DEFAULT_CSV) -> str:
    """One line per (bucket, group) with a count, oldest bucket first: what a
    spreadsheet pivots. Groups as stored (a reason's NULL as `<not recorded>`)."""
    return "".join([csv_line(TRENDS_CSV_KEYS, style), *(csv_line(r, style) for r in csv_rows(t))])


def run_trends_csv(found: RunTrends, style: CsvStyle = DEFAULT_CSV) -> str:
    """Each series' lines (`csv_rows`) one after the other, the series' name first."""
    lines = [csv_line(RUN_TRENDS_CSV_KEYS, style)]
    for t in found.series:
        lines += [csv_line([t.measure.name, *r], style) for r in csv_rows(t)]
    return "".join(lines)


def fleet_trends_csv(found: list[tuple[str, Trends]], style: CsvStyle = DEFAULT_CSV) -> str:
    """`trends_csv` of several deployments: a `deployment` column first."""
    lines = [csv_line(("deployment", *TRENDS_CSV_KEYS), style)]
    for name, t in found:
        lines += [csv_line([name, *r], style) for r in csv_rows(t)]
    return "".join(lines)


def fleet_run_trends_csv(found: list[tuple[str, RunTrends]], style: CsvStyle = DEFAULT_CSV) -> str:
    """`run_trends_csv` of several deployments: a `deployment` column first."""
    lines = [csv_line(("deployment", *RUN_TRENDS_CSV_KEYS), style)]
    for name, each in found:
        for t in each.series:
            lines += [csv_line([name, t.measure.name, *r], style) for r in csv_rows(t)]
    return "".join(lines)


# -- table -----------------------------------------------------------------------------------


def _groups(series: tuple[Trends, ...]) -> list[str | None]:
    """The first series' groups in its order, then any only the others have."""
    out = list(series[0].groups())
    for t in series[1:]:
        out += [g for g in t.groups() if g not in out]
    return out


def trends_table(*series: Trends) -> list[str]:
    """Series over one window and split, side by side: per bucket and group with a
    number, each series' number; then each group's totals; then the totals in words."""
    first = series[0]
    w, by = first.window, first.by
    unit = "HOUR (UTC)" if w.hourly else "DAY (UTC)"
    numbers = [Column(t.measure.heading) for t in series]
    groups = _groups(series)
    rows = []
    for bucket in w.buckets():
        key = w.key(bucket)
        for g in groups:
            found = [t.counts.get((key, g), 0) for t in series]
            if any(found):
                cells = [t.measure.shown(n) for t, n in zip(series, found, strict=True)]
                rows.append([w.label(bucket), wording.trend_group_label(by, g), *cells])
    out = TableWriter([Column(unit), Column(by.value.upper(), 40), *numbers]).lines(rows)
    totals = TableWriter([Column(by.value.upper(), 40), *numbers])
    out += [
        "",
        *totals.lines(
            [
                [
                    wording.trend_group_label(by, g),
                    *(t.measure.shown(t.group_total(g)) for t in series),
                ]
                for g in groups
            ]
        ),
    ]
    out.append("; ".join(t.measure.total_line(t.total) for t in series))
    return out
