"""The search language, one parser for the dashboard's search boxes and `list --search`.

Free text plus optional `platform:` `codebase:` `assistant:` `user:` `reason:` tokens.
One rule for every token: the start of the value, ignoring case (`platform:SL` finds
slack; `user:` is the conversation's owner's display name or email, or its id whole;
quote a value with a space: `user:"Ada Lovelace"`). A token repeated keeps its last value;
a key with no value, or an unknown key, is free text.
"""

from __future__ import annotations

from collections.abc import Iterable

from msgspec import Struct

SEARCH_KEYS = ("platform", "codebase", "assistant", "user", "reason")
"""The sessions list's keys; another list declares its own (`parse_tokens`)."""


def parse_tokens(raw: str, keys: Iterable[str]) -> tuple[str | None, dict[str, str]]:
    """The search language over a list's own `keys`: the free text (None when there is
    none) and the value of each `key:value` token given, by key (lower case)."""
    import shlex

    known = {k.lower() for k in keys}
    try:
        words = shlex.split(raw)
    except ValueError:
        words = raw.split()
    found: dict[str, str] = {}
    free: list[str] = []
    for word in words:
        key, sep, value = word.partition(":")
        if sep and key.lower() in known and value:
            found[key.lower()] = value
        else:
            free.append(word)
    return " ".join(free) or None, found


class SearchQuery(Struct, frozen=True):
    """A parsed search: the free text and the value of each token given."""

    text: str | None = None
    platform: str | None = None
    codebase: str | None = None
    assistant: str | None = None
    user: str | None = None
    reason: str | None = None
    """The start of the ended reasons it keeps (see `reasons_among`)."""

    @classmethod
    def parse(cls, raw: str) -> SearchQuery:
        text, found = parse_tokens(raw, SEARCH_KEYS)
        return cls(text=text, **found)

    def reasons_among(
        self, candidates: Iterable[str], chosen: frozenset[str] = frozenset()
    ) -> frozenset[str]:
        """The reason filter: `chosen` (the panel's or `--reason`'s values) narrowed by
        the `reason:` token to the `candidates` (every known trigger and every value
        stored) that start with it, ignoring case. A token that starts no value is taken
        as an exact value, so the list says no session matches rather than ignoring it."""
        typed = (self.reason or "").strip()
        if not typed:
            return chosen
        found = frozenset(r for r in candidates if r.lower().startswith(typed.lower()))
        if chosen:
            found &= chosen
        return found or frozenset({typed})
