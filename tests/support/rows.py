"""A list row built in memory, for tests of what is made of rows (words, cells, staleness)
rather than of how they are read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tui.domain.models import SessionRow


def make_row(now: datetime, **kw: Any) -> SessionRow:
    """An active session started 5 h before `now`, quiet for 3 h; `kw` overrides fields."""
    base: dict[str, Any] = {
        "id": "0123456789abcdef0123456789abcdef",
        "conversation_id": "conv-1",
        "codebase_id": "cb-1",
        "ai_assistant_type": "claude",
        "active": True,
        "started_at": now - timedelta(hours=5),
        "ended_at": None,
        "ended_reason": None,
        "transition_reason": "first-message",
        "parent_session_id": None,
        "platform_type": "slack",
        "platform_conversation_id": "C1",
        "title": "Fix the build",
        "last_activity_at": now - timedelta(hours=3),
        "codebase_name": "infra",
    }
    base.update(kw)
    return SessionRow(**base)
