"""The runs list's search: its keys, and the `RunFilter` a typed search makes.

The language is the sessions list's (`search.parse_tokens`): free text plus `key:value`
tokens, here `status:` `workflow:` `codebase:` `owner:` `age:`. One rule per key:

- `status:` the stored statuses starting with the value, any case; several with commas
  (`status:run,pa` is running or paused). A value that starts no status is kept as it
  is, so the list says no run matches rather than ignoring it;
- `workflow:` and `codebase:` the start of the name, any case; `owner:` the run's user
  (else its conversation's), as `--owner`;
- `age:` runs started within this long (`age:2h`, `age:3d`); a value that is not a
  duration is free text, so it matches nothing rather than everything;
- the free text: a part of the id, the workflow's name, the user's message or the
  working path (`RunFilter.text`).
"""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import RUN_STATUSES, RunFilter
from tui.domain.search import parse_tokens
from tui.domain.text import safe_text
from tui.domain.timefmt import DurationTooLong, parse_duration

RUN_SEARCH_KEYS = ("status", "workflow", "codebase", "owner", "age")


def statuses_of(typed: str) -> frozenset[str]:
    """The statuses a `status:` value names (see the module's rule)."""
    found: set[str] = set()
    for part in (p.strip().lower() for p in typed.split(",")):
        if not part:
            continue
        starts = {s for s in RUN_STATUSES if s.startswith(part)}
        found |= starts or {part}
    return frozenset(found)


def run_filter(held: RunFilter, raw: str, now: datetime) -> RunFilter:
    """`held` (the filters not typed: a conversation, a stuck kind) with the typed search
    applied over it; the search's keys replace what `held` says of them."""
    text, tokens = parse_tokens(raw, RUN_SEARCH_KEYS)
    flt = replace(held, text=text)
    if "status" in tokens:
        flt = replace(flt, statuses=statuses_of(tokens["status"]))
    if "workflow" in tokens:
        flt = replace(flt, workflow=tokens["workflow"])
    if "codebase" in tokens:
        flt = replace(flt, codebase=tokens["codebase"])
    if "owner" in tokens:
        flt = replace(flt, owner=tokens["owner"])
    if "age" in tokens:
        try:
            flt = replace(flt, since=now - parse_duration(tokens["age"]))
        except (ValueError, DurationTooLong, OverflowError):
            free = f"{flt.text} age:{tokens['age']}" if flt.text else f"age:{tokens['age']}"
            flt = replace(flt, text=free)
    return flt


def with_stuck(flt: RunFilter, kind: RunStuckKind | None) -> RunFilter:
    return replace(flt, stuck=kind)


def describe(flt: RunFilter) -> str:
    """The filters in force, one phrase each; empty when there is none."""
    parts: list[str] = []
    if flt.statuses:
        parts.append("status " + "|".join(sorted(safe_text(s) for s in flt.statuses)))
    for name, value in (
        ("workflow", flt.workflow),
        ("codebase", flt.codebase),
        ("owner", flt.owner),
    ):
        if value:
            parts.append(f"{name} {safe_text(value)}*")
    if flt.since is not None:
        parts.append(f"started since {flt.since:%Y-%m-%d %H:%M} UTC")
    if flt.conversation_id:
        parts.append(f"conversation {safe_text(flt.conversation_id[:12])}")
    if flt.stuck is not None:
        parts.append(f"stuck {flt.stuck.wire}")
    if flt.text:
        parts.append(f"text {safe_text(flt.text)!r}")
    return " · ".join(parts)
