"""A multi-batch write of the CLI (`end`, `runs cancel`) in a real process, held mid-way
and interrupted with SIGINT, as an operator's Ctrl-C does.

The write is held by the test once its first batch committed: on PostgreSQL a row of
its second batch is locked (the write waits on it, seen in pg_stat_activity); on SQLite
the test takes the write lock in the pause after a batch, as a service write does."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tests.support.cli_env import process_env
from tests.support.service_writes import ServiceDb
from tui.store.limits import END_BATCH
from tui.store.store import make_engine
from tui.store.target import resolve_target

WAIT_S = 120.0


@dataclass(frozen=True)
class Interrupted:
    """What the interrupted process said and how it ended."""

    returncode: int | None
    stdout: str
    stderr: str


def _ctrl_c_as_at_a_terminal() -> None:
    """In the child: SIGINT's default action, as a process started from a terminal has. A
    runner started in the background (`cmd &` in a shell without job control) ignores
    SIGINT, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not await check():
        assert loop.time() < deadline, f"not within {WAIT_S:g} s: {what}"
        await asyncio.sleep(0.01)


async def interrupt_mid_write(
    db: ServiceDb, tmp_path: Path, args: list[str], *, table: str, held: str, done_sql: str
) -> Interrupted:
    """`sessions-tui --url <db> <args>`, interrupted once `done_sql` counts a whole batch
    written, with the row `held` of `table` (in its second batch) locked on PostgreSQL
    or the write lock taken on SQLite."""
    env = process_env(tmp_path)
    engine = make_engine(resolve_target(url=db.url))
    lite: sqlite3.Connection | None = None
    try:
        async with engine.connect() as holder, engine.connect() as watcher:
            if db.pg:
                await holder.execute(
                    sa.text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE"), {"id": held}
                )
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tui", "--url", db.url, *args,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
                preexec_fn=_ctrl_c_as_at_a_terminal,
            )  # fmt: skip

            async def first_batch_committed() -> bool:
                assert proc.returncode is None, "the write finished before it was held"
                count = int((await watcher.execute(sa.text(done_sql))).scalar_one())
                await watcher.rollback()  # no read lock kept between two looks
                return count >= END_BATCH

            await until(first_batch_committed, "the first batch committed")
            if db.pg:

                async def waits_for_the_row() -> bool:
                    waiting = await watcher.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                            " 'sessions-tui' AND wait_event_type = 'Lock'"
                        )
                    )
                    return int(waiting.scalar_one()) > 0

                await until(waits_for_the_row, "the write waiting for the held row")
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
    return Interrupted(proc.returncode, out.decode(), err.decode())
