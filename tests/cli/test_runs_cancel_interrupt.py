"""Ctrl-C in the middle of a multi-batch `runs cancel`, in a real process on each
backend: the batches committed stay cancelled (with their audit rows), and the cancel
says so, run by run and counted, never a bare "Aborted!".

The cancel is held mid-way by the test, as tests/cli/test_end_interrupt.py holds an end:
on PostgreSQL a run of its second batch is locked (the cancel waits on it, seen in
pg_stat_activity); on SQLite the test takes the write lock in the pause after a batch,
as a service write does. SIGINT goes in then."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import sqlalchemy as sa

from tests.support.service_writes import ServiceDb
from tui.store.limits import END_BATCH
from tui.store.migrate import upgrade
from tui.store.store import make_engine
from tui.store.target import resolve_target

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 120.0


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


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not await check():
        assert loop.time() < deadline, f"not within {WAIT_S:g} s: {what}"
        await asyncio.sleep(0.01)


async def test_ctrl_c_mid_cancel_says_what_was_written_and_what_was_left(
    service_writer: ServiceDb, tmp_path: Path
) -> None:
    db = service_writer
    target = resolve_target(url=db.url)
    await upgrade(target)
    ids = _seed(db, 3 * END_BATCH + 10)
    held = ids[END_BATCH]  # the first id of the second batch (ids are written sorted)
    done_sql = "SELECT count(*) FROM remote_agent_workflow_runs WHERE status = 'cancelled'"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "ARCHON_HOME": str(tmp_path / "archon-home"),
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    env.pop("DATABASE_URL", None)
    engine = make_engine(target)
    lite: sqlite3.Connection | None = None
    try:
        async with engine.connect() as holder, engine.connect() as watcher:
            if db.pg:
                await holder.execute(
                    sa.text("SELECT id FROM remote_agent_workflow_runs WHERE id = :id FOR UPDATE"),
                    {"id": held},
                )
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tui", "--url", db.url, "runs", "cancel", *ids, "--yes",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
            )  # fmt: skip

            async def first_batch_committed() -> bool:
                assert proc.returncode is None, "the cancel finished before it was held"
                count = int((await watcher.execute(sa.text(done_sql))).scalar_one())
                await watcher.rollback()
                return count >= END_BATCH

            await _until(first_batch_committed, "the first batch committed")
            if db.pg:

                async def cancel_waits_for_the_row() -> bool:
                    waiting = await watcher.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                            " 'sessions-tui' AND wait_event_type = 'Lock'"
                        )
                    )
                    return int(waiting.scalar_one()) > 0

                await _until(cancel_waits_for_the_row, "the cancel waiting for the held run")
            else:
                assert db.path is not None
                lite = sqlite3.connect(db.path, isolation_level=None, timeout=WAIT_S)
                lite.execute("BEGIN IMMEDIATE")  # in the pause between two batches
                assert proc.returncode is None
            proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), WAIT_S)
            if lite is not None:
                lite.execute("ROLLBACK")
            await holder.rollback()
    finally:
        if lite is not None:
            lite.close()
        await engine.dispose()

    stdout, stderr = out.decode(), err.decode()
    assert proc.returncode == 1, stderr
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
