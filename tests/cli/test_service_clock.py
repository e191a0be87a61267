"""The service's clock, through the CLI against real databases.

On PostgreSQL the service writes started_at/ended_at (TIMESTAMP, no zone) with `NOW()`
on connections that set no zone: the database's default. Here that default is
America/New_York, and the service's rows are written its way, by psql (which sets no
zone either). The tool must show them in UTC, filter and page on them, and write its
own ended_at as the service would. On both backends, an end the service overwrites
afterwards (its `deactivateSession` has no `AND active`) is reported by `show`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import Result

from tests.support.cli_env import invoke
from tests.support.service_writes import NEW_YORK, ServiceDb

ACTOR = "oncall@laptop"


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def listed(db: ServiceDb, *args: Any) -> list[dict[str, Any]]:
    return list(as_json(invoke("--url", db.url, "list", "--format", "json", *args))["sessions"])


@pytest.mark.postgres
def test_service_times_show_in_utc(new_york_db: ServiceDb) -> None:
    sid = new_york_db.session(new_york_db.now_minus(90))
    now = datetime.now(UTC)
    (row,) = listed(new_york_db)
    assert row["id"] == sid
    started = when(row["started_at"])
    assert started.tzinfo is not None
    assert timedelta(seconds=60) < now - started < timedelta(seconds=150), started
    detail = as_json(invoke("--url", new_york_db.url, "show", sid, "--format", "json"))
    assert detail["session"]["started_at"] == row["started_at"]
    # The conversation's own zone-less columns (created_at DEFAULT NOW()) are in UTC too.
    created = when(detail["conversation"]["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert abs(now - created) < timedelta(seconds=60), created
    text = invoke("--url", new_york_db.url, "show", sid).stdout
    assert "(1m ago)" in text or "(2m ago)" in text, text


@pytest.mark.postgres
def test_an_end_one_second_after_start_lasts_one_second(new_york_db: ServiceDb) -> None:
    sid = new_york_db.session(new_york_db.now_minus(1))
    result = invoke("--url", new_york_db.url, "end", sid, "--reason", "reset-requested", "--yes")
    assert result.exit_code == 0, result.output
    (row,) = listed(new_york_db)
    span = when(row["ended_at"]) - when(row["started_at"])
    assert timedelta(seconds=1) <= span < timedelta(seconds=30), span
    assert abs(when(row["ended_at"]) - datetime.now(UTC)) < timedelta(seconds=30)
    # Stored as the service stores it: New York wall-clock time, no zone.
    stored = new_york_db.run(
        f"SELECT ended_at = (NOW() AT TIME ZONE '{NEW_YORK}')::timestamp(0)"
        f" OR abs(extract(epoch FROM ended_at - NOW() AT TIME ZONE '{NEW_YORK}')) < 30"
        f" FROM remote_agent_sessions WHERE id = '{sid}'"
    )
    assert stored == "t"


@pytest.mark.postgres
def test_since_finds_the_right_rows(new_york_db: ServiceDb) -> None:
    recent = new_york_db.session(new_york_db.now_minus(30 * 60))
    new_york_db.session(new_york_db.now_minus(2 * 3600))
    new_york_db.session(new_york_db.now_minus(6 * 3600))  # 1h ago if read as UTC
    ended_recently = new_york_db.session(
        new_york_db.now_minus(40 * 60),
        ended=new_york_db.now_minus(10 * 60),
        reason="reset-requested",
    )
    ids = {r["id"] for r in listed(new_york_db, "--since", "1h", "--status", "all")}
    assert ids == {recent, ended_recently}


@pytest.mark.postgres
@pytest.mark.parametrize("sort", ["started", "ended", "duration"])
def test_paging_neither_skips_nor_repeats(new_york_db: ServiceDb, sort: str) -> None:
    """Service rows and rows the tool ended (so ended_at from both writers) around the
    hours where New York and UTC dates differ, read two at a time."""
    ids = [
        new_york_db.session(new_york_db.now_minus(s)) for s in (20, 3600 * 4, 3600 * 5, 3600 * 6)
    ]
    ids += [
        new_york_db.session(
            new_york_db.now_minus(s), ended=new_york_db.now_minus(s - 60), reason="repo-removed"
        )
        for s in (300, 3600 * 5 + 30, 3600 * 9)
    ]
    result = invoke(
        "--url", new_york_db.url, "end", ids[1], ids[2], "--reason", "cwd-changed", "--yes"
    )
    assert result.exit_code == 0, result.output
    whole = listed(new_york_db, "--sort", sort, "--limit", 100)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        extra = ["--cursor", cursor] if cursor else []
        page = as_json(
            invoke(
                "--url",
                new_york_db.url,
                "list",
                "--format",
                "json",
                "--sort",
                sort,
                "--limit",
                2,
                *extra,
            )
        )
        seen += [r["id"] for r in page["sessions"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [r["id"] for r in whole]
    assert sorted(seen) == sorted(ids)
    if sort == "started":
        starts = [when(r["started_at"]) for r in whole]
        assert starts == sorted(starts, reverse=True)


@pytest.mark.postgres
def test_a_span_across_a_daylight_saving_change_is_its_real_length(new_york_db: ServiceDb) -> None:
    """8 March 2026, 02:00 EST became 03:00 EDT: the service stored 01:50 and 03:10
    for a session that lasted 20 minutes."""
    sid = new_york_db.session(
        "'2026-03-08 01:50:00'", ended="'2026-03-08 03:10:00'", reason="reset-requested"
    )
    (row,) = listed(new_york_db)
    assert row["id"] == sid
    assert row["started_at"] == "2026-03-08T06:50:00Z"
    assert row["ended_at"] == "2026-03-08T07:10:00Z"
    text = invoke("--url", new_york_db.url, "show", sid).stdout
    assert "20m" in text, text


def test_show_says_when_the_service_overwrote_an_end(service_writer: ServiceDb) -> None:
    sid = service_writer.session(service_writer.now_minus(5))
    untouched = service_writer.session(service_writer.now_minus(5))
    result = invoke(
        "--url",
        service_writer.url,
        "end",
        sid,
        untouched,
        "--reason",
        "conversation-closed",
        "--actor",
        ACTOR,
        "--yes",
    )
    assert result.exit_code == 0, result.output
    service_writer.service_end(sid, "reset-requested")

    stored = json.loads(
        service_writer.run(f"SELECT metadata FROM remote_agent_sessions WHERE id = '{sid}'")
    )
    assert stored["endedBy"]["reason"] == "conversation-closed"
    assert stored["endedBy"]["actor"] == ACTOR

    detail = as_json(invoke("--url", service_writer.url, "show", sid, "--format", "json"))
    assert detail["session"]["ended_reason"] == "reset-requested"
    assert detail["ended_by"]["reason"] == "conversation-closed"
    assert when(detail["ended_by"]["at"]) == when(stored["endedBy"]["at"]).replace(microsecond=0)
    note = detail["overwritten"]
    assert note.startswith(
        f"ended by {ACTOR} as conversation-closed; the service recorded reset-requested "
    ), note
    assert note.endswith(("later", "at the same time")), note
    text = invoke("--url", service_writer.url, "show", sid).stdout
    assert f"⚠ {note}" in text

    mine = as_json(invoke("--url", service_writer.url, "show", untouched, "--format", "json"))
    assert mine["overwritten"] is None
    assert mine["ended_by"]["reason"] == "conversation-closed"
    assert "⚠" not in invoke("--url", service_writer.url, "show", untouched).stdout
