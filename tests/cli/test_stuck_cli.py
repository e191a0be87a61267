"""`sessions-tui stuck` and `end --stuck` against real service databases (both backends):
the counts, the listing with each session's kinds and suggested reason, and what an end
of a whole kind writes, checked in the database afterwards."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.cli_env import invoke
from tests.support.stuck import StuckScene, stuck_copy
from tui.domain.stuck import StuckKind
from tui.store.store import make_engine


@pytest.fixture
def scene(db_url: str, request: pytest.FixtureRequest) -> StuckScene:
    return stuck_copy(request, db_url)


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


def _pg(scene: StuckScene) -> bool:
    return scene.target.kind == "postgresql"


def test_stuck_counts_table_and_json(scene: StuckScene) -> None:
    table = invoke(*_url(scene), "stuck")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["KIND", "COUNT", "SUGGESTED"]
    by_kind = {line.split()[0]: line.split()[1:3] for line in lines[1:]}
    assert by_kind == {
        "idle": ["2", "reset-requested"],
        "orphaned": ["2", "conversation-closed"],
        "duplicate": ["1", "reset-requested"] if _pg(scene) else ["—", "—"],
    }
    (dup_line,) = [x for x in lines if x.startswith("duplicate")]
    assert ("not detectable on this service version" in dup_line) is not _pg(scene)
    got = json.loads(invoke(*_url(scene), "stuck", "--format", "json", "--kind", "orphaned").stdout)
    assert got["version"] == "service v0.9.0"
    assert got["kinds"] == [
        {
            "kind": "orphaned",
            "count": 2,
            "suggested_reason": "conversation-closed",
            "explanation": got["kinds"][0]["explanation"],
            "not_detectable": None,
        }
    ]
    assert "sessions" not in got
    dup = json.loads(
        invoke(*_url(scene), "stuck", "--format", "json", "--kind", "duplicate").stdout
    )
    (kind,) = dup["kinds"]
    if _pg(scene):
        assert kind["count"] == 1 and kind["not_detectable"] is None
    else:
        assert kind["count"] is None and kind["suggested_reason"] is None
        assert kind["not_detectable"].startswith(
            "not detectable on this service version (service v0.9.0: on SQLite"
        )


def test_stuck_list_gives_each_session_its_kinds_and_reason(scene: StuckScene) -> None:
    got = json.loads(invoke(*_url(scene), "stuck", "--list", "--format", "json").stdout)
    listed = {scene.name_of(s["id"]): s for s in got["sessions"]}
    assert set(listed) == {n for n, kinds in scene.kinds.items() if kinds}
    for name, s in listed.items():
        assert s["stuck"] == [k.wire for k in scene.kinds[name]], name
    # the most specific cause picks the reason for a session in two kinds
    assert listed["idle-orphaned"]["suggested_reason"] == "conversation-closed"
    assert listed["idle"]["suggested_reason"] == "reset-requested"
    table = invoke(*_url(scene), "stuck", "--list", "--kind", "orphaned")
    assert table.exit_code == 0, table.output
    rows = [line for line in table.stdout.splitlines() if line[:1].isalnum()]
    ids = scene.of_kind(StuckKind.ORPHANED)
    assert {line.split()[0] for line in rows if line.split()[0] in scene.ids.values()} == ids
    assert any("idle,orphaned" in line for line in rows)


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
    before = _stored(scene)
    out = invoke(*_url(scene), "end", "--stuck", "duplicate", "--yes")
    after = _stored(scene)
    if not _pg(scene):
        # refused, naming the version: the v0.9.0 service on SQLite never leaves one
        assert out.exit_code == 2
        assert "duplicate is not detectable on this service version (service v0.9.0" in (out.output)
        assert after == before
        return
    assert out.exit_code == 0, out.output
    for name, (active, reason, ours) in after.items():
        if StuckKind.DUPLICATE in scene.kinds[name]:
            assert (active, reason, ours) == (False, "reset-requested", True), name
        else:
            assert (active, reason, ours) == before[name], name
    # the newest of the conversation stays active: nothing is duplicate any more
    again = json.loads(invoke(*_url(scene), "stuck", "--format", "json").stdout)
    assert {k["kind"]: k["count"] for k in again["kinds"]}["duplicate"] == 0
    assert after["race-second"] == (True, None, False)


def test_end_stuck_with_a_reason_of_ones_own(scene: StuckScene) -> None:
    out = invoke(*_url(scene), "end", "--stuck", "orphaned", "--reason", "reset-requested", "-y")
    assert out.exit_code == 0, out.output
    after = _stored(scene)
    assert {n for n, v in after.items() if v[1] == "reset-requested" and v[2]} == {
        n for n, kinds in scene.kinds.items() if StuckKind.ORPHANED in kinds
    }
    bad = invoke(*_url(scene), "end", "--stuck", "idle", "--reason", "cwd-changed", "-y")
    assert bad.exit_code == 2
    assert "'cwd-changed' is not a deactivating trigger of service v0.9.0" in bad.output
    assert _stored(scene)["idle"] == (True, None, False)


def test_end_stuck_over_the_cap_is_refused_with_the_count(scene: StuckScene) -> None:
    before = _stored(scene)
    out = invoke(*_url(scene), "end", "--stuck", "orphaned", "--cap", 1, "--yes")
    assert out.exit_code == 2
    assert "2 sessions are orphaned, more than --cap 1: nothing changed" in out.output
    assert _stored(scene) == before


def test_end_stuck_usage_errors(scene: StuckScene) -> None:
    some = scene.ids["message"]
    assert invoke(*_url(scene), "end", "--stuck", "idle", some).exit_code == 2
    assert invoke(*_url(scene), "end", some).exit_code == 2  # no --reason
    nothing = invoke(*_url(scene), "end")
    assert nothing.exit_code == 2 and "--stuck KIND" in nothing.output
    for gone in ("stale", "drifted", "codebase-gone"):
        unknown = invoke(*_url(scene), "end", "--stuck", gone)
        assert unknown.exit_code == 2 and "idle" in unknown.output


def test_every_era_suggests_what_its_service_writes(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    """reset-requested and conversation-closed are triggers of every era: v0.2.13 to
    v0.5.x suggests them too, and refuses duplicate on SQLite naming the version."""
    scene = stuck_copy(request, db_url, era="v0.2.13")
    listed = json.loads(invoke(*_url(scene), "stuck", "--format", "json").stdout)
    assert listed["version"] == "service v0.2.13 to v0.5.x"
    suggested = {k["kind"]: k["suggested_reason"] for k in listed["kinds"]}
    assert suggested == {
        "idle": "reset-requested",
        "orphaned": "conversation-closed",
        "duplicate": "reset-requested" if _pg(scene) else None,
    }
    ok = invoke(*_url(scene), "end", "--stuck", "idle", "-y")
    assert ok.exit_code == 0, ok.output
    assert _stored(scene)["idle"][:2] == (False, "reset-requested")
    refused = invoke(*_url(scene), "end", "--stuck", "duplicate", "-y")
    if _pg(scene):
        assert refused.exit_code == 0, refused.output
    else:
        assert refused.exit_code == 2
        assert "not detectable on this service version (service v0.2.13 to v0.5.x" in (
            refused.output
        )


def test_show_names_each_kind_with_its_meaning(scene: StuckScene) -> None:
    out = invoke(*_url(scene), "show", scene.ids["idle-orphaned"])
    assert out.exit_code == 0, out.output
    (line,) = [x for x in out.stdout.splitlines() if x.strip().startswith("stuck ")]
    assert "orphaned (active on a deleted conversation" in line and "idle (" in line
    healthy = invoke(*_url(scene), "show", scene.ids["message"]).stdout
    (stuck,) = [x for x in healthy.splitlines() if x.strip().startswith("stuck ")]
    assert stuck.split() == ["stuck", "—"]


def test_list_and_show_print_the_sessions_own_codebase(scene: StuckScene) -> None:
    """The v0.9.0 service stores no codebase on a session: JSON, CSV and show say NULL
    for it and give the conversation's codebase as its own field; show's codebase
    section says whose it is."""
    sid = scene.ids["auto-attach"]
    (conv_cb,) = _select(
        scene,
        "SELECT codebase_id FROM remote_agent_conversations WHERE id = "
        f"'{scene.conversations['auto-attach']}'",
    )
    listed = json.loads(invoke(*_url(scene), "list", "--format", "json", "--limit", 0).stdout)
    (row,) = [s for s in listed["sessions"] if s["id"] == sid]
    assert row["codebase_id"] is None
    assert row["conversation_codebase_id"] == str(conv_cb[0])
    assert row["codebase"] == "beta"
    csv_out = invoke(*_url(scene), "list", "--format", "csv", "--limit", 0).stdout.splitlines()
    header = csv_out[0].split(",")
    (line,) = [x.split(",") for x in csv_out if x.startswith(sid)]
    assert line[header.index("codebase_id")] == ""
    assert line[header.index("conversation_codebase_id")] == str(conv_cb[0])
    shown = invoke(*_url(scene), "show", sid).stdout.splitlines()
    own, in_conversation = [x for x in shown if x.strip().startswith("codebase_id ")]
    assert own.split() == ["codebase_id", "—"]  # the session's, then the conversation's row
    assert in_conversation.split() == ["codebase_id", str(conv_cb[0])]
    assert "Codebase (the conversation's; the session stores none)" in shown
    assert not any("was deleted" in x for x in shown)
    as_json = json.loads(invoke(*_url(scene), "show", sid, "--format", "json").stdout)
    assert as_json["codebase_of"] == "conversation"
    assert as_json["codebase"]["name"] == "beta"
    assert as_json["session"]["codebase_id"] is None


def test_info_says_which_kinds_are_detectable(scene: StuckScene) -> None:
    text = invoke(*_url(scene), "info").stdout
    joined = " ".join(text.split())
    assert "idle: detectable" in joined and "orphaned: detectable" in joined
    got = json.loads(invoke(*_url(scene), "info", "--format", "json").stdout)["stuck"]
    if _pg(scene):
        assert got == {"detectable": ["idle", "orphaned", "duplicate"], "not_detectable": {}}
        assert "duplicate: detectable" in joined
    else:
        assert got["detectable"] == ["idle", "orphaned"]
        assert list(got["not_detectable"]) == ["duplicate"]
        assert "duplicate: not detectable on this service version (service v0.9.0" in joined


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
    assert recorded == {"orphaned": "orphaned", "idle-orphaned": "idle,orphaned"}
