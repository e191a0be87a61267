"""Service rows with every column given odd but storable values, for the property tests
(tests/property/): what SQLite's schema lets in (NULL, BLOB, invalid UTF-8, huge and
deeply nested values, cyclic parent chains, odd times and `active` values, hostile
text), and the part of it PostgreSQL can store. Inserted as the raw values, in a real
database; nothing here is this tool's code."""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.support.sqlite_files import sqlite_file
from tui.domain.triggers import KNOWN_REASONS


@dataclass(frozen=True)
class BadUtf8:
    """TEXT holding bytes that are not UTF-8: inserted as CAST(? AS TEXT)."""

    raw: bytes


CONTROLS = (
    "\x00\x07\x08\x0b\x1b\x7f\x85\x9b"  # C0, DEL, C1 (NEL, CSI)
    "\u061c\u200b\u200d\u200e\u200f\u202a\u202e\u2060\u2066\ufeff\u00ad"  # bidi, invisible
)
SNIPPETS = (
    "\x1b]0;pane title\x07",
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x1b[2J\x1b[H",
    "\x1b[31mred",
    "\x9b31m",
    '=HYPERLINK("http://example.com","x")',
    "+1",
    "@SUM(A1)",
    "-2",
    "👩\u200d💻 at work",
    "abc\u202edcba",
    "line\r\nbreak",
    "'; DROP TABLE remote_agent_sessions; --",
    "%_\\",
)
TIMES = (
    "not-a-date",
    "4102444800",
    "0000-00-00 00:00:00",
    "9999-12-31 23:59:59",
    "2026-13-45 99:99:99",
    "",
    "2026-11-20T12:00:00+05:00",
)
ODD_ACTIVE = (2, -1, "yes", "true", 0.5, b"\x01", None)
BAD_UTF8 = (b"A\xed\xa0\x80B", b"\xff\xfe", b"\xc3", b"ok\x80")


def hostile_text(*, nul: bool = True) -> st.SearchStrategy[str]:
    controls = CONTROLS if nul else CONTROLS.replace("\x00", "")
    chars = st.one_of(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
        st.sampled_from(controls),
    )
    return st.one_of(st.sampled_from(SNIPPETS), st.text(chars, max_size=24))


def _deep(n: int) -> str:
    return "[" * n + "]" * n


METADATA_SQLITE = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "{}",
            "[1, 2]",
            '"a string"',
            "42",
            "null",
            '{"k": "\\ud800"}',  # a lone surrogate escape
            "{not json",
            _deep(1200),
            json.dumps({"deep": json.loads(_deep(150))}),
            json.dumps({"big": "x" * 300_000}),
        ]
    ),
    st.dictionaries(hostile_text(nul=False), hostile_text(nul=False), max_size=3).map(json.dumps),
    st.binary(max_size=6),
    st.sampled_from(BAD_UTF8).map(BadUtf8),
)
"""Blank metadata ('' and '   ') is left out: the end's handling of it is issue 15 #5."""


def text_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        hostile_text(),
        st.binary(max_size=6),
        st.sampled_from(BAD_UTF8).map(BadUtf8),
        st.just("y" * 50_000),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
    )


def time_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
        st.sampled_from(TIMES),
        st.integers(min_value=0, max_value=2**40),
        st.binary(max_size=4),
    )


@dataclass
class Rows:
    """Sessions (and a conversation each) to insert: column name → raw value."""

    sessions: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)


@st.composite
def sqlite_rows(draw: st.DrawFn, max_rows: int = 4) -> Rows:
    n = draw(st.integers(min_value=1, max_value=max_rows))
    ids: list[str | None] = [
        h.hex for h in draw(st.lists(st.uuids(), min_size=n, max_size=n, unique=True))
    ]
    if draw(st.booleans()) and n > 1:
        ids[-1] = None  # SQLite's TEXT PRIMARY KEY allows NULL
    rows = Rows()
    for i, sid in enumerate(ids):
        conv = f"c{i:031x}"
        rows.conversations.append(
            {
                "id": conv,
                "platform_type": draw(st.one_of(st.just("slack"), hostile_text(), st.binary())),
                # NOT NULL and UNIQUE with the platform: the row's number keeps it unique
                "platform_conversation_id": f"{draw(hostile_text())}#{i}",
                "title": draw(text_value()),
            }
        )
        known = [x for x in ids if x is not None]
        rows.sessions.append(
            {
                "id": sid,
                "conversation_id": conv,
                "codebase_id": draw(st.one_of(st.none(), text_value())),
                "ai_assistant_type": draw(st.one_of(st.just("claude"), hostile_text())),
                "assistant_session_id": draw(text_value()),
                "active": draw(st.one_of(st.sampled_from([1, 0]), st.sampled_from(ODD_ACTIVE))),
                "metadata": draw(METADATA_SQLITE),
                "started_at": draw(time_value()),
                "ended_at": draw(time_value()),
                # itself, another (a cycle when both point back), or nobody's
                "parent_session_id": draw(
                    st.one_of(st.none(), st.sampled_from(known), st.just("f" * 32), text_value())
                ),
                "transition_reason": draw(text_value()),
                "ended_reason": draw(
                    st.one_of(st.none(), st.sampled_from(sorted(KNOWN_REASONS)), text_value())
                ),
            }
        )
    return rows


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    marks = ["CAST(? AS TEXT)" if isinstance(v, BadUtf8) else "?" for v in row.values()]
    values = [v.raw if isinstance(v, BadUtf8) else v for v in row.values()]
    conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(marks)})", values)


