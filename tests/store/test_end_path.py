"""The end's write path on real databases: the audit table written with each end,
batches, row locks in one order, a commit whose answer is lost, metadata left alone.

Sessions are written the way the service writes them (`ServiceDb`, PostgreSQL's
database in New York time); what landed is read back with plain SQL.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.commit_cut import CommitCutProxy
from tests.support.pgserver import LIMITED_PASSWORD, LIMITED_USER, PgServer
from tests.support.service_writes import ServiceDb
from tui.domain.models import AlreadyEnded, Ended, NotFound, OddActive
from tui.store import limits
from tui.store.errors import EndInterrupted, NoAuditTable, StoreError
from tui.store.migrate import upgrade
from tui.store.store import Store, open_store
from tui.store.target import resolve_target, url_target

AUDIT_COLUMNS = (
    "session_id, conversation_id, outcome, reason, found_reason, actor, tool_version, kinds, end_id"
)


def _target(db: ServiceDb):  # type: ignore[no-untyped-def]
    return resolve_target(url=db.url)


async def _migrated(db: ServiceDb) -> Store:
    await upgrade(_target(db))
    return await open_store(_target(db))


def _audit(db: ServiceDb) -> list[list[str]]:
    out = db.run(f"SELECT {AUDIT_COLUMNS} FROM sessions_tui_audit ORDER BY session_id, id")
    return [line.split("|") for line in out.splitlines()] if out else []


def _row(db: ServiceDb, sid: str) -> list[str]:
    active = "active::int" if db.pg else "active"
    return db.run(
        f"SELECT {active}, ended_reason, ended_at FROM remote_agent_sessions WHERE id = '{sid}'"
    ).split("|")


async def test_an_end_writes_one_audit_row_per_session_it_settled(
    service_writer: ServiceDb,
) -> None:
    """Ended and already-ended sessions get a row each with what the database holds;
    an id not found gets none (nothing in the database to record, maybe a typo)."""
    db = service_writer
    live = [db.session(db.now_minus(600)) for _ in range(3)]
    done = db.session(db.now_minus(900), ended=db.now_minus(300), reason="worktree-removed")
    missing = db.new_id()
    store = await _migrated(db)
    try:
        assert store.audit_kept
        given = [live[0], done, missing, live[1], live[2]]
        kinds = {live[0]: ("idle", "orphaned"), done: ("duplicate",)}
        outcomes = await store.end_sessions(given, "reset-requested", "ops@bastion", kinds=kinds)
    finally:
        await store.close()
    assert [type(o) for o in outcomes] == [Ended, AlreadyEnded, NotFound, Ended, Ended]
    rows = {r[0]: r for r in _audit(db)}
    assert set(rows) == {*live, done}
    assert len({r[8] for r in rows.values()}) == 1  # one end, one end_id
    conv = db.run(f"SELECT conversation_id FROM remote_agent_sessions WHERE id = '{live[0]}'")
    assert rows[live[0]][1] == conv
    for sid in live:
        _, _, outcome, reason, found, actor, version, _, _ = rows[sid]
        assert (outcome, reason, found, actor) == (
            "ended",
            "reset-requested",
            *_row(db, sid)[1:2],
            "ops@bastion",
        )
        assert version and found == "reset-requested"
    assert rows[live[0]][7] == "idle,orphaned" and rows[live[1]][7] == ""
    assert rows[done][2:8] == [
        "already-ended",
        "reset-requested",
        "worktree-removed",
        "ops@bastion",
        rows[done][6],
        "duplicate",
    ]
    # found_ended_at is the session's ended_at, as an instant.
    store = await open_store(_target(db))
    try:
        page = await store.audit_entries()
        by_id = {e.session_id: e for e in page.entries}
        for sid in [*live, done]:
            row = (await store.get_session(sid)).row  # type: ignore[union-attr]
            assert by_id[sid].found_ended_at == row.ended_at
            assert by_id[sid].at is not None
        assert by_id[live[0]].kinds == ("idle", "orphaned")
    finally:
        await store.close()


async def test_a_refused_audit_row_ends_nothing(service_writer: ServiceDb) -> None:
    """The audit rows are written in the end's own transaction: one refused, none ended."""
    db = service_writer
    sid = db.session(db.now_minus(600))
    store = await _migrated(db)
    if db.pg:
        db.run("ALTER TABLE sessions_tui_audit ADD CONSTRAINT refuse CHECK (actor <> 'refused')")
    else:
        db.run(
            "CREATE TRIGGER refuse BEFORE INSERT ON sessions_tui_audit WHEN NEW.actor = 'refused'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    try:
        with pytest.raises(StoreError):
            await store.end_sessions([sid], "reset-requested", "refused")
        assert _row(db, sid)[0] == "1" and _audit(db) == []
        assert await store.end_sessions([sid], "reset-requested", "ok") == [
            Ended(sid, "reset-requested")
        ]
    finally:
        await store.close()
    assert len(_audit(db)) == 1


async def test_the_services_retention_delete_keeps_the_audit_rows(
    service_writer: ServiceDb,
) -> None:
    db = service_writer
    old = [db.session(db.now_minus(90 * 86400)) for _ in range(3)]
    recent = db.session(db.now_minus(600))
    store = await _migrated(db)
    try:
        await store.end_sessions([*old, recent], "conversation-closed", "ops@bastion")
    finally:
        await store.close()
    # Forty days pass for three of them: the service's cleanup deletes those sessions.
    ids = ", ".join(f"'{s}'" for s in old)
    db.run(
        f"UPDATE remote_agent_sessions SET ended_at = {db.now_minus(40 * 86400)}"
        f" WHERE id IN ({ids})"
    )
    db.retention_delete(30)
    assert db.run("SELECT count(*) FROM remote_agent_sessions") == "1"
    assert sorted(r[0] for r in _audit(db)) == sorted([*old, recent])
    store = await open_store(_target(db))
    try:
        entries = (await store.audit_entries(actor="ops@bastion")).entries
    finally:
        await store.close()
    assert {e.session_id for e in entries} == {*old, recent}
    assert {e.outcome for e in entries} == {"ended"}


async def test_without_the_audit_table_ending_still_works(service_writer: ServiceDb) -> None:
    db = service_writer
    sid = db.session(db.now_minus(600))
    store = await open_store(_target(db))  # never migrated
    try:
        assert not store.audit_kept and not store.schema.audit_table
        assert await store.end_sessions([sid], "reset-requested", "me") == [
            Ended(sid, "reset-requested")
        ]
        with pytest.raises(NoAuditTable, match="sessions-tui migrate"):
            await store.audit_entries()
    finally:
        await store.close()
    assert _row(db, sid)[:2] == ["0", "reset-requested"]


@pytest.mark.postgres
async def test_a_role_that_cannot_write_the_audit_table_still_ends(
    new_york_db: ServiceDb, pg_server: PgServer
) -> None:
    db = new_york_db
    sid = db.session(db.now_minus(600))
    await upgrade(resolve_target(url=db.url))
    db.run(
        f"GRANT SELECT, UPDATE ON remote_agent_sessions TO {LIMITED_USER};"
        f" GRANT SELECT ON remote_agent_conversations, remote_agent_codebases,"
        f" sessions_tui_audit TO {LIMITED_USER}"
    )
    target = url_target(pg_server.url(db.dbname, user=LIMITED_USER, password=LIMITED_PASSWORD))
    store = await open_store(target)
    try:
        assert store.schema.audit_table and not store.audit_kept
        assert await store.end_sessions([sid], "reset-requested", "me") == [
            Ended(sid, "reset-requested")
        ]
        assert (await store.audit_entries()).entries == []
    finally:
        await store.close()
    assert _row(db, sid)[:2] == ["0", "reset-requested"]


async def test_blank_and_non_object_metadata_stay_untouched(service_writer: ServiceDb) -> None:
    """The README's promise: metadata that is not a JSON object is left as it is. SQLite
    text can be blank; PostgreSQL JSONB cannot hold '' at all, but holds JSON strings of
    blanks and JSON null, which are not objects either."""
    db = service_writer
    values = ["'\"\"'", "'\"   \"'", "'null'"] if db.pg else ["''", "'   '", "'null'", "' \n\t'"]
    sids = []
    for value in values:
        sid = db.session(db.now_minus(600))
        db.run(f"UPDATE remote_agent_sessions SET metadata = {value} WHERE id = '{sid}'")
        sids.append(sid)
    meta = "metadata::text" if db.pg else "quote(metadata)"
    before = [db.run(f"SELECT {meta} FROM remote_agent_sessions WHERE id = '{s}'") for s in sids]
    store = await _migrated(db)
    try:
        outcomes = await store.end_sessions(sids, "reset-requested", "me")
    finally:
        await store.close()
    assert outcomes == [Ended(s, "reset-requested") for s in sids]
    after = [db.run(f"SELECT {meta} FROM remote_agent_sessions WHERE id = '{s}'") for s in sids]
    assert after == before
    assert all(_row(db, s)[:2] == ["0", "reset-requested"] for s in sids)


async def test_many_sessions_end_in_batches_with_outcomes_in_the_order_given(
    service_writer: ServiceDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.store.limits.END_BATCH", 7)
    db = service_writer
    live = db.sessions(30, db.now_minus(600))
    done = db.session(db.now_minus(900), ended=db.now_minus(300), reason="worktree-removed")
    given = [*live, done]
    random.Random(3).shuffle(given)
    store = await _migrated(db)
    try:
        outcomes = await store.end_sessions(given, "reset-requested", "me")
    finally:
        await store.close()
    assert [o.id for o in outcomes] == given
    assert {o.id for o in outcomes if isinstance(o, Ended)} == set(live)
    assert (
        db.run("SELECT count(*) FROM remote_agent_sessions WHERE ended_reason = 'reset-requested'")
        == "30"
    )
    audit = _audit(db)
    assert len(audit) == 31 and len({r[8] for r in audit}) == 1


@pytest.mark.postgres
async def test_two_bulk_ends_in_opposite_orders_never_deadlock(new_york_db: ServiceDb) -> None:
    """Issue 15 #4: the same 40 ids, one end in each order, five times: never an error,
    every session ended exactly once (one audit row says `ended` for each)."""
    db = new_york_db
    await upgrade(resolve_target(url=db.url))
    one, two = await open_store(_target(db)), await open_store(_target(db))
    try:
        for _ in range(5):
            ids = db.sessions(40, db.now_minus(600))
            first, second = await asyncio.gather(
                one.end_sessions(ids, "reset-requested", "one"),
                two.end_sessions(list(reversed(ids)), "conversation-closed", "two"),
            )
            for sid in ids:
                wins = [o for o in (*first, *second) if o.id == sid and isinstance(o, Ended)]
                assert len(wins) == 1, sid
    finally:
        await one.close()
        await two.close()
    ended = db.run(
        "SELECT session_id, count(*) FROM sessions_tui_audit WHERE outcome = 'ended'"
        " GROUP BY session_id HAVING count(*) <> 1"
    )
    assert ended == ""
    assert db.run("SELECT count(*) FROM sessions_tui_audit WHERE outcome = 'ended'") == "200"


@pytest.mark.postgres
@pytest.mark.parametrize("migrated", [True, False], ids=["audit", "no-audit"])
async def test_a_commit_whose_answer_is_lost_is_reported_as_the_database_holds_it(
    new_york_db: ServiceDb, migrated: bool
) -> None:
    """Issue 15 #2: the commit reaches the server, the connection drops before its
    answer: the end says "outcome unknown", re-reads, and reports the rows as ended by
    this end (by its audit rows, or without them by the endedBy record); a row with an
    odd `active` as odd (`codec.active_state`), with no audit row."""
    db = new_york_db
    ids = [db.session(db.now_minus(600)) for _ in range(3)]
    other = db.session(db.now_minus(900), ended=db.now_minus(300), reason="worktree-removed")
    odd = db.session(db.now_minus(600))
    db.run(f"UPDATE remote_agent_sessions SET active = NULL WHERE id = '{odd}'")
    if migrated:
        await upgrade(resolve_target(url=db.url))
    with CommitCutProxy(db.url) as proxy:
        store = await open_store(resolve_target(url=proxy.url))
        try:
            proxy.armed.set()
            with pytest.raises(EndInterrupted) as info:
                await store.end_sessions([*ids, other, odd], "reset-requested", "ops@bastion")
        finally:
            await store.close()
        assert proxy.cut.is_set()
    error = info.value
    assert error.unknown and not error.unresolved and not error.left_active
    assert "outcome unknown" in str(error)
    assert (
        "3 ended by this end, 1 already ended, 1 with an odd active (left alone), 0 left active"
    ) in str(error)
    assert [type(o) for o in error.outcomes] == [Ended, Ended, Ended, AlreadyEnded, OddActive]
    assert error.outcomes[-1] == OddActive(odd, "NULL")
    assert all(_row(db, s)[:2] == ["0", "reset-requested"] for s in ids)
    if migrated:
        assert len(_audit(db)) == 4


async def test_audit_pages_newest_first_with_since_and_actor(
    service_writer: ServiceDb,
) -> None:
    db = service_writer
    ids = [db.session(db.now_minus(600)) for _ in range(7)]
    store = await _migrated(db)
    try:
        await store.end_sessions(ids[:4], "reset-requested", "ada")
        await store.end_sessions(ids[4:], "conversation-closed", "bob")
        seen = []
        page = await store.audit_entries(limit=3)
        while True:
            seen.extend(page.entries)
            if page.next_cursor is None:
                break
            page = await store.audit_entries(cursor=page.next_cursor, limit=3)
        assert sorted(e.session_id for e in seen) == sorted(ids)
        keys = [(e.at, e.id) for e in seen]
        assert keys == sorted(keys, reverse=True)
        assert {e.session_id for e in (await store.audit_entries(actor="bob")).entries} == set(
            ids[4:]
        )
        future = datetime.now(UTC) + timedelta(days=1)
        assert (await store.audit_entries(since=future)).entries == []
        past = datetime.now(UTC) - timedelta(days=1)
        assert len((await store.audit_entries(since=past, limit=100)).entries) == 7
    finally:
        await store.close()


@pytest.mark.postgres
@pytest.mark.parametrize("attempts", [limits.CONFLICT_ATTEMPTS, 1], ids=["retried", "once"])
async def test_a_deadlock_with_another_writer_is_retried(
    new_york_db: ServiceDb, attempts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds the larger id and then asks for the smaller, which the end
    has locked: PostgreSQL breaks the cycle by rolling back the end (its deadlock check
    fires first, as it waited first), and the end runs its batch again once the other
    writer has committed: both sessions ended, no error. With one attempt only (as
    before), the same race is the error the operator saw."""
    import asyncpg

    monkeypatch.setattr("tui.store.limits.CONFLICT_ATTEMPTS", attempts)
    db = new_york_db
    first, second = sorted(db.session(db.now_minus(600)) for _ in range(2))
    store = await open_store(_target(db))
    other = await asyncpg.connect(db.url)
    try:
        # Whichever waiter's deadlock check fires first is rolled back; on a loaded machine
        # that can be this connection's. A longer check here (superuser) leaves it to the end.
        await other.execute("SET deadlock_timeout = '60s'")
        tx = other.transaction()
        await tx.start()
        await other.execute(
            "UPDATE remote_agent_sessions SET metadata = metadata WHERE id = $1::uuid", second
        )
        ending = asyncio.ensure_future(store.end_sessions([second, first], "reset-requested", "me"))
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sessions-tui'"
            " AND wait_event_type = 'Lock'"
        )
        while await other.fetchval(waiting) == 0:  # the end holds `first`, waits for `second`
            assert not ending.done(), ending
            await asyncio.sleep(0)
        await other.execute(
            "UPDATE remote_agent_sessions SET metadata = metadata WHERE id = $1::uuid", first
        )
        await tx.commit()
        if attempts == 1:
            with pytest.raises(StoreError, match="deadlock"):
                await ending
            return
        outcomes = await ending
    finally:
        await other.close()
        await store.close()
    assert outcomes == [Ended(second, "reset-requested"), Ended(first, "reset-requested")]


async def test_a_row_with_an_odd_active_is_said_as_stored_and_gets_no_audit_row(
    service_writer: ServiceDb,
) -> None:
    """An odd `active` that reaches the write (stored after the plan read the row) is
    left as it is and said for what it is; like a row the plan leaves out, it gets no
    audit row. The other sessions of the batch are ended as usual."""
    db = service_writer
    odd, live = db.session(db.now_minus(600)), db.session(db.now_minus(600))
    db.run(f"UPDATE remote_agent_sessions SET active = NULL WHERE id = '{odd}'")
    store = await _migrated(db)
    try:
        outcomes = await store.end_sessions([odd, live], "reset-requested", "ops")
    finally:
        await store.close()
    assert outcomes == [OddActive(odd, "NULL"), Ended(live, "reset-requested")]
    untouched = db.run(
        "SELECT COUNT(*) FROM remote_agent_sessions WHERE id = "
        f"'{odd}' AND active IS NULL AND ended_reason IS NULL AND ended_at IS NULL "
        "AND CAST(metadata AS TEXT) NOT LIKE '%endedBy%'"
    )
    assert untouched == "1"
    assert [r[0] for r in _audit(db)] == [live]


async def test_the_plans_stuck_kinds_land_in_the_audit_rows(service_writer: ServiceDb) -> None:
    from tui.store import operations

    db = service_writer
    a, b = db.session(db.now_minus(600)), db.session(db.now_minus(600))
    store = await _migrated(db)
    try:
        plan = await operations.plan_end(
            store, [a, b], "conversation-closed", "ops", kinds={a: ["orphaned", "idle"]}
        )
        assert plan.kinds == {a: ("orphaned", "idle")}
        assert await operations.apply_end(store, plan) == (
            Ended(a, "conversation-closed"),
            Ended(b, "conversation-closed"),
        )
    finally:
        await store.close()
    assert {r[0]: r[7] for r in _audit(db)} == {a: "orphaned,idle", b: ""}


async def test_an_end_stopped_part_way_says_what_was_written(
    service_writer: ServiceDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches commit one by one: when a later one fails, the earlier ones stay ended and
    the error says so (never "nothing was ended"); the failed batch and the rest stay
    active."""
    monkeypatch.setattr("tui.store.limits.END_BATCH", 2)
    db = service_writer
    ids = sorted(db.session(db.now_minus(600)) for _ in range(5))
    store = await _migrated(db)
    refused = ids[2]  # the second batch
    if db.pg:
        db.run(
            "ALTER TABLE sessions_tui_audit ADD CONSTRAINT refuse"
            f" CHECK (session_id <> '{refused}')"
        )
    else:
        db.run(
            "CREATE TRIGGER refuse BEFORE INSERT ON sessions_tui_audit"
            f" WHEN NEW.session_id = '{refused}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    try:
        with pytest.raises(EndInterrupted) as info:
            await store.end_sessions(list(reversed(ids)), "reset-requested", "me")
    finally:
        await store.close()
    stopped = info.value
    assert not stopped.unknown and not stopped.unresolved
    assert stopped.outcomes == tuple(Ended(s, "reset-requested") for s in reversed(ids[:2]))
    assert set(stopped.left_active) == set(ids[2:])
    assert "stopped part-way" in str(stopped) and "2 ended by this end" in str(stopped)
    assert "3 left active" in str(stopped)
    assert [_row(db, s)[0] for s in ids] == ["0", "0", "1", "1", "1"]
