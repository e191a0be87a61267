"""`runs cancel` through the real CLI on real databases: the service's own rule
(`cancelWorkflowRun`, packages/core/src/db/workflows.ts@v0.9.0), per-run outcomes and exit
codes as `end` has them, the confirmation's words (cooperative, no process stopped), the
service finishing a run while the operator reads the confirmation, refusals, and the
audit rows with their target.

Runs are written the way the service writes them (`ServiceRuns`).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.commit_cut import CommitCutProxy
from tests.support.dbs import Replica
from tests.support.pgserver import PgServer, PgStandby
from tests.support.run_cancel_rows import ServiceRuns, said_time
from tests.support.service_writes import ServiceDb
from tui.domain.run_cancel import COOPERATIVE_NOTE
from tui.store.migrate import upgrade
from tui.store.target import resolve_target


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


def _migrate(db: ServiceDb) -> None:
    asyncio.run(upgrade(resolve_target(url=db.url)))


def _audit(db: ServiceDb) -> list[dict[str, object]]:
    listed = invoke("--url", db.url, "audit", "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows: list[dict[str, object]] = json.loads(listed.stdout)["audit"]
    return rows


def test_each_run_gets_its_outcome_and_the_exit_code_of_end(service_writer: ServiceDb) -> None:
    db = service_writer
    runs = ServiceRuns(db)
    _migrate(db)
    running, failed, done = runs.running(), runs.running(), runs.running()
    runs.fail(failed)
    runs.complete(done)
    completed_at = runs.state(done)[1]
    missing = db.new_id()

    result = invoke(
        "--url", db.url, "runs", "cancel", running, failed, done, missing, "--yes",
        "--actor", "ada",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        f"cancelled {running}",
        f"cancelled {failed}",
        f"already finished {done}: completed at {said_time(completed_at)}"
        " — nothing was overwritten",
    ]
    assert result.stderr.splitlines() == [f"not found {missing}: no such workflow run"]
    assert [runs.state(r)[0] for r in (running, failed, done)] == [
        "cancelled", "cancelled", "completed",
    ]  # fmt: skip
    assert runs.state(done)[1] == completed_at

    rows = {row["run_id"]: row for row in _audit(db)}
    assert set(rows) == {running, failed, done}
    assert all(row["target"] == "run" and row["session_id"] is None for row in rows.values())
    assert all(row["actor"] == "ada" for row in rows.values())
    assert rows[running]["outcome"] == rows[failed]["outcome"] == "cancelled"
    assert rows[done]["outcome"] == "already-finished"
    assert rows[done]["found_reason"] == "completed"

    table = invoke("--url", db.url, "audit")
    assert table.exit_code == 0 and "TARGET" in table.stdout and "RUN_ID" in table.stdout
    assert table.stdout.count(" run ") >= 3

    again = invoke("--url", db.url, "runs", "cancel", running, "--yes")
    assert again.exit_code == 1 and again.stdout.startswith(f"already finished {running}: ")
    fresh = runs.create()
    assert invoke("--url", db.url, "runs", "cancel", fresh, "--yes").exit_code == 0


def test_dry_run_says_each_runs_status_and_the_cooperative_write(
    service_writer: ServiceDb,
) -> None:
    db = service_writer
    runs = ServiceRuns(db)
    pending, paused = runs.create(), runs.running()
    runs.pause(paused)
    # The column's default: `pending`, but `running` on PostgreSQL before v0.2.13
    # (migration 008 until 018_fix_workflow_status_default.sql), as in this era.
    created, _ = runs.state(pending)
    assert created == ("running" if db.pg else "pending")
    result = invoke("--url", db.url, "runs", "cancel", pending, paused, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"would cancel {pending} (currently {created}): status=cancelled")
    assert lines[1].startswith(f"would cancel {paused} (currently paused): ")
    assert COOPERATIVE_NOTE in lines and lines[-1] == "dry run: nothing changed"
    assert "cannot stop a process" in COOPERATIVE_NOTE and "between DAG layers" in COOPERATIVE_NOTE
    assert runs.state(pending) == (created, "") and runs.state(paused) == ("paused", "")
    # No audit table yet: said before anything is written, in one line.
    assert result.stderr.count("no audit row is kept for run cancels") == 1

    done = runs.running()
    runs.complete(done)
    mixed = invoke("--url", db.url, "runs", "cancel", pending, done, "--dry-run")
    assert mixed.exit_code == 1
    assert f"{done} is completed at " in mixed.stdout and "would be left unchanged" in mixed.stdout


class _AnswerAfter(io.BytesIO):
    """The operator's answer at the confirmation, typed after `meanwhile` ran: what the
    service does while the operator reads the prompt."""

    def __init__(self, answer: bytes, meanwhile: Callable[[], None]) -> None:
        super().__init__(answer)
        self.meanwhile: Callable[[], None] | None = meanwhile

    def _first(self) -> None:
        if self.meanwhile is not None:
            self.meanwhile, run = None, self.meanwhile
            run()

    def read(self, size: int | None = -1) -> bytes:
        if size != 0:  # click probes the stream with read(0) before the command runs
            self._first()
        return super().read(size)

    def readline(self, size: int | None = -1) -> bytes:
        self._first()
        return super().readline(size)

    def read1(self, size: int = -1) -> bytes:
        if size != 0:
            self._first()
        return super().read1(size)

    def readinto(self, buffer: Any) -> int:
        self._first()
        return super().readinto(buffer)


def test_the_confirmation_says_it_is_cooperative_and_no_answers_nothing(
    service_writer: ServiceDb,
) -> None:
    db = service_writer
    runs = ServiceRuns(db)
    rid = runs.running()
    result = invoke("--url", db.url, "runs", "cancel", rid, input="n\n")
    assert result.exit_code == 1
    assert COOPERATIVE_NOTE in result.stdout.splitlines()
    assert "Cancel 1 workflow run(s)? (cooperative: no process is stopped) [y/N]" in (result.stdout)
    assert "aborted, nothing changed" in result.stderr
    assert runs.state(rid) == ("running", "")

    confirmed = invoke("--url", db.url, "runs", "cancel", rid, input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert confirmed.stdout.endswith(f"cancelled {rid}\n")
    # No audit table: said once, before the question, not again after the write.
    assert confirmed.stderr.count("no audit row is kept for run cancels") == 1
    assert runs.state(rid)[0] == "cancelled"


def test_the_service_finishing_the_run_at_the_confirmation_is_kept(
    service_writer: ServiceDb,
) -> None:
    """Planned as running; the service completes it (`completeWorkflowRun`, its own
    compare-and-set) while the prompt waits; the operator says yes: the cancel's
    compare-and-set leaves the service's status and time, and says so (exit 1)."""
    db = service_writer
    runs = ServiceRuns(db)
    _migrate(db)
    rid = runs.running()
    answer = _AnswerAfter(b"y\n", lambda: runs.complete(rid))
    result = invoke("--url", db.url, "runs", "cancel", rid, "--actor", "ada", input=answer)  # type: ignore[arg-type]
    assert result.exit_code == 1, result.output
    assert f"would cancel {rid} (currently running)" in result.stdout
    assert f"already finished {rid}: completed at " in result.stdout
    assert runs.state(rid)[0] == "completed"
    (row,) = _audit(db)
    assert (row["outcome"], row["found_reason"], row["actor"]) == (
        "already-finished", "completed", "ada",
    )  # fmt: skip


