"""The kinds of stuck: one table, each kind explained, and its suggested reason taken
only from the triggers the service version in front of the tool accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.rows import make_row
from tests.support.vocabularies import FIVE, FOUR, NINE
from tui.domain import wording
from tui.domain.stuck import KIND_NAMES, StuckKind, parse_kind, suggested
from tui.domain.triggers import E016, V0_2_13, V0_6_0, VOCABULARIES

NOW = datetime(2026, 8, 1, 12, tzinfo=UTC)


def test_every_kind_has_a_name_an_explanation_and_a_suggestion_rule() -> None:
    assert KIND_NAMES == ("idle", "orphaned", "duplicate", "drifted", "codebase-gone")
    for kind in StuckKind:
        line = wording.stuck_explanation(kind)
        assert line and "\n" not in line and len(line) <= 90
        for vocabulary in VOCABULARIES.values():
            got = suggested(kind, vocabulary)
            assert got is None or got in vocabulary.deactivating


# Written out from the issue, not derived from the table.
EXPECTED = {
    "idle": "reset-requested",
    "orphaned": "conversation-closed",
    "duplicate": "reset-requested",
    "drifted": "project-changed",
    "codebase-gone": "project-changed",
}


@pytest.mark.parametrize(
    ("era", "accepted"), [(E016, NINE), (V0_2_13, FOUR), (V0_6_0, FIVE)], ids=lambda e: str(e)
)
def test_suggestions_per_service_era(era: object, accepted: list[str]) -> None:
    vocabulary = VOCABULARIES[era]  # type: ignore[index]
    assert [t.wire for t in vocabulary.deactivating] == accepted
    got = {k.wire: (t.wire if (t := suggested(k, vocabulary)) else None) for k in StuckKind}
    want = {name: (wire if wire in accepted else None) for name, wire in EXPECTED.items()}
    assert got == want
    # project-changed arrived in v0.6.0: before it, drifted and codebase-gone suggest nothing
    assert (got["drifted"] is None) == (era is not V0_6_0)


def test_parse_kind_any_case_and_a_clear_error() -> None:
    assert parse_kind(" Codebase-Gone ") is StuckKind.CODEBASE_GONE
    with pytest.raises(ValueError, match="one of idle, orphaned, duplicate, drifted"):
        parse_kind("stale")


def test_idle_is_stale_one_notion() -> None:
    quiet = make_row(NOW, active=True, last_activity_at=NOW - timedelta(hours=25))
    busy = make_row(NOW, active=True, last_activity_at=NOW - timedelta(hours=1))
    assert quiet.is_stale(NOW, timedelta(hours=24))
    assert quiet.with_idle(NOW, timedelta(hours=24)).stuck == (StuckKind.IDLE,)
    assert busy.with_idle(NOW, timedelta(hours=24)).stuck == ()
    assert wording.status_word(quiet, NOW, timedelta(hours=24)) == wording.STUCK
    both = make_row(
        NOW, active=True, last_activity_at=NOW - timedelta(days=2), stuck=(StuckKind.DRIFTED,)
    )
    assert both.with_idle(NOW, timedelta(hours=24)).stuck == (StuckKind.IDLE, StuckKind.DRIFTED)
    assert wording.stuck_names(both.with_idle(NOW, timedelta(hours=24)).stuck) == "idle,drifted"
