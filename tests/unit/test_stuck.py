"""The kinds of stuck: one table, each kind explained, and its suggested reason taken
only from the triggers the service version in front of the tool accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.rows import make_row
from tests.support.vocabularies import FIVE, FOUR, NINE
from tui.domain import wording
from tui.domain.stuck import (
    KIND_NAMES,
    PRECEDENCE,
    StuckKind,
    not_detectable,
    parse_kind,
    suggested,
)
from tui.domain.triggers import E016, PRE_016, V0_2_13, V0_6_0, VOCABULARIES, Trigger

NOW = datetime(2026, 8, 1, 12, tzinfo=UTC)


def test_every_kind_has_a_name_an_explanation_and_a_suggestion_rule() -> None:
    assert KIND_NAMES == ("idle", "orphaned", "duplicate")
    assert sorted(PRECEDENCE, key=list(StuckKind).index) == list(StuckKind)
    assert PRECEDENCE == (StuckKind.ORPHANED, StuckKind.DUPLICATE, StuckKind.IDLE)
    precedences = sorted(k.record.precedence for k in StuckKind)
    assert precedences == list(range(len(StuckKind))), "one place each, none shared"
    for kind in StuckKind:
        record = kind.record
        assert record.wire and record.explanation == wording.stuck_explanation(kind)
        assert isinstance(record.suggestion, Trigger)
        blind = record.detectability
        assert (blind.needs_soft_delete or blind.sqlite_before is not None) == bool(blind.why)
    for kind in StuckKind:
        line = wording.stuck_explanation(kind)
        assert line and "\n" not in line and len(line) <= 90
        for vocabulary in VOCABULARIES.values():
            got = suggested(kind, vocabulary)
            assert got is None or got in vocabulary.deactivating


# What the service itself writes for each situation (Archon, state/session-transitions.ts):
# `/reset` ends the session with reset-requested (:93@016, :74@v0.2.13, :91@v0.9.0), and
# the next message starts a new session with no parent, as after an end with it; closing
# a conversation ends its session with conversation-closed (cleanup-service.ts:59@016,
# :246@v0.9.0). Written out, not derived from the table.
EXPECTED = {
    "idle": "reset-requested",
    "orphaned": "conversation-closed",
    "duplicate": "reset-requested",
}


@pytest.mark.parametrize(
    ("era", "accepted"), [(E016, NINE), (V0_2_13, FOUR), (V0_6_0, FIVE)], ids=lambda e: str(e)
)
def test_suggestions_per_service_era(era: object, accepted: list[str]) -> None:
    vocabulary = VOCABULARIES[era]  # type: ignore[index]
    assert [t.wire for t in vocabulary.deactivating] == accepted
    got = {k.wire: (t.wire if (t := suggested(k, vocabulary)) else None) for k in StuckKind}
    # every suggestion is a trigger every era's service writes itself
    assert got == EXPECTED


def test_what_each_era_and_backend_can_produce() -> None:
    """duplicate needs two active sessions on one conversation: 016 writes a transition
    outside a transaction (both backends), v0.2.13 on in one transaction, which only
    PostgreSQL's READ COMMITTED lets two processes both pass; orphaned needs deleted_at."""
    for era in (PRE_016, E016, V0_2_13, V0_6_0):
        for sqlite in (False, True):
            found = {
                k
                for k in StuckKind
                if not_detectable(k, era, sqlite=sqlite, soft_delete=True) is None
            }
            dup = not sqlite or era < V0_2_13
            assert found == {StuckKind.IDLE, StuckKind.ORPHANED} | (
                {StuckKind.DUPLICATE} if dup else set()
            )
            why = not_detectable(StuckKind.ORPHANED, era, sqlite=sqlite, soft_delete=False)
            assert why is not None and "deleted_at" in why
    assert not_detectable(StuckKind.IDLE, V0_6_0, sqlite=True, soft_delete=False) is None


def test_idle_says_quiet_not_broken() -> None:
    line = wording.stuck_explanation(StuckKind.IDLE)
    assert "quiet" in line and "nothing is broken" in line and "/reset" in line


def test_parse_kind_any_case_and_a_clear_error() -> None:
    assert parse_kind(" Duplicate ") is StuckKind.DUPLICATE
    with pytest.raises(ValueError, match=r"one of idle, orphaned, duplicate$"):
        parse_kind("stale")
    with pytest.raises(ValueError, match="unknown stuck kind 'drifted'"):
        parse_kind("drifted")


def test_idle_is_one_notion() -> None:
    quiet = make_row(NOW, active=True, last_activity_at=NOW - timedelta(hours=25))
    busy = make_row(NOW, active=True, last_activity_at=NOW - timedelta(hours=1))
    assert quiet.is_idle(NOW, timedelta(hours=24))
    assert quiet.with_idle(NOW, timedelta(hours=24)).stuck == (StuckKind.IDLE,)
    assert busy.with_idle(NOW, timedelta(hours=24)).stuck == ()
    assert wording.status_word(quiet, NOW, timedelta(hours=24)) == wording.STUCK
    both = make_row(
        NOW, active=True, last_activity_at=NOW - timedelta(days=2), stuck=(StuckKind.ORPHANED,)
    )
    assert both.with_idle(NOW, timedelta(hours=24)).stuck == (StuckKind.IDLE, StuckKind.ORPHANED)
    assert wording.stuck_names(both.with_idle(NOW, timedelta(hours=24)).stuck) == "idle,orphaned"
