"""The config file: the dashboard's defaults an operator keeps, in TOML.

Where: `$SESSIONS_TUI_CONFIG` if set, else `config.toml` in the platform's config folder
(`platformdirs.user_config_dir("sessions-tui")`, e.g. `~/.config/sessions-tui/`).
What, all optional:

    refresh = 5            # seconds; 0 turns auto-refresh off, else at least 0.5
    stale_after = "24h"    # quiet this long, an active session is idle (a stuck kind)
    theme = "textual-dark" # remembered when changed in the dashboard
    page_size = 100        # rows read per page (10 to 1000)
    statement_timeout = 30 # seconds a dashboard query may run on PostgreSQL; 0: no limit
    search_window = 5000   # sessions a free-text search reads before `n` (1000 to 1000000)
    run_quiet_after = "30m"  # a running workflow run quiet this long is `quiet` (a guess)
    deployment_timeout = 10  # seconds a deployment may take before it is reported down
    metrics_cache_seconds = 10  # a `metrics` read answers the scrapes this long after it

    [keys]                 # binding id = key(s), comma-separated; ids: `sessions-tui config`
    status-ended = "e"

    [deployments.acme]     # a named database, chosen with `-d acme` (`tui.deployments`)
    url_env = "ACME_DATABASE_URL"

    [check.warning]        # `check`'s thresholds by kind (`tui.domain.check`)
    idle = 5

The order is the rule everywhere: the command line wins over the file, the file over
the defaults. A bad file is refused with one line naming the file and the key; only a
regular file of at most a MiB is read (`read_config_text`). The
tool writes the file itself only to remember a theme, atomically, keeping the other
keys (comments are not kept: TOML is read with `tomllib`, which has no writer, and
written as flat keys plus the `[keys]`, `[deployments.NAME]` and `[check.LEVEL]` tables).
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from msgspec import Struct, field

from tui.domain.records import repr_hiding
from tui.domain.timefmt import parse_duration

if TYPE_CHECKING:  # read where a file declares them: not on the dashboard's path
    from tui.deployments import Deployment
    from tui.domain.check import Thresholds

ENV = "SESSIONS_TUI_CONFIG"
MIN_REFRESH = 0.5
"""Seconds. Each tick re-reads the page and the counts: faster starves the keyboard."""
MAX_REFRESH = 86400.0
PAGE_SIZES = (10, 1000)
MAX_CONFIG_BYTES = 1 << 20
"""A config file is a few lines: past a MiB it is not one (and is not read whole)."""
SEARCH_WINDOWS = (1000, 1_000_000)
"""A window below a thousand sessions says "no match" too soon to be useful; above a
million it is no longer a bound."""

Source = Literal["default", "file", "command line"]


class ConfigError(ValueError):
    """A config file this tool cannot use; `str()` is the one line the operator reads."""


def check_refresh(value: float) -> float:
    """0 (off), or 0.5 s to a day; ValueError says what is allowed."""
    if math.isnan(value) or value < 0 or value > MAX_REFRESH:
        raise ValueError(f"must be 0 (off) or {MIN_REFRESH:g} to {MAX_REFRESH:g} seconds")
    if 0 < value < MIN_REFRESH:
        raise ValueError(f"at least {MIN_REFRESH:g} seconds (or 0 to turn it off)")
    return value


def check_timeout(value: float) -> float:
    """0.5 s to 10 min: ValueError otherwise."""
    if math.isnan(value) or not 0.5 <= value <= 600:
        raise ValueError("must be a number of seconds from 0.5 to 600")
    return value


class Flag(Struct, frozen=True):
    """A setting's command-line option: a global option of `sessions-tui`."""

    name: str
    metavar: str
    help: str
    low: float | None = None
    high: float | None = None
    """The range the option's type accepts (`click.FloatRange`/`IntRange`); None: any."""


class Setting(Struct, frozen=True):
    """One setting, declared once: everything else derives from this record. The file's
    key is `key`; `read` takes the TOML value and returns it checked, or raises
    ValueError with the line that follows `key: ` (a command-line value of `value_type` goes
    through it too); `default` is in force when neither says anything; `show` is its
    value in `sessions-tui config`; `field` is the `Settings` field it fills, converted
    by `to_settings` (None: it is in `Settings.more` under `key`); `flag`, its option."""

    key: str
    value_type: type
    default: Any
    read: Callable[[Any], Any]
    help: str
    field: str | None = None
    to_settings: Callable[[Any], Any] = lambda value: value
    show: Callable[[Any], str] = str
    flag: Flag | None = None

    def settings_value(self, value: Any) -> Any:
        return self.to_settings(value)


