"""The store's run cancels: the service's own `cancelWorkflowRun` rule, compare-and-set,
in batches, with an audit row per run where the audit table can take it.

The rule (`tui.domain.run_cancel`): `status = 'cancelled'`, `completed_at` from the
database clock, `WHERE id = ? AND status NOT IN ('completed', 'cancelled')`, as the
service's packages/core/src/db/workflows.ts writes it from v0.5.0 on. Batches are
written as an end's are (`StoreWrites.end_sessions`): ids in one fixed order, each batch
its own short transaction holding the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL:
its rows locked in id order), the file checked again under the lock, a pause between
batches so the service's queued writes go first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa

from tui import __version__
from tui.domain.audit import check_actor, default_actor
from tui.domain.run_cancel import (
    CANCELLED,
    FINISHED,
    OUTCOME_ALREADY_FINISHED,
    OUTCOME_CANCELLED,
    TARGET_RUN,
    RunCancelled,
    RunCancelPlan,
    RunFinished,
    RunNotFound,
    RunOutcome,
    cancel_interrupted_line,
    cancellable,
)
from tui.domain.wording import CANCEL_RUNS, audit_shape_line, standby_refusal
from tui.store import limits
from tui.store.batches import batch_transaction, reread_batch, retry_conflicts, write_batches
from tui.store.errors import (
    AmbiguousId,
    ReadOnly,
    SchemaError,
    StoreError,
    WriteConflict,
)
from tui.store.sql_dialect import id_prefix, valid_id
from tui.store.store_base import StoreBase
from tui.store.tables import (
    USERS,
    WORKFLOW_RUNS,
    audit,
    conversations,
    users,
    workflow_runs,
)

RUN_STANDBY_REASON = standby_refusal(CANCEL_RUNS)
"""Why a standby cannot cancel runs, and where the operator can."""
CANCEL_COLUMNS = ("id", "status", "completed_at")
"""What the cancel reads and writes of remote_agent_workflow_runs."""


class CannotCancel(StoreError):
    """This database cannot take a run cancel (read-only, standby, no runs table)."""


class CancelInterrupted(StoreError):
    """A cancel stopped after part of it was committed, or without knowing whether its
    last commit was: `outcomes` known (in the order given), `left` runs known not
    written, `unresolved` runs whose outcome could not be told, `unknown` a commit's
    answer was lost."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        outcomes: tuple[RunOutcome, ...],
        left: tuple[str, ...],
        unresolved: tuple[str, ...],
        unknown: bool,
    ) -> None:
        super().__init__(message)
        self.outcomes = outcomes
        self.left = left
        self.unresolved = unresolved
        self.unknown = unknown


