"""A bounded soak: the dashboard refreshing every 0.5 s while a writer acts as the
service on the same SQLite file (WAL mode): it starts sessions, ends them (its own
unconditional UPDATE) and deletes old ended ones by retention. Afterwards memory is
flat, the WAL did not grow without bound, every count matches SQL, and nothing the
writer wrote was lost or changed but the sessions the dashboard ended meanwhile.

45 s of writing (about 60 s with set-up) in CI; `SESSIONS_TUI_SOAK_SECONDS=600` for a
long run. Marked `soak` (`-m "not soak"` leaves it out while developing)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from tests.support.app_helpers import app_for, main_screen, ready, settle, wait_until
from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tui.domain.models import Counts
from tui.store.target import sqlite_target

SECONDS = float(os.environ.get("SESSIONS_TUI_SOAK_SECONDS", "45"))
RSS_GROWTH_MB = 12.0
"""Allowed RSS growth from the end of warm-up (a quarter of the run) to the end."""
WAL_LIMIT_MB = 16.0
"""SQLite checkpoints at 1,000 pages (4 MB); a reader that pinned old snapshots would
let the WAL grow past any bound."""

pytestmark = pytest.mark.soak


@dataclass
class Writer:
    """The service's writes, from its own connection and thread."""

    path: Path
    stop: threading.Event = field(default_factory=threading.Event)
    alive: dict[str, int] = field(default_factory=dict)
    """Every session it started and did not delete, with the `active` it last wrote."""
    deleted: set[str] = field(default_factory=set)
    writes: int = 0
    error: BaseException | None = None

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conv = conn.execute("SELECT id FROM remote_agent_conversations LIMIT 1").fetchone()[0]
            while not self.stop.is_set():
                self._step(conn, conv)
                time.sleep(0.02)
            conn.close()
        except BaseException as exc:  # the test thread reports it
            self.error = exc

    def _step(self, conn: sqlite3.Connection, conv: str) -> None:
        sid = uuid.uuid4().hex
        conn.execute(
            "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type, active,"
            " started_at) VALUES (?, ?, 'claude', 1, datetime('now'))",
            (sid, conv),
        )
        self.alive[sid] = 1
        self.writes += 1
        if self.writes % 3 == 0:  # the service's deactivateSession: no `AND active`
            victim = next(s for s, a in self.alive.items() if a == 1)
            conn.execute(
                "UPDATE remote_agent_sessions SET active = 0, ended_at = datetime('now'),"
                " ended_reason = 'conversation-closed' WHERE id = ?",
                (victim,),
            )
            self.alive[victim] = 0
        if self.writes % 5 == 0:  # retention: the oldest ended sessions go
            gone = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM remote_agent_sessions WHERE active = 0"
                    " ORDER BY ended_at, id LIMIT 2"
                )
            ]
            conn.executemany("DELETE FROM remote_agent_sessions WHERE id = ?", [(g,) for g in gone])
            for g in gone:
                self.deleted.add(g)
                self.alive.pop(g, None)


def _sql_counts(path: Path) -> tuple[int, int, int]:
    with sqlite_file(path) as conn:
        row = conn.execute(
            "SELECT count(*), sum(active = 1), sum(active = 0) FROM remote_agent_sessions"
        ).fetchone()
    return int(row[0]), int(row[1] or 0), int(row[2] or 0)


def _wal_mb(path: Path) -> float:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size / 1e6 if wal.exists() else 0.0


async def test_the_dashboard_soaks_under_the_services_writes(tmp_path: Path) -> None:
    path = tmp_path / "archon.db"
    await create_service_db(f"sqlite:///{path}", sessions=400)
    with sqlite_file(path) as conn:
        conn.execute("PRAGMA journal_mode=wal")
    writer = Writer(path)
    me = psutil.Process()
    rss: list[float] = []
    wal: list[float] = []
    app = app_for(sqlite_target(path), refresh_seconds=0.5)
    async with app.run_test(size=(170, 45)) as pilot:
        await ready(pilot)
        thread = threading.Thread(target=writer.run, daemon=True)
        thread.start()
        started = time.monotonic()
        mine: set[str] = set()  # ended from the dashboard, racing the writer
        while (elapsed := time.monotonic() - started) < SECONDS:
            await pilot.pause(0.5)  # the app runs its ticks meanwhile
            if len(rss) % 10 == 5:
                running = [s for s, a in list(writer.alive.items()) if a == 1]
                if running:
                    mine.add(running[-1])
                    main_screen(app).end_flow.end_sessions(
                        [running[-1]], "reset-requested", "soak@ci"
                    )
            rss.append(me.memory_info().rss / 1e6)
            wal.append(_wal_mb(path))
            assert writer.error is None, writer.error
            assert app.is_running
            if elapsed > 2:  # connected: live, or a query waiting its turn on a loaded machine
                status = str(main_screen(app).status_bar.render())
                assert "live" in status or "query waiting" in status, status
        writer.stop.set()
        thread.join(10)
        assert writer.error is None, writer.error
        screen = main_screen(app)
        # The loop's last end may still be writing: SQL is read once every write landed.
        await settle(pilot)
        screen.action_refresh()  # a full count: deletions are seen by full counts only
        total, active, ended = _sql_counts(path)
        await wait_until(
            pilot,
            lambda: screen.status_bar.counts == Counts(active, ended, total),
            "the header's counts equal SQL's",
        )
        await settle(pilot)
        assert screen.reason_panel.border_subtitle == f"{ended:,} ended · {active:,} active"
        shown = screen.table.ids
        with sqlite_file(path) as conn:
            newest = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC, id DESC"
                    f" LIMIT {len(shown)}"
                )
            ]
        assert shown == newest, "the table shows the newest sessions, as SQL orders them"
    with sqlite_file(path) as conn:
        stored = dict(conn.execute("SELECT id, active FROM remote_agent_sessions"))
    assert writer.writes > SECONDS * 10, writer.writes
    lost = {sid for sid in writer.alive if sid not in stored}
    assert not lost, f"{len(lost)} sessions the writer wrote are gone"
    assert mine, "the dashboard ended sessions during the run"
    for sid, act in writer.alive.items():
        assert stored[sid] == (0 if sid in mine else act), "a session changed"
    assert not (writer.deleted & set(stored)), "a deleted session came back"
    warm = max(1, len(rss) // 4)
    print(  # the figures, for `pytest -rP` and the README
        f"soak {SECONDS:g}s: {writer.writes} writes, {len(writer.deleted)} deleted, "
        f"RSS {max(rss[:warm]):.1f} -> {max(rss[warm:]):.1f} MB, WAL max {max(wal):.2f} MB"
    )
    assert max(rss[warm:]) - max(rss[:warm]) < RSS_GROWTH_MB, (rss[:warm][-3:], rss[-3:])
    assert max(wal) < WAL_LIMIT_MB, max(wal)