def number(why: str, check: Callable[[float], float] | None = None, high: float = 0) -> Any:
    """A reader of a number of seconds: `why` for anything else (NaN, out of 0..`high`
    when `check` is None)."""

    def read(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(why)
        if check is not None:
            return check(float(value))
        if math.isnan(value) or not 0 <= value <= high:
            raise ValueError(why)
        return float(value)

    return read


def whole(low: int, high: int, why: str) -> Any:
    """A reader of a whole number from `low` to `high`: `why` for anything else."""

    def read(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(why)
        return value

    return read


def text(why: str, check: Callable[[str], object] | None = None) -> Any:
    """A reader of a string: `why` for anything else; `check`'s own words for a string it
    refuses, and without `check`, `why` for a blank one."""

    def read(value: Any) -> str:
        if not isinstance(value, str) or (check is None and not value.strip()):
            raise ValueError(why)
        if check is not None:
            check(value)
        return value

    return read


def _seconds(value: float) -> str:
    return f"{value:g}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        key="refresh",
        value_type=float,
        default=5.0,
        read=number("must be a number of seconds, e.g. refresh = 5", check=check_refresh),
        help="seconds between the dashboard's auto-refreshes; 0 turns it off",
        field="refresh_seconds",
        show=_seconds,
        flag=Flag(
            "--refresh",
            "SECONDS",
            f"Dashboard auto-refresh interval, at least {MIN_REFRESH:g}s; 0 disables it "
            "(default: the config file's, else 5).",
            low=0,
            high=int(MAX_REFRESH),
        ),
    ),
    Setting(
        key="stale_after",
        value_type=str,
        default="24h",
        read=text('must be a duration in quotes, e.g. stale_after = "24h"', parse_duration),
        help="how long an active session is quiet before it counts as idle",
        field="stale_after",
        to_settings=parse_duration,
        flag=Flag(
            "--stale-after",
            "DURATION",
            "An active session quiet this long is idle, a stuck kind (the dashboard, "
            "`list`, `show`, `stuck`; default: the config file's, else 24h).",
        ),
    ),
    Setting(
        key="theme",
        value_type=str,
        default=None,
        read=text('must be a theme name in quotes, e.g. theme = "textual-light"'),
        help="the dashboard's theme, remembered when changed there",
        field="theme",
        show=lambda value: value or "textual-dark",
    ),
    Setting(
        key="page_size",
        value_type=int,
        default=100,
        read=whole(*PAGE_SIZES, f"must be a whole number from {PAGE_SIZES[0]} to {PAGE_SIZES[1]}"),
        help="rows the dashboard reads per page",
        field="page_size",
    ),
    Setting(
        key="statement_timeout",
        value_type=float,
        default=30.0,
        read=number("must be a number of seconds (0: no limit)", high=MAX_REFRESH),
        help="seconds a dashboard query may run on PostgreSQL; 0: no limit",
        field="statement_timeout",
        show=_seconds,
    ),
    Setting(
        key="search_window",
        value_type=int,
        default=5_000,
        read=whole(
            *SEARCH_WINDOWS,
            f"must be a whole number of sessions from {SEARCH_WINDOWS[0]} to {SEARCH_WINDOWS[1]}",
        ),
        help="sessions a free-text search reads before it asks to go on",
        field="search_window",
    ),
    Setting(
        key="run_quiet_after",
        value_type=str,
        default="30m",
        read=text('must be a duration in quotes, e.g. run_quiet_after = "30m"', parse_duration),
        help="how long a running workflow run records no activity before it counts as quiet",
        to_settings=parse_duration,
    ),
    Setting(
        key="deployment_timeout",
        value_type=float,
        default=10.0,
        read=number("must be a number of seconds from 0.5 to 600", check=check_timeout),
        help="seconds one deployment may take to answer before it is reported down",
        show=_seconds,
    ),
    Setting(
        key="metrics_cache_seconds",
        value_type=float,
        default=10.0,
        read=number("must be a number of seconds from 0 to 3600", high=3600),
        help="seconds a `metrics` read answers later scrapes again; 0: every scrape reads",
        show=_seconds,
    ),
)
"""Every setting, in the order `sessions-tui config` lists them."""


def setting(key: str) -> Setting:
    """The declaration of `key`; KeyError when there is none."""
    for declared in SETTINGS:
        if declared.key == key:
            return declared
    raise KeyError(key)


def settings_default(field_name: str) -> Any:
    """The `Settings` default of the declared setting filling `field_name`."""
    for declared in SETTINGS:
        if declared.field == field_name:
            return declared.settings_value(declared.default)
    raise KeyError(field_name)


