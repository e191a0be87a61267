"""One rule for the search (#8): tokens are the start of a value, ignoring case; free
text covers what the table shows; an id matches as `show` accepts it.

Expected rows come from the whole unfiltered list, filtered here in Python by what each
row shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.support.dbs import create_service_db
from tui.domain.models import SessionFilter, SessionRow
from tui.store.errors import StoreError
from tui.store.store import Store, open_store
from tui.store.target import DbTarget


async def _both(target: DbTarget, flt: SessionFilter) -> tuple[set[str], list[SessionRow]]:
    store = await open_store(target, read_only=True)
    try:
        return await _ids(store, flt), (await store.list_sessions(limit=10_000)).rows
    finally:
        await store.close()


async def _ids(store: Store, flt: SessionFilter) -> set[str]:
    out: set[str] = set()
    cursor = None
    while True:
        page = await store.list_sessions(flt, cursor=cursor, limit=500)
        out |= {r.id for r in page.rows}
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def _shown(row: SessionRow) -> list[str]:
    """Every value the table shows of a row (an active row shows no reason)."""
    values = [
        row.id,
        row.conversation_id,
        row.platform_type,
        row.platform_conversation_id,
        row.title,
        row.codebase_name,
        row.ai_assistant_type,
        row.owner,
        None if row.active else row.ended_reason,
    ]
    return [v.lower() for v in values if v]


TOKENS: list[tuple[SessionFilter, Callable[[SessionRow], bool]]] = [
    (SessionFilter(platform="SLACK"), lambda r: r.platform_type == "slack"),
    (SessionFilter(platform="sl"), lambda r: r.platform_type == "slack"),
    (SessionFilter(platform="lack"), lambda r: False),
    (SessionFilter(codebase="inf"), lambda r: (r.codebase_name or "").startswith("infra")),
    (SessionFilter(codebase="INFRA"), lambda r: r.codebase_name == "infra"),
    (SessionFilter(assistant="CO"), lambda r: r.ai_assistant_type == "codex"),
]


@pytest.mark.parametrize(
    ("flt", "keeps"), TOKENS, ids=["SLACK", "sl", "lack", "inf", "INFRA", "assistant-CO"]
)
def test_tokens_are_case_insensitive_prefixes(
    service_db: DbTarget, flt: SessionFilter, keeps: Callable[[SessionRow], bool]
) -> None:
    found, rows = asyncio.run(_both(service_db, flt))
    expected = {r.id for r in rows if keeps(r)}
    assert found == expected
    if flt.platform != "lack":
        assert expected, "the example finds something"


@pytest.mark.parametrize("text", ["slack", "codex", "reset-requested", "RESET-Req", "Infra"])
def test_free_text_covers_what_the_table_shows(service_db: DbTarget, text: str) -> None:
    found, rows = asyncio.run(_both(service_db, SessionFilter(search=text)))
    expected = {r.id for r in rows if any(text.lower() in v for v in _shown(r))}
    assert expected, "the example is on screen somewhere"
    assert found == expected


def test_an_id_matches_the_search_as_show_accepts_it(service_db: DbTarget) -> None:
    """Typed without its dashes: PostgreSQL's UUIDs match (as `show` resolves them);
    SQLite's ids are text, matched as typed by both."""

    async def go() -> tuple[bool, bool, bool]:
        store = await open_store(service_db, read_only=True)
        try:
            row = (await store.list_sessions(limit=1)).rows[0]
            bare = row.id.replace("-", "")
            try:
                resolved = await store.resolve_id(bare[:12]) == row.id
            except StoreError:
                resolved = False
            by_part = row.id in await _ids(store, SessionFilter(search=bare[6:18].upper()))
            by_prefix = row.id in await _ids(store, SessionFilter(search=bare[:12]))
            return resolved, by_prefix, by_part
        finally:
            await store.close()

    resolved, by_prefix, by_part = asyncio.run(go())
    assert by_prefix == resolved
    assert by_part == resolved


async def _windowed_ids(store: Store, flt: SessionFilter, window: int) -> list[str]:
    """Every row the dashboard's bounded search finds, window after window, in order."""
    out: list[str] = []
    cursor = None
    while True:
        page = await store.search_window(flt, cursor, 40, window)
        out += [r.id for r in page.rows]
        if page.next_cursor is not None:
            cursor = page.next_cursor
        elif page.resume is not None:
            cursor = page.resume
        else:
            return out


def test_the_bounded_search_covers_what_the_table_shows(empty_db_url: str) -> None:
    """The window's walk tests a session's own columns, then its conversation with the
    owners and codebases that match (`search_condition(walked=True)`): it finds exactly
    the rows whose shown values hold the text, owners (today's schema) and a codebase
    read through the conversation included, in the list's order, window after window."""

    async def go() -> list[tuple[str, list[str], list[str]]]:
        target = await create_service_db(empty_db_url, sessions=600, era="v0.7")
        store = await open_store(target, read_only=True)
        try:
            rows = (await store.list_sessions(limit=10_000)).rows
            texts = ["slack", "codex", "reset-requested", "Infra", "LOVEL", "ops-bot", "zz-none"]
            out = []
            for text in texts:
                want = [r.id for r in rows if any(text.lower() in v for v in _shown(r))]
                got = await _windowed_ids(store, SessionFilter(search=text), 90)
                out.append((text, want, got))
            return out
        finally:
            await store.close()

    for text, want, got in asyncio.run(go()):
        assert got == want, text
        assert want or text.startswith("zz"), f"{text!r} is on screen somewhere"
