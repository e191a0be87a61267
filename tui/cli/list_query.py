"""`list`'s question: its options and `--search` (the dashboard's search language, parsed
by the one parser in `tui.domain.search`) made into one filter, its reasons checked
against the trigger lists and the values this database stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from msgspec.structs import replace

from tui.domain.models import (
    SessionFilter,
    nearest_reasons,
    needs_storing,
    reason_from_words,
)
from tui.domain.search import SearchQuery
from tui.domain.triggers import KNOWN_REASONS

if TYPE_CHECKING:
    from tui.store.store import Store


def search_query(
    search: str | None,
    platform: str | None,
    codebase: str | None,
    assistant: str | None,
    user: str | None,
) -> SearchQuery:
    """`--search` parsed as the dashboard's search box, with `--platform` `--codebase`
    `--assistant` `--user` as its tokens. An option and a token for the same key with
    different values is a usage error (the one would silently drop the other)."""
    query = SearchQuery.parse(search or "")
    given = {
        "platform": platform or None,
        "codebase": codebase or None,
        "assistant": assistant or None,
        "user": user.strip() if user and user.strip() else None,
    }
    for key, value in given.items():
        token = getattr(query, key)
        if value is not None and token is not None and token != value:
            raise click.UsageError(
                f"--{key} {value!r} and {key}:{token} in --search disagree: give it once"
            )
    return replace(query, **{k: v for k, v in given.items() if v is not None})


async def stored_reasons(store: Store) -> frozenset[str]:
    """Every ended_reason value this database stores (one count by reason)."""
    facets = await store.reason_counts(SessionFilter())
    return frozenset(raw for raw, _active, _n in facets.groups if raw is not None)


async def reasons_filter(
    store: Store, words: tuple[str, ...], query: SearchQuery
) -> frozenset[str]:
    """The filter's reasons: the `--reason` words (ORed), narrowed by a `reason:` token.

    A word that is no trigger of any service version, no token word and no `=value` must
    be stored in this database; otherwise it is refused (exit 2) with the nearest reasons.
    """
    unstored = [w for w in words if needs_storing(w)]
    stored: frozenset[str] = frozenset()
    if unstored or query.reason:
        stored = await stored_reasons(store)
    for word in unstored:
        if word not in stored:
            near = nearest_reasons(word, stored)
            hint = f"; nearest: {', '.join(near)}" if near else ""
            raise click.UsageError(
                f"unknown reason {word!r}: no trigger of any service version, and no "
                f"session here ended with it{hint} (`sessions-tui reasons` lists the "
                f"triggers; `--reason ={word}` asks for the stored value regardless)"
            )
    chosen = frozenset(reason_from_words(w) for w in words)
    return query.reasons_among((*KNOWN_REASONS, *stored), chosen)
