"""Settings shared by the CLI and the app: built once by the CLI (or a test), read by both."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from tui.config import setting as config_setting
from tui.config import settings_default
from tui.domain.timefmt import utcnow
from tui.domain.wording import Refusal
from tui.store.demo_size import DEMO_SESSIONS
from tui.store.target import DbTarget


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sessions-tui"


def demo_path(n_sessions: int = DEMO_SESSIONS) -> Path:
    """Where `--demo` keeps its database between runs: a changed generator, a new file."""
    return cache_dir() / f"demo-{demo_key()}-{n_sessions}.db"


def demo_key() -> str:
    """A digest of the demo generator's source, found without importing it (that would
    load SQLAlchemy before the dashboard's first frame). Keying caches on the code that
    built them means no one has to remember to bump a version."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("tui.store.demo")
    if spec is None or spec.origin is None:  # pragma: no cover - the package ships it
        raise RuntimeError("tui.store.demo is missing from this installation")
    return hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()[:12]


class Settings(Struct, frozen=True):
    """Everything the dashboard needs to start; `clock` is injectable for screenshots."""

    target: DbTarget
    read_only: bool = False
    refresh_seconds: float = settings_default("refresh_seconds")
    stale_after: timedelta = field(default=settings_default("stale_after"))
    page_size: int = settings_default("page_size")
    select_cap: int = 1000
    """Most sessions "select all that match" takes: a wider filter selects nothing and
    says how many matched (`--select-cap`)."""
    search_window: int = settings_default("search_window")
    """Sessions, newest first, a free-text search looks at before it asks to go on.
    A window's cost grows with its size, not the table's: the default answers within
    the dashboard's 150 ms target on both backends with headroom for a busy machine
    (`tests.bench.search_window`). The config file's `search_window` takes a bigger one
    where the database has CPU to spare."""
    read_only_why: str | Refusal | None = None
    """What the dashboard says when a write (an end, a run cancel) is refused because it
    is read-only; None: the `--read-only` flag's words. A served dashboard names how to
    serve writable and the write refused (`wording.served_read_only`)."""
    actor: str | None = None
    """Who every end is signed by; None: `user@host` (a served dashboard always has one)."""
    clock: Callable[[], datetime] = field(default=utcnow)
    theme: str | None = settings_default("theme")
    statement_timeout: float = settings_default("statement_timeout")
    """Seconds any dashboard statement may run on PostgreSQL (0: no limit): a query
    queued behind a lock ends with a message instead of waiting for ever."""
    keys: dict[str, str] = field(default_factory=dict)
    """Key overrides by binding id (the config file's `[keys]`), through Textual's keymap."""
    config_path: Path | None = None
    """Where a theme changed in the dashboard is remembered; None: nowhere (a read-only
    or served dashboard, tests)."""
    more: Mapping[str, Any] = field(default_factory=dict)
    """The declared settings (`tui.config.SETTINGS`) that fill no field of their own, by
    key; `setting` reads them."""

    def setting(self, key: str) -> Any:
        """The value in force of the declared setting `key`, converted for use."""
        declared = config_setting(key)
        if declared.field is not None:
            return getattr(self, declared.field)
        return self.more.get(key, declared.settings_value(declared.default))
