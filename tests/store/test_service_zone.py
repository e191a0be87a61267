"""Which zone the service writes started_at/ended_at in, as the Store and the warm page
read it, on PostgreSQL (SQLite stores UTC text: no zone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from msgspec.structs import replace

from tests.support.dbs import create_service_db, sa_url
from tests.support.pgserver import LIMITED_USER, PgServer
from tests.support.service_writes import ServiceDb
from tests.support.sql_log import sql_log
from tui.domain.stuck import StuckKind
from tui.store.migrate import upgrade
from tui.store.store import open_store
from tui.store.target import resolve_target, url_target
from tui.store.warm import first_page

DUPLICATE = StuckKind.DUPLICATE

pytestmark = pytest.mark.postgres

CONV = "11111111-1111-1111-1111-111111111111"


def _service_rows(server: PgServer, dbname: str) -> None:
    """Three sessions written as the service writes them, by psql (which sets no zone):
    New York wall-clock times, no zone."""
    server.psql(
        "INSERT INTO remote_agent_conversations (id, platform_type, platform_conversation_id)"
        f" VALUES ('{CONV}', 'slack', 'C1');"
        "INSERT INTO remote_agent_sessions (id, conversation_id, ai_assistant_type, started_at)"
        f" VALUES ('00000000-0000-0000-0000-00000000000{1}', '{CONV}', 'claude',"
        " '2026-11-20 06:50:00'),"
        f" ('00000000-0000-0000-0000-00000000000{2}', '{CONV}', 'claude', '2026-11-20 19:30:00'),"
        f" ('00000000-0000-0000-0000-00000000000{3}', '{CONV}', 'claude', NOW());",
        dbname,
    )


async def test_the_database_default_zone_is_the_services(
    pg_server: PgServer, pg_database: str
) -> None:
    target = await create_service_db(pg_database)
    dbname = str(sa_url(target).database)
    pg_server.psql(f"ALTER DATABASE \"{dbname}\" SET timezone TO 'America/New_York'")
    _service_rows(pg_server, dbname)
    store = await open_store(target)
    try:
        assert store.schema.zone == "America/New_York"
        page = await store.list_sessions()
    finally:
        await store.close()
    by_id = {r.id[-1]: r.started_at for r in page.rows}
    assert by_id["1"] == datetime(2026, 11, 20, 11, 50, tzinfo=UTC)
    assert by_id["2"] == datetime(2026, 11, 21, 0, 30, tzinfo=UTC)  # the next day in UTC
    now = by_id["3"]
    assert now is not None and abs((now - datetime.now(UTC)).total_seconds()) < 60
    # The warm page (bare asyncpg, before the Store) reads the same zone, the same rows.
    # Without the tool's active index the warm page leaves the duplicate mark out, for the
    # Store's page to fill in: the rows are otherwise the same.
    warm = await first_page(target, 100)
    assert warm is not None
    assert warm.duplicates_unknown
    unmarked = [
        replace(r, stuck=tuple(k for k in r.stuck if k is not DUPLICATE)) for r in page.rows
    ]
    assert any(DUPLICATE in r.stuck for r in page.rows)
    assert warm.rows == unmarked
    assert warm.next_cursor == page.next_cursor


async def test_the_service_roles_own_zone_wins(pg_server: PgServer, pg_database: str) -> None:
    """The service's role (the owner of its tables) may have a zone of its own in this
    database; this tool connects as another role and must still use the service's."""
    target = await create_service_db(pg_database, sessions=20)
    dbname = str(sa_url(target).database)
    pg_server.psql(
        f"ALTER DATABASE \"{dbname}\" SET timezone TO 'America/New_York';"
        f"ALTER TABLE remote_agent_sessions OWNER TO {LIMITED_USER};"
        f"ALTER ROLE {LIMITED_USER} IN DATABASE \"{dbname}\" SET timezone TO 'Asia/Tokyo';",
        dbname,
    )
    store = await open_store(target)
    try:
        assert store.schema.zone == "Asia/Tokyo"
        page = await store.list_sessions(limit=50)
    finally:
        await store.close()
    # The warm page reads the zone inside its one statement: the same zone, the same rows.
    warm = await first_page(target, 50)
    assert warm is not None and page.rows
    assert warm.rows == page.rows


async def test_reason_counts_by_delta_see_the_services_recent_ends(
    new_york_db: ServiceDb,
) -> None:
    """The settled mark (ten minutes before the database clock) is compared with stored
    New York times: a session the service ended a minute ago is live, and the refresh
    that follows counts it by delta alone."""
    target = resolve_target(url=new_york_db.url)
    for _ in range(3):
        new_york_db.session(new_york_db.now_minus(3600))
    await upgrade(target)  # the delta needs the tool's indexes
    store = await open_store(target)
    try:
        first = await store.reason_counts()
        assert first.known.get("reset-requested", 0) == 0
        (sid, *_) = [r.id for r in (await store.list_sessions()).rows]
        new_york_db.service_end(sid, "reset-requested")
        with sql_log(store) as sql:
            counts = await store.reason_counts()
        assert not [s for s in sql if "count(" in s.lower() and "UNION ALL" not in s], sql
        assert counts.known.get("reset-requested") == 1
    finally:
        await store.close()


async def test_demo_rows_read_the_same_in_any_zone(
    pg_server: PgServer, pg_database: str, tmp_path: Path
) -> None:
    """The demo writes its zone-less times as the service would in the database's zone,
    so a New York server shows the same sessions at the same instants as SQLite."""
    pg_server.psql(
        f'ALTER DATABASE "{sa_url(url_target(pg_database)).database}"'
        " SET timezone TO 'America/New_York'"
    )
    pages = []
    for url in (pg_database, f"sqlite:///{tmp_path / 'demo.db'}"):
        target = await create_service_db(url, sessions=60)
        store = await open_store(target)
        try:
            page = await store.list_sessions(limit=100)
            detail = await store.get_session(page.rows[0].id)
        finally:
            await store.close()
        assert detail is not None
        created = detail.conversation["created_at"]
        pages.append(
            (
                [(r.id.replace("-", ""), _s(r.started_at), _s(r.ended_at)) for r in page.rows],
                _s(datetime.fromisoformat(created).astimezone(UTC)),
            )
        )
    on_pg, on_sqlite = pages
    rows = [(sid, _read_back(a), _read_back(b)) for sid, a, b in on_sqlite[0]]
    assert (on_pg[0], on_pg[1]) == (rows, on_sqlite[1])
    assert rows != on_sqlite[0]  # the demo does cross the change: the limit is exercised


REPEATED_HOUR = (datetime(2026, 11, 1, 5, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC))
"""01:00-02:00 EDT on 1 November 2026, before New York's clocks went back to 01:00 EST."""


def _read_back(when: datetime | None) -> datetime | None:
    """What a zone-less New York time reads back as: PostgreSQL takes a wall-clock time
    of the repeated hour as the later (standard-time) instant. The service's own rows
    have the same limit: the stored value does not say which of the two it was."""
    if when is not None and REPEATED_HOUR[0] <= when < REPEATED_HOUR[1]:
        return when + timedelta(hours=1)
    return when


def _s(when: datetime | None) -> datetime | None:
    """To the second: SQLite's text keeps no more."""
    return None if when is None else when.replace(microsecond=0)
