"""The stuck run kinds as data: each one record with every part, its Python rule at its
edges, and its words (an age, never a verdict)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec.structs
import pytest

from tui.config import setting
from tui.domain.run_stuck import (
    RUN_KIND_NAMES,
    RunKindRecord,
    RunStuckKind,
    kinds_of,
    parse_run_kind,
    run_not_detectable,
)
from tui.domain.runs import DEFAULT_QUIET_AFTER, STALE_PENDING_AGE, RunRow
from tui.domain.wording import run_stuck_evidence
from tui.store.backends import backend_for
from tui.store.sql_dialect import Dialect
from tui.store.sql_runs import RunSql, run_stuck_condition

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
K = RunStuckKind


def run(status: str, started: timedelta, **more: object) -> RunRow:
    fields: dict[str, object] = {
        "id": "r1",
        "status": status,
        "workflow_name": "deploy",
        "conversation_id": None,
        "platform_type": None,
        "platform_conversation_id": None,
        "codebase_id": None,
        "codebase_name": None,
        "owner": None,
        "started_at": NOW - started,
        "last_activity_at": None,
        "completed_at": None,
        "cost_usd": None,
    }
    fields.update(more)
    return RunRow(**fields)  # type: ignore[arg-type]


def test_every_kind_has_every_part() -> None:
    parts = [f.name for f in msgspec.structs.fields(RunKindRecord)]
    assert parts == [
        "wire", "explanation", "suggestion", "detectability", "rule_sql", "applies", "by_clock",
    ]  # fmt: skip
    for kind in K:
        record = kind.record
        assert record.wire and record.explanation and record.suggestion and record.rule_sql
        assert callable(record.applies)
    first = K.QUIET.record
    with pytest.raises(TypeError):
        RunKindRecord(first.wire, first.explanation, first.suggestion, first.detectability)  # type: ignore[call-arg]
    assert RUN_KIND_NAMES == ("stale-pending", "quiet", "awaiting-approval", "path-held")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_kind_has_an_sql_rule_on_each_backend(backend: str) -> None:
    d = Dialect(backend_for(backend), True)
    columns = frozenset(
        {"id", "status", "started_at", "last_activity_at", "working_path", "user_id"}
    )
    rs = RunSql(d, columns)
    for kind in K:
        compiled = str(
            run_stuck_condition(rs, kind).compile(dialect=d.backend.traits.driver_dialect)
        )
        assert "status" in compiled, kind
    blind = RunSql(d, columns, undetectable=frozenset(K))
    assert {str(run_stuck_condition(blind, k)) for k in K} == {"false"}


def test_the_quiet_default_is_the_declared_settings() -> None:
    declared = setting("run_quiet_after")
    assert declared.settings_value(declared.default) == DEFAULT_QUIET_AFTER


def test_stale_pending_is_the_services_five_minutes() -> None:
    assert timedelta(minutes=5) == STALE_PENDING_AGE
    assert kinds_of(run("pending", timedelta(minutes=5)), NOW, DEFAULT_QUIET_AFTER) == ()
    late = run("pending", timedelta(minutes=5, seconds=1))
    assert kinds_of(late, NOW, DEFAULT_QUIET_AFTER) == (K.STALE_PENDING,)
    assert (
        kinds_of(run("running", timedelta(hours=1), last_activity_at=NOW), NOW, DEFAULT_QUIET_AFTER)
        == ()
    )


def test_quiet_counts_from_the_last_activity_else_the_start() -> None:
    never = run("running", timedelta(minutes=31))
    assert kinds_of(never, NOW, DEFAULT_QUIET_AFTER) == (K.QUIET,)
    beat = run("running", timedelta(hours=3), last_activity_at=NOW - timedelta(minutes=10))
    assert kinds_of(beat, NOW, DEFAULT_QUIET_AFTER) == ()
    assert kinds_of(never, NOW, timedelta(hours=1)) == ()
    assert kinds_of(run("completed", timedelta(days=2)), NOW, DEFAULT_QUIET_AFTER) == ()


def test_path_held_needs_a_later_cancelled_run_on_its_path() -> None:
    holding = run("running", timedelta(minutes=1), working_path="/wt/a", path_lost_by="r2")
    assert kinds_of(holding, NOW, DEFAULT_QUIET_AFTER) == (K.PATH_HELD,)
    alone = msgspec.structs.replace(holding, path_lost_by=None)
    assert kinds_of(alone, NOW, DEFAULT_QUIET_AFTER) == ()
    paused = run("paused", timedelta(hours=2))
    assert kinds_of(paused, NOW, DEFAULT_QUIET_AFTER) == (K.AWAITING_APPROVAL,)


def test_the_words_give_an_age_and_call_quiet_a_guess() -> None:
    quiet = run("running", timedelta(hours=2))
    words = run_stuck_evidence(quiet, K.QUIET, NOW)
    assert words.startswith("no activity for 2h") and "a guess" in words
    every = [run_stuck_evidence(quiet, k, NOW) for k in K] + [k.explanation for k in K]
    assert not any("dead" in w for w in every)
    paused = run("paused", timedelta(hours=3), last_activity_at=NOW - timedelta(hours=3))
    assert "waiting on approval" in run_stuck_evidence(paused, K.AWAITING_APPROVAL, NOW)
    assert "3h" in run_stuck_evidence(paused, K.AWAITING_APPROVAL, NOW)


def test_what_each_runs_table_can_produce() -> None:
    pre = frozenset({"id", "status", "started_at", "last_activity_at"})
    assert run_not_detectable(K.QUIET, pre) is None
    assert run_not_detectable(K.AWAITING_APPROVAL, pre)
    assert run_not_detectable(K.PATH_HELD, pre | {"working_path"})
    assert run_not_detectable(K.PATH_HELD, pre | {"working_path", "user_id"}) is None
    assert run_not_detectable(K.QUIET, frozenset()) == "this database has no workflow runs table"


def test_parse_run_kind_any_case_and_a_clear_error() -> None:
    assert parse_run_kind(" Path-Held ") is K.PATH_HELD
    with pytest.raises(ValueError, match="stale-pending, quiet, awaiting-approval, path-held"):
        parse_run_kind("dead")
