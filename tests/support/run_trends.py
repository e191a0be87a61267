"""Runs trends made by the tests themselves: every run read with a plain engine and
bucketed in Python, never through the store's statements."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tests.support.run_writes import ServiceRuns
from tests.support.service_schema import ERAS
from tui.domain.models import NOT_RECORDED_TOKEN
from tui.store.store import make_engine
from tui.store.target import DbTarget


def utc_start(stored: object) -> datetime | None:
    """A stored started_at as UTC: SQLite's `datetime('now')` text, PostgreSQL's
    TIMESTAMP WITH TIME ZONE (absolute)."""
    if stored is None:
        return None
    if isinstance(stored, str):
        return datetime.fromisoformat(stored).replace(tzinfo=UTC)
    assert isinstance(stored, datetime) and stored.tzinfo is not None
    return stored.astimezone(UTC)


def recorded_cost(metadata: object) -> float | None:
    """`metadata.total_cost_usd` when it is a JSON number (not a bool), else None."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    if not isinstance(metadata, dict):
        return None
    value = metadata.get("total_cost_usd")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@dataclass
class ExpectedRunTrends:
    runs: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    spend: dict[tuple[str, str | None], int] = field(default_factory=dict)
    """Micro-dollars, as the tool keeps an amount."""
    costed: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    uncosted: Counter[tuple[str, str | None]] = field(default_factory=Counter)


async def expected_run_trends(
    target: DbTarget,
    start: datetime,
    end: datetime,
    *,
    hourly: bool,
    by: str = "status",
    where: str = "1 = 1",
) -> ExpectedRunTrends:
    """Runs per (bucket, status or outcome) and, for top-level runs, recorded spend and
    runs with and without a cost per (bucket, workflow), of the runs `where` (the test's
    own SQL condition over the runs table) selects."""
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            table = "remote_agent_workflow_runs"
            cols = await conn.run_sync(
                lambda c: {x["name"] for x in sa.inspect(c).get_columns(table)}
            )
            parent = "parent_run_id" if "parent_run_id" in cols else "NULL"
            split = by if by in cols else "status"
            rows = (
                await conn.execute(
                    sa.text(
                        f"SELECT started_at, {split}, workflow_name, {parent}, metadata"
                        f" FROM remote_agent_workflow_runs WHERE {where}"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    out = ExpectedRunTrends()
    sums: dict[tuple[str, str | None], float] = {}
    for started, group, workflow, parent_id, metadata in rows:
        at = utc_start(started)
        if at is None or not start <= at < end:
            continue
        key = at.strftime("%Y-%m-%d %H" if hourly else "%Y-%m-%d")
        if group is None and split == "outcome":
            group = NOT_RECORDED_TOKEN
        out.runs[(key, group)] += 1
        if parent_id is not None:
            continue
        cost = recorded_cost(metadata)
        if cost is None:
            out.uncosted[(key, workflow)] += 1
        else:
            out.costed[(key, workflow)] += 1
            sums[(key, workflow)] = sums.get((key, workflow), 0.0) + cost
    out.spend = {k: round(v * 1_000_000) for k, v in sums.items() if round(v * 1_000_000)}
    return out


def write_runs(svc: ServiceRuns) -> dict[str, str]:
    """Runs in every way the service leaves them: completed with and without a cost
    (dag-executor.ts@v0.9.0 writes total_cost_usd only when a node reported one), failed,
    cancelled, pending, and from v0.7 a sub-run whose cost its parent's total holds."""
    conv = svc.conversation()
    made: dict[str, str] = {}

    def run(name: str, workflow: str, **kw: Any) -> str:
        made[name] = svc.create(workflow, conv, **kw)
        return made[name]

    svc.start(run("paid", "plan"))
    svc.complete(made["paid"], cost=1.25)
    svc.start(run("free", "plan"))
    svc.complete(made["free"])
    svc.start(run("failed", "review"))
    svc.fail(made["failed"], "boom")
    svc.start(run("paid2", "review"))
    svc.complete(made["paid2"], cost=0.5)
    svc.cancel(run("cancelled", "review"))
    run("pending", "plan")
    if ERAS.index(svc.era) >= ERAS.index("v0.7"):
        svc.start(run("child", "fix", parent_run_id=made["paid"]))
        svc.complete(made["child"], cost=0.75)
    return made
