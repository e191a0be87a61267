"""The audit record read back, and the words for an end the service overwrote."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tui import TOOL_NAME
from tui.domain.audit import ended_by, overwritten
from tui.domain.models import Metadata, SessionRow
from tui.domain.wording import overwrite_note

AT = datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=UTC)


def _row(reason: str | None, ended: datetime | None, *, active: bool = False) -> SessionRow:
    return SessionRow(
        id="s1", conversation_id=None, codebase_id=None, ai_assistant_type="claude",
        active=active, started_at=AT - timedelta(minutes=5), ended_at=ended,
        ended_reason=reason, transition_reason=None, parent_session_id=None,
        platform_type=None, platform_conversation_id=None, title=None,
        last_activity_at=None, codebase_name=None,
    )  # fmt: skip


def _meta(**record: object) -> Metadata:
    base = {"actor": "oncall@laptop", "tool": TOOL_NAME, "version": "1.0"}
    return Metadata.decode(json.dumps({"model": "x", "endedBy": {**base, **record}}))


MINE = _meta(reason="conversation-closed", at="2026-11-20T12:00:00.123456Z")


def test_an_untouched_end_matches_its_record() -> None:
    assert overwritten(_row("conversation-closed", AT), MINE) is None
    record = ended_by(MINE)
    assert record is not None and record.at == AT and record.reason == "conversation-closed"


@pytest.mark.parametrize(
    ("reason", "ended", "words"),
    [
        ("reset-requested", AT + timedelta(seconds=1), "recorded reset-requested 1s later"),
        ("reset-requested", AT + timedelta(milliseconds=4), "recorded reset-requested <1s later"),
        ("reset-requested", AT, "recorded reset-requested at the same time"),
        ("conversation-closed", AT + timedelta(minutes=3), "recorded the same reason 3m later"),
        ("reset-requested", AT - timedelta(seconds=2), "recorded reset-requested 2s earlier"),
        ("reset-requested", None, "recorded reset-requested with no end time"),
    ],
)
def test_an_overwritten_end_is_said_in_the_operators_words(
    reason: str, ended: datetime | None, words: str
) -> None:
    found = overwritten(_row(reason, ended), MINE)
    assert found is not None
    assert (
        overwrite_note(found)
        == f"ended by oncall@laptop as conversation-closed; the service {words}"
    )


def test_records_that_cannot_be_compared_say_nothing() -> None:
    row = _row("reset-requested", AT + timedelta(seconds=1))
    assert overwritten(row, _meta()) is None  # written before reason/at were recorded
    assert overwritten(row, _meta(reason="x", at="not a time")) is None
    other = Metadata.decode(json.dumps({"endedBy": {"tool": "someone-else", "reason": "x"}}))
    assert overwritten(row, other) is None and ended_by(other) is None
    assert overwritten(row, Metadata.decode("not json")) is None


def test_a_hostile_actor_is_made_safe() -> None:
    found = overwritten(
        _row("reset-requested", AT),
        _meta(actor="\x1b]0;x\x07", reason="a", at="2026-11-20T12:00:00Z"),
    )
    assert found is not None
    assert "\x1b" not in overwrite_note(found)


def test_the_repeated_hour_of_a_dst_change_is_no_overwrite() -> None:
    """Ended at 01:30 EDT (05:30Z) on 1 November 2026, New York: the stored 01:30 reads
    back as 01:30 EST (06:30Z). Same wall clock in the service's zone: untouched."""
    new_york = ZoneInfo("America/New_York")
    at = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    meta = _meta(reason="conversation-closed", at="2026-11-01T05:30:00Z")
    read_back = _row("conversation-closed", at + timedelta(hours=1))
    assert overwritten(read_back, meta, new_york) is None
    assert overwritten(read_back, meta) is not None  # without the zone nothing says so
    moved = overwritten(_row("conversation-closed", at + timedelta(minutes=61)), meta, new_york)
    assert moved is not None
