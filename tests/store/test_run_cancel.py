"""Run cancels through the real store on real databases: the service's own rule
(`cancelWorkflowRun`, packages/core/src/db/workflows.ts@v0.9.0) per run, a race with the
service's own finish, batches, refusals, and the audit rows (migration 0009).

Runs are written the way the service writes them (`ServiceRuns`, PostgreSQL's database
in New York time); what landed is read back with plain SQL.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.dbs import create_service_db
from tests.support.run_cancel_rows import ServiceRuns
from tests.support.service_schema import ERAS
from tests.support.service_writes import ServiceDb
from tests.support.swaps import LAYOUTS, swappable
from tui.cli.serve import SERVED_READ_ONLY
from tui.domain.run_cancel import RunCancelled, RunFinished, RunNotFound
from tui.store import limits
from tui.store.errors import FileMoved, ReadOnly
from tui.store.migrate import upgrade
from tui.store.run_writes import CannotCancel
from tui.store.store import Store, open_store
from tui.store.target import resolve_target, sqlite_target

RUN_AUDIT = "run_id, target, session_id, outcome, reason, found_reason, actor, end_id"


async def _migrated(db: ServiceDb) -> Store:
    await upgrade(resolve_target(url=db.url))
    return await open_store(resolve_target(url=db.url))


def _audit(db: ServiceDb) -> list[list[str]]:
    out = db.run(
        f"SELECT {RUN_AUDIT} FROM sessions_tui_audit WHERE target = 'run' ORDER BY run_id, id"
    )
    return [line.split("|") for line in out.splitlines()] if out else []


def _when(text: str) -> datetime:
    """A completed_at as psql or sqlite3 print it, as an aware UTC time."""
    parsed = datetime.fromisoformat(text.replace(" ", "T"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


async def test_each_run_gets_the_services_rule(service_writer: ServiceDb) -> None:
    """pending, running, paused and failed runs are cancelled (failed too: the service
    keeps it resumable); completed and cancelled ones are left exactly as they are; an
    id that names no run is not found. completed_at is the database's clock."""
    db = service_writer
    runs = ServiceRuns(db)
    pending = runs.create()
    running = runs.running()
    paused = runs.running()
    runs.pause(paused)
    failed = runs.running()
    runs.fail(failed)
    completed = runs.running()
    runs.complete(completed)
    cancelled = runs.running()
    runs.service_cancel(cancelled)
    before = {rid: runs.state(rid) for rid in (completed, cancelled)}
    missing = db.new_id()
    store = await _migrated(db)
    try:
        plan = await store.plan_cancel_runs(
            [pending, running, paused, failed, completed, cancelled, missing], "ada"
        )
        assert [type(s) for s in plan.steps] == [
            RunCancelled, RunCancelled, RunCancelled, RunCancelled,
            RunFinished, RunFinished, RunNotFound,
        ]  # fmt: skip
        # The column's default is `running` on PostgreSQL before v0.2.13 (this era).
        created = "running" if db.pg else "pending"
        assert runs.state(pending)[0] == created
        assert [s.was for s in plan.steps[:4]] == [  # type: ignore[union-attr]
            created, "running", "paused", "failed",
        ]  # fmt: skip
        assert plan.to_cancel == 4 and not plan.all_would_cancel
        assert runs.state(running) == ("running", "")  # the plan wrote nothing

        start = datetime.now(UTC) - timedelta(seconds=2)
        outcomes = await store.cancel_runs(
            [pending, running, paused, failed, completed, cancelled, missing], "ada"
        )
    finally:
        await store.close()
    assert outcomes[:4] == [RunCancelled(r) for r in (pending, running, paused, failed)]
    assert isinstance(outcomes[4], RunFinished) and outcomes[4].status == "completed"
    assert isinstance(outcomes[5], RunFinished) and outcomes[5].status == "cancelled"
    assert outcomes[6] == RunNotFound(missing)
    for rid in (pending, running, paused, failed):
        status, completed_at = runs.state(rid)
        assert status == "cancelled"
        assert start <= _when(completed_at) <= datetime.now(UTC) + timedelta(seconds=2)
    assert {rid: runs.state(rid) for rid in (completed, cancelled)} == before

    rows = {r[0]: r for r in _audit(db)}
    assert set(rows) == {pending, running, paused, failed, completed, cancelled}
    for rid in (pending, running, paused, failed):
        assert rows[rid][1:7] == ["run", "", "cancelled", "cancelled", "cancelled", "ada"]
    assert rows[completed][3:6] == ["already-finished", "cancelled", "completed"]
    assert rows[cancelled][3:6] == ["already-finished", "cancelled", "cancelled"]
    assert len({r[7] for r in rows.values()}) == 1  # one cancel, one id


