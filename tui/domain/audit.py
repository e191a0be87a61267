"""Who is acting: recorded in `metadata.endedBy` when this tool ends a session."""

from __future__ import annotations

import getpass
import socket


def default_actor() -> str:
    """`user@host`, the way an operator would sign a change by hand."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
