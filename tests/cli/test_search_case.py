"""`--search` (and the dashboard's windowed search) ignores case in any script on both
backends: `ünïcöde` finds `ÜNÏCÖDE` and the other way round, as PostgreSQL's ILIKE does;
an ASCII search is SQLite's own LIKE, unchanged."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support.cli_env import invoke, isolate
from tests.support.service_writes import ServiceDb
from tui.domain.models import SessionFilter
from tui.store.backends.sqlite_fold import FOLDED_CASELESS, FOLDED_FROM_BEYOND_ASCII
from tui.store.store import open_store
from tui.store.target import resolve_target


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


def _titled(db: ServiceDb, title: str) -> str:
    sid = db.session(db.now_minus(600))
    db.run(
        f"UPDATE remote_agent_conversations SET title = '{title}' WHERE id ="
        f" (SELECT conversation_id FROM remote_agent_sessions WHERE id = '{sid}')"
    )
    return sid


def _listed(db: ServiceDb, text: str) -> set[str]:
    result = invoke("--url", db.url, "list", "--search", text, "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["id"] for row in json.loads(result.stdout)["sessions"]}


async def _windowed(db: ServiceDb, text: str) -> set[str]:
    store = await open_store(resolve_target(url=db.url), read_only=True)
    try:
        page = await store.search_window(SessionFilter(search=text), None, 50, 1000)
        return {r.id for r in page.rows}
    finally:
        await store.close()


def test_a_search_ignores_the_case_of_any_script(service_writer: ServiceDb) -> None:
    """SQLite folds any script (casefold); PostgreSQL's ILIKE folds as the database's
    LC_CTYPE does: the test cluster's C locale folds ASCII letters only."""
    db = service_writer
    upper = _titled(db, "ÜNÏCÖDE report")
    lower = _titled(db, "notes on ünïcöde")
    mixed = _titled(db, "Ünïcöde, ΣΊΣΥΦΟΣ and plain")
    _titled(db, "unicode without accents")  # a different word: never matched
    every = {upper, lower, mixed}
    expected = {"ünïcöde": every, "ÜNÏCÖDE": every, "üNïCöDe": every, "σίσυφος": {mixed}}
    ctype = "SELECT datctype FROM pg_database WHERE datname = current_database()"
    if db.pg and db.run(ctype) in ("C", "POSIX"):
        expected = {"ünïcöde": {lower}, "ÜNÏCÖDE": {upper}, "üNïCöDe": {lower}, "σίσυφος": set()}
    for text, found in expected.items():
        assert _listed(db, text) == found, text
        assert asyncio.run(_windowed(db, text)) == found, text
    assert _listed(db, "PLAIN") == {mixed}  # ASCII: SQLite's own LIKE
    assert _listed(db, "ünï_öde") == set()  # `_` typed is a character, not a wildcard


def test_the_fold_tables_hold_what_unicode_says() -> None:
    """The characters `sqlite_fold` lets SQLite's LIKE match as they are: the lists it
    keeps are those the casefold of another character holds, checked over every code
    point."""
    beyond_ascii: set[str] = set()
    caseless: set[str] = set()
    for code in range(0x80, 0x110000):
        ch = chr(code)
        folded = ch.casefold()
        if folded == ch:
            continue
        for part in folded:
            if part.isascii():
                beyond_ascii.add(part)
            elif part.casefold() == part == part.upper() == part.lower():
                caseless.add(part)
    assert {c.lower() for c in FOLDED_FROM_BEYOND_ASCII} == beyond_ascii
    assert {c.upper() for c in beyond_ascii} | beyond_ascii == FOLDED_FROM_BEYOND_ASCII
    assert caseless == FOLDED_CASELESS
