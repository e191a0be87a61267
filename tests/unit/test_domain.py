"""The domain layer: the trigger list, reasons, safe text, models, time helpers, search parsing.

Pure Python: no database, no Textual.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.rows import make_row
from tests.support.vocabularies import NINE
from tui.domain.models import (
    NOT_RECORDED_TOKEN,
    UNRECOGNISED_TOKEN,
    Metadata,
    ReasonFacets,
    SessionFilter,
    SessionRow,
    Status,
)
from tui.domain.search import SearchQuery
from tui.domain.text import safe_text
from tui.domain.timefmt import coarse, human_duration, iso, parse_duration, relative, utcnow
from tui.domain.triggers import (
    BY_WIRE,
    DEACTIVATING,
    KNOWN_REASONS,
    MIGRATION_016,
    NOT_RECORDED,
    Behaviour,
    InvalidEndReason,
    NotRecorded,
    Trigger,
    UnrecognisedReason,
    parse_reason,
)

ALL_WIRES = [
    "first-message",
    "plan-to-execute",
    "isolation-changed",
    "project-changed",
    "codebase-changed",
    "codebase-cloned",
    "cwd-changed",
    "reset-requested",
    "context-reset",
    "repo-removed",
    "worktree-removed",
    "conversation-closed",
]
DEACTIVATING_WIRES = ALL_WIRES[2:]
M016_DEACTIVATING = NINE
"""The nine an operator may write on a database of the 016 era."""
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


# -- the trigger list ---------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", list(Trigger), ids=lambda t: t.wire)
def test_every_trigger_has_a_behaviour_and_a_description(trigger: Trigger) -> None:
    assert isinstance(trigger.behaviour, Behaviour)
    assert isinstance(trigger.description, str)
    assert trigger.description.strip()
    assert trigger.description == trigger.description.strip()
    assert BY_WIRE[trigger.wire] is trigger
    assert trigger.deactivates is (trigger.behaviour is Behaviour.DEACTIVATES)


def test_wire_values_are_every_value_any_service_version_wrote() -> None:
    assert [t.wire for t in Trigger] == ALL_WIRES
    assert list(KNOWN_REASONS) == ALL_WIRES
    assert set(BY_WIRE) == set(ALL_WIRES)
    assert len({t.description for t in Trigger}) == len(ALL_WIRES)


def test_behaviours_of_the_non_deactivating_triggers() -> None:
    assert Trigger.FIRST_MESSAGE.behaviour is Behaviour.NONE
    assert Trigger.PLAN_TO_EXECUTE.behaviour is Behaviour.CREATES
    assert not Trigger.FIRST_MESSAGE.deactivates
    assert not Trigger.PLAN_TO_EXECUTE.deactivates


def test_deactivating_is_exactly_the_ten_of_all_eras() -> None:
    assert [t.wire for t in DEACTIVATING] == DEACTIVATING_WIRES
    assert all(t.behaviour is Behaviour.DEACTIVATES for t in DEACTIVATING)
    assert Trigger.FIRST_MESSAGE not in DEACTIVATING
    assert Trigger.PLAN_TO_EXECUTE not in DEACTIVATING


# -- parse_reason ---------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", ALL_WIRES)
def test_parse_reason_known(wire: str) -> None:
    reason = parse_reason(wire)
    assert isinstance(reason, Trigger)
    assert reason.wire == wire


@pytest.mark.parametrize(
    "raw",
    [
        "session-expired",
        "model-switched",
        "Reset-Requested",  # case differs: never normalised
        " reset-requested",  # whitespace differs: never trimmed
        "",
        "\x1b]0;pwned\x07",
        "[bold red]x[/]",
    ],
)
def test_parse_reason_unknown_is_kept_verbatim(raw: str) -> None:
    reason = parse_reason(raw)
    assert reason == UnrecognisedReason(raw)
    assert isinstance(reason, UnrecognisedReason)
    assert reason.raw == raw


def test_parse_reason_none_is_not_recorded() -> None:
    reason = parse_reason(None)
    assert reason is NOT_RECORDED
    assert isinstance(reason, NotRecorded)


# -- require_deactivating -------------------------------------------------------------------------


@pytest.mark.parametrize("wire", M016_DEACTIVATING)
def test_require_deactivating_accepts_the_nine(wire: str) -> None:
    assert MIGRATION_016.require_deactivating(wire) is BY_WIRE[wire]


@pytest.mark.parametrize(
    "raw",
    [
        "first-message",
        "plan-to-execute",
        "session-expired",
        "",
        "RESET-REQUESTED",
        "reset",
        "project-changed",
    ],
)
def test_require_deactivating_refuses_with_the_valid_list(raw: str) -> None:
    with pytest.raises(InvalidEndReason) as info:
        MIGRATION_016.require_deactivating(raw)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.given == raw and err.vocabulary is MIGRATION_016
    message = str(err)
    assert repr(raw) in message
    _, sep, valid_part = message.partition("valid reasons:")
    assert sep, message
    listed = [part.strip() for part in valid_part.split(",")]
    assert listed == M016_DEACTIVATING
    assert "first-message" not in valid_part
    assert "plan-to-execute" not in valid_part


# -- safe_text ------------------------------------------------------------------------------------

_BIDI = set("\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
"""Controls, format characters (bidi, zero-width, BOM, soft hyphen, tags), lone
surrogates, line and paragraph separators: none may reach a terminal as it is."""


def _is_terminal_safe(text: str) -> bool:
    return all(unicodedata.category(ch) not in UNSAFE_CATEGORIES for ch in text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "\\e[31mred\\e[0m"),
        ("ding\x07", "ding\\x07"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("csi\x9b31m", "csi\\x9b31m"),  # C1 CSI
        ("nel\x85x", "nel\\x85x"),  # C1 next line
        ("del\x7fx", "del\\x7fx"),
        ("\x00nul", "\\x00nul"),
        ("user\u202etxt.exe", "user\\u202etxt.exe"),  # right-to-left override
        ("iso\u2066late\u2069", "iso\\u2066late\\u2069"),
        ("\x1b]0;pwned\x07", "\\e]0;pwned\\x07"),  # OSC: set the window title
    ],
)
def test_safe_text_neutralises_controls(raw: str, expected: str) -> None:
    out = safe_text(raw)
    assert out == expected
    assert _is_terminal_safe(out)


@pytest.mark.parametrize(
    "plain",
    [
        "Fix flaky login test",
        "[bold red]not markup[/] title",  # markup is the renderer's concern, not safe_text's
        "café ✓ 日本語 — naïve “quotes”",
        "",
        "a\\nb",  # an already-escaped backslash sequence stays as it is
    ],
)
def test_safe_text_keeps_plain_text_unchanged(plain: str) -> None:
    assert safe_text(plain) == plain


def test_safe_text_escapes_exactly_the_unsafe_characters_of_unicode() -> None:
    """Every code point: left as it is when this file's own rule (the Unicode category)
    says it is safe, otherwise replaced by a visible, terminal-safe escape."""
    wrong = []
    for code in range(0x110000):
        ch = chr(code)
        out = safe_text(ch)
        newer = unicodedata.category(ch) == "Cn"  # format characters of a later Unicode
        kept = out == ch
        if (kept != _is_terminal_safe(ch) and not newer) or not _is_terminal_safe(out):
            wrong.append(hex(code))
    assert wrong == []
    assert safe_text("ok\u202eevil") == "ok\\u202eevil"
    for invisible in "\u061c\u200b\u200d\ufeff\u2060\u00ad":  # seen reaching a terminal
        assert safe_text(f"a{invisible}b") != f"a{invisible}b"
    assert safe_text("lone \ud800") == "lone \\ud800"
    assert safe_text("a\nb\x07", keep_newlines=True) == "a\nb\\x07"


def test_safe_text_other_values() -> None:
    assert safe_text(None) == ""
    assert safe_text(42) == "42"
    assert safe_text("one\ntwo\rthree", keep_newlines=True) == "one\ntwo\\rthree"
    hostile = "".join(chr(c) for c in range(0x00, 0xA0)) + "".join(sorted(_BIDI))
    assert _is_terminal_safe(safe_text(hostile))


# -- Metadata -------------------------------------------------------------------------------------


def test_metadata_decode_valid() -> None:
    raw = '{"model": "claude", "turns": 3, "plan": {"steps": [1, 2]}}'
    meta = Metadata.decode(raw)
    assert meta.valid is True
    assert meta.raw == raw
    assert meta.value == {"model": "claude", "turns": 3, "plan": {"steps": [1, 2]}}
    assert json.loads(meta.pretty()) == meta.value
    assert "\n" in meta.pretty()


def test_metadata_decode_array_and_scalar_are_valid_json() -> None:
    assert Metadata.decode("[1, 2]").value == [1, 2]
    assert Metadata.decode('"text"').value == "text"


@pytest.mark.parametrize("raw", ["{not json", "", "{'single': 'quotes'}", "[1, 2", "NaN-ish"])
def test_metadata_decode_invalid_keeps_the_raw_text(raw: str) -> None:
    meta = Metadata.decode(raw)
    assert meta.valid is False
    assert meta.value is None
    assert meta.raw == raw
    assert meta.pretty() == raw


def test_metadata_decode_deeply_nested_does_not_raise() -> None:
    raw = "[" * 100_000 + "]" * 100_000
    meta = Metadata.decode(raw)
    assert meta.valid is True and meta.too_deep is True, "valid JSON, kept as stored"
    assert meta.raw == raw and meta.pretty() == raw


def test_metadata_decode_none() -> None:
    meta = Metadata.decode(None)
    assert (meta.raw, meta.value, meta.valid) == (None, None, True)
    assert meta.pretty() == "null"


# -- ReasonFacets ---------------------------------------------------------------------------------


def test_reason_facets_from_groups() -> None:
    facets = ReasonFacets.from_groups(
        [
            ("reset-requested", False, 3),
            ("cwd-changed", False, 2),
            ("plan-to-execute", False, 1),
            (None, False, 4),
            ("session-expired", False, 5),
            ("session-expired", False, 1),
            ("model-switched", False, 2),
            (None, True, 7),
            ("reset-requested", True, 1),  # an active row is counted as active, whatever it holds
        ]
    )
    assert set(facets.known) == set(ALL_WIRES)
    assert facets.known["reset-requested"] == 3
    assert facets.known["cwd-changed"] == 2
    assert facets.known["plan-to-execute"] == 1
    assert facets.known["first-message"] == 0
    assert sum(facets.known.values()) == 6
    assert facets.not_recorded == 4
    assert facets.unrecognised == {"session-expired": 6, "model-switched": 2}
    assert facets.active == 8
    assert facets.total == 3 + 2 + 1 + 4 + 5 + 1 + 2 + 7 + 1


def test_reason_facets_empty() -> None:
    facets = ReasonFacets.from_groups([])
    assert facets.known == dict.fromkeys(ALL_WIRES, 0)
    assert (facets.not_recorded, facets.unrecognised, facets.active, facets.total) == (0, {}, 0, 0)


# -- SessionRow -----------------------------------------------------------------------------------


def _row(**kw: object) -> SessionRow:
    return make_row(NOW, **kw)


def test_session_row_is_idle() -> None:
    threshold = timedelta(hours=2)
    assert _row().is_idle(NOW, threshold) is True
    assert _row().is_idle(NOW, timedelta(hours=4)) is False
    # Exactly at the threshold is not yet idle.
    assert _row().is_idle(NOW, timedelta(hours=3)) is False
    # An ended session is never idle, however old.
    ended = _row(active=False, ended_at=NOW - timedelta(hours=4), ended_reason="cwd-changed")
    assert ended.is_idle(NOW, threshold) is False
    # Without last activity, the start time counts.
    assert _row(last_activity_at=None).is_idle(NOW, timedelta(hours=4)) is True
    assert _row(last_activity_at=None).is_idle(NOW, timedelta(hours=6)) is False
    assert _row(last_activity_at=None, started_at=None).is_idle(NOW, threshold) is False


def test_session_row_reason_and_duration() -> None:
    assert _row().reason is None
    assert _row(active=False).reason is NOT_RECORDED
    assert _row(active=False, ended_reason="repo-removed").reason is Trigger.REPO_REMOVED
    assert _row(active=False, ended_reason="odd").reason == UnrecognisedReason("odd")
    assert _row().duration(NOW) == timedelta(hours=5)
    ended = _row(active=False, ended_at=NOW - timedelta(hours=4))
    assert ended.duration(NOW) == timedelta(hours=1)
    # A clock skew never yields a negative duration.
    assert _row(ended_at=NOW - timedelta(hours=6)).duration(NOW) == timedelta(0)
    assert _row(started_at=None).duration(NOW) is None


def test_session_filter_without_reasons_and_is_empty() -> None:
    assert SessionFilter().is_empty
    flt = SessionFilter(
        status=Status.ENDED,
        reasons=frozenset({"cwd-changed", NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN}),
        platform="slack",
        codebase="infra",
        assistant="codex",
        since=NOW,
        search="x",
    )
    assert not flt.is_empty
    assert flt.without_reasons() == SessionFilter(
        status=Status.ENDED,
        platform="slack",
        codebase="infra",
        assistant="codex",
        since=NOW,
        search="x",
    )
    assert SessionFilter(reasons=frozenset({"x"})).without_reasons().is_empty


# -- timefmt --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("3d", 259200), ("1w", 604800), (" 2 h ", 7200)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "h", "2", "2x", "-1h", "1.5h", "2H", "2h3m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert repr(text) in str(info.value)
    assert "30m" in str(info.value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h"),
        (3660, "1h01m"),
        (86399, "23h59m"),
        (86400, "1d"),
        (90000, "1d1h"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == text


def test_human_duration_none() -> None:
    assert human_duration(None) == "—"


def test_coarse_and_relative() -> None:
    assert coarse(timedelta(seconds=5)) == "5s"
    assert coarse(timedelta(minutes=90)) == "1h"
    assert coarse(timedelta(days=2, hours=23)) == "2d"
    assert relative(NOW - timedelta(hours=3, minutes=59), NOW) == "3h ago"
    assert relative(NOW + timedelta(days=2), NOW) == "in 2d"
    assert relative(NOW, NOW) == "0s ago"
    assert relative(None, NOW) == "—"


def test_iso_and_utcnow() -> None:
    assert iso(None) is None
    assert iso(datetime(2026, 2, 10, 9, 5, 7, 123456, tzinfo=UTC)) == "2026-02-10 09:05:07"
    plus_two = timezone(timedelta(hours=2))
    assert iso(datetime(2026, 2, 10, 1, 0, 0, tzinfo=plus_two)) == "2026-02-09 23:00:00"
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


# -- SearchQuery (the app's search box) -----------------------------------------------------------


def test_search_query_keys_and_free_text() -> None:
    q = SearchQuery.parse("platform:slack codebase:infra free text")
    assert q == SearchQuery(text="free text", platform="slack", codebase="infra")
    assert q.assistant is None


def test_search_query_variants() -> None:
    assert SearchQuery.parse("") == SearchQuery()
    assert SearchQuery.parse("   ") == SearchQuery()
    assert SearchQuery.parse("assistant:codex") == SearchQuery(assistant="codex")
    # Keys are case-insensitive; values are kept as typed.
    assert SearchQuery.parse("Platform:Slack") == SearchQuery(platform="Slack")
    # Quotes group words, in values and in free text.
    assert SearchQuery.parse('codebase:"web dashboard" "memory leak"') == SearchQuery(
        text="memory leak", codebase="web dashboard"
    )
    # Unknown keys and empty values are free text.
    assert SearchQuery.parse("title:foo platform:") == SearchQuery(text="title:foo platform:")
    # An unbalanced quote does not raise: plain splitting instead.
    assert SearchQuery.parse('say "hi platform:web') == SearchQuery(text='say "hi', platform="web")
    # The last of a repeated key wins.
    assert SearchQuery.parse("platform:a platform:b") == SearchQuery(platform="b")
    # LIKE wildcards are passed through as typed (the store treats them literally).
    assert SearchQuery.parse("50% snake_case") == SearchQuery(text="50% snake_case")
