"""One presentation: the column registry and the wording, shared by the dashboard and the CLI.

The dashboard and the CLI read the same registry and the same words, so these tests
compare them on the same rows; the JSON/CSV shape is compared with the registry.
The operations are tested against real databases in tests/store/test_operations.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from msgspec.structs import fields

from tests.support.rows import make_row
from tui.app.outcomes import describe, describe_outcomes
from tui.app.render import row_cells
from tui.cli import render as cli_render
from tui.domain.columns import COLUMNS, FIELD_KEYS, FIELDS, Context, conversation_label, export
from tui.domain.models import (
    AlreadyEnded,
    Cursor,
    Ended,
    NotFound,
    SessionFilter,
    SessionRow,
    Status,
)
from tui.domain.stuck import StuckKind
from tui.domain.wording import outcome_line, plan_line, reason_label, status_word
from tui.store.codec import session_row

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
CTX = Context(NOW, timedelta(hours=24))


def row(**kw: Any) -> SessionRow:
    return make_row(NOW, **kw)


ENDED_AT = NOW - timedelta(hours=1)
ROWS = {
    "active": row(),
    "idle": row(last_activity_at=NOW - timedelta(days=3)),
    "idle, never active": row(last_activity_at=None, started_at=NOW - timedelta(days=2)),
    "ended, known": row(active=False, ended_at=ENDED_AT, ended_reason="cwd-changed"),
    "ended, not recorded": row(active=False, ended_at=ENDED_AT),
    "ended, unrecognised": row(active=False, ended_at=ENDED_AT, ended_reason="session-expired"),
    "ended, hostile reason": row(active=False, ended_at=None, ended_reason="\x1b]0;x\x07"),
    "only a platform id": row(title=None),
    "only a conversation id": row(title=None, platform_conversation_id=None),
    "no conversation": row(title=None, platform_conversation_id=None, conversation_id=None),
    "empty strings": row(title="", platform_type="", codebase_name=None, ai_assistant_type=None),
    "no start": row(started_at=None, last_activity_at=None),
}


# -- the dashboard and the CLI show the same thing ---------------------------------------------


@pytest.mark.parametrize("name", list(ROWS))
def test_dashboard_and_cli_table_show_the_same_cells(name: str) -> None:
    r = ROWS[name]
    screen = {
        c.key: cell.plain
        for c, cell in zip(COLUMNS, row_cells(r, NOW, CTX.stale_after, False), strict=True)
    }
    keys = [c.key for c in cli_render.TABLE_COLUMNS]
    table = dict(zip(keys, cli_render.table_cells(r, CTX), strict=True))
    assert set(screen) == set(table) == {c.key for c in COLUMNS}
    # The dashboard only adds its row marker ("● " or two spaces) before the status word.
    assert screen.pop("status")[2:] == table.pop("status") == status_word(r, NOW, CTX.stale_after)
    assert screen == table
    assert table["conversation"] == conversation_label(r)
    assert table["reason"] == reason_label(r.reason)


def test_the_status_and_the_conversation_label_follow_one_rule() -> None:
    statuses = {name: status_word(r, NOW, CTX.stale_after) for name, r in ROWS.items()}
    assert statuses["active"] == "active"
    assert statuses["idle"] == statuses["idle, never active"] == "stuck"
    assert statuses["ended, known"] == "ended"
    labels = {name: conversation_label(r) for name, r in ROWS.items()}
    assert labels["active"] == "Fix the build"
    assert labels["only a platform id"] == labels["empty strings"] == "C1"
    assert labels["only a conversation id"] == "conv-1"
    assert labels["no conversation"] == "—"


def test_reason_labels() -> None:
    labels = {name: reason_label(r.reason) for name, r in ROWS.items()}
    assert labels["active"] == "—"
    assert labels["ended, known"] == "cwd-changed"
    assert labels["ended, not recorded"] == "not recorded"
    assert labels["ended, unrecognised"] == "⚠ session-expired"
    assert labels["ended, hostile reason"] == "⚠ \\e]0;x\\x07"


def test_a_selected_row_is_marked_and_keeps_its_word() -> None:
    cells = row_cells(ROWS["idle"], NOW, CTX.stale_after, True)
    assert cells[0].plain == "✓ stuck"


def test_every_column_fits_the_header_rules() -> None:
    keys = [c.key for c in COLUMNS]
    assert len(keys) == len(set(keys))
    assert [c.key for c in cli_render.TABLE_COLUMNS][-1] == "reason"
    assert sorted(c.key for c in cli_render.TABLE_COLUMNS) == sorted(keys)
    for column in COLUMNS:
        assert column.width.screen > 0
        assert column.width.table is None or column.width.table >= len(column.header)


# -- JSON and CSV ------------------------------------------------------------------------------


def _listing(fmt: str, rows: list[SessionRow], more: Cursor | None) -> str:
    writer = cli_render.ListWriter(fmt, "started", CTX)
    out = writer.start() + writer.page(rows[:3]) + writer.page(rows[3:]) + writer.finish(more)
    return out


def test_the_csv_header_the_json_keys_and_the_registry_agree() -> None:
    rows = list(ROWS.values())
    assert tuple(f.key for f in FIELDS) == FIELD_KEYS
    assert len(set(FIELD_KEYS)) == len(FIELD_KEYS)
    data = json.loads(_listing("json", rows, None))
    assert list(data) == ["sessions", "next_cursor"]
    assert [tuple(s) for s in data["sessions"]] == [FIELD_KEYS] * len(rows)
    assert data["sessions"] == [export(r, CTX) for r in rows]
    table = list(csv.reader(io.StringIO(_listing("csv", rows, None))))
    assert tuple(table[0]) == FIELD_KEYS
    assert [r[0] for r in table[1:]] == [r.id for r in rows]


def test_json_keeps_active_a_boolean_and_says_nothing_of_staleness() -> None:
    idle = export(ROWS["idle"], CTX)
    assert idle["active"] is True
    assert "stale" not in json.dumps(idle)
    assert export(ROWS["ended, unrecognised"], CTX)["reason_status"] == "unrecognised"
    assert export(ROWS["ended, not recorded"], CTX)["reason_status"] == "not-recorded"
    assert export(ROWS["active"], CTX)["duration_seconds"] == 5 * 3600
    assert export(ROWS["ended, known"], CTX)["ended_at"] == "2026-11-20T11:00:00Z"


def test_json_listing_is_valid_with_no_rows_and_carries_the_cursor() -> None:
    empty = json.loads(_listing("json", [], None))
    assert empty == {"sessions": [], "next_cursor": None}
    more = Cursor(key=NOW, id="abc")
    token = json.loads(_listing("json", list(ROWS.values()), more))["next_cursor"]
    assert cli_render.decode_cursor(token, "started") == more


def test_table_listing_notes() -> None:
    writer = cli_render.ListWriter("table", "started", CTX)
    assert writer.page([]) == ""
    assert writer.note(more=False) == "no sessions match"
    lines = writer.page(list(ROWS.values())).splitlines()
    assert lines[0].split()[0] == "STATUS" and lines[0].endswith("ENDED_REASON")
    assert len(lines) == len(ROWS) + 1
    assert "showing the first" in (writer.note(more=True) or "")
    assert writer.note(more=False) is None
    assert cli_render.ListWriter("json", "started", CTX).note(more=True) is None


def test_codec_reads_every_field_of_the_row_by_name() -> None:
    r = ROWS["ended, known"]
    mapping = {f.name: getattr(r, f.name) for f in fields(SessionRow)}
    mapping["active"] = 0  # SQLite's boolean
    mapping["sort_key"] = "ignored"
    assert session_row(mapping) == r


def test_without_reasons_keeps_every_other_filter() -> None:
    flt = SessionFilter(
        status=Status.ENDED,
        reasons=frozenset({"cwd-changed"}),
        platform="slack",
        codebase="infra",
        assistant="codex",
        since=NOW,
        search="x",
        user="ada",
        stuck=StuckKind.ORPHANED,
        ended_since=NOW,
        ended_until=NOW,
        ids=frozenset({"a-selected-session"}),
    )
    kept = flt.without_reasons()
    assert kept.reasons == frozenset()
    for f in fields(SessionFilter):
        if f.name != "reasons":
            assert getattr(kept, f.name) == getattr(flt, f.name), f.name
            assert getattr(kept, f.name) != getattr(SessionFilter(), f.name), f.name


# -- the words of an end ---------------------------------------------------------------------------


SID = "0123456789abcdef0123456789abcdef"


def test_outcome_lines_are_the_same_in_the_cli_and_the_toasts() -> None:
    outcomes = [
        Ended(SID, "cwd-changed"),
        AlreadyEnded(SID, ENDED_AT, "reset-requested"),
        AlreadyEnded(SID, None, None),
        NotFound(SID),
    ]
    assert [outcome_line(o) for o in outcomes] == [
        f"ended {SID} (cwd-changed)",
        f"already ended {SID} at 2026-11-20T11:00:00Z (reset-requested) — nothing was overwritten",
        f"already ended {SID} at unknown time (not recorded) — nothing was overwritten",
        f"not found {SID}: no such session",
    ]
    for outcome in outcomes:
        toast, _ = describe(outcome)
        assert toast == outcome_line(outcome).replace(SID, SID[:8])
    assert [describe(o)[1] for o in outcomes] == ["information", "warning", "warning", "error"]


def test_many_outcomes_are_summarised() -> None:
    outcomes = [Ended(f"{i:032x}", "cwd-changed") for i in range(6)] + [NotFound("f" * 32)]
    toasts = describe_outcomes(outcomes)
    assert toasts == [
        ("ended 6 of 7 sessions", "information"),
        ("not found ffffffff: no such session", "error"),
    ]


def test_plan_lines() -> None:
    assert plan_line(Ended(SID, "context-reset"), "bob") == (
        f"would end {SID} (currently active): active=false, ended_reason=context-reset, "
        "ended_at=<database clock at commit>, metadata.endedBy.actor=bob"
    )
    assert plan_line(AlreadyEnded(SID, ENDED_AT, None), "bob") == (
        f"{SID} is already ended at 2026-11-20T11:00:00Z (not recorded) — would be left unchanged"
    )
    assert plan_line(NotFound("nothere"), "bob") == "not found nothere: no such session"
