"""The CLI against a database of each service era, on both backends: `end --reason`
accepts exactly the deactivating triggers of the version it detects (checked in the
database) and refuses others naming that version; `info` and `reasons` say which
version it is and how the tool knows."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.cli_env import invoke, isolate
from tests.support.dbs import create_service_db
from tests.support.pgserver import PASSWORD
from tests.support.vocabularies import FIVE, FOUR, NINE
from tui.store.store import make_engine
from tui.store.tables import TOOL_INDEXES, sessions
from tui.store.target import DbTarget

ALL_DEACTIVATING = set(NINE) | set(FIVE)


@dataclass(frozen=True)
class Case:
    era: str
    app_version: str
    version: str
    """What the tool calls the detected version."""
    accepts: list[str]
    evidence: str
    """A part of how it was detected."""


CASES = [
    Case("016", "", "016 (main)", NINE, "remote_agent_codebase_env_vars does not"),
    Case("v0.2.13", "", "v0.2.13 to v0.5.x", FOUR, "remote_agent_codebase_env_vars exists"),
    Case("v0.4", "", "v0.2.13 to v0.5.x", FOUR, "remote_agent_codebases.kind does not"),
    Case("v0.6", "", "v0.6.x", FIVE, "remote_agent_codebases.kind exists"),
    Case("v0.7", "0.9.0", "v0.9.0", FIVE, "app_version = '0.9.0'"),
    Case("v0.7", "dev", "dev build (v0.7.0 on)", FIVE, "app_version = 'dev'"),
]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


async def _read(target: DbTarget, stmt: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """Rows read with a fresh engine, not the store under test."""
    engine = make_engine(target)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(stmt)).all()]
    finally:
        await engine.dispose()


def active_ids(target: DbTarget) -> list[str]:
    stmt = sa.select(sessions.c.id).where(sessions.c.active == sa.true()).order_by(sessions.c.id)
    return [r[0] for r in asyncio.run(_read(target, stmt))]


def stored(target: DbTarget, session_id: str) -> tuple[bool, str | None]:
    stmt = sa.select(sessions.c.active, sessions.c.ended_reason).where(sessions.c.id == session_id)
    ((active, reason),) = asyncio.run(_read(target, stmt))
    return bool(active), reason


def dump(target: DbTarget) -> list[tuple[Any, ...]]:
    stmt = sa.select(sessions.c.id, sessions.c.active, sessions.c.ended_reason)
    return sorted(asyncio.run(_read(target, stmt.order_by(sessions.c.id))))


def service_db(url: str, case: Case) -> DbTarget:
    version = case.app_version or "0.9.0"
    return asyncio.run(create_service_db(url, era=case.era, sessions=200, app_version=version))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.era}-{c.app_version or 'schema'}")
def test_end_accepts_exactly_the_detected_versions_triggers(empty_db_url: str, case: Case) -> None:
    target = service_db(empty_db_url, case)
    ids = active_ids(target)
    assert len(ids) >= 2
    refused = sorted(ALL_DEACTIVATING - set(case.accepts))[0]
    before = dump(target)
    result = invoke("--url", empty_db_url, "end", ids[0], "--reason", refused, "--yes")
    assert result.exit_code == 2, result.output
    assert f"of service {case.version}" in result.stderr
    assert "valid reasons: " + ", ".join(case.accepts) in result.stderr
    assert "Traceback" not in result.output
    assert dump(target) == before, "a refused reason writes nothing"

    # The version's newest deactivating trigger (project-changed from v0.6 on) is written.
    reason = case.accepts[1] if case.accepts is FIVE else case.accepts[-1]
    done = invoke("--url", empty_db_url, "end", ids[1], "--reason", reason, "--yes")
    assert done.exit_code == 0, done.output
    assert f"ended {ids[1]} ({reason})" in done.stdout
    assert stored(target, ids[1]) == (False, reason)
    assert stored(target, ids[0])[0] is True


@pytest.mark.parametrize("case", [CASES[0], CASES[4], CASES[5]], ids=["016", "v0.9.0", "dev"])
def test_info_text_and_json(empty_db_url: str, case: Case) -> None:
    target = service_db(empty_db_url, case)
    n_active = len(active_ids(target))
    text = invoke("--url", empty_db_url, "info")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    # A path too long for its column is printed whole on a line of its own, under the
    # label (how long it is depends on the runner: xdist's worker folders, TMPDIR).
    assert max(len(line) for line in lines if line != target.display()) <= 100
    field = {line[:19].strip(): line[19:] for line in lines if line[:19].strip()}
    assert field["backend"] == target.kind
    at = next(i for i, line in enumerate(lines) if line.split(" ", 1)[0] == "database")
    if lines[at] == "database":
        assert lines[at + 1] == target.display()
    else:
        assert lines[at][19:] == target.display()
    assert field["service version"] == case.version
    assert case.evidence in text.stdout
    assert field["end accepts"].startswith(case.accepts[0])
    assert field["tool revision"].startswith("none")
    assert field["tool indexes"] == f"0 of {len(TOOL_INDEXES)} present"
    assert field["sessions"] == f"{n_active:,} active, {200 - n_active:,} ended"
    if target.kind == "postgresql":
        assert PASSWORD not in text.stdout, "the password is masked"

    data = json.loads(invoke("--url", empty_db_url, "info", "--format", "json").stdout)
    assert data["backend"] == target.kind
    assert data["database"] == target.display()
    service = data["service"]
    assert service["version"] == case.version
    assert case.evidence in service["detected_by"]
    assert service["app_version"] == (case.app_version or None)
    assert service["created_app_version"] is None
    assert data["vocabulary"]["end_accepts"] == case.accepts
    assert data["tool"]["revision"] is None
    assert data["tool"]["indexes"] == dict.fromkeys(TOOL_INDEXES, False)
    assert data["sessions"] == {
        "active": n_active,
        "ended": 200 - n_active,
        "odd": 0,  # neither: an `active` value the service never writes
        "without_id": 0,
    }


def test_info_after_migrate_shows_the_revision_and_indexes(empty_db_url: str) -> None:
    case = CASES[4]
    service_db(empty_db_url, case)
    assert invoke("--url", empty_db_url, "migrate", "--yes").exit_code == 0
    data = json.loads(invoke("--url", empty_db_url, "info", "--format", "json").stdout)
    assert data["tool"]["revision"] == data["tool"]["head_revision"]
    assert data["tool"]["indexes"] == dict.fromkeys(TOOL_INDEXES, True)
    assert data["service"]["version"] == "v0.9.0", "migrate leaves the service's markers"
    text = invoke("--url", empty_db_url, "info").stdout
    assert "(up to date)" in text and f"{len(TOOL_INDEXES)} of {len(TOOL_INDEXES)} present" in text


def test_info_reports_created_app_version(empty_db_url: str) -> None:
    made = create_service_db(empty_db_url, era="v0.7", created_app_version="0.7.1")
    asyncio.run(made)
    data = json.loads(invoke("--url", empty_db_url, "info", "--format", "json").stdout)
    assert data["service"]["created_app_version"] == "0.7.1"
    assert "created by         0.7.1" in invoke("--url", empty_db_url, "info").stdout


@pytest.mark.parametrize("case", [CASES[0], CASES[4]], ids=["016", "v0.9.0"])
def test_reasons_lists_the_history_with_what_end_accepts(empty_db_url: str, case: Case) -> None:
    service_db(empty_db_url, case)
    data = json.loads(invoke("--url", empty_db_url, "reasons", "--format", "json").stdout)
    assert data["version"] == f"service {case.version}"
    by = {r["reason"]: r for r in data["reasons"]}
    assert len(by) == 12
    assert [w for w, r in by.items() if r["end_accepts"]] == case.accepts
    assert by["project-changed"]["since"] == "v0.6.0" and by["project-changed"]["until"] is None
    assert by["cwd-changed"]["since"] == "016" and by["cwd-changed"]["until"] == "v0.2.13"
    table = invoke("--url", empty_db_url, "reasons").stdout.splitlines()
    assert max(len(line) for line in table) <= 100
    assert table[0].split() == ["REASON", "BEHAVIOUR", "SINCE", "UNTIL", "END?", "DESCRIPTION"]
    cwd = next(line for line in table if line.startswith("cwd-changed "))
    assert cwd.split()[:5] == [
        "cwd-changed",
        "deactivates",
        "016",
        "v0.2.13",
        "yes" if "cwd-changed" in case.accepts else "no",
    ]


def test_reasons_without_a_database_is_the_whole_history(tmp_path: Path) -> None:
    result = invoke("--db", tmp_path / "none.db", "reasons")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["REASON", "BEHAVIOUR", "SINCE", "UNTIL", "DESCRIPTION"]
    assert any(line.startswith("project-changed ") for line in lines)
    assert max(len(line) for line in lines) <= 100
    data = json.loads(invoke("--db", tmp_path / "none.db", "reasons", "--format", "json").stdout)
    assert data["version"] is None
    assert all(r["end_accepts"] is None for r in data["reasons"])
