"""Workflow runs as the tool reads them: a list row, its filter and cursor, a run's
detail, with what the service writes into `remote_agent_workflow_runs` and the tables
beside it at each version the tool reads.

Columns of `remote_agent_workflow_runs` (the SQLite adapter's CREATE TABLE and
`migrateColumns` ALTERs, packages/core/src/db/adapters/sqlite.ts; PostgreSQL's
migrations/000_combined.sql and the numbered files), by the first version with them:

- in every era the tool reads (pre-016, 2026-02 `99bbec9f79`): id, workflow_name,
  conversation_id, codebase_id, current_step_index, status, user_message, metadata,
  parent_conversation_id (migration 015), started_at, completed_at, last_activity_at
  (migration 009);
- v0.2.13: working_path (migration 019_workflow_resume_path.sql);
- v0.4.0: user_id (000_combined.sql@v0.4.0, sqlite.ts@v0.4.0 `migrateColumns`);
- v0.7.0: parent_run_id (000_combined.sql@v0.7.0, "Run-tree parent (#2121 Phase 2)");
- v0.8.0: output_root (000_combined.sql@v0.8.0, "Durable output root (#2200)");
- after v0.9.0 (main, 6594996d3, 2026-08-20): outcome, `succeeded` or `failed` or NULL
  ("authored workflow verdict", independent of status). No tag has it.

Beside it: `remote_agent_workflow_events` (migration 012, every era; `event_order`
from v0.8.0: sqlite.ts@v0.8.0 `migrateColumns`, NULL on rows written before) and
`remote_agent_workflow_node_sessions` (migration 022, v0.6.0 on; keyed by
workflow_name, node_id, scope_key, provider; `last_run_id` the run that last wrote it;
`scope_key` is usually the conversation id).

What the service writes (packages/core/src/db/workflows.ts and the executor,
packages/workflows/src/executor.ts from v0.2.13, packages/core/src/workflows/ before):

- `createWorkflowRun` inserts without a status: the column's default. SQLite's is
  `pending` in every era; PostgreSQL's was `running` (migration 008) until
  018_fix_workflow_status_default.sql (v0.2.13) made it `pending`. The executor then
  sets `running` with `updateWorkflowRun` once execution starts (executor.ts@v0.9.0
  "Set status to running now that execution has started").
- `STALE_PENDING_AGE_MS` = 5 min (workflows.ts@v0.4.0 through @v0.9.0; none before):
  `getActiveWorkflowRunByPath` ignores a `pending` row older than that when it looks
  for the run holding a working path ("orphaned pre-creates ... from crashed or
  resume-replaced dispatches"). Nothing ever moves such a row out of `pending`.
- `updateWorkflowActivity` sets last_activity_at to the database clock; from v0.2.13
  the DAG executor calls it at most once a minute, and only while a node's stream
  yields messages (dag-executor.ts@v0.2.13 … @v0.9.0 `ACTIVITY_HEARTBEAT_INTERVAL_MS`):
  a long tool call writes no activity. The service records no process that owns a run,
  so a quiet `running` row is a guess, never proof, that nothing works on it.
- `failOrphanedRuns` fails every `running` row (`failure_reason: server_restart` in
  metadata). The server called it at startup from v0.2.13 through v0.3.6
  (packages/server/src/index.ts); from v0.3.7 on nothing calls it (at v0.9.0 only the
  store adapter lists it), and before v0.2.13 it did not exist: the service leaves a
  `running` row as it is, and a run of the CLI never had a server to fail it. From
  v0.6.0 a `running` row quiet for `ORPHAN_RESUME_STALE_DAYS` (1 day) may be resumed by
  a later run of the same workflow on the same path (`resumableStatusClause`).
- `pauseWorkflowRun` (v0.2.13 on): `status = 'paused'` with `metadata.approval`, no
  completed_at; an approval gate waits on a human. Before v0.2.13 no run pauses.
- completed/failed/cancelled set completed_at from the database clock;
  `completeWorkflowRun` merges `total_cost_usd` into metadata when a node reported a
  cost (dag-executor.ts@v0.2.13 on); `failWorkflowRun` merges `error`.
- The path lock. v0.2.13: before running, the executor asks for a `running`/`paused`
  run on the same working_path and, if one holds it, answers "Workflow already
  running" without writing anything to the table (a web-dispatched pre-created row
  stays `pending`). v0.4.0 on: the lock check runs after the run's own row exists;
  the loser sets its own row `cancelled` through `updateWorkflowRun` (completed_at
  set, no reason in metadata, no event), and answers "Workflow already active on this
  path". So a `running` run with a later run on its path that ended `cancelled` is
  what a lost lock leaves, and what a user's cancel of such a run leaves too: the
  tool says both (`run_stuck.RunStuckKind.PATH_HELD`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from tui.domain.models import ChainHop, Metadata

if TYPE_CHECKING:
    from tui.domain.run_stuck import RunStuckKind

RUN_STATUSES = ("pending", "running", "paused", "completed", "failed", "cancelled")
"""Every status the service writes (`WorkflowRunStatus`, workflow-run.ts@v0.9.0)."""
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
"""A run in one of these has finished (completed_at set)."""
RUN_OUTCOMES = ("succeeded", "failed")
"""What `outcome` holds where the version has the column (main after v0.9.0)."""

STALE_PENDING_AGE = timedelta(minutes=5)
"""The service's `STALE_PENDING_AGE_MS` (workflows.ts@v0.4.0 … @v0.9.0)."""
DEFAULT_QUIET_AFTER = timedelta(minutes=30)
"""When a `running` run with no recorded activity is shown as quiet, unless told otherwise."""
RECENT_EVENTS = 20
"""How many of a run's events (and node sessions) its detail lists: the latest."""
RECENT_SESSIONS = 20
"""How many of the run's conversation's sessions its detail lists: the latest."""
RUN_PAGE_SIZE = 100

