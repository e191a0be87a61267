"""Case-insensitive LIKE for any script on SQLite.

SQLite's own LIKE folds ASCII letters only: `ünïcöde` never found `ÜNÏCÖDE`. A pattern
SQLite's LIKE answers rightly keeps it, in C (`plain_like_suffices`: all ASCII, or no
character that folds); any other goes to FOLD_LIKE, a function registered on every
connection the store opens (`register`), which compares Python's `str.casefold` of both
sides, behind a LIKE on the characters it can test in C (`like_skeleton`). FOLD_LIKE has
LIKE's rules: `%` any run, `_` one character, `\\` escapes the next.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

FOLD_LIKE = "sessions_tui_fold_like"
"""The SQL name of the function: FOLD_LIKE(value, pattern) is 1, 0, or NULL for NULL."""


ANY, ONE = object(), object()
"""`%` and `_` among a pattern's tokens; the others are literal text."""


def _tokens(pattern: str) -> list[object]:
    """The pattern as literal strings, ANY and ONE (`\\` escapes the next character)."""
    tokens: list[object] = []
    literal: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            literal.append(pattern[i + 1])
            i += 2
            continue
        if ch in "%_":
            if literal:
                tokens.append("".join(literal))
                literal = []
            if not (ch == "%" and tokens and tokens[-1] is ANY):
                tokens.append(ANY if ch == "%" else ONE)
        else:
            literal.append(ch)
        i += 1
    if literal:
        tokens.append("".join(literal))
    return tokens


@lru_cache(maxsize=64)
def _matcher(pattern: str) -> tuple[str, str, re.Pattern[str] | None]:
    """How to test a folded value: ("contains" | "prefix" | "equals", needle, None) for
    the shapes a search sends (`%text%`, `text%`), else ("regex", "", compiled)."""
    tokens = _tokens(pattern)
    texts = [t for t in tokens if isinstance(t, str)]
    shape = tuple("x" if isinstance(t, str) else "%" if t is ANY else "_" for t in tokens)
    needle = texts[0].casefold() if texts else ""
    fast = {("%", "x", "%"): "contains", ("%",): "contains", ("x", "%"): "prefix"}
    fast.update({("x",): "equals", (): "equals"})
    if shape in fast:
        return (fast[shape], needle, None)
    regex = "".join(
        ".*" if t is ANY else "." if t is ONE else re.escape(str(t).casefold()) for t in tokens
    )
    return ("regex", "", re.compile(regex, re.S))


def fold_like(value: Any, pattern: Any) -> int | None:
    """1 when `value` matches the LIKE `pattern` (escape `\\`) in any case, casefolded."""
    if value is None or pattern is None:
        return None
    kind, needle, compiled = _matcher(str(pattern))
    folded = str(value).casefold()
    if kind == "contains":
        return int(needle in folded)
    if kind == "prefix":
        return int(folded.startswith(needle))
    if kind == "equals":
        return int(folded == needle)
    assert compiled is not None
    return int(compiled.fullmatch(folded) is not None)


FOLDED_FROM_BEYOND_ASCII = frozenset("afhijklnstwyAFHIJKLNSTWY")
"""The ASCII characters that the casefold of some character beyond ASCII holds (ß gives
ss, the Kelvin sign k, ﬁ fi, …)."""
FOLDED_CASELESS = frozenset("\u02bc\u02be\u0300\u0301\u0307\u0308\u030a\u030c\u0313\u0331\u0342")
"""The characters beyond ASCII without case that the casefold of another character holds
(İ gives i and U+0307, ŉ gives U+02BC and n, …). Both sets are listed rather than
computed at import, which would scan every code point; a test checks them."""


def _as_is(ch: str) -> bool:
    """Whether SQLite's LIKE matches `ch` exactly as casefolding both sides would: an
    ASCII character no other character folds into (LIKE folds ASCII), or one beyond
    ASCII without case that no other character folds into."""
    if ch.isascii():
        return ch not in FOLDED_FROM_BEYOND_ASCII
    return ch not in FOLDED_CASELESS and ch.casefold() == ch == ch.upper() == ch.lower()


def plain_like_suffices(pattern: str) -> bool:
    """SQLite's own LIKE gives FOLD_LIKE's answer for this pattern: an all-ASCII one (the
    search's rule there is LIKE's ASCII folding), or one whose every character `_as_is`."""
    return pattern.isascii() or all(
        _as_is(ch) for token in _tokens(pattern) if isinstance(token, str) for ch in token
    )


def like_skeleton(pattern: str) -> str | None:
    """A LIKE pattern (escape `\\`) that SQLite's own LIKE tests in C, which every value
    FOLD_LIKE matches also matches: the pattern's runs of characters LIKE matches as is
    (`_as_is`), in order, with anything between them. None when there is no such run.
    Tested first, it leaves FOLD_LIKE only the rows that may match."""
    runs: list[str] = []
    for token in _tokens(pattern):
        if not isinstance(token, str):
            runs.append("")
            continue
        run: list[str] = []
        for ch in token:
            if _as_is(ch):
                run.append(ch)
            else:
                runs.append("".join(run))
                run = []
        runs.append("".join(run))
    kept = [_escaped(r) for r in runs if r]
    return "%" + "%".join(kept) + "%" if kept else None


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def register(dbapi_conn: Any) -> None:
    """FOLD_LIKE on a connection (SQLAlchemy's adapted aiosqlite connection)."""
    dbapi_conn.create_function(FOLD_LIKE, 2, fold_like, deterministic=True)