def test_read_only_refuses_as_end_does(service_writer: ServiceDb) -> None:
    db = service_writer
    runs = ServiceRuns(db)
    rid = runs.running()
    sid = db.session(db.now_minus(600))
    cancelled = invoke("--url", db.url, "--read-only", "runs", "cancel", rid, "--yes")
    ended = invoke(
        "--url", db.url, "--read-only", "end", sid, "--reason", "reset-requested", "--yes"
    )
    assert cancelled.exit_code == ended.exit_code == 1
    why = ended.stderr.split(": ", 2)[-1]
    assert why == "opened read-only (--read-only)\n", ended.stderr
    assert cancelled.stderr.startswith(
        "Error: cannot cancel runs on "
    ) and cancelled.stderr.endswith(why)
    assert runs.state(rid) == ("running", "")


@pytest.mark.postgres
def test_a_standby_refuses_and_names_the_primary(
    replica_db: Replica, pg_server: PgServer, pg_standby: PgStandby
) -> None:
    dbname = replica_db.primary_url.rsplit("/", 1)[1]
    primary = ServiceDb(replica_db.primary_url, pg=True, server=pg_server, dbname=dbname)
    runs = ServiceRuns(primary)
    rid = runs.running()
    pg_standby.wait_for_replay()
    result = invoke("--url", replica_db.standby_url, "runs", "cancel", rid, "--yes")
    assert result.exit_code == 1
    assert "read-only standby (hot standby): cancel runs on the primary" in result.stderr
    assert runs.state(rid) == ("running", "")


