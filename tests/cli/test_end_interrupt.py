"""Ctrl-C in the middle of a multi-batch `end`, in a real process on each backend: the
batches committed stay ended (with their audit rows), and the end says so, session by
session and counted, as any interrupted end does, never a bare "Aborted!".

The end is held mid-way by the test: on PostgreSQL a row of its second batch is locked
(the end waits on it, seen in pg_stat_activity); on SQLite the test takes the write lock
in the pause after a batch, as a service write does. SIGINT goes in then."""

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
from tui.store.migrate import upgrade
from tui.store.store import END_BATCH, make_engine
from tui.store.target import resolve_target

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 120.0


def _seed(db: ServiceDb, n: int) -> list[str]:
    """`n` active sessions, each on its own conversation, in two statements."""
    ids = sorted(db.new_id() for _ in range(n))
    convs = [db.new_id() for _ in range(n)]
    active = "true" if db.pg else "1"
    db.run(
        "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
        " VALUES " + ", ".join(f"('{c}', 'slack', 'C-{c[:8]}')" for c in convs)
    )
    db.run(
        "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type, active,"
        " started_at) VALUES "
        + ", ".join(
            f"('{s}', '{c}', 'claude', {active}, {db.now_minus(600)})"
            for s, c in zip(ids, convs, strict=True)
        )
    )
    return ids


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not await check():
        assert loop.time() < deadline, f"not within {WAIT_S:g} s: {what}"
        await asyncio.sleep(0.01)


async def test_ctrl_c_mid_end_says_what_was_written_and_what_was_left(
    service_writer: ServiceDb, tmp_path: Path
) -> None:
    db = service_writer
    target = resolve_target(url=db.url)
    await upgrade(target)  # the audit table: the committed batches are audited
    ids = _seed(db, 3 * END_BATCH + 10)
    held = ids[END_BATCH]  # the first id of the second batch (ids are written sorted)
    ended_sql = "SELECT count(*) FROM remote_agent_sessions WHERE NOT active"

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
                    sa.text("SELECT id FROM remote_agent_sessions WHERE id = :id FOR UPDATE"),
                    {"id": held},
                )
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tui", "--url", db.url, "end", *ids,
                "--reason", "reset-requested", "--yes",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
            )  # fmt: skip

            async def first_batch_committed() -> bool:
                assert proc.returncode is None, "the end finished before it was held"
                count = int((await watcher.execute(sa.text(ended_sql))).scalar_one())
                await watcher.rollback()  # no read lock kept between two looks
                return count >= END_BATCH

            await _until(first_batch_committed, "the first batch committed")
            if db.pg:

                async def end_waits_for_the_row() -> bool:
                    waiting = await watcher.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                            " 'sessions-tui' AND wait_event_type = 'Lock'"
                        )
                    )
                    return int(waiting.scalar_one()) > 0

                await _until(end_waits_for_the_row, "the end waiting for the held row")
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
    said_ended = set(re.findall(r"^ended (\S+) \(reset-requested\)$", stdout, re.M))
    said_left = set(re.findall(r"^not written (\S+): still active$", stderr, re.M))
    assert said_ended | said_left == set(ids) and not said_ended & said_left
    assert len(said_ended) >= END_BATCH and said_left
    assert "the end stopped part-way (interrupted)" in stderr
    assert f"{len(said_ended)} ended by this end, 0 already ended" in stderr
    assert f"{len(said_left)} left active (not written)" in stderr

    active = "active::int" if db.pg else "active"
    rows = db.run(f"SELECT id, {active} FROM remote_agent_sessions").splitlines()
    in_db = {sid: flag for sid, flag in (r.split("|") for r in rows)}
    assert {sid for sid, flag in in_db.items() if flag == "0"} == said_ended
    audited = db.run("SELECT session_id FROM sessions_tui_audit").splitlines()
    assert sorted(audited) == sorted(said_ended)
