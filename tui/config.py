"""The config file: the dashboard's defaults an operator keeps, in TOML.

Where: `$SESSIONS_TUI_CONFIG` if set, else `config.toml` in the platform's config folder
(`platformdirs.user_config_dir("sessions-tui")`, e.g. `~/.config/sessions-tui/`).
What, all optional:

    refresh = 5            # seconds; 0 turns auto-refresh off, else at least 0.5
    stale_after = "24h"    # when an active session counts as stale
    theme = "textual-dark" # remembered when changed in the dashboard
    page_size = 100        # rows read per page (10 to 1000)
    statement_timeout = 30 # seconds a dashboard query may run on PostgreSQL; 0: no limit
    search_window = 5000   # sessions a free-text search reads before `n` (1000 to 1000000)

    [keys]                 # binding id = key(s), comma-separated; ids: `sessions-tui config`
    status-ended = "e"

The order is the rule everywhere: the command line wins over the file, the file over
the defaults. A bad file is refused with one line naming the file and the key; only a
regular file of at most a MiB is read (`read_config_text`). The
tool writes the file itself only to remember a theme, atomically, keeping the other
keys (comments are not kept: TOML is read with `tomllib`, which has no writer, and
written as flat keys plus the `[keys]` table).
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from tui.domain.timefmt import parse_duration

ENV = "SESSIONS_TUI_CONFIG"
MIN_REFRESH = 0.5
"""Seconds. Each tick re-reads the page and the counts: faster starves the keyboard."""
MAX_REFRESH = 86400.0
PAGE_SIZES = (10, 1000)
MAX_CONFIG_BYTES = 1 << 20
"""A config file is a few lines: past a MiB it is not one (and is not read whole)."""
SEARCH_WINDOWS = (1000, 1_000_000)
"""A window below a thousand sessions says "no match" too soon to be useful; above a
million it is no longer a bound (a window costs ~5 µs of CPU a session)."""

Source = Literal["default", "file", "command line"]


class ConfigError(ValueError):
    """A config file this tool cannot use; `str()` is the one line the operator reads."""


@dataclass(frozen=True)
class Defaults:
    refresh: float = 5.0
    stale_after: str = "24h"
    theme: str | None = None
    page_size: int = 100
    statement_timeout: float = 30.0
    search_window: int = 5_000
    """`Settings.search_window`, which says why (a test keeps the two equal)."""


DEFAULTS = Defaults()


@dataclass(frozen=True)
class Config:
    """What the file says, checked; None where it says nothing."""

    path: Path
    exists: bool = False
    refresh: float | None = None
    stale_after: str | None = None
    theme: str | None = None
    page_size: int | None = None
    statement_timeout: float | None = None
    search_window: int | None = None
    keys: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    """The file as read: what a write keeps."""


def config_path() -> Path:
    override = os.environ.get(ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("sessions-tui")) / "config.toml"


def check_refresh(value: float) -> float:
    """0 (off), or 0.5 s to a day; ValueError says what is allowed."""
    if math.isnan(value) or value < 0 or value > MAX_REFRESH:
        raise ValueError(f"must be 0 (off) or {MIN_REFRESH:g} to {MAX_REFRESH:g} seconds")
    if 0 < value < MIN_REFRESH:
        raise ValueError(f"at least {MIN_REFRESH:g} seconds (or 0 to turn it off)")
    return value


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_config_text(path: Path) -> str | None:
    """The file's text, if it is a regular file of at most `MAX_CONFIG_BYTES`; None when
    there is none. Anything else is a ConfigError, said before it is read: a device
    such as /dev/zero never ends (memory grew without bound) and a named pipe waits
    for a writer (the tool hung). Opened without blocking, and checked again once
    open, so a file swapped in between is refused too."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode):
        raise ConfigError(f"{path}: {_kind(mode)}, not a config file: it must be a regular file")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise ConfigError(
                f"{path}: {_kind(opened.st_mode)}, not a config file: it must be a regular file"
            )
        data = file.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_CONFIG_BYTES // (1 << 20)} MiB, not a config file "
            "(a few lines of TOML)"
        )
    return data.decode("utf-8")


