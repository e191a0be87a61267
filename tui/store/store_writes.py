"""The store's writes: ending sessions in batches with their audit rows, and reading
the audit back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial

import sqlalchemy as sa

from tui.domain.audit import (
    OUTCOME_ALREADY_ENDED,
    OUTCOME_ENDED,
    AuditCursor,
    AuditEntry,
    AuditPage,
    audit_json,
    audit_record,
    ended_by,
    kinds_from_text,
    kinds_text,
)
from tui.domain.models import (
    AlreadyEnded,
    Ended,
    EndOutcome,
    Metadata,
    NotFound,
    OddActive,
)
from tui.domain.run_cancel import TARGET_SESSION
from tui.domain.wording import NO_AUDIT_TABLE, audit_shape_line, interrupted_line
from tui.store import queries as q
from tui.store.batches import batch_transaction, reread_batch, retry_conflicts, write_batches
from tui.store.codec import (
    active_state,
)
from tui.store.errors import (
    EndInterrupted,
    NoAuditTable,
    ReadOnly,
    SchemaTooOld,
    StoreError,
    WriteConflict,
)
from tui.store.sql_dialect import valid_id
from tui.store.store_base import PAGE_SIZE, STANDBY_REASON, _unwritten
from tui.store.store_counts import StoreCounts
from tui.store.tables import (
    AUDIT_TARGET_COLUMNS,
    audit,
    sessions,
)


class StoreWrites(StoreCounts):
    """Ends and the audit (part of `Store`)."""

    async def end_sessions(
        self,
        ids: Iterable[str],
        reason: str,
        actor: str | None = None,
        *,
        kinds: Mapping[str, Sequence[str]] | None = None,
    ) -> list[EndOutcome]:
        """End each still-active session with `reason`, compare-and-set, in batches.

        The ids are written in one fixed order (sorted), `END_BATCH` per transaction;
        each batch locks its rows in that order first, so two ends over the same
        sessions never deadlock, and one the server rolls back anyway (deadlock,
        serialization failure) is run again, up to `CONFLICT_ATTEMPTS` times: the
        compare-and-set makes that safe. Each batch writes its audit rows (where
        `audit_kept`) in its own transaction: a session ended and its row, or neither.

        Outcomes come back in the order given. A session someone else ended first is
        AlreadyEnded with their values, which are never overwritten; one whose `active`
        turned odd since it was planned is OddActive with the value stored, untouched
        and without an audit row (as when the plan leaves it out). When a later batch
        fails, or a commit's answer is lost, or the end is cancelled (Ctrl-C),
        EndInterrupted says what the database holds (re-read, never assumed); a failure
        before anything committed is raised as it is.
        """
        trigger = self.vocabulary.require_deactivating(reason)
        self.check_file()
        if self.standby:
            raise ReadOnly(f"{self.target.display()}: {STANDBY_REASON}")
        if self.read_only:
            raise ReadOnly(
                f"{self.target.display()}: opened read-only; ending sessions is disabled"
            )
        if not self.schema.has_ended_reason:
            raise SchemaTooOld(f"{self.target.display()} has no ended_reason column")
        given = list(dict.fromkeys(ids))
        valid = sorted(i for i in given if valid_id(self.d.backend, i))
        record = audit_record(actor, trigger.wire)
        end_id = uuid.uuid4().hex
        kinds_of = {k: tuple(v) for k, v in (kinds or {}).items()}

        known = await write_batches(
            valid,
            pause=self.d.backend.traits.write_pause_s,
            write=lambda batch: self._end_batch(batch, record, end_id, kinds_of),
            reread=lambda batch: self._reread(batch, record, end_id),
            stopped=partial(self._interrupted, given),
            error=self._error,
        )
        return [known.get(i) or NotFound(i) for i in given]

    def _interrupted(
        self,
        given: list[str],
        known: dict[str, EndOutcome],
        left: Sequence[str],
        unresolved: Sequence[str],
        cause: StoreError,
        *,
        unknown: bool,
    ) -> EndInterrupted:
        outcomes = tuple(known[i] for i in given if i in known)
        return EndInterrupted(
            interrupted_line(
                str(cause),
                unknown=unknown,
                ended=sum(isinstance(o, Ended) for o in outcomes),
                already=sum(isinstance(o, AlreadyEnded) for o in outcomes),
                left_active=len(left),
                unresolved=len(unresolved),
                odd=sum(isinstance(o, OddActive) for o in outcomes),
            ),
            outcomes=outcomes,
            left_active=tuple(left),
            unresolved=tuple(unresolved),
            unknown=unknown,
        )

    async def _end_batch(
        self,
        batch: list[str],
        record: dict[str, str],
        end_id: str,
        kinds: Mapping[str, tuple[str, ...]],
    ) -> dict[str, EndOutcome]:
        """One batch in one transaction, run again when the server rolled it back for a
        deadlock or serialization failure; raises CommitUnknown when the commit's
        answer is lost."""
        return await retry_conflicts(
            lambda: self._end_batch_once(batch, record, end_id, kinds),
            lambda exc: isinstance(self.target.error(exc), WriteConflict),
        )

    async def _end_batch_once(
        self,
        batch: list[str],
        record: dict[str, str],
        end_id: str,
        kinds: Mapping[str, tuple[str, ...]],
    ) -> dict[str, EndOutcome]:
        s = sessions
        backend = self.d.backend
        wire = record["reason"]
        update = (
            sa.update(s)
            # By the primary key: SQLite (no statistics) otherwise walks the active index,
            # every active session per batch.
            .where(s.c.id.in_(batch), backend.unindexed(s.c.active) == sa.true())
            .values(
                active=False,
                # The service's own NOW(), in its zone: both writers agree.
                ended_at=backend.stored(backend.now(), self.d.zone),
                ended_reason=wire,
                # Merged by the UPDATE itself: no read-modify-write race; its "at" is
                # the clock ended_at was just written with.
                metadata=backend.json_set(
                    s.c.metadata, "endedBy", backend.audit_object(audit_json(record))
                ),
            )
            .returning(s.c.id)
        )
        read_back = (
            sa.select(
                s.c.id,
                s.c.conversation_id,
                self.d.owner.label("owner"),
                s.c.ended_reason,
                self.d.absolute(s.c.ended_at),
                q.stored_active(s.c.active),
            )
            .select_from(q.joined(self.d))
            .where(s.c.id.in_(batch))
        )
        outcomes: dict[str, EndOutcome] = {}
        async with batch_transaction(
            self.engine,
            backend.traits.write_options,
            s.c.id,
            batch,
            check_file=self.check_file,
            error=self._error,
        ) as conn:
            ended = {str(r[0]) for r in (await conn.execute(update)).all()}
            rows = []
            for r in (await conn.execute(read_back)).mappings():
                sid = str(r["id"])
                mine = sid in ended
                outcomes[sid] = Ended(sid, wire) if mine else _unwritten(sid, r)
                if isinstance(outcomes[sid], OddActive):
                    continue  # no audit row, as when the plan leaves it out
                rows.append(
                    {
                        "end_id": end_id,
                        "session_id": sid,
                        "conversation_id": r["conversation_id"],
                        "owner": r["owner"],
                        "outcome": OUTCOME_ENDED if mine else OUTCOME_ALREADY_ENDED,
                        "reason": wire,
                        "found_reason": r["ended_reason"],
                        "found_ended_at": r["ended_at"],
                        "actor": record["actor"],
                        "tool_version": record["version"],
                        "kinds": kinds_text(kinds.get(sid, ())),
                        **({"target": TARGET_SESSION} if self.schema.audit_targets else {}),
                    }
                )
            if rows and self.audit_kept:
                await conn.execute(sa.insert(audit).values(at=backend.now()), rows)
        return outcomes

    async def _reread(
        self, batch: list[str], record: dict[str, str], end_id: str
    ) -> tuple[dict[str, EndOutcome], list[str], list[str]]:
        """What the database holds for a batch whose commit answer was lost: outcomes,
        the ids left active, and the ids that could not be read (the database did not
        answer within `REREAD_ATTEMPTS`).

        Ended by this end means: with audit rows, this end's own rows exist (written in
        the same transaction, so they exist exactly when it committed); without, the
        row is ended with our reason and its `endedBy` names our actor and reason.
        """
        s = sessions
        wire = record["reason"]
        rows_stmt = sa.select(
            s.c.id,
            q.stored_active(s.c.active),
            s.c.ended_reason,
            self.d.absolute(s.c.ended_at),
            sa.cast(s.c.metadata, sa.Text).label("metadata"),
        ).where(s.c.id.in_(batch))
        audit_stmt = sa.select(audit.c.session_id, audit.c.outcome).where(audit.c.end_id == end_id)
        read = await reread_batch(self._read, rows_stmt, audit_stmt if self.audit_kept else None)
        if read is None:
            return {}, [], list(batch)
        rows, written = read
        found: dict[str, EndOutcome] = {}
        left: list[str] = []
        for r in rows:
            sid = str(r["id"])
            if written is not None:
                mine = written.get(sid) == OUTCOME_ENDED
            else:
                by = ended_by(Metadata.decode(r["metadata"]))
                mine = (
                    active_state(r["active"])[0] is False
                    and r["ended_reason"] == wire
                    and by is not None
                    and (by.actor, by.reason) == (record["actor"], wire)
                )
            if mine:
                found[sid] = Ended(sid, wire)
            elif active_state(r["active"])[0]:
                left.append(sid)
            else:
                found[sid] = _unwritten(sid, r)
        for sid in batch:
            if sid not in found and sid not in left:
                found[sid] = NotFound(sid)  # deleted meanwhile
        return found, left, []

    async def audit_entries(
        self,
        *,
        since: datetime | None = None,
        actor: str | None = None,
        cursor: AuditCursor | None = None,
        limit: int = PAGE_SIZE,
    ) -> AuditPage:
        """One page of the audit table, newest first (by time, then row id), and the
        cursor for the next; NoAuditTable where the database has none."""
        if not self.schema.audit_table:
            raise NoAuditTable(f"{self.target.display()}: {NO_AUDIT_TABLE}")
        if self.schema.audit_problem is not None:
            raise NoAuditTable(
                f"{self.target.display()}: {audit_shape_line(self.schema.audit_problem)}"
            )
        a = audit
        limit = max(1, min(limit, 10_000))
        read = [c for c in a.c if self.schema.audit_targets or c.name not in AUDIT_TARGET_COLUMNS]
        stmt = sa.select(*read).order_by(a.c.at.desc(), a.c.id.desc()).limit(limit + 1)
        if since is not None:
            stmt = stmt.where(a.c.at >= sa.bindparam("since", since, type_=a.c.at.type))
        if actor is not None:
            stmt = stmt.where(a.c.actor == actor)
        if cursor is not None:
            at = sa.bindparam("cursor_at", cursor.at, type_=a.c.at.type)
            stmt = stmt.where(sa.or_(a.c.at < at, sa.and_(a.c.at == at, a.c.id < cursor.id)))
        async with self._read() as conn:
            found = (await conn.execute(stmt)).mappings().all()
        entries = [
            AuditEntry(
                id=int(m["id"]),
                end_id=m["end_id"],
                at=m["at"],
                session_id=m["session_id"],
                conversation_id=m["conversation_id"],
                owner=m["owner"],
                outcome=m["outcome"],
                reason=m["reason"],
                found_reason=m["found_reason"],
                found_ended_at=m["found_ended_at"],
                actor=m["actor"],
                tool_version=m["tool_version"],
                kinds=kinds_from_text(m["kinds"]),
                target=m.get("target") or TARGET_SESSION,
                run_id=m.get("run_id"),
            )
            for m in found[:limit]
        ]
        more = len(found) > limit
        last = entries[-1] if more else None
        return AuditPage(entries, AuditCursor(last.at, last.id) if last else None)