def test_an_audit_table_before_0009_says_in_one_line_why_no_row_is_kept(
    service_writer: ServiceDb,
) -> None:
    """The audit table as 0006 made it: the cancel is written and says why it kept no
    row, in one line; an end on the same table keeps its row as before."""
    db = service_writer
    runs = ServiceRuns(db)
    _migrate(db)
    for column in ("target", "run_id"):
        db.run(f"ALTER TABLE sessions_tui_audit DROP COLUMN {column}")
    rid = runs.running()
    result = invoke("--url", db.url, "runs", "cancel", rid, "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"cancelled {rid}\n"
    notes = result.stderr.strip().splitlines()
    assert len(notes) == 1 and "no audit row is kept for run cancels" in notes[0], notes
    assert "0009" in notes[0] and "sessions-tui migrate" in notes[0]
    assert runs.state(rid)[0] == "cancelled"

    sid = db.session(db.now_minus(600))
    ended = invoke("--url", db.url, "end", sid, "--reason", "reset-requested", "--yes")
    assert ended.exit_code == 0 and ended.stderr == ""
    rows = _audit(db)
    assert [(r["session_id"], r["target"], r["run_id"]) for r in rows] == [(sid, "session", None)]


@pytest.mark.postgres
def test_a_cancel_whose_commit_answer_is_lost_says_outcome_unknown(new_york_db: ServiceDb) -> None:
    """The connection drops between the commit and its answer: the cancel re-reads
    its own audit rows and says what the database holds."""
    db = new_york_db
    runs = ServiceRuns(db)
    _migrate(db)
    ids = [runs.running() for _ in range(2)]
    with CommitCutProxy(db.url) as proxy:
        proxy.armed.set()
        result = invoke("--url", proxy.url, "runs", "cancel", *ids, "--yes")
        assert proxy.cut.is_set()
    assert result.exit_code == 1
    assert "outcome unknown" in result.stderr
    assert "2 cancelled by this cancel, 0 already finished, 0 not written" in result.stderr
    assert all(f"cancelled {r}" in result.stdout.splitlines() for r in ids)
    assert all(runs.state(r)[0] == "cancelled" for r in ids)


def test_a_unique_prefix_names_its_run_and_an_ambiguous_one_changes_nothing(
    service_writer: ServiceDb,
) -> None:
    """As `end` takes session ids: a unique prefix is the run it starts, a whole id in
    capitals is the run; a prefix several runs start with is refused before anything is
    written."""
    db = service_writer
    runs = ServiceRuns(db)
    head = "abcdef01"
    first, second = (
        (f"{head}-{n}000-4000-8000-000000000000" if db.pg else f"{head}{n}000") for n in (1, 2)
    )
    for rid in (first, second):
        runs.start(runs.create(rid=rid))
    ambiguous = invoke("--url", db.url, "runs", "cancel", head, "--yes")
    assert ambiguous.exit_code == 1
    assert "matches several runs" in ambiguous.stderr
    assert runs.state(first)[0] == runs.state(second)[0] == "running"

    by_prefix = invoke("--url", db.url, "runs", "cancel", head + "1", "--yes")
    assert by_prefix.exit_code == 0, by_prefix.output
    assert by_prefix.stdout == f"cancelled {first}\n"
    assert runs.state(first)[0] == "cancelled" and runs.state(second)[0] == "running"
    in_capitals = invoke("--url", db.url, "runs", "cancel", second.upper(), "--yes")
    assert in_capitals.exit_code == 0 and in_capitals.stdout == f"cancelled {second}\n"
