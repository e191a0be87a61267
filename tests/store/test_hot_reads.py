"""The hot reads on the bare driver (`tui.store.hot`, `backends/*_reader.py`): one SQL
text per statement shape whatever its values, rows decoded as the engine's column types
decode them, and no lock left behind once a read returns."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.dbs import create_service_db
from tests.support.sql_log import sql_log
from tests.support.sqlite_files import sqlite_file
from tui.domain.models import SessionFilter, SortKey, Status
from tui.store.backends import sqlite_reader
from tui.store.codec import STUCK_COLUMNS, decode_list_row, list_row_decoder
from tui.store.store import open_store
from tui.store.target import DbTarget, sqlite_target

REASONS = ("reset-requested", "cwd-changed", "conversation-closed")


async def test_a_value_or_a_cursor_changes_the_arguments_never_the_sql(
    service_db: DbTarget,
) -> None:
    """Each filter value and each page's cursor is a bound value: the driver is sent one
    text per shape (asyncpg prepares it once per connection), and the pages are those
    of the values asked for."""
    store = await open_store(service_db, read_only=True)
    try:
        with sql_log(store) as first_pages:
            pages = [
                await store.list_sessions(SessionFilter(reasons=frozenset({r})), limit=3)
                for r in REASONS
            ]
        for reason, page in zip(REASONS, pages, strict=True):
            assert page.rows and {row.ended_reason for row in page.rows} == {reason}
        assert len(first_pages) == len(REASONS) and len(set(first_pages)) == 1, first_pages

        flt = SessionFilter(status=Status.ENDED)
        cursor = (await store.list_sessions(flt, limit=2)).next_cursor
        seen_ids: list[str] = []
        with sql_log(store) as next_pages:
            for _ in range(3):
                assert cursor is not None
                page = await store.list_sessions(flt, cursor=cursor, limit=2)
                seen_ids += [row.id for row in page.rows]
                cursor = page.next_cursor
        assert len(set(next_pages)) == 1, next_pages
        assert len(seen_ids) == len(set(seen_ids)) == 6, "each page goes on from its cursor"

        with sql_log(store) as durations:  # "now" is a value too
            for _ in range(2):
                await store.list_sessions(flt, SortKey.DURATION, limit=2)
        # One text for both. A short read that outgrows the event loop is started again
        # on a reading thread (`Reader.run`): the same text, sent once more.
        assert len(durations) >= 2 and len(set(durations)) == 1, durations
    finally:
        await store.close()


def _odd_rows() -> list[tuple[dict[str, Any], str]]:
    """Raw rows as the drivers hand them over, one oddity each."""
    base: dict[str, Any] = {
        "id": "a1",
        "conversation_id": "c1",
        "codebase_id": None,
        "ai_assistant_type": "claude",
        "active": 1,
        "started_at": "2026-03-01 10:00:00",
        "ended_at": None,
        "ended_reason": None,
        "transition_reason": "first-message",
        "started_at_text": "2026-03-01 10:00:00",
        "parent_session_id": None,
        "platform_type": "web",
        "platform_conversation_id": "p1",
        "title": "a title",
        "last_activity_at": "2026-03-01T10:05:00Z",
        "codebase_name": "repo",
        "conversation_codebase_id": "cb1",
        "owner": None,
        "conversation_deleted": 0,
        "conversation_hidden": None,
        **dict.fromkeys(STUCK_COLUMNS.values(), 0),
        "_sort_key": "2026-03-01 10:00:00",
    }
    uuid_like = type("Uuid", (), {"__str__": lambda self: "0f0e-uuid"})()
    odd: list[tuple[dict[str, Any], str]] = [(base, "as the service writes it")]
    for active in (0, 2, -1, "yes", 0.5, 1.0, b"\x01", None, True, False):
        odd.append(({**base, "active": active}, f"active {active!r}"))
    odd += [
        ({**base, "title": b"A\xed\xa0\x80B"}, "a BLOB title"),
        ({**base, "id": b"a1", "conversation_id": uuid_like}, "ids as bytes and a UUID"),
        ({**base, "started_at": "not-a-date", "started_at_text": "not-a-date"}, "text start"),
        ({**base, "started_at": None, "started_at_text": None}, "no start"),
        (
            {**base, "started_at": datetime(2026, 3, 1, 10), "ended_at": datetime.now(UTC)},
            "datetimes (PostgreSQL)",
        ),
        ({**base, "conversation_deleted": True, "conversation_hidden": 1}, "flags"),
        ({**base, **dict.fromkeys(STUCK_COLUMNS.values(), 1)}, "every stuck kind"),
        ({**base, **dict.fromkeys(STUCK_COLUMNS.values(), None)}, "no duplicate mark"),
    ]
    return odd


@pytest.mark.parametrize(
    ("raw", "what"), _odd_rows(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_the_positional_decoder_gives_what_decode_list_row_gives(
    raw: dict[str, Any], what: str
) -> None:
    names, row = tuple(raw), tuple(raw.values())
    decode = list_row_decoder(names)
    for now in (datetime(2026, 3, 1, 10, 30, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)):
        for threshold in (timedelta(hours=1), timedelta(days=30)):
            expected = decode_list_row(raw).with_idle(now, threshold)
            assert decode(row, now, threshold) == expected, (what, now, threshold)
            assert decode(row, now, threshold) == expected, "read again: the same"


async def test_a_read_keeps_no_lock_once_it_returns(tmp_path: Path) -> None:
    """SQLite: a rollback-journal file, where a reader's shared lock keeps a writer from
    committing. After each hot read returns, a writer that waits for nothing (the
    service's, on a lock, fails at once) gets the file's exclusive lock."""
    db = tmp_path / "archon.db"
    await create_service_db(f"sqlite:///{db}", sessions=120)
    with sqlite_file(db) as conn:
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    writer = sqlite3.connect(db, timeout=0, isolation_level=None)
    store = await open_store(sqlite_target(db), read_only=True)
    try:
        reads = [
            store.list_sessions(SessionFilter(search="a"), limit=5),
            store.list_sessions(SessionFilter(reasons=frozenset(REASONS[:2])), limit=5),
            store.search_window(SessionFilter(search="zzz-nothing"), None, 5, 50),
            store.reason_counts(),
            store.reason_counts(),  # the incremental refresh
            store.stuck_counts(),
            store.counts(SessionFilter(status=Status.ACTIVE)),
        ]
        for read in reads:
            await read
            writer.execute("BEGIN EXCLUSIVE")
            writer.execute("ROLLBACK")
    finally:
        writer.close()
        await store.close()


async def test_a_short_read_is_limited_within_its_statements_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: a short read runs on the event loop, each statement of it within the CPU
    limit; BEGIN and ROLLBACK are not limited, however late they come. With the limit
    looked at every step and far away, every page is read on the loop (no reading
    thread starts); with no CPU at all allowed, each is stopped in its statement, rolled
    back and read on a thread, read after read: the loop's connection is never left in
    its transaction. The pages are the same either way."""
    db = tmp_path / "archon.db"
    await create_service_db(f"sqlite:///{db}", sessions=300)
    store = await open_store(sqlite_target(db), read_only=True)

    async def pages() -> list[tuple[list[str], Any]]:
        out = []
        for flt in (
            SessionFilter(status=Status.ENDED),
            SessionFilter(status=Status.ACTIVE),
            SessionFilter(reasons=frozenset(REASONS[:1])),
        ):
            page = await store.list_sessions(flt, limit=20)
            out.append(([row.id for row in page.rows], page.next_cursor))
            following = await store.list_sessions(flt, cursor=page.next_cursor, limit=20)
            out.append(([row.id for row in following.rows], following.next_cursor))
        return out

    def reading_threads() -> set[int | None]:
        return {t.ident for t in threading.enumerate() if t.name == "sessions-tui-read"}

    try:
        expected = await pages()
        assert all(ids for ids, _ in expected)
        monkeypatch.setattr(sqlite_reader, "PROGRESS_STEPS", 1)
        monkeypatch.setattr(sqlite_reader, "INLINE_CPU_S", 60.0)
        before = reading_threads()
        for _ in range(3):
            assert await pages() == expected
        assert reading_threads() <= before, "a short read went to a reading thread"

        monkeypatch.setattr(sqlite_reader, "INLINE_CPU_S", 0.0)
        for _ in range(3):
            assert await pages() == expected
        assert reading_threads() - before, "each read was stopped on the loop"
        monkeypatch.setattr(sqlite_reader, "INLINE_CPU_S", 60.0)
        assert await pages() == expected
    finally:
        await store.close()
