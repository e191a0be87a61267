"""One session's detail as facts with their wording, shared by every view of it: the
dashboard's detail screen, `show`'s text and `show --format json`.

The views differ in layout and markup only; what they say of the session comes from
here: its status and kinds of stuck (with `idle` judged at `now`), when it started (or
the stored text that is no time), its reason explained, an end the service overwrote,
who ended it, whose codebase is shown (the session's own, else its conversation's), the
titles of the conversation and codebase sections, and why the metadata is shown as
stored. Strings from the database stay as stored here: each view makes them safe.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from msgspec import Struct

from tui.domain.audit import EndedBy, ended_by, overwritten
from tui.domain.models import SessionChain, SessionDetail, SessionRow
from tui.domain.stuck import StuckKind
from tui.domain.wording import (
    DASH,
    codebase_title,
    conversation_marks,
    conversation_state,
    odd_explained,
    overwrite_note,
    reason_explained,
    status_word,
    stuck_explanation,
    unread_time,
)

NOT_A_TIME = "stored text, not a time"


class DetailView(Struct, frozen=True):
    """What every view of one session says; `row` has its kinds of stuck at `now`."""

    detail: SessionDetail
    chain: SessionChain
    row: SessionRow
    now: datetime
    status: str
    stuck: tuple[StuckKind, ...]
    started_stored: str | None
    """The stored start that is no time, marked and worded (`⚠ not-a-date (stored text,
    not a time)`); None when the start is a time (or none)."""
    ended_reason: str
    overwritten: str | None
    ended_by: EndedBy | None
    conversation_title: str
    codebase_title: str
    codebase_of: Literal["session", "conversation"] | None
    metadata_note: str | None
    """Why the metadata is shown as stored (not JSON, nested too deep); None: parsed."""

    @property
    def stuck_text(self) -> str:
        """Each kind with what it means, `; `-separated; a dash when it is in none."""
        return "; ".join(f"{k.wire} ({stuck_explanation(k)})" for k in self.stuck) or DASH


def detail_view(
    detail: SessionDetail, chain: SessionChain, now: datetime, stale_after: timedelta
) -> DetailView:
    row = detail.row.with_idle(now, stale_after)
    meta = detail.metadata
    changed = overwritten(row, meta, detail.service_zone)
    state = conversation_state(row)
    if not meta.valid:
        note: str | None = "not valid JSON; shown as stored"
    elif meta.too_deep:
        note = f"nested deeper than {meta.MAX_DEPTH} levels; shown as stored"
    else:
        note = None
    return DetailView(
        detail=detail,
        chain=chain,
        row=row,
        now=now,
        status=status_word(row, now, stale_after),
        stuck=row.stuck,
        started_stored=None
        if row.started_at_text is None
        else f"{unread_time(row.started_at_text)} ({NOT_A_TIME})",
        ended_reason=odd_explained(row.active_value)
        if row.active_value is not None
        else reason_explained(row.active, row.ended_reason),
        overwritten=None if changed is None else overwrite_note(changed),
        ended_by=ended_by(meta),
        conversation_title=f"Conversation ({conversation_marks(row)} {state})"
        if state
        else "Conversation",
        codebase_title=codebase_title(row),
        codebase_of="session"
        if row.codebase_id is not None
        else "conversation"
        if row.conversation_codebase_id is not None
        else None,
        metadata_note=note,
    )