def load_config(path: Path | None = None) -> Config:
    """Read and check the file; a missing file is an empty config."""
    path = path or config_path()
    try:
        text = read_config_text(path)
    except FileNotFoundError:
        return Config(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    if text is None:
        return Config(path=path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None

    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {why}")

    known = {
        "refresh",
        "stale_after",
        "theme",
        "page_size",
        "statement_timeout",
        "search_window",
        "keys",
    }
    for key in raw:
        if key not in known:
            raise bad(key, f"unknown setting (known: {', '.join(sorted(known))})")
    refresh = raw.get("refresh")
    if refresh is not None:
        if isinstance(refresh, bool) or not isinstance(refresh, int | float):
            raise bad("refresh", "must be a number of seconds, e.g. refresh = 5")
        try:
            refresh = check_refresh(float(refresh))
        except ValueError as exc:
            raise bad("refresh", str(exc)) from None
    stale = raw.get("stale_after")
    if stale is not None:
        if not isinstance(stale, str):
            raise bad("stale_after", 'must be a duration in quotes, e.g. stale_after = "24h"')
        try:
            parse_duration(stale)
        except ValueError as exc:
            raise bad("stale_after", str(exc)) from None
    theme = raw.get("theme")
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        raise bad("theme", 'must be a theme name in quotes, e.g. theme = "textual-light"')
    page = raw.get("page_size")
    if page is not None:
        low, high = PAGE_SIZES
        if isinstance(page, bool) or not isinstance(page, int) or not low <= page <= high:
            raise bad("page_size", f"must be a whole number from {low} to {high}")
    timeout = raw.get("statement_timeout")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or math.isnan(timeout)
        or not 0 <= timeout <= MAX_REFRESH
    ):
        raise bad("statement_timeout", "must be a number of seconds (0: no limit)")
    window = raw.get("search_window")
    if window is not None:
        low, high = SEARCH_WINDOWS
        if isinstance(window, bool) or not isinstance(window, int) or not low <= window <= high:
            raise bad("search_window", f"must be a whole number of sessions from {low} to {high}")
    keys = raw.get("keys", {})
    if not isinstance(keys, dict):
        raise bad("keys", 'must be a table: [keys] then lines like status-ended = "e"')
    for binding, key in keys.items():
        if not isinstance(key, str) or not key.strip():
            raise bad(f"keys.{binding}", 'must be a key in quotes, e.g. "e" or "ctrl+e"')
    return Config(
        path=path,
        exists=True,
        refresh=refresh,
        stale_after=stale,
        theme=theme,
        page_size=page,
        statement_timeout=None if timeout is None else float(timeout),
        search_window=window,
        keys=dict(keys),
        raw=raw,
    )


def check_theme(config: Config, themes: set[str]) -> None:
    if config.theme is not None and config.theme not in themes:
        raise ConfigError(
            f"{config.path}: theme: no theme {config.theme!r} (one of {', '.join(sorted(themes))})"
        )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    raise TypeError(f"cannot write {type(value).__name__} to the config file")


def _toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else json.dumps(key)


def dump(raw: dict[str, Any]) -> str:
    """Flat keys, then the `[keys]` table: every shape `load_config` accepts."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in raw.items() if k != "keys"]
    keys = raw.get("keys") or {}
    if keys:
        lines += ["", "[keys]", *(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in keys.items())]
    return "\n".join(lines) + "\n"


def remember(path: Path, key: str, value: Any) -> None:
    """Set one flat key in the file, keeping the others; written to a temporary file
    beside it and renamed over it, so a crash never leaves half a file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw = {}
    raw[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(dump(raw))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class InForce:
    """One setting as the dashboard uses it, and where it came from."""

    name: str
    value: str
    source: Source


def stale_after_of(text: str) -> timedelta:
    return parse_duration(text)
