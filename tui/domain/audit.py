"""Who is acting: recorded in `metadata.endedBy` when this tool ends a session."""

from __future__ import annotations

import getpass
import json
import socket

from tui import TOOL_NAME, __version__


def default_actor() -> str:
    """`user@host`, the way an operator would sign a change by hand."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def audit_record(actor: str | None) -> dict[str, str]:
    """What an end merges into `metadata.endedBy`: the store writes it and the
    confirmation screen shows it, both from this one function."""
    return {"actor": actor or default_actor(), "tool": TOOL_NAME, "version": __version__}


def audit_json(record: dict[str, str]) -> str:
    """The record as the store sends it to the database."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)
