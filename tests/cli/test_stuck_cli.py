"""`sessions-tui stuck` and `end --stuck` against real service databases (both backends):
the counts, the listing with each session's kinds and suggested reason, and what an end
of a whole kind writes, checked in the database afterwards."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from tests.support.stuck import COUNTS, SESSIONS, StuckScene, create_stuck_db
from tui.cli.main import cli
from tui.domain.stuck import StuckKind
from tui.store.store import make_engine


def invoke(*args: Any, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def scene(empty_db_url: str) -> StuckScene:
    return asyncio.run(create_stuck_db(empty_db_url))


def _url(scene: StuckScene) -> list[str]:
    return ["--url", scene.url]


def _select(scene: StuckScene, sql: str) -> list[Any]:
    """The rows of one statement, read with a fresh engine (not the CLI's)."""

    async def read() -> list[Any]:
        engine = make_engine(scene.target)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(sa.text(sql))).all())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _stored(scene: StuckScene) -> dict[str, tuple[bool, str | None, bool]]:
    """name -> (active, ended_reason, metadata names sessions-tui) as stored now."""
    rows = _select(scene, "SELECT id, active, ended_reason, metadata FROM remote_agent_sessions")
    return {scene.name_of(str(r[0])): (bool(r[1]), r[2], "sessions-tui" in str(r[3])) for r in rows}


def test_stuck_counts_table_and_json(scene: StuckScene) -> None:
    table = invoke(*_url(scene), "stuck")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["KIND", "COUNT", "SUGGESTED"]
    by_kind = {line.split()[0]: line.split()[1:3] for line in lines[1:]}
    assert by_kind == {
        "idle": ["3", "reset-requested"],
        "orphaned": ["2", "conversation-closed"],
        "duplicate": ["2", "reset-requested"],
        "drifted": ["3", "project-changed"],
        "codebase-gone": ["1", "project-changed"],
    }
    got = json.loads(invoke(*_url(scene), "stuck", "--format", "json", "--kind", "orphaned").stdout)
    assert got["version"] == "service v0.9.0"
    assert got["kinds"] == [
        {
            "kind": "orphaned",
            "count": COUNTS[StuckKind.ORPHANED],
            "suggested_reason": "conversation-closed",
            "explanation": got["kinds"][0]["explanation"],
        }
    ]
    assert "sessions" not in got


def test_stuck_list_gives_each_session_its_kinds_and_reason(scene: StuckScene) -> None:
    got = json.loads(invoke(*_url(scene), "stuck", "--list", "--format", "json").stdout)
    listed = {scene.name_of(s["id"]): s for s in got["sessions"]}
    assert set(listed) == {n for n, s in SESSIONS.items() if s.kinds}
    for name, s in listed.items():
        assert s["stuck"] == [k.wire for k in SESSIONS[name].kinds], name
    # the most specific cause picks the reason for a session in two kinds
    assert listed["orphaned-drifted"]["suggested_reason"] == "conversation-closed"
    assert listed["idle-duplicate"]["suggested_reason"] == "reset-requested"
    assert listed["codebase-gone"]["suggested_reason"] == "project-changed"
    table = invoke(*_url(scene), "stuck", "--list", "--kind", "drifted")
    assert table.exit_code == 0, table.output
    rows = [line for line in table.stdout.splitlines() if line[:1].isalnum()]
    ids = {scene.ids[n] for n, s in SESSIONS.items() if StuckKind.DRIFTED in s.kinds}
    assert {line.split()[0] for line in rows if line.split()[0] in scene.ids.values()} == ids
    assert any("orphaned,drifted" in line for line in rows)


def test_end_stuck_dry_run_prints_every_write_and_changes_nothing(scene: StuckScene) -> None:
    before = _stored(scene)
    out = invoke(*_url(scene), "end", "--stuck", "orphaned", "--dry-run", "--actor", "ops@box")
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    for sid in scene.of_kind(StuckKind.ORPHANED):
        assert (
            f"would end {sid} (currently active): active=false, "
            "ended_reason=conversation-closed, ended_at=<database clock at commit>, "
            "metadata.endedBy.actor=ops@box"
        ) in lines
    assert lines[-1] == "dry run: nothing changed"
    assert _stored(scene) == before


