"""Owner, deleted and hidden conversations, and workflow runs, as the Store reads them on
each service era: named only where the schema has them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.support.dbs import ANCHOR
from tests.support.owners import (
    ADA,
    CONVERSATIONS,
    NOBODY,
    OWNER,
    RUNS,
    SESSION,
    create_owner_db,
    run_name,
)
from tests.support.sql_log import sql_log
from tui.domain.models import RECENT_RUNS, SessionFilter, SessionRow, Status
from tui.store.store import Store, open_store
from tui.store.target import DbTarget
from tui.store.warm import first_page


async def _rows(target: DbTarget, flt: SessionFilter | None = None) -> list[SessionRow]:
    store = await open_store(target, read_only=True)
    try:
        return (await store.list_sessions(flt)).rows
    finally:
        await store.close()


def _by_key(rows: list[SessionRow]) -> dict[str, SessionRow]:
    keys = {sid: key for key, sid in SESSION.items()}
    return {keys[r.id]: r for r in rows}


def test_owner_deleted_and_hidden_on_todays_schema(empty_db_url: str) -> None:
    target = asyncio.run(create_owner_db(empty_db_url))
    rows = _by_key(asyncio.run(_rows(target)))
    assert {k: r.owner for k, r in rows.items()} == OWNER
    assert {k for k, r in rows.items() if r.conversation_deleted} == {"ada-deleted", "both"}
    assert {k for k, r in rows.items() if r.conversation_hidden} == {"hidden", "both"}
    assert rows["ada-deleted"].active  # deleting the conversation did not end its session


def test_before_users_nobody_owns_anything_and_marks_still_show(empty_db_url: str) -> None:
    target = asyncio.run(create_owner_db(empty_db_url, era="016"))
    rows = _by_key(asyncio.run(_rows(target)))
    assert len(rows) == len(CONVERSATIONS)
    assert {r.owner for r in rows.values()} == {None}
    assert {k for k, r in rows.items() if r.conversation_deleted} == {"ada-deleted", "both"}
    assert not asyncio.run(_rows(target, SessionFilter(user="ada lovelace")))


@pytest.mark.parametrize(
    ("who", "keys"),
    [
        ("Ada Lovelace", {"ada", "ada-deleted"}),
        ("ADA LOVELACE", {"ada", "ada-deleted"}),
        ("ada@EXAMPLE.com", {"ada", "ada-deleted"}),
        (ADA, {"ada", "ada-deleted"}),
        (ADA.upper(), {"ada", "ada-deleted"}),
        ("bob@example.com", {"bob", "both"}),
        (NOBODY, {"nobody"}),
        ("Ada", {"ada", "ada-deleted"}),  # the start of a name or email, as every token
        ("Lovelace", set()),  # not a part of one
        (ADA[:8], set()),  # the id is whole
        ("nobody@example.com", set()),
    ],
)
def test_user_filter_by_name_email_or_id_ignoring_case(
    empty_db_url: str, who: str, keys: set[str]
) -> None:
    target = asyncio.run(create_owner_db(empty_db_url))
    rows = asyncio.run(_rows(target, SessionFilter(user=who)))
    assert set(_by_key(rows)) == keys


def test_user_filter_combines_with_the_others_and_counts(empty_db_url: str) -> None:
    target = asyncio.run(create_owner_db(empty_db_url))

    async def go() -> tuple[list[SessionRow], int, int]:
        store = await open_store(target, read_only=True)
        try:
            flt = SessionFilter(user="ada lovelace", status=Status.ACTIVE)
            rows = (await store.list_sessions(flt)).rows
            counts = await store.counts(SessionFilter(user="ada lovelace"))
            facets = await store.reason_counts(SessionFilter(user="ada lovelace"))
            return rows, counts.filtered, facets.total
        finally:
            await store.close()

    rows, filtered, faceted = asyncio.run(go())
    assert [r.id for r in rows] == [SESSION["ada-deleted"]]
    assert filtered == faceted == 2


async def _detail_runs(store: Store, key: str) -> list[tuple[str | None, str | None]] | None:
    detail = await store.get_session(SESSION[key])
    assert detail is not None
    if detail.workflow_runs is None:
        return None
    return [(r.workflow_name, r.status) for r in detail.workflow_runs]


def test_detail_lists_the_latest_runs_newest_first(empty_db_url: str) -> None:
    target = asyncio.run(create_owner_db(empty_db_url))

    async def go() -> tuple[object, object, object]:
        store = await open_store(target, read_only=True)
        try:
            detail = await store.get_session(SESSION["ada"])
            assert detail is not None and detail.workflow_runs is not None
            newest = detail.workflow_runs[0]
            assert newest.started_at == ANCHOR
            assert newest.last_activity_at == ANCHOR + timedelta(minutes=5)
            return (
                await _detail_runs(store, "ada"),
                await _detail_runs(store, "bob"),
                detail.row.owner,
            )
        finally:
            await store.close()

    ada, bob, owner = asyncio.run(go())
    expected = [(run_name(i), "running" if i == RUNS else "completed") for i in range(RUNS, 0, -1)]
    assert ada == expected[:RECENT_RUNS]
    assert bob == []
    assert owner == "Ada Lovelace"


def test_no_runs_table_no_runs(empty_db_url: str) -> None:
    target = asyncio.run(create_owner_db(empty_db_url, runs=False))

    async def go() -> object:
        store = await open_store(target, read_only=True)
        try:
            return await _detail_runs(store, "ada")
        finally:
            await store.close()

    assert asyncio.run(go()) is None


@pytest.mark.parametrize("era", ["016", "v0.4", "v0.7"])
def test_warm_page_is_the_stores_on_each_era(empty_db_url: str, era: str) -> None:
    """The warm page runs before the schema is read: it tries today's statement, then the
    one without users, and gives the Store's rows either way."""
    target = asyncio.run(create_owner_db(empty_db_url, era=era))
    warm = asyncio.run(first_page(target, 100))
    assert warm is not None
    assert warm.rows == asyncio.run(_rows(target))
    owners = {r.owner for r in warm.rows}
    assert owners == ({None} if era == "016" else set(OWNER.values()))


