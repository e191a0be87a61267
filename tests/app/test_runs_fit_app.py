"""The runs table fits its columns to the terminal by the sessions table's rule
(`columns.fit_columns`): the most useful columns while they fit, the workflow column
taking the width left, and no column past the table's right edge; laid out again when
the terminal is resized, the cursor kept. Over runs the service's own statements wrote
(`tests.support.run_writes`, workflows.ts@v0.9.0), on both backends.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.app_helpers import app_for, ready, settle, wait_until
from tests.support.run_writes import ServiceRuns
from tests.support.runs_app import cells_of, ids_shown, open_runs, service_session
from tui.domain.columns import PAD
from tui.domain.run_columns import RUN_COLUMNS
from tui.domain.timefmt import utcnow
from tui.store.target import DbTarget

NARROW = (120, 40)
WIDE = (260, 50)
BY_USE = [c.header for c in sorted(RUN_COLUMNS, key=lambda c: c.priority)]
"""The columns, the most useful first."""


@pytest.mark.parametrize("era", ["v0.8"])
async def test_the_runs_table_fits_the_terminal_and_follows_a_resize(
    runs_db: tuple[DbTarget, ServiceRuns],
) -> None:
    target, svc = runs_db
    conv = svc.conversation()
    service_session(svc, conv)
    runs = [svc.create(f"deploy-{i}", conv) for i in range(3)]
    for rid in runs:
        svc.start(rid)
    app = app_for(target, clock=lambda: utcnow() + timedelta(0))
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_runs(pilot)
        table = screen.table

        def headers() -> list[str]:
            return [str(c.label) for c in table.ordered_columns]

        shown = headers()
        assert 0 < len(shown) < len(RUN_COLUMNS)
        assert set(shown) == set(BY_USE[: len(shown)])  # the most useful, none skipped
        assert shown == [c.header for c in RUN_COLUMNS if c.header in shown]  # in order
        used = sum(c.width + 2 * PAD for c in table.ordered_columns)
        available = table.size.width - table.styles.scrollbar_size_vertical
        assert used == available  # the workflow column takes what is left, no more
        assert table.virtual_size.width <= table.size.width
        workflow = next(c for c in table.ordered_columns if str(c.label) == "workflow")
        assert workflow.width > next(c for c in RUN_COLUMNS if c.header == "workflow").screen

        table.move_cursor(row=ids_shown(app).index(runs[1]))
        await pilot.resize_terminal(*WIDE)
        await wait_until(pilot, lambda: len(headers()) == len(RUN_COLUMNS), "every column")
        await settle(pilot)
        assert headers() == [c.header for c in RUN_COLUMNS]
        assert screen.current is not None and screen.current.id == runs[1]
        assert cells_of(app, runs[1])["status"] == "running"
        assert cells_of(app, runs[1])["parent"] == "—"

        await pilot.resize_terminal(*NARROW)
        await wait_until(pilot, lambda: headers() == shown, "the narrow layout again")
        assert screen.current is not None and screen.current.id == runs[1]
