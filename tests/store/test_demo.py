"""The demo database is the same every time it is built from the same seed and anchor.

Screenshots, snapshots and the benchmark compare pictures and numbers across machines
and days: a single column left to the database's default (the build time) made the
detail screen's snapshot fail on every fresh clone.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.support.sqlite_files import sqlite_file
from tui.settings import demo_key, demo_path
from tui.store.demo import SERVICE_INDEXES, write_demo, write_demo_db
from tui.store.store import make_engine
from tui.store.tables import ACTIVE_INDEX
from tui.store.target import resolve_target

ANCHOR = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
TABLES = ("remote_agent_codebases", "remote_agent_conversations", "remote_agent_sessions")
TIMESTAMPS = {
    "remote_agent_codebases": ("created_at", "updated_at"),
    "remote_agent_conversations": ("created_at", "updated_at", "last_activity_at"),
    "remote_agent_sessions": ("started_at", "ended_at"),
}


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite_file(path) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}


def test_same_seed_and_anchor_same_file_every_column(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    asyncio.run(write_demo_db(a, n_sessions=400, seed=3, anchor=ANCHOR))
    asyncio.run(write_demo_db(b, n_sessions=400, seed=3, anchor=ANCHOR))
    first, second = _dump(a), _dump(b)
    assert all(first[t] for t in TABLES)
    assert first == second


def test_every_timestamp_comes_from_the_anchor_and_none_after_it(empty_db_url: str) -> None:
    """On both backends: no column is left to the database's clock at build time."""
    target = resolve_target(url=empty_db_url, must_exist=False)
    asyncio.run(write_demo(target, n_sessions=5000, seed=7, anchor=ANCHOR))

    async def bounds() -> dict[str, tuple[datetime, datetime, int]]:
        engine = make_engine(target)
        found: dict[str, tuple[datetime, datetime, int]] = {}
        try:
            async with engine.connect() as conn:
                for table, columns in TIMESTAMPS.items():
                    for column in columns:
                        row = (
                            await conn.execute(
                                sa.text(
                                    f"SELECT min({column}), max({column}), count(*) - "
                                    f"count({column}) FROM {table}"
                                )
                            )
                        ).one()
                        found[f"{table}.{column}"] = (_utc(row[0]), _utc(row[1]), row[2])
        finally:
            await engine.dispose()
        return found

    span_start = ANCHOR - timedelta(days=31)
    for name, (low, high, nulls) in asyncio.run(bounds()).items():
        assert high <= ANCHOR, f"{name} reaches {high}, after the anchor {ANCHOR}"
        assert low >= span_start, f"{name} starts at {low}, long before the anchor"
        if not name.endswith("ended_at"):
            assert nulls == 0, f"{name} has {nulls} NULLs left to the database default"


def _utc(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    assert isinstance(value, str), value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def test_the_demo_cache_is_keyed_on_the_generator_source() -> None:
    """`--demo` reuses a cached file only when the generator that built it is this one."""
    import hashlib

    import tui.store.demo as generator

    digest = hashlib.sha256(Path(generator.__file__).read_bytes()).hexdigest()[:12]
    assert demo_key() == digest
    assert digest in demo_path(123).name


def test_the_default_demo_holds_every_kind_of_stuck(tmp_path: Path) -> None:
    """The dashboard's demo shows each kind, judged at the demo's own anchor."""
    from tui.domain.stuck import StuckKind
    from tui.store.demo import DEFAULT_SEED, DEFAULT_SESSIONS
    from tui.store.store import open_store

    path = tmp_path / "demo.db"
    asyncio.run(write_demo_db(path, n_sessions=DEFAULT_SESSIONS, seed=DEFAULT_SEED, anchor=ANCHOR))

    async def counts() -> dict[StuckKind, int | None]:
        store = await open_store(resolve_target(db=path), read_only=True, clock=lambda: ANCHOR)
        try:
            return await store.stuck_counts()
        finally:
            await store.close()

    got = asyncio.run(counts())
    found = {k: n for k, n in got.items() if n is not None}
    assert len(found) == len(StuckKind), got  # the demo is of the 016 era: every kind
    assert all(n >= 2 for n in found.values()), found
    # a few, not most: the demo is about reasons first
    assert sum(found.values()) < DEFAULT_SESSIONS // 20, found


def test_the_demo_has_the_services_indexes_as_the_service_would(tmp_path: Path) -> None:
    """`demo-db` builds what the service would have left, then migrated: the service's
    own indexes (its conversation index among them) next to the tool's."""
    path = tmp_path / "demo.db"
    asyncio.run(write_demo_db(path, n_sessions=50, seed=3, anchor=ANCHOR))
    with sqlite_file(path) as conn:
        names = {
            str(row[0])
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    assert {ix.name for ix in SERVICE_INDEXES} <= names
    assert "idx_sessions_conversation" in names and ACTIVE_INDEX in names
