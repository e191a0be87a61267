"""`trends`: ended sessions per bucket and group, as a table, JSON and CSV."""

from __future__ import annotations

from typing import Any

from tui.cli.render import Column, TableWriter
from tui.domain import wording
from tui.domain.export import DEFAULT_CSV, CsvStyle, csv_line
from tui.domain.timefmt import iso_z
from tui.domain.trends import Trends

# -- trends ----------------------------------------------------------------------------------


def trends_object(t: Trends) -> dict[str, Any]:
    """`trends --format json`: the window, every bucket (oldest first) and, per group
    (largest total first), its total and its count in each bucket."""
    w = t.window
    return {
        "by": t.by.value,
        "unit": "hour" if w.hourly else "day",
        "days": w.days,
        "start": iso_z(w.start),
        "end": iso_z(w.end),
        "total": t.total,
        "buckets": [iso_z(b) for b in w.buckets()],
        "groups": [
            {
                "group": g,
                "status": wording.trend_group_status(t.by, g),
                "total": t.group_total(g),
                "counts": t.series(g),
            }
            for g in t.groups()
        ],
    }


TRENDS_CSV_KEYS = ("bucket", "group", "status", "count")


def trends_csv(t: Trends, style: CsvStyle = DEFAULT_CSV) -> str:
    """One line per (bucket, group) with a count, oldest bucket first: what a
    spreadsheet pivots. Groups as stored (a reason's NULL as `<not recorded>`)."""
    lines = [csv_line(TRENDS_CSV_KEYS, style)]
    for bucket, group, n in t.rows():
        status = wording.trend_group_status(t.by, group)
        lines.append(csv_line([iso_z(bucket), group, status, n], style))
    return "".join(lines)


def fleet_trends_csv(found: list[tuple[str, Trends]], style: CsvStyle = DEFAULT_CSV) -> str:
    """`trends_csv` of several deployments: a `deployment` column first."""
    lines = [csv_line(("deployment", *TRENDS_CSV_KEYS), style)]
    for name, t in found:
        for bucket, group, n in t.rows():
            status = wording.trend_group_status(t.by, group)
            lines.append(csv_line([name, iso_z(bucket), group, status, n], style))
    return "".join(lines)


def trends_table(t: Trends) -> list[str]:
    """Per bucket with an end, each group's count (largest first), then the totals."""
    w = t.window
    unit = "HOUR (UTC)" if w.hourly else "DAY (UTC)"
    table = TableWriter([Column(unit), Column(t.by.value.upper(), 40), Column("ENDED")])
    rows = [
        [w.label(bucket), wording.trend_group_label(t.by, g), str(n)] for bucket, g, n in t.rows()
    ]
    out = table.lines(rows)
    totals = TableWriter([Column(t.by.value.upper(), 40), Column("ENDED")])
    out += [
        "",
        *totals.lines(
            [[wording.trend_group_label(t.by, g), str(t.group_total(g))] for g in t.groups()]
        ),
    ]
    out.append(f"{t.total} ended in all")
    return out
