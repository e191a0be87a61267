"""A workflow run's fields as scripts read them (JSON and CSV) and as tables show them:
one definition for `sessions-tui runs` and the dashboard.

The run object is `RUN_KEYS`, in that order (a stable interface: new keys only at the
end). ids are whole, times ISO-8601 UTC (`YYYY-MM-DDTHH:MM:SSZ`) or null, and a column
the database's version lacks is null. CSV is written by `export.csv_line`, the one
writer whose formula guard every CSV of the tool has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from msgspec import Struct

from tui.domain.columns import Width
from tui.domain.export import DEFAULT_CSV, FORMATS, CsvStyle, csv_line, dumps
from tui.domain.runs import RunRow
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso_z, relative
from tui.domain.wording import (
    DASH,
    cost_cell,
    run_status_cell,
    run_stuck_names,
    short_id,
)

RUN_KEYS = (
    "id",
    "status",
    "outcome",
    "workflow",
    "conversation_id",
    "platform",
    "platform_conversation_id",
    "codebase_id",
    "codebase",
    "owner",
    "started_at",
    "last_activity_at",
    "completed_at",
    "duration_seconds",
    "cost_usd",
    "parent_run_id",
    "working_path",
    "stuck",
)


def run_export(row: RunRow, now: datetime) -> dict[str, Any]:
    """The run as scripts read it (`RUN_KEYS`); the duration runs to `now` while the run
    has not finished."""
    duration = row.duration(now)
    values: dict[str, Any] = {
        "id": row.id,
        "status": row.status,
        "outcome": row.outcome,
        "workflow": row.workflow_name,
        "conversation_id": row.conversation_id,
        "platform": row.platform_type,
        "platform_conversation_id": row.platform_conversation_id,
        "codebase_id": row.codebase_id,
        "codebase": row.codebase_name,
        "owner": row.owner,
        "started_at": iso_z(row.started_at),
        "last_activity_at": iso_z(row.last_activity_at),
        "completed_at": iso_z(row.completed_at),
        "duration_seconds": None if duration is None else int(duration.total_seconds()),
        "cost_usd": row.cost_usd,
        "parent_run_id": row.parent_run_id,
        "working_path": row.working_path,
        "stuck": [k.wire for k in row.stuck],
    }
    return {key: values[key] for key in RUN_KEYS}


def _text(value: str | None) -> str:
    return DASH if value is None or value == "" else safe_text(value)


class RunColumn(Struct, frozen=True):
    """A column of the runs table: its header, the widest its cells get before they are
    cut (None: whole), the cell, and how the dashboard fits it to the terminal
    (`columns.fit_columns`, the sessions table's rule): its width there, how useful it
    is (1 the most: the columns drop out from the highest number down), and whether it
    takes the width no other column uses."""

    header: str
    cap: int | None
    cell: Callable[[RunRow, datetime], str]
    screen: int
    priority: int
    grows: bool = False

    @property
    def width(self) -> Width:
        return Width(self.screen, self.cap)


RUN_COLUMNS: tuple[RunColumn, ...] = (
    RunColumn("id", 8, lambda r, now: short_id(r.id), 8, 4),
    RunColumn("status", 12, lambda r, now: run_status_cell(r), 12, 1),
    RunColumn("outcome", 9, lambda r, now: _text(r.outcome), 9, 13),
    RunColumn("workflow", 24, lambda r, now: _text(r.workflow_name), 16, 2, grows=True),
    RunColumn("platform", 10, lambda r, now: _text(r.platform_type), 10, 12),
    RunColumn("conversation", 14, lambda r, now: _text(r.platform_conversation_id), 14, 11),
    RunColumn("codebase", 16, lambda r, now: _text(r.codebase_name), 16, 10),
    RunColumn("owner", 16, lambda r, now: _text(r.owner), 16, 8),
    RunColumn("started", 9, lambda r, now: relative(r.started_at, now), 9, 3),
    RunColumn("activity", 9, lambda r, now: relative(r.last_activity_at, now), 9, 6),
    RunColumn("duration", 8, lambda r, now: human_duration(r.duration(now)), 8, 7),
    RunColumn("cost", 9, lambda r, now: cost_cell(r.cost_usd), 9, 9),
    RunColumn(
        "parent", 8, lambda r, now: short_id(r.parent_run_id) if r.parent_run_id else DASH, 8, 14
    ),
    RunColumn("stuck", None, lambda r, now: run_stuck_names(r.stuck), 17, 5),
)
"""The list's columns, left to right; the last is shown whole."""


def run_cells(row: RunRow, now: datetime) -> list[str]:
    return [c.cell(row, now) for c in RUN_COLUMNS]


class RunWriter:
    """Runs as `{"runs": [...], "next_cursor": …}` JSON or as CSV with a header, page by
    page, like `export.SessionWriter`."""

    def __init__(self, fmt: str, now: datetime, csv_style: CsvStyle = DEFAULT_CSV) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"not an export format: {fmt}")
        self.fmt, self.now, self.csv_style = fmt, now, csv_style
        self.written = 0

    def start(self) -> str:
        if self.fmt == "json":
            return '{"runs": ['
        return csv_line(RUN_KEYS, self.csv_style)

    def page(self, rows: Sequence[RunRow]) -> str:
        first = self.written == 0
        self.written += len(rows)
        if self.fmt == "json":
            objects = [dumps(run_export(row, self.now)) for row in rows]
            return ("\n" if first else ",\n") + ",\n".join(objects) if objects else ""
        style = self.csv_style
        return "".join(csv_line(list(run_export(r, self.now).values()), style) for r in rows)

    def finish(self, next_cursor: str | None) -> str:
        if self.fmt != "json":
            return ""
        return f'\n], "next_cursor": {dumps(next_cursor)}}}\n'
