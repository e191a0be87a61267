"""The deactivating triggers each service era accepts, written out from the service's
history (not derived from `tui.domain.triggers`), for tests to check the tool against."""

from __future__ import annotations

NINE = [
    "isolation-changed",
    "codebase-changed",
    "codebase-cloned",
    "cwd-changed",
    "reset-requested",
    "context-reset",
    "repo-removed",
    "worktree-removed",
    "conversation-closed",
]
"""Migration 016 on the main branch (2026-02-16)."""
FOUR = ["isolation-changed", "reset-requested", "worktree-removed", "conversation-closed"]
"""v0.2.13 to v0.5.x: five commands were deleted on 2026-04-06."""
FIVE = [
    "isolation-changed",
    "project-changed",
    "reset-requested",
    "worktree-removed",
    "conversation-closed",
]
"""v0.6.0 on (today's v0.9): project-changed added."""