class Config(Struct, frozen=True):
    """What the file says, checked: `values` holds each declared setting it sets (by key),
    also readable as an attribute (`config.refresh`, None where the file says nothing)."""

    path: Path
    exists: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    deployments: dict[str, Deployment] = field(default_factory=dict)
    """The `[deployments.NAME]` tables (`tui.deployments`), in the file's order."""
    check: Thresholds | None = None
    """`check`'s thresholds, the `[check]` table (None: the file has none)."""
    raw: dict[str, Any] = field(default_factory=dict)
    """The file as read: what a write keeps."""

    def __repr__(self) -> str:
        return repr_hiding(self, "raw")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or not any(s.key == name for s in SETTINGS):
            raise AttributeError(name)
        return self.values.get(name)


def config_path() -> Path:
    override = os.environ.get(ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("sessions-tui")) / "config.toml"


def _file_type(mode: int) -> str:
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
    such as /dev/zero never ends and a named pipe waits for a writer. Opened without
    blocking, and checked again once open, so a file swapped in between is refused too."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"{path}: {_file_type(mode)}, not a config file: it must be a regular file"
        )
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise ConfigError(
                f"{path}: {_file_type(opened.st_mode)}, not a config file: "
                "it must be a regular file"
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
    import tomllib  # not on the dashboard's first frame, which reads no file

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None

    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {why}")

    known = [s.key for s in SETTINGS] + ["keys", "deployments", "check"]
    for key in raw:
        if key not in known:
            raise bad(key, f"unknown setting (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for declared in SETTINGS:
        if declared.key in raw:
            try:
                values[declared.key] = declared.read(raw[declared.key])
            except ValueError as exc:
                raise bad(declared.key, str(exc)) from None
    keys = raw.get("keys", {})
    if not isinstance(keys, dict):
        raise bad("keys", 'must be a table: [keys] then lines like status-ended = "e"')
    for binding, key in keys.items():
        if not isinstance(key, str) or not key.strip():
            raise bad(f"keys.{binding}", 'must be a key in quotes, e.g. "e" or "ctrl+e"')
    from tui.deployments import DeploymentError, read_deployments

    try:
        deployments = read_deployments(raw.get("deployments", {}))
    except DeploymentError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    thresholds = None
    if "check" in raw:
        from tui.domain.check import ThresholdError, read_thresholds

        try:
            thresholds = read_thresholds(raw["check"])
        except ThresholdError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return Config(
        path=path,
        exists=True,
        values=values,
        keys=dict(keys),
        deployments=deployments,
        check=thresholds,
        raw=raw,
    )


def check_theme(config: Config, themes: set[str]) -> None:
    if config.theme is not None and config.theme not in themes:
        raise ConfigError(
            f"{config.path}: theme: no theme {config.theme!r} (one of {', '.join(sorted(themes))})"
        )


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    raise TypeError(f"cannot write {type(value).__name__} to the config file")


def _toml_key(key: str) -> str:
    import json

    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else json.dumps(key)


def dump(raw: dict[str, Any]) -> str:
    """Flat keys, then the `[keys]` table, then one `[deployments.NAME]` table each, then
    `[check.LEVEL]`: every shape `load_config` accepts."""
    tables = ("keys", "deployments", "check")
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in raw.items() if k not in tables]
    keys = raw.get("keys") or {}
    if keys:
        lines += ["", "[keys]", *(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in keys.items())]
    for name, table in (raw.get("deployments") or {}).items():
        lines += ["", f"[deployments.{_toml_key(name)}]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
    for level, table in (raw.get("check") or {}).items():
        lines += ["", f"[check.{_toml_key(level)}]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def remember(path: Path, key: str, value: Any) -> None:
    """Set one flat key in the file, keeping the others; written to a temporary file
    beside it and renamed over it, so a crash never leaves half a file."""
    import tempfile
    import tomllib

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


class InForce(Struct, frozen=True):
    """One setting as the dashboard uses it, and where it came from: `value` as
    `sessions-tui config` shows it, `raw` as the file would hold it."""

    name: str
    value: str
    source: Source
    raw: Any = None


def settings_in_force(config: Config, given: Mapping[str, Any]) -> dict[str, InForce]:
    """Each declared setting's value and where it came from: the command line (`given`,
    by key: only what it gave), else the file, else the default."""
    found: dict[str, InForce] = {}
    for declared in SETTINGS:
        source: Source
        if declared.key in given:
            value, source = given[declared.key], "command line"
        elif declared.key in config.values:
            value, source = config.values[declared.key], "file"
        else:
            value, source = declared.default, "default"
        found[declared.key] = InForce(declared.key, declared.show(value), source, value)
    return found
