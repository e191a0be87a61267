"""Ctrl-C in the middle of a multi-batch `end`, in a real process on each backend: the
batches committed stay ended (with their audit rows), and the end says so, session by
session and counted, as any interrupted end does, never a bare "Aborted!".

The end is held mid-way by the test (`tests.support.interrupted_write`): on PostgreSQL a
row of its second batch is locked (the end waits on it, seen in pg_stat_activity); on
SQLite the test takes the write lock in the pause after a batch, as a service write
does. SIGINT goes in then."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.interrupted_write import interrupt_mid_write
from tests.support.service_writes import ServiceDb
from tui.store.migrate import upgrade
from tui.store.store import END_BATCH
from tui.store.target import resolve_target


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


async def test_ctrl_c_mid_end_says_what_was_written_and_what_was_left(
    service_writer: ServiceDb, tmp_path: Path
) -> None:
    db = service_writer
    await upgrade(resolve_target(url=db.url))  # the audit table: the committed batches are audited
    ids = _seed(db, 3 * END_BATCH + 10)
    said = await interrupt_mid_write(
        db,
        tmp_path,
        ["end", *ids, "--reason", "reset-requested", "--yes"],
        table="remote_agent_sessions",
        held=ids[END_BATCH],  # the first id of the second batch (ids are written sorted)
        done_sql="SELECT count(*) FROM remote_agent_sessions WHERE NOT active",
    )

    stdout, stderr = said.stdout, said.stderr
    assert said.returncode == 1, stderr
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