def test_end_stuck_ends_the_kind_with_its_suggestion(scene: StuckScene) -> None:
    out = invoke(*_url(scene), "end", "--stuck", "duplicate", "--yes")
    assert out.exit_code == 0, out.output
    after = _stored(scene)
    for name, s in SESSIONS.items():
        if StuckKind.DUPLICATE in s.kinds:
            assert after[name] == (False, "reset-requested", True), name
        elif not s.ended:
            assert after[name] == (True, None, False), name
    # the newest of each conversation stays active: nothing is duplicate any more
    again = json.loads(invoke(*_url(scene), "stuck", "--format", "json").stdout)
    assert {k["kind"]: k["count"] for k in again["kinds"]}["duplicate"] == 0


def test_end_stuck_with_a_reason_of_ones_own(scene: StuckScene) -> None:
    out = invoke(*_url(scene), "end", "--stuck", "drifted", "--reason", "reset-requested", "-y")
    assert out.exit_code == 0, out.output
    after = _stored(scene)
    assert {n for n, v in after.items() if v[1] == "reset-requested" and v[2]} == {
        n for n, s in SESSIONS.items() if StuckKind.DRIFTED in s.kinds
    }
    bad = invoke(*_url(scene), "end", "--stuck", "idle", "--reason", "cwd-changed", "-y")
    assert bad.exit_code == 2
    assert "'cwd-changed' is not a deactivating trigger of service v0.9.0" in bad.output
    assert _stored(scene)["idle"] == (True, None, False)


def test_end_stuck_over_the_cap_is_refused_with_the_count(scene: StuckScene) -> None:
    out = invoke(*_url(scene), "end", "--stuck", "drifted", "--cap", 2, "--yes")
    assert out.exit_code == 2
    assert "3 sessions are drifted, more than --cap 2: nothing changed" in out.output
    assert all(v[0] for n, v in _stored(scene).items() if not SESSIONS[n].ended)


def test_end_stuck_usage_errors(scene: StuckScene) -> None:
    some = scene.ids["healthy"]
    assert invoke(*_url(scene), "end", "--stuck", "idle", some).exit_code == 2
    assert invoke(*_url(scene), "end", some).exit_code == 2  # no --reason
    nothing = invoke(*_url(scene), "end")
    assert nothing.exit_code == 2 and "--stuck KIND" in nothing.output
    unknown = invoke(*_url(scene), "end", "--stuck", "stale")
    assert unknown.exit_code == 2 and "idle" in unknown.output


def test_no_suggestion_before_v0_6_needs_a_reason(empty_db_url: str) -> None:
    scene = asyncio.run(create_stuck_db(empty_db_url, era="v0.4"))
    out = invoke(*_url(scene), "end", "--stuck", "codebase-gone", "--yes")
    assert out.exit_code == 2
    assert "no suggested reason for codebase-gone" in out.output
    assert "--reason" in out.output
    listed = json.loads(invoke(*_url(scene), "stuck", "--format", "json").stdout)
    assert {k["kind"]: k["suggested_reason"] for k in listed["kinds"]} == {
        "idle": "reset-requested",
        "orphaned": "conversation-closed",
        "duplicate": "reset-requested",
        "drifted": None,
        "codebase-gone": None,
    }
    ok = invoke(
        *_url(scene), "end", "--stuck", "codebase-gone", "--reason", "reset-requested", "-y"
    )
    assert ok.exit_code == 0, ok.output
    assert _stored(scene)["codebase-gone"][:2] == (False, "reset-requested")


def test_show_names_each_kind_with_its_meaning(scene: StuckScene) -> None:
    out = invoke(*_url(scene), "show", scene.ids["orphaned-drifted"])
    assert out.exit_code == 0, out.output
    (line,) = [x for x in out.stdout.splitlines() if x.strip().startswith("stuck ")]
    assert "orphaned (active on a deleted conversation" in line and "drifted (" in line
    healthy = invoke(*_url(scene), "show", scene.ids["healthy"]).stdout
    assert "\n  stuck                 —\n" in healthy


def _audit_kinds(scene: StuckScene) -> dict[str, str | None]:
    """name -> the stuck kinds recorded in the session's audit row."""
    rows = _select(scene, "SELECT session_id, kinds FROM sessions_tui_audit")
    return {scene.name_of(str(r[0])): r[1] for r in rows}


def test_end_stuck_records_each_sessions_kinds_in_its_audit_row(scene: StuckScene) -> None:
    assert invoke(*_url(scene), "migrate", "--yes").exit_code == 0
    out = invoke(*_url(scene), "end", "--stuck", "orphaned", "--yes")
    assert out.exit_code == 0, out.output
    recorded = _audit_kinds(scene)
    # Every kind the session was in when read, not only the one asked for.
    assert recorded == {"orphaned": "orphaned", "orphaned-drifted": "orphaned,drifted"}