class RunWrites(StoreBase):
    """Run cancels (part of `Store`)."""

    @property
    def can_cancel_runs(self) -> str | None:
        """None when runs can be cancelled; otherwise why not, as `can_end` says it for
        ends (a standby first, then read-only with what opened it so)."""
        if self.standby:
            return RUN_STANDBY_REASON
        if self.read_only:
            return self.read_only_refusal(CANCEL_RUNS)
        if not all(self.schema.has(WORKFLOW_RUNS, c) for c in CANCEL_COLUMNS):
            return "this database has no remote_agent_workflow_runs with status and completed_at"
        return None

    @property
    def run_audit_missing(self) -> str | None:
        """Why a run cancel keeps no audit row here (one phrase), None when it keeps one:
        the audit table exists, this role may write it, it has the shape an end writes
        and migration 0009's `target` and `run_id`."""
        if not self.schema.audit_table:
            return (
                "this database has no sessions_tui_audit table: run `sessions-tui migrate` "
                "to keep them"
            )
        if not self.schema.audit_writable:
            return "this database role may not write sessions_tui_audit"
        if self.schema.audit_problem is not None:
            return audit_shape_line(self.schema.audit_problem)
        if not self.schema.audit_targets:
            return (
                "sessions_tui_audit predates run cancels (no target, run_id columns: "
                "migration 0009): run `sessions-tui migrate` to keep them"
            )
        return None

    def _runs_ids(self, ids: Iterable[str]) -> tuple[list[str], list[str]]:
        """The ids given (each once, in order) and those that can be ids here, sorted."""
        given = list(dict.fromkeys(ids))
        return given, sorted({i for i in given if valid_id(self.d.backend, i)})

    async def plan_cancel_runs(self, ids: Sequence[str], actor: str | None = None) -> RunCancelPlan:
        """What cancelling these runs would do, read now (nothing written): each run's
        current status. An id is matched whole (as typed or in lower case), else as a
        unique prefix (`_resolve_run`); a prefix several runs start with raises
        AmbiguousId: nothing is planned from a guess. CannotCancel where this database
        cannot take a cancel."""
        why = self.can_cancel_runs
        if why is not None:
            raise CannotCancel(f"cannot cancel runs on {self.target.display()}: {why}")
        who = default_actor() if actor is None else check_actor(actor)
        texts = [t.strip() for t in ids]
        wanted = [f for t in texts for f in (t, t.lower()) if t]
        _, valid = self._runs_ids(wanted)
        found: dict[str, Any] = {}
        r = workflow_runs
        for at in range(0, len(valid), limits.END_BATCH):
            chunk = valid[at : at + limits.END_BATCH]
            stmt = sa.select(r.c.id, r.c.status, r.c.completed_at).where(r.c.id.in_(chunk))
            async with self._read() as conn:
                found.update((str(m["id"]), m) for m in (await conn.execute(stmt)).mappings())
        resolved: dict[str, str] = {}
        for text in texts:  # a whole id is read above; a prefix is resolved on its own
            if text and text not in found and text.lower() not in found:
                whole = await self._resolve_run(text)
                if whole is not None:
                    resolved[text] = whole
        if resolved:
            stmt = sa.select(r.c.id, r.c.status, r.c.completed_at)
            stmt = stmt.where(r.c.id.in_(sorted(set(resolved.values()))))
            async with self._read() as conn:
                found.update((str(m["id"]), m) for m in (await conn.execute(stmt)).mappings())
        steps: dict[str, RunOutcome] = {}
        for original, text in zip(ids, texts, strict=True):
            full = text if text in found else text.lower() if text.lower() in found else None
            full = full or resolved.get(text)
            if full is None or full not in found:
                steps.setdefault(original, RunNotFound(original))
                continue
            m = found[full]
            if cancellable(m["status"]):
                steps.setdefault(full, RunCancelled(full, was=m["status"]))
            else:
                steps.setdefault(full, RunFinished(full, m["status"], m["completed_at"]))
        return RunCancelPlan(who, tuple(steps.values()))

    async def _resolve_run(self, text: str) -> str | None:
        """The one run whose id starts with `text` (`sql_dialect.id_prefix`, as `end`
        resolves a session's), None when none does; AmbiguousId when several do."""
        r = workflow_runs
        cond = id_prefix(self.d.backend, r.c.id, text)
        if cond is None:
            return None
        stmt = sa.select(r.c.id).where(cond).order_by(r.c.id).limit(5)
        async with self._read() as conn:
            ids = [str(i) for i in (await conn.execute(stmt)).scalars()]
        if len(ids) > 1:
            shown = ", ".join(i[:12] for i in ids[:4])
            raise AmbiguousId(f"{text!r} matches several runs ({shown}…): give more characters")
        return ids[0] if ids else None

    async def cancel_runs(self, ids: Iterable[str], actor: str | None = None) -> list[RunOutcome]:
        """Cancel each run the rule allows, compare-and-set, `limits.END_BATCH` runs per
        transaction, each with its audit row (where `run_audit_missing` is None) in that
        same transaction: a run cancelled and its row, or neither.

        Outcomes come back in the order given: RunCancelled (this cancel wrote it, `was`
        unknown), RunFinished with the status and completed_at another writer left (never
        overwritten), RunNotFound. A failure after a batch committed, a lost commit answer
        or Ctrl-C raises CancelInterrupted with what the database holds (re-read); a
        failure before anything committed is raised as it is. Refused, before anything is
        read, where `can_cancel_runs` says why.
        """
        self.check_file()
        if self.standby:
            raise ReadOnly(f"{self.target.display()}: {RUN_STANDBY_REASON}")
        if self.read_only:
            raise ReadOnly(
                f"{self.target.display()}: opened read-only; cancelling runs is disabled"
            )
        why = self.can_cancel_runs
        if why is not None:
            raise SchemaError(f"{self.target.display()}: {why}")
        who = default_actor() if actor is None else check_actor(actor)
        given, valid = self._runs_ids(ids)
        op_id = uuid.uuid4().hex
        known = await write_batches(
            valid,
            pause=self.d.backend.traits.write_pause_s,
            write=lambda batch: self._cancel_batch(batch, who, op_id),
            reread=lambda batch: self._reread_runs(batch, op_id),
            stopped=partial(self._stopped, given),
            error=lambda exc: exc if isinstance(exc, StoreError) else self._error(exc),
        )
        return [known.get(i) or RunNotFound(i) for i in given]

    def _stopped(
        self,
        given: list[str],
        known: dict[str, RunOutcome],
        left: Sequence[str],
        unresolved: Sequence[str],
        cause: StoreError,
        *,
        unknown: bool,
    ) -> CancelInterrupted:
        outcomes = tuple(known[i] for i in given if i in known)
        return CancelInterrupted(
            cancel_interrupted_line(
                str(cause),
                unknown=unknown,
                cancelled=sum(isinstance(o, RunCancelled) for o in outcomes),
                finished=sum(isinstance(o, RunFinished) for o in outcomes),
                left=len(left),
                unresolved=len(unresolved),
            ),
            outcomes=outcomes,
            left=tuple(left),
            unresolved=tuple(unresolved),
            unknown=unknown,
        )

    async def _cancel_batch(
        self, batch: list[str], actor: str, op_id: str
    ) -> dict[str, RunOutcome]:
        """One batch, run again when the server rolled it back for a deadlock or a
        serialization failure (the compare-and-set makes that safe)."""
        return await retry_conflicts(
            lambda: self._cancel_batch_once(batch, actor, op_id),
            lambda exc: isinstance(self.target.error(exc), WriteConflict),
        )

    def _read_back(self, batch: list[str]) -> sa.Select[Any]:
        """Each run of the batch as it is now, with its conversation and that
        conversation's owner (as a session's owner is found) for the audit row."""
        r, c, u = workflow_runs, conversations, users
        has_owner = self.d.has_owner and self.schema.has(USERS, "id")
        owner: Any = (
            sa.func.coalesce(
                sa.func.nullif(u.c.display_name, ""),
                sa.func.nullif(u.c.email, ""),
                self.d.backend.as_text(c.c.user_id),
            )
            if has_owner
            else sa.null()
        )
        joined: Any = r
        if has_owner:
            joined = r.outerjoin(c, c.c.id == r.c.conversation_id).outerjoin(
                u, u.c.id == c.c.user_id
            )
        return (
            sa.select(
                r.c.id,
                r.c.status,
                r.c.completed_at,
                r.c.conversation_id,
                owner.label("owner"),
            )
            .select_from(joined)
            .where(r.c.id.in_(batch))
        )

    async def _cancel_batch_once(
        self, batch: list[str], actor: str, op_id: str
    ) -> dict[str, RunOutcome]:
        r = workflow_runs
        backend = self.d.backend
        update = (
            sa.update(r)
            .where(r.c.id.in_(batch), r.c.status.not_in(sorted(FINISHED)))
            # The service's own clock, `NOW()` / `datetime('now')`, as it writes it.
            .values(status=CANCELLED, completed_at=backend.now())
            .returning(r.c.id)
        )
        keep_audit = self.run_audit_missing is None
        outcomes: dict[str, RunOutcome] = {}
        async with batch_transaction(
            self.engine,
            backend.traits.write_options,
            r.c.id,
            batch,
            check_file=self.check_file,
            error=self._error,
        ) as conn:
            written = {str(x[0]) for x in (await conn.execute(update)).all()}
            rows = []
            for m in (await conn.execute(self._read_back(batch))).mappings():
                rid = str(m["id"])
                mine = rid in written
                outcomes[rid] = (
                    RunCancelled(rid) if mine else RunFinished(rid, m["status"], m["completed_at"])
                )
                rows.append(
                    {
                        "end_id": op_id,
                        "session_id": "",
                        "run_id": rid,
                        "target": TARGET_RUN,
                        "conversation_id": m["conversation_id"],
                        "owner": m["owner"],
                        "outcome": OUTCOME_CANCELLED if mine else OUTCOME_ALREADY_FINISHED,
                        "reason": CANCELLED,
                        "found_reason": m["status"],
                        "found_ended_at": m["completed_at"],
                        "actor": actor,
                        "tool_version": __version__,
                        "kinds": "",
                    }
                )
            if rows and keep_audit:
                await conn.execute(sa.insert(audit).values(at=backend.now()), rows)
        return outcomes

    async def _reread_runs(
        self, batch: list[str], op_id: str
    ) -> tuple[dict[str, RunOutcome], list[str], list[str]]:
        """What the database holds for a batch whose commit may or may not have landed:
        outcomes, the runs still cancellable (not written), and those that cannot be
        told: not re-read within `REREAD_ATTEMPTS`, or found cancelled where no audit row
        says this cancel wrote it (without the audit, another writer's cancel looks the
        same)."""
        r = workflow_runs
        rows_stmt = sa.select(r.c.id, r.c.status, r.c.completed_at).where(r.c.id.in_(batch))
        audited = self.run_audit_missing is None
        audit_stmt = sa.select(audit.c.run_id, audit.c.outcome).where(audit.c.end_id == op_id)
        read = await reread_batch(self._read, rows_stmt, audit_stmt if audited else None)
        if read is None:
            return {}, [], list(batch)
        rows, mine = read
        found: dict[str, RunOutcome] = {}
        left: list[str] = []
        unresolved: list[str] = []
        for m in rows:
            rid = str(m["id"])
            if mine is not None and mine.get(rid) == OUTCOME_CANCELLED:
                found[rid] = RunCancelled(rid)
            elif cancellable(m["status"]):
                left.append(rid)
            elif mine is None and m["status"] == CANCELLED:
                unresolved.append(rid)
            else:
                found[rid] = RunFinished(rid, m["status"], m["completed_at"])
        for rid in batch:
            if rid not in found and rid not in left and rid not in unresolved:
                found[rid] = RunNotFound(rid)  # deleted meanwhile
        return found, left, unresolved
