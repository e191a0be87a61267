"""`sqlite_fold`: LIKE's rules on casefolded text, and the LIKE in C put before it, which
never drops a row the function would match (checked by SQLite itself)."""

from __future__ import annotations

import sqlite3

import pytest

from tui.store.backends.sqlite_fold import fold_like, like_skeleton, plain_like_suffices

VALUES = [
    "ÜNÏCÖDE report", "notes on ünïcöde", "STRASSE", "Straße", "\u017ftraße", "ﬁle",
    "KELVIN \u212a", "İstanbul", "ΣΊΣΥΦΟΣ", "σίσυφος", "日本語テキスト", "a%b_c\\d", "",
]  # fmt: skip
PATTERNS = [
    "%ünïcöde%", "%ÜNÏCÖDE%", "%straße%", "%STRAẞE%", "%ﬁ%", "%k%", "%i̇stanbul%",
    "%σίσυφος%", "%日本%", "ünï%", "%a\\%b\\_c\\\\d%", "%ü_ï%", "ÜNÏCÖDE report",
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [
        ("ÜNÏCÖDE report", "%ünïcöde%", 1),
        ("notes on ünïcöde", "%ÜNÏCÖDE%", 1),
        ("STRASSE", "%straße%", 1),
        ("ΣΊΣΥΦΟΣ", "%σίσυφος%", 1),
        ("ÜNÏCÖDE report", "ünï%", 1),
        ("notes on ünïcöde", "ünï%", 0),
        ("ÜNÏCÖDE report", "ünïcöde", 0),
        ("ÜNÏ-CÖDE", "%ünï_cöde%", 1),
        ("ÜNÏ-CÖDE", "%ünï\\_cöde%", 0),
        ("ÜNÏ_CÖDE", "%ünï\\_cöde%", 1),
        (None, "%ü%", None),
    ],
)
def test_fold_like_has_likes_rules_in_any_case(
    value: str | None, pattern: str, matches: int
) -> None:
    assert fold_like(value, pattern) == matches


def test_the_like_in_c_never_drops_a_match() -> None:
    conn = sqlite3.connect(":memory:")
    for pattern in PATTERNS:
        skeleton = like_skeleton(pattern)
        for value in VALUES:
            if not fold_like(value, pattern):
                continue
            if plain_like_suffices(pattern):
                sql, arg = "SELECT ? LIKE ? ESCAPE '\\'", pattern
            elif skeleton is not None:
                sql, arg = "SELECT ? LIKE ? ESCAPE '\\'", skeleton
            else:
                continue  # the function alone decides
            assert conn.execute(sql, (value, arg)).fetchone()[0] == 1, (value, pattern)
    assert like_skeleton("%zqnömatchzq%") == "%zq%m%c%zq%"
    assert like_skeleton("%ünï%") is None
    assert plain_like_suffices("%日本%") and not plain_like_suffices("%ü%")