async def test_the_service_finishing_between_plan_and_write_is_kept(
    service_writer: ServiceDb,
) -> None:
    """Planned as running; the service completes it (its own compare-and-set) before
    the cancel is written: the cancel's compare-and-set leaves the service's values."""
    db = service_writer
    runs = ServiceRuns(db)
    rid = runs.running()
    store = await _migrated(db)
    try:
        plan = await store.plan_cancel_runs([rid], "ada")
        assert plan.steps == (RunCancelled(rid, was="running"),)
        runs.complete(rid)
        finished = runs.state(rid)
        outcomes = await store.cancel_runs([rid], "ada")
    finally:
        await store.close()
    assert len(outcomes) == 1 and isinstance(outcomes[0], RunFinished)
    assert outcomes[0].status == "completed"
    assert runs.state(rid) == finished
    assert [r[3:6] for r in _audit(db)] == [["already-finished", "cancelled", "completed"]]


async def test_a_cancel_goes_in_batches(
    service_writer: ServiceDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More runs than a batch: every one cancelled, each batch's audit rows with it."""
    monkeypatch.setattr(limits, "END_BATCH", 3)
    db = service_writer
    runs = ServiceRuns(db)
    ids = [runs.running() for _ in range(8)]
    store = await _migrated(db)
    try:
        outcomes = await store.cancel_runs(ids, "ada")
    finally:
        await store.close()
    assert outcomes == [RunCancelled(r) for r in ids]
    assert all(runs.state(r)[0] == "cancelled" for r in ids)
    assert sorted(r[0] for r in _audit(db)) == sorted(ids)


async def test_read_only_refuses_as_ending_does(service_writer: ServiceDb) -> None:
    db = service_writer
    runs = ServiceRuns(db)
    rid = runs.running()
    await upgrade(resolve_target(url=db.url))
    store = await open_store(resolve_target(url=db.url), read_only=True)
    try:
        assert store.can_cancel_runs == store.can_end
        with pytest.raises(CannotCancel, match="opened read-only"):
            await store.plan_cancel_runs([rid], "ada")
        with pytest.raises(ReadOnly, match="cancelling runs is disabled"):
            await store.cancel_runs([rid], "ada")
    finally:
        await store.close()
    assert runs.state(rid) == ("running", "")
    assert _audit(db) == []


async def test_a_served_read_only_dashboard_refuses_naming_what_it_refuses(
    service_writer: ServiceDb,
) -> None:
    """A store opened the way `serve` without --write opens it: the cancel is refused
    as an end is, each refusal naming the write refused."""
    db = service_writer
    runs = ServiceRuns(db)
    rid = runs.running()
    store = await open_store(
        resolve_target(url=db.url), read_only=True, read_only_why=SERVED_READ_ONLY
    )
    try:
        serve = "served read-only: run `sessions-tui serve --write --actor WHO` to"
        assert store.can_end == f"{serve} end sessions"
        assert store.can_cancel_runs == f"{serve} cancel runs"
        with pytest.raises(CannotCancel) as refused:
            await store.plan_cancel_runs([rid], "ada")
        assert str(refused.value).endswith(f"{serve} cancel runs")
    finally:
        await store.close()
    assert runs.state(rid) == ("running", "")


async def test_an_audit_table_before_0009_takes_ends_and_no_run_rows(
    service_writer: ServiceDb,
) -> None:
    """The audit table as 0006 made it (no target, run_id): a cancel writes the runs and
    keeps no row (`run_audit_missing` says why); an end still keeps its row."""
    db = service_writer
    runs = ServiceRuns(db)
    rid = runs.running()
    sid = db.session(db.now_minus(600))
    await upgrade(resolve_target(url=db.url))
    for column in ("target", "run_id"):  # the table as 0006 made it
        db.run(f"ALTER TABLE sessions_tui_audit DROP COLUMN {column}")
    store = await open_store(resolve_target(url=db.url))
    try:
        assert store.schema.audit_table and not store.schema.audit_targets
        assert store.run_audit_missing is not None and "0009" in store.run_audit_missing
        assert await store.cancel_runs([rid], "ada") == [RunCancelled(rid)]
        await store.end_sessions([sid], "reset-requested", "ada")
        entries = (await store.audit_entries()).entries
    finally:
        await store.close()
    assert runs.state(rid)[0] == "cancelled"
    assert db.run("SELECT count(*) FROM sessions_tui_audit") == "1"
    assert [(e.target, e.session_id, e.run_id) for e in entries] == [("session", sid, None)]


@pytest.mark.parametrize("era", ERAS)
async def test_a_cancel_at_each_era(
    empty_db_url: str, backend: str, era: str, request: pytest.FixtureRequest
) -> None:
    """Every era's runs table has what the rule reads and writes: a run is cancelled,
    also before 016 (where ending is refused, `ended_reason` missing); its audit row
    names the conversation's owner from v0.4 on (users), none before."""
    target = await create_service_db(empty_db_url, era=era)
    if backend == "postgresql":
        server = request.getfixturevalue("pg_server")
        dbname = empty_db_url.rsplit("/", 1)[1]
        db = ServiceDb(empty_db_url, pg=True, server=server, dbname=dbname)
    else:
        db = ServiceDb(empty_db_url, pg=False, path=target.path)
    runs = ServiceRuns(db)
    owned = ERAS.index(era) >= ERAS.index("v0.4")
    first, second = (runs.running_owned("Ada") if owned else runs.running() for _ in range(2))
    store = await open_store(target)  # as the service left it: no audit table
    try:
        assert store.can_cancel_runs is None
        assert (store.can_end is None) is (era != "pre-016")
        assert store.run_audit_missing is not None and "no sessions_tui_audit" in (
            store.run_audit_missing
        )
        assert await store.cancel_runs([first], "ada") == [RunCancelled(first)]
    finally:
        await store.close()
    store = await _migrated(db)
    try:
        assert await store.cancel_runs([second], "ada") == [RunCancelled(second)]
        (entry,) = (await store.audit_entries()).entries
    finally:
        await store.close()
    assert runs.state(first)[0] == runs.state(second)[0] == "cancelled"
    assert (entry.target, entry.run_id, entry.outcome) == ("run", second, "cancelled")
    assert entry.owner == ("Ada" if owned else None)


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_a_file_swapped_during_a_cancel_writes_nothing(tmp_path: Path, layout: str) -> None:
    """Swapped after the cancel's first check, before it holds the write lock: the check
    made again under the lock refuses, and neither file is written (as for an end)."""
    swap = await swappable(tmp_path, layout)
    rid = uuid.uuid4().hex
    for path in (swap.first, swap.second):  # the same running run in both files
        db = ServiceDb(f"sqlite:///{path}", pg=False, path=path)
        ServiceRuns(db).start(ServiceRuns(db).create(rid=rid))
    store = await open_store(sqlite_target(swap.path))
    try:
        cancelling = asyncio.create_task(store.cancel_runs([rid], "ada"))
        await asyncio.sleep(0)  # the task's first step: the first check, then the driver
        assert not cancelling.done()
        swap.swap()
        with pytest.raises(FileMoved, match="replaced by another file; nothing was written"):
            await cancelling
    finally:
        await store.close()
    for path in (swap.first, swap.second):
        runs = ServiceRuns(ServiceDb(f"sqlite:///{path}", pg=False, path=path))
        assert runs.state(rid) == ("running", "")
