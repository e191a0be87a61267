"""The trigger table's eras and `detect_era`: which values each service version wrote,
which an operator may write, and how a database's version is told from its schema."""

from __future__ import annotations

import itertools

import pytest

from tui.domain import wording
from tui.domain.triggers import (
    BY_WIRE,
    E016,
    ERAS,
    NEWEST,
    PRE_016,
    V0_2_13,
    V0_6_0,
    VOCABULARIES,
    Behaviour,
    Detection,
    Era,
    InvalidEndReason,
    SchemaMarkers,
    Trigger,
    UnrecognisedReason,
    detect_era,
    parse_reason,
)

RETIRED_IN_0_2_13 = {"codebase-changed", "codebase-cloned", "cwd-changed", "context-reset"} | {
    "repo-removed"
}
SIX = [
    "first-message",
    "plan-to-execute",
    "isolation-changed",
    "reset-requested",
    "worktree-removed",
    "conversation-closed",
]
TODAY_DEACTIVATING = [
    "isolation-changed",
    "project-changed",
    "reset-requested",
    "worktree-removed",
    "conversation-closed",
]


@pytest.mark.parametrize("trigger", list(Trigger), ids=lambda t: t.wire)
def test_every_value_has_a_behaviour_and_an_era(trigger: Trigger) -> None:
    assert isinstance(trigger.behaviour, Behaviour)
    assert trigger.since in ERAS and trigger.since is not PRE_016
    assert trigger.until is None or (trigger.until in ERAS and trigger.since < trigger.until)
    assert any(trigger.in_force(era) for era in ERAS), "in force in at least one era"
    assert isinstance(parse_reason(trigger.wire), Trigger), "recognised whatever the era"


def test_eras_are_ordered_by_date_and_release() -> None:
    assert [e.key for e in ERAS] == ["pre-016", "016", "v0.2.13", "v0.6.0"]
    dated = [e.released for e in ERAS if e.released is not None]
    assert dated == sorted(dated)
    assert E016.label == "016 (main, 2026-02-16)"
    assert all(a < b for a, b in itertools.pairwise(ERAS))


def test_each_eras_vocabulary() -> None:
    assert VOCABULARIES[PRE_016].wires == ()
    assert len(VOCABULARIES[E016].wires) == 11
    assert "project-changed" not in VOCABULARIES[E016].wires
    assert set(VOCABULARIES[E016].wires) >= RETIRED_IN_0_2_13
    assert list(VOCABULARIES[V0_2_13].wires) == SIX
    today = VOCABULARIES[V0_6_0]
    assert list(today.wires) == [*SIX[:3], "project-changed", *SIX[3:]]
    assert [t.wire for t in today.deactivating] == TODAY_DEACTIVATING
    assert len(VOCABULARIES[E016].deactivating) == 9
    assert NEWEST is today


def test_era_notes_say_when_a_value_came_or_went() -> None:
    assert Trigger.PROJECT_CHANGED.era_note == "since v0.6.0"
    assert Trigger.PROJECT_CHANGED.behaviour is Behaviour.DEACTIVATES
    for wire in RETIRED_IN_0_2_13:
        assert BY_WIRE[wire].era_note == "retired in v0.2.13"
        assert BY_WIRE[wire].since is E016 and BY_WIRE[wire].until is V0_2_13
    assert Trigger.RESET_REQUESTED.era_note == ""
    assert Trigger.RESET_REQUESTED.until is None


def test_every_stored_value_is_recognised_with_its_era_or_marked() -> None:
    explained = wording.reason_explained(False, "project-changed")
    assert "since v0.6.0" in explained and "unrecognised" not in explained
    assert "retired in v0.2.13" in wording.reason_explained(False, "cwd-changed")
    assert wording.reason_status(False, "project-changed") == "known"
    assert parse_reason("session-expired") == UnrecognisedReason("session-expired")
    assert wording.reason_status(False, "session-expired") == "unrecognised"


def test_a_refused_reason_names_the_version_and_the_valid_list() -> None:
    vocabulary = detect_era(SchemaMarkers(True, True, True, True, "0.9.0")).vocabulary
    with pytest.raises(InvalidEndReason) as info:
        vocabulary.require_deactivating("cwd-changed")
    message = str(info.value)
    assert "service v0.9.0" in message
    assert message.endswith("valid reasons: " + ", ".join(TODAY_DEACTIVATING))
    assert vocabulary.require_deactivating("project-changed") is Trigger.PROJECT_CHANGED


def test_before_016_no_reason_is_accepted() -> None:
    vocabulary = VOCABULARIES[PRE_016]
    with pytest.raises(InvalidEndReason, match="valid reasons: none"):
        vocabulary.require_deactivating("reset-requested")


@pytest.mark.parametrize(
    ("markers", "era", "version"),
    [
        (SchemaMarkers(False), PRE_016, "pre-016"),
        (SchemaMarkers(True), E016, "016 (main)"),
        (SchemaMarkers(True, codebase_env_vars=True), V0_2_13, "v0.2.13 to v0.5.x"),
        (SchemaMarkers(True, True, codebase_kind=True), V0_6_0, "v0.6.x"),
        (SchemaMarkers(True, True, True, True, "0.9.0", "0.7.0"), V0_6_0, "v0.9.0"),
        (SchemaMarkers(True, True, True, True, "v0.7.1"), V0_6_0, "v0.7.1"),
        (SchemaMarkers(True, True, True, True, "dev"), V0_6_0, "dev build (v0.7.0 on)"),
        (SchemaMarkers(True, True, True, True, None), V0_6_0, "v0.7.0 on"),
        (SchemaMarkers(True, True, True, True, "1.4.2"), V0_6_0, "v1.4.2"),
        # A release older than the table is impossible from the service; the number wins.
        (SchemaMarkers(True, True, True, True, "0.3.1"), V0_2_13, "v0.3.1"),
    ],
)
def test_detect_era(markers: SchemaMarkers, era: Era, version: str) -> None:
    detection = detect_era(markers)
    assert isinstance(detection, Detection)
    assert detection.era is era
    assert detection.version == version
    assert detection.how.strip()
    assert detection.vocabulary.wires == VOCABULARIES[max(era, E016)].wires
    assert detection.vocabulary.name == f"service {version}"


def test_a_dev_build_says_why_the_markers_decided() -> None:
    how = detect_era(SchemaMarkers(True, True, True, True, "dev")).how
    assert "'dev'" in how and "v0.7.0" in how
