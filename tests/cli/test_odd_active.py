"""`active` values the service never writes (2, -1, 'yes', 'true', 0.5, X'01', NULL): one
rule everywhere. Only 1/true is active and 0/false ended; an odd value is shown as stored
with a mark, counted in neither active nor ended but in `all`, and never ended."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from tests.support.odd_rows import (
    cli_args,
    fetch,
    newest_ids,
    odd_active_values,
    set_active,
    table_snapshot,
)
from tui.cli.main import cli
from tui.domain.models import SessionFilter, Status
from tui.store.store import open_store
from tui.store.target import DbTarget


@pytest.fixture
def odd_db(service_db: DbTarget) -> tuple[DbTarget, dict[str, str]]:
    """The demo database with its newest sessions given every odd value the backend holds."""
    values = odd_active_values(service_db)
    ids = asyncio.run(newest_ids(service_db, len(values)))
    odd = dict(zip(ids, values, strict=True))
    asyncio.run(set_active(service_db, odd))
    return service_db, odd


def _listed(target: DbTarget, *args: str) -> dict[str, dict[str, object]]:
    out = CliRunner().invoke(
        cli, [*cli_args(target), "list", "--format", "json", "--limit", "0", *args]
    )
    assert out.exit_code == 0, out.output
    return {s["id"]: s for s in json.loads(out.stdout)["sessions"]}


def test_list_filters_and_marks_every_odd_value(odd_db: tuple[DbTarget, dict[str, str]]) -> None:
    target, odd = odd_db
    every = _listed(target, "--status", "all")
    active = _listed(target, "--status", "active")
    ended = _listed(target, "--status", "ended")
    assert set(odd) <= set(every)
    assert not set(odd) & (set(active) | set(ended))
    assert len(every) == len(active) + len(ended) + len(odd)
    for sid, literal in odd.items():
        assert every[sid]["active"] is None
        assert every[sid]["reason_status"] == "odd-active"
        assert every[sid]["active_stored"] == literal
    table = CliRunner().invoke(cli, [*cli_args(target), "list", "--limit", "0"])
    for sid, literal in odd.items():
        line = next(ln for ln in table.stdout.splitlines() if sid[:8] in ln)
        assert line.startswith("⚠ odd") and f"⚠ active={literal}" in line


def test_counts_keep_odd_rows_apart(odd_db: tuple[DbTarget, dict[str, str]]) -> None:
    target, odd = odd_db

    async def read() -> tuple[int, int, int, int, int]:
        store = await open_store(target)
        try:
            counts = await store.counts()
            facets = await store.reason_counts(SessionFilter(), recount=True)
            again = await store.reason_counts(SessionFilter())  # the delta path, if indexed
            assert (again.odd, again.active, again.total) == (
                facets.odd,
                facets.active,
                facets.total,
            )
            active = await store.reason_counts(SessionFilter(status=Status.ACTIVE))
            assert active.odd == 0
            return counts.odd, counts.active, facets.odd, facets.active, facets.total
        finally:
            await store.close()

    counts_odd, counts_active, facets_odd, facets_active, total = asyncio.run(read())
    assert counts_odd == facets_odd == len(odd)
    assert counts_active == facets_active
    info = CliRunner().invoke(cli, [*cli_args(target), "info", "--format", "json"])
    assert json.loads(info.stdout)["sessions"]["odd"] == len(odd)
    assert total == len(_listed(target, "--status", "all"))


def test_show_says_what_is_stored(odd_db: tuple[DbTarget, dict[str, str]]) -> None:
    target, odd = odd_db
    for sid, literal in odd.items():
        shown = CliRunner().invoke(cli, [*cli_args(target), "show", sid])
        assert shown.exit_code == 0, shown.output
        assert "⚠ odd" in shown.stdout and f"active={literal}" in shown.stdout
        assert "still active" not in shown.stdout
        data = json.loads(
            CliRunner().invoke(cli, [*cli_args(target), "show", sid, "--format", "json"]).stdout
        )
        assert data["session"]["active"] is None
        assert data["session"]["active_stored"] == literal


def test_end_refuses_and_writes_nothing(odd_db: tuple[DbTarget, dict[str, str]]) -> None:
    target, odd = odd_db
    before = asyncio.run(table_snapshot(target))
    runner = CliRunner()
    args = [*cli_args(target), "end", *odd, "--reason", "reset-requested"]
    planned = runner.invoke(cli, [*args, "--dry-run"])
    assert planned.exit_code == 1
    assert planned.stdout.count("would be left unchanged") == len(odd)
    ended = runner.invoke(cli, [*args, "--yes"])
    assert ended.exit_code == 1
    for sid, literal in odd.items():
        assert f"not ended {sid}: its active is {literal}, not a value the service writes" in (
            ended.stderr
        )
    assert "already ended" not in ended.stdout
    assert asyncio.run(table_snapshot(target)) == before


def test_a_row_turned_odd_after_the_plan_is_reported_as_odd(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan listed an active session; while the operator read it, the service (or a
    hand) stored an odd `active`. The end's compare-and-set leaves it alone and says so:
    the odd value, not "already ended at unknown time"."""
    target = service_db
    (row,) = asyncio.run(
        fetch(
            target,
            "SELECT CAST(id AS TEXT) FROM remote_agent_sessions WHERE active "
            "ORDER BY started_at DESC LIMIT 1",
        )
    )
    sid, literal = str(row[0]), odd_active_values(target)[0]
    seen: list[list[str]] = []

    def confirm_after_the_row_turned_odd(*_: object, **__: object) -> bool:
        asyncio.run(set_active(target, {sid: literal}))
        seen.append(asyncio.run(table_snapshot(target)))
        return True

    monkeypatch.setattr("tui.cli.main.click.confirm", confirm_after_the_row_turned_odd)
    result = CliRunner().invoke(cli, [*cli_args(target), "end", sid, "--reason", "reset-requested"])
    assert result.exit_code == 1, result.output
    assert f"would end {sid} (currently active)" in result.stdout
    assert f"not ended {sid}: its active is {literal}, not a value the service writes" in (
        result.stderr
    )
    assert "already ended" not in result.stdout
    assert "Traceback" not in result.output
    assert asyncio.run(table_snapshot(target)) == seen[0], "the odd row is left as it was"
