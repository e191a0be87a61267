"""One session's detail: every column, its metadata, its conversation's workflow runs and
its chain. `tui.domain.models` names these too, loading this module when first asked."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any, ClassVar

from msgspec import Struct, field

from tui.domain.models import SessionRow
from tui.domain.triggers import Reason, parse_reason


class Metadata(Struct, frozen=True):
    """Decoded metadata, or the raw text when it is not valid JSON (shown, never an error).

    JSON nested deeper than `MAX_DEPTH` (PostgreSQL's JSONB takes thousands of levels)
    is kept as its raw text: formatting it recursively would exceed Python's recursion
    limit, and no operator reads it level by level.
    """

    raw: str | None
    value: Any = None
    valid: bool = True
    too_deep: bool = False

    MAX_DEPTH: ClassVar[int] = 100
    LARGE: ClassVar[int] = 256 * 1024
    """Characters from which metadata is shown as stored, not re-indented (formatting
    megabytes would hold up the reader); a preview of it says as much."""

    @classmethod
    def decode(cls, raw: str | None) -> Metadata:
        if raw is None:
            return cls(raw=None, value=None, valid=True)
        try:
            value = json.loads(raw)
        except RecursionError:  # valid JSON (PostgreSQL took it), nested past Python's limit
            return cls(raw=raw, value=None, valid=True, too_deep=True)
        except ValueError:
            return cls(raw=raw, value=None, valid=False)
        if _deeper_than(value, cls.MAX_DEPTH):
            return cls(raw=raw, value=None, valid=True, too_deep=True)
        return cls(raw=raw, value=value, valid=True)

    @property
    def plain(self) -> Any:
        """What a JSON export carries: the decoded value, or the raw text when it is not
        valid JSON or too deep to re-encode."""
        return self.value if self.valid and not self.too_deep else self.raw

    def pretty(self) -> str:
        if not self.valid or self.too_deep:
            return self.raw or ""
        if self.raw is None:
            return "null"
        if len(self.raw) >= self.LARGE:
            return self.raw
        return json.dumps(self.value, indent=2, ensure_ascii=False, sort_keys=True)

    def preview(self, limit: int) -> tuple[str, bool]:
        """At most `limit` characters of `pretty()`, and whether it was cut; large
        metadata is cut from its raw text without formatting the whole of it."""
        if self.raw is not None and len(self.raw) >= self.LARGE:
            return self.raw[:limit], len(self.raw) > limit
        text = self.pretty()
        return text[:limit], len(text) > limit


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels, walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class WorkflowRun(Struct, frozen=True):
    """One run of a workflow in the session's conversation."""

    workflow_name: str | None
    status: str | None
    started_at: datetime | None
    last_activity_at: datetime | None


class SessionDetail(Struct, frozen=True):
    """Every column of one session with its conversation and codebase."""

    row: SessionRow
    assistant_session_id: str | None
    metadata: Metadata
    conversation: dict[str, Any] = field(default_factory=dict)
    codebase: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    """Session columns this tool does not know (newer service versions): shown as they are."""
    service_zone: tzinfo | None = None
    """The zone the service wrote started_at/ended_at in (None: UTC text): what
    `audit.overwritten` compares wall clocks in."""
    workflow_runs: list[WorkflowRun] | None = None
    """The conversation's latest workflow runs, newest first (at most `RECENT_RUNS`);
    None where the database has no workflow runs table."""


class ChainHop(Struct, frozen=True):
    """One session of a conversation's chain (`SessionChain`), as the detail lists it."""

    id: str
    active: bool
    started_at: datetime | None
    ended_at: datetime | None
    transition_reason: str | None
    ended_reason: str | None
    parent_session_id: str | None
    active_value: str | None = None
    """As `SessionRow.active_value`: the odd stored `active`, spelled; None otherwise."""

    @property
    def odd(self) -> bool:
        return self.active_value is not None

    @property
    def reason(self) -> Reason | None:
        return None if self.active or self.odd else parse_reason(self.ended_reason)


class SessionChain(Struct, frozen=True):
    """Ancestors oldest first, ending with the session itself, plus its direct children."""

    hops: list[ChainHop]
    children: list[ChainHop]
    truncated: bool = False