def test_user_pages_are_the_users_rows_of_the_whole_list(empty_db_url: str) -> None:
    """On demo rows with owners, every page of a user filter (found in the newest window
    or by the user's conversations) is exactly that user's rows of the unfiltered list."""

    async def go() -> None:
        from tests.support.dbs import create_service_db

        target = await create_service_db(empty_db_url, era="v0.7", sessions=600)
        store = await open_store(target, read_only=True)
        try:
            everything = (await store.list_sessions(limit=1000)).rows
            for who, owner in (("ADA@example.com", "Ada Lovelace"), ("ken@example.com", None)):
                expected = [r.id for r in everything if r.owner == (owner or "ken@example.com")]
                assert 0 < len(expected) < len(everything)
                got: list[str] = []
                page = await store.list_sessions(SessionFilter(user=who), limit=20)
                got += [r.id for r in page.rows]
                while page.next_cursor is not None:
                    page = await store.list_sessions(
                        SessionFilter(user=who), cursor=page.next_cursor, limit=20
                    )
                    got += [r.id for r in page.rows]
                assert got == expected, who
        finally:
            await store.close()

    asyncio.run(go())


def test_an_owners_pages_are_planned_for_that_owner(empty_db_url: str) -> None:
    """PostgreSQL may keep one generic plan for a prepared statement after five runs, and
    the one made for a common owner walks the index for a rare one: every page read under
    an owner sends `Traits.value_plans_sql` first, and the server takes it (custom plans in
    that transaction). Other filters send nothing of it; SQLite has no plan cache."""
    target = asyncio.run(create_owner_db(empty_db_url))
    owner = SessionFilter(user="ada lovelace")

    async def go() -> tuple[tuple[str, ...], list[list[str]], list[str], list[SessionRow]]:
        store = await open_store(target, read_only=True)
        try:
            owned, rows = [], []
            for _ in range(7):  # past the five runs after which a generic plan may be kept
                with sql_log(store) as sent:
                    rows = (await store.list_sessions(owner)).rows
                owned.append(sent)
            with sql_log(store) as other:
                await store.list_sessions(SessionFilter(status=Status.ENDED))
            return store.d.backend.traits.value_plans_sql, owned, other, rows
        finally:
            await store.close()

    setting, owned, other, rows = asyncio.run(go())
    assert {r.owner for r in rows} == {"Ada Lovelace"} and rows
    if target.kind == "sqlite":
        assert setting == ()
        return
    assert setting, "PostgreSQL plans an owner's pages for that owner"
    for sent in owned:
        assert sent[: len(setting)] == list(setting), sent
    assert not set(setting) & set(other)
    assert asyncio.run(_in_force(target, setting)) == "force_custom_plan"


async def _in_force(target: DbTarget, setting: tuple[str, ...]) -> str:
    """`plan_cache_mode` in a transaction that ran `setting`, on a bare connection."""
    import asyncpg

    con = await asyncpg.connect(target.secret_url())
    try:
        async with con.transaction():
            for sql in setting:
                await con.execute(sql)
            return str(await con.fetchval("SHOW plan_cache_mode"))
    finally:
        await con.close()
