"""What a failed store call in a worker does, wherever the worker runs: one toast with
the error (never markup), then a reopen (the file changed) or a probe (it may pass)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.app import data
from tui.domain.text import safe_text
from tui.store.errors import FileMoved, StoreError

if TYPE_CHECKING:
    from tui.app.screens.base import Connection


def said(app: Connection, error: BaseException | None) -> tuple[StoreError, str]:
    """The failure as a StoreError, and as a toast may say it."""
    found = data.as_store_error(error, app.settings.target)
    return found, safe_text(found)  # driver messages can quote stored strings


def follow_up(app: Connection, error: StoreError) -> None:
    """After the toast: reopen the path if the file changed, else probe if it may pass."""
    if isinstance(error, FileMoved):
        app.check_file()  # reopens: a probe would ask the old file
    elif error.retryable:
        app.disconnected()


def report(app: Connection, error: BaseException | None) -> None:
    """A worker's read failed: say so, then follow up."""
    found, text = said(app, error)
    app.notify(text, severity="error", timeout=10)
    follow_up(app, found)
