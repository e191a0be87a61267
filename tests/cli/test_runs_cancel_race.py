"""`runs cancel` racing the service's own writes: 5 processes on one running run, 3
`sessions-tui runs cancel` and 2 of the service's `completeWorkflowRun`
(packages/core/src/db/workflows.ts@v0.9.0, a compare-and-set from `running`). Exactly
one of them writes; every other one finds the winner's status and time and leaves them.

On PostgreSQL the run's row is held (FOR UPDATE) until all 5 wait on it, so they are
let go together; on SQLite they race as they start (its lock waiters cannot be counted).
Several of each kind, so a cancel loses to a cancel and to the service, and the service
to either; a further writer of a kind only takes the path its kind already takes.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.cli_env import process_env
from tests.support.run_cancel_rows import ServiceRuns, said_time
from tests.support.service_writes import ServiceDb
from tui.store.migrate import upgrade
from tui.store.store import make_engine
from tui.store.target import resolve_target

WAIT_S = 180.0
CANCELS, COMPLETES = 3, 2

pytestmark = pytest.mark.long

# The service's completeWorkflowRun, on its own connection, printing its rowCount.
SERVICE_COMPLETE = """
import asyncio, sqlite3, sys
url, rid = sys.argv[1], sys.argv[2]
if url.startswith("sqlite"):
    sql = ("UPDATE remote_agent_workflow_runs SET status = 'completed',"
           " completed_at = datetime('now') WHERE id = ? AND status = 'running'")
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=120)
    print(conn.execute(sql, (rid,)).rowcount)
    conn.commit()
else:
    import asyncpg
    sql = ("UPDATE remote_agent_workflow_runs SET status = 'completed',"
           " completed_at = NOW() WHERE id = $1 AND status = 'running'")
    async def main():
        conn = await asyncpg.connect(url, server_settings={"application_name": "archon"})
        tag = await conn.execute(sql, rid)
        await conn.close()
        print(tag.split()[-1])
    asyncio.run(main())
"""


async def _until_waiting(watcher: sa.ext.asyncio.AsyncConnection, count: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    sql = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name IN"
        " ('sessions-tui', 'archon') AND wait_event_type = 'Lock'"
    )
    while True:
        waiting = int((await watcher.execute(sql)).scalar_one())
        await watcher.rollback()
        if waiting >= count:
            return
        assert loop.time() < deadline, f"{waiting} of {count} writers waiting after {WAIT_S:g} s"
        await asyncio.sleep(0.05)


async def test_racing_writers_one_winner_nothing_overwritten(
    service_writer: ServiceDb, tmp_path: Path
) -> None:
    db = service_writer
    target = resolve_target(url=db.url)
    await upgrade(target)
    runs = ServiceRuns(db)
    rid = runs.running()
    env = process_env(tmp_path)
    pipe = asyncio.subprocess.PIPE

    async def spawn(*args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=pipe, stderr=pipe, env=env
        )

    engine = make_engine(target)
    try:
        async with engine.connect() as holder, engine.connect() as watcher:
            if db.pg:
                await holder.execute(
                    sa.text("SELECT id FROM remote_agent_workflow_runs WHERE id = :id FOR UPDATE"),
                    {"id": rid},
                )
            cli = ("-m", "tui", "--url", db.url, "runs", "cancel", rid, "--yes", "--actor")
            cancels = [await spawn(*cli, f"p{n}") for n in range(CANCELS)]
            completes = [await spawn("-c", SERVICE_COMPLETE, db.url, rid) for _ in range(COMPLETES)]
            if db.pg:
                await _until_waiting(watcher, CANCELS + COMPLETES)
                await holder.rollback()  # all of them go at once
            said = [await asyncio.wait_for(p.communicate(), WAIT_S) for p in (*cancels, *completes)]
    finally:
        await engine.dispose()

    cancel_out = [
        (p.returncode, o.decode(), e.decode()) for p, (o, e) in zip(cancels, said, strict=False)
    ]
    complete_out = [
        (p.returncode, o.decode(), e.decode())
        for p, (o, e) in zip(completes, said[CANCELS:], strict=True)
    ]
    assert all(code == 0 and out.strip() in ("0", "1") for code, out, _ in complete_out), (
        complete_out
    )
    assert all("Error" not in err and "Traceback" not in err for _, _, err in cancel_out), (
        cancel_out
    )
    cancel_won = [out for code, out, _ in cancel_out if code == 0]
    service_won = [out for _, out, _ in complete_out if out.strip() == "1"]
    assert len(cancel_won) + len(service_won) == 1, (cancel_out, complete_out)
    assert all(out == f"cancelled {rid}\n" for out in cancel_won)

    status, completed_at = runs.state(rid)
    assert status == ("cancelled" if cancel_won else "completed")
    # Every losing cancel read the winner's status and time back, untouched.
    finished = [
        re.fullmatch(rf"already finished {rid}: (\w+) at (\S+) — nothing was overwritten\n", out)
        for code, out, _ in cancel_out
        if code == 1
    ]
    assert all(m is not None for m in finished), cancel_out
    assert {(m.group(1), m.group(2)) for m in finished if m} <= {(status, said_time(completed_at))}
    audit = db.run(
        "SELECT outcome, found_reason, actor FROM sessions_tui_audit WHERE run_id = "
        f"'{rid}' ORDER BY id"
    ).splitlines()
    rows = [line.split("|") for line in audit]
    assert len(rows) == CANCELS
    assert sum(r[0] == "cancelled" for r in rows) == len(cancel_won)
    assert all(r[1] == status for r in rows)
    assert sorted(r[2] for r in rows) == sorted(f"p{n}" for n in range(CANCELS))