def insert_sqlite(path: Path, rows: Rows) -> None:
    with sqlite_file(path) as conn:  # foreign keys off, as sqlite3 opens by default
        for conv in rows.conversations:
            _insert(conn, "remote_agent_conversations", conv)
        for session in rows.sessions:
            _insert(conn, "remote_agent_sessions", session)


def stored_rows(path: Path) -> dict[Any, tuple[Any, ...]]:
    """Every session as stored, by rowid (ids may be NULL), with its `active` typed."""
    with sqlite_file(path) as conn:
        conn.text_factory = bytes  # invalid UTF-8 compares as the bytes it is
        cur = conn.execute(
            "SELECT rowid, *, typeof(active) AS active_type, typeof(metadata) AS metadata_type"
            " FROM remote_agent_sessions"
        )
        names = [d[0] for d in cur.description]
        return {r[0]: tuple(zip(names, r, strict=True)) for r in cur.fetchall()}


@functools.cache
def _raw_control_pattern() -> re.Pattern[str]:
    """One character class of every code point `raw_controls` names, built once: the
    scan then runs in the regex engine, not a Python call per character."""
    ranges: list[tuple[int, int]] = []
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        if ch in "\n\t\r" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            continue
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return re.compile("[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]")


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on or hide: C0/C1 controls (but newline, tab,
    carriage return), DEL, and format characters (bidi, zero-width, BOM, soft hyphen)."""
    return sorted({f"U+{ord(ch):04X}" for ch in set(_raw_control_pattern().findall(text))})


def session_ids(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows if r["id"] is not None]


@st.composite
def postgres_rows(draw: st.DrawFn, max_rows: int = 4) -> Rows:
    """What PostgreSQL can store of the same: text without NUL (PostgreSQL refuses it)
    within the service's VARCHAR sizes, JSONB (deep, huge; a lone surrogate escape is
    refused), `active` NULL, times NULL. `parent_session_id` is set after the inserts."""
    n = draw(st.integers(min_value=1, max_value=max_rows))
    ids = [str(u) for u in draw(st.lists(st.uuids(), min_size=n, max_size=n, unique=True))]

    def short(size: int) -> st.SearchStrategy[str]:
        return hostile_text(nul=False).map(lambda s: s[:size])

    text = st.one_of(st.none(), hostile_text(nul=False), st.just("z" * 50_000))
    rows = Rows()
    for i, sid in enumerate(ids):
        conv = f"00000000-0000-4000-8000-{i:012d}"
        rows.conversations.append(
            {
                "id": conv,
                "platform_type": draw(st.one_of(st.just("slack"), short(20))),
                "platform_conversation_id": f"{draw(short(240))}#{i}",
                "title": draw(st.one_of(st.none(), short(255))),
            }
        )
        rows.sessions.append(
            {
                "id": sid,
                "conversation_id": conv,
                "ai_assistant_type": draw(st.one_of(st.just("claude"), short(20))),
                "assistant_session_id": draw(st.one_of(st.none(), short(255))),
                "active": draw(st.sampled_from([True, False, None])),
                "metadata": draw(
                    st.one_of(
                        st.none(),
                        st.sampled_from(["[1, 2]", '"s"', "42", _deep(1500), "{}"]),
                        st.just(json.dumps({"big": "x" * 300_000})),
                        st.dictionaries(
                            hostile_text(nul=False), hostile_text(nul=False), max_size=3
                        ).map(json.dumps),
                    )
                ),
                "started_at": draw(
                    st.one_of(st.none(), st.datetimes(min_value=datetime(2000, 1, 1)))
                ),
                "parent_session_id": draw(st.one_of(st.none(), st.sampled_from(ids))),
                "transition_reason": draw(text),
                "ended_reason": draw(
                    st.one_of(st.none(), st.sampled_from(sorted(KNOWN_REASONS)), text)
                ),
            }
        )
    return rows