RUN_COLUMNS_BY_ERA: tuple[tuple[str, frozenset[str]], ...] = (
    ("v0.2.13", frozenset({"working_path"})),
    ("v0.4", frozenset({"user_id"})),
    ("v0.7", frozenset({"parent_run_id"})),
    ("v0.8", frozenset({"output_root"})),
    ("main", frozenset({"outcome"})),
)
"""The optional columns of the runs table, by the version that added them."""
OPTIONAL_RUN_COLUMNS = frozenset().union(*(cols for _, cols in RUN_COLUMNS_BY_ERA))


class RunFilter(Struct, frozen=True):
    """Every runs-list filter; all combine with AND, the statuses among themselves with OR."""

    statuses: frozenset[str] = frozenset()
    """Stored status values (any of them); empty: every status."""
    workflow: str | None = None
    """The workflow's name starts with this, ignoring case."""
    codebase: str | None = None
    """The codebase's name starts with this, ignoring case."""
    owner: str | None = None
    """The run's user (else its conversation's): display name, email or id, any case."""
    since: datetime | None = None
    """Only runs started at or after this time (UTC): the age filter."""
    text: str | None = None
    """A part of the id, the workflow's name, the user's message or the working path."""
    conversation_id: str | None = None
    """Only the runs of this conversation (whole id): a session's link to its runs."""
    stuck: RunStuckKind | None = None
    """Only the runs in this stuck kind."""
    ids: frozenset[str] | None = None
    """Only these runs (whole ids): whether a selection is still in the view."""

    @property
    def is_empty(self) -> bool:
        return self == RunFilter()


class RunCursor(Struct, frozen=True):
    """Keyset position: the stored started_at (`key`) and id of the last row of a page."""

    key: Any
    id: str


class RunRow(Struct, frozen=True):
    """One line of the runs list: the run with its conversation, codebase and owner.

    A column the database's version lacks reads as None (`StoreRuns.run_columns` says
    which it has)."""

    id: str
    status: str | None
    workflow_name: str | None
    conversation_id: str | None
    platform_type: str | None
    platform_conversation_id: str | None
    codebase_id: str | None
    codebase_name: str | None
    owner: str | None
    started_at: datetime | None
    last_activity_at: datetime | None
    completed_at: datetime | None
    cost_usd: float | None
    """`metadata.total_cost_usd` when it is a number; None otherwise."""
    outcome: str | None = None
    parent_run_id: str | None = None
    working_path: str | None = None
    path_lost_by: str | None = None
    """For a `running` run with a working path: the latest run started after it on that
    path that ended `cancelled` (what the service's path lock leaves, v0.4.0 on)."""
    stuck: tuple[RunStuckKind, ...] = ()
    """Every stuck kind the store found the run in when it read it, in the kinds' order."""

    def duration(self, now: datetime) -> timedelta | None:
        """From start to completion, or to `now` while the run has not finished."""
        if self.started_at is None:
            return None
        end = self.completed_at if self.completed_at is not None else now
        return max(end - self.started_at, timedelta(0))

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def quiet_for(self, now: datetime) -> timedelta | None:
        """How long nothing was recorded for the run: since its last activity, else its
        start; None when it has neither."""
        last = self.last_activity_at or self.started_at
        return None if last is None else max(now - last, timedelta(0))


class RunPage(Struct, frozen=True):
    rows: list[RunRow]
    next_cursor: RunCursor | None
    resume: RunCursor | None = None
    """A bounded search (`Store.search_runs`) that stopped at its window's floor: where
    the next window starts. None when the search reached the end of the list."""
    searched: int = 0
    """How many runs (newest first) a bounded search looked at for this page; 0 for a
    page that is not a bounded search's."""


class RunEvent(Struct, frozen=True):
    """One row of `remote_agent_workflow_events`."""

    id: str
    event_type: str | None
    step_index: int | None
    step_name: str | None
    data: Metadata
    created_at: datetime | None
    event_order: int | None = None
    """v0.8.0 on; None on rows written before and on older versions."""


class NodeSession(Struct, frozen=True):
    """One row of `remote_agent_workflow_node_sessions` (v0.6.0 on)."""

    workflow_name: str | None
    node_id: str | None
    scope_key: str | None
    provider: str | None
    provider_session_id: str | None
    last_run_id: str | None
    created_at: datetime | None
    updated_at: datetime | None


class RunDetail(Struct, frozen=True):
    """Every column of one run, with what surrounds it.

    `events` and `node_sessions` are None where the version has no such table; the
    lists are the latest (`RECENT_EVENTS`), newest first."""

    row: RunRow
    user_message: str | None
    current_step_index: int | None
    metadata: Metadata
    parent_conversation_id: str | None = None
    output_root: str | None = None
    user_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Run columns this tool does not know (newer service versions): shown as they are."""
    parent: RunRow | None = None
    children: list[RunRow] = field(default_factory=list)
    """The sub-runs (`parent_run_id` = this run), oldest first."""
    sessions: list[ChainHop] = field(default_factory=list)
    """The run's conversation's sessions, newest first (at most `RECENT_SESSIONS`)."""
    events: list[RunEvent] | None = None
    node_sessions: list[NodeSession] | None = None
    columns: frozenset[str] = frozenset()
    """The runs table's columns in this database: what `—` means for each field."""
