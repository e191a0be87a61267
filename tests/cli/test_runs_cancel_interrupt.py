"""Ctrl-C in the middle of a multi-batch `runs cancel`, in a real process on each
backend: the batches committed stay cancelled (with their audit rows), and the cancel
says so, run by run and counted, never a bare "Aborted!".

The cancel is held mid-way by the test as an end is (`tests.support.interrupted_write`):
on PostgreSQL a run of its second batch is locked; on SQLite the test takes the write
lock in the pause after a batch. SIGINT goes in then."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.interrupted_write import interrupt_mid_write
from tests.support.service_writes import ServiceDb
from tui.store.limits import END_BATCH
from tui.store.migrate import upgrade
from tui.store.target import resolve_target


def _seed(db: ServiceDb, n: int) -> list[str]:
    """`n` running runs of one conversation: `createWorkflowRun` then
    `updateWorkflowRun(id, {status: 'running'})` (packages/core/src/db/workflows.ts@v0.9.0),
    in one statement each for all of them."""
    conv = db.new_id()
    db.run(
        "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
        f" VALUES ('{conv}', 'web', 'W-{conv[:8]}')"
    )
    ids = sorted(db.new_id() for _ in range(n))
    db.run(
        "INSERT INTO remote_agent_workflow_runs"
        " (id, workflow_name, conversation_id, user_message, metadata) VALUES "
        + ", ".join(f"('{r}', 'fix-issue', '{conv}', 'do it', '{{}}')" for r in ids)
    )
    db.run("UPDATE remote_agent_workflow_runs SET status = 'running'")
    return ids


async def test_ctrl_c_mid_cancel_says_what_was_written_and_what_was_left(
    service_writer: ServiceDb, tmp_path: Path
) -> None:
    db = service_writer
    await upgrade(resolve_target(url=db.url))
    ids = _seed(db, 3 * END_BATCH + 10)
    said = await interrupt_mid_write(
        db,
        tmp_path,
        ["runs", "cancel", *ids, "--yes"],
        table="remote_agent_workflow_runs",
        held=ids[END_BATCH],  # the first id of the second batch (ids are written sorted)
        done_sql="SELECT count(*) FROM remote_agent_workflow_runs WHERE status = 'cancelled'",
    )

    stdout, stderr = said.stdout, said.stderr
    assert said.returncode == 1, stderr
    assert "Aborted!" not in stderr and "Traceback" not in stderr
    said_done = set(re.findall(r"^cancelled (\S+)$", stdout, re.M))
    said_left = set(re.findall(r"^not written (\S+): not cancelled$", stderr, re.M))
    assert said_done | said_left == set(ids) and not said_done & said_left
    assert len(said_done) >= END_BATCH and said_left
    assert "the cancel stopped part-way (interrupted)" in stderr
    assert f"{len(said_done)} cancelled by this cancel, 0 already finished" in stderr
    assert f"{len(said_left)} not written" in stderr

    rows = db.run("SELECT id, status FROM remote_agent_workflow_runs").splitlines()
    in_db = dict(r.split("|") for r in rows)
    assert {rid for rid, status in in_db.items() if status == "cancelled"} == said_done
    audited = db.run("SELECT run_id FROM sessions_tui_audit WHERE target = 'run'").splitlines()
    assert sorted(audited) == sorted(said_done)
