"""The plumbing every command shares: the global options' object, the store's
opening, the dashboard's start and the errors' one line."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import click
from click.core import ParameterSource
from msgspec import Struct, field

from tui.cli import output
from tui.config import (
    SETTINGS,
    Config,
    ConfigError,
    InForce,
    check_theme,
    load_config,
    setting,
)
from tui.domain.columns import Context
from tui.domain.records import repr_hiding
from tui.domain.text import safe_text
from tui.domain.timefmt import utcnow
from tui.store.demo_size import DEMO_SESSIONS

if TYPE_CHECKING:
    from tui.deployments import Deployment
    from tui.fleet import ReadOptions
    from tui.settings import Settings
    from tui.store.store import Store
    from tui.store.target import DbTarget

T = TypeVar("T")

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# -- plumbing --------------------------------------------------------------------------------


class Globals(Struct):
    """The global options, and the database target resolved on first use.

    Resolution is lazy so that commands which need no database (`reasons`, `demo-db`)
    work without one, and `end` validates its reason before any database is touched.
    """

    db: Path | None = None
    url: str | None = None
    read_only: bool = False
    demo: bool = False
    select_cap: int = 1000
    deployment_names: tuple[str, ...] = ()
    """`-d NAME`, each once, as given."""
    all_deployments: bool = False
    """`--all`: every deployment the config file declares."""
    in_force: dict[str, InForce] = field(default_factory=dict)
    """Each declared setting in force (`tui.config.settings_in_force`), by key."""
    resolved: DbTarget | None = None
    config: Config | None = None

    def __repr__(self) -> str:
        return repr_hiding(self, "in_force", "resolved", "config")

    def value(self, key: str) -> Any:
        """The declared setting `key` in force, converted as the dashboard takes it."""
        declared = setting(key)
        found = self.in_force.get(key)
        return declared.settings_value(declared.default if found is None else found.raw)

    @property
    def stale_after(self) -> timedelta:
        value: timedelta = self.value("stale_after")
        return value

    @property
    def refresh(self) -> float:
        value: float = self.value("refresh")
        return value

    def deployments(self) -> list[Deployment]:
        """The deployments `-d`/`--all` chose, in the file's order; [] when neither was
        given (the database is then resolved as always: `--db`, `--url`, the environment).
        A name the file does not declare is a usage error (exit 2)."""
        if not self.deployment_names and not self.all_deployments:
            return []
        from tui.deployments import DeploymentError, select

        known = self.config.deployments if self.config is not None else {}
        try:
            return select(known, self.deployment_names, self.all_deployments)
        except DeploymentError as exc:
            raise click.UsageError(str(exc)) from None

    def read_options(self) -> ReadOptions:
        """How each of several deployments is read: within the `deployment_timeout`
        setting, with the command line's and the file's rules."""
        from tui.fleet import ReadOptions

        return ReadOptions(
            within=float(self.value("deployment_timeout")),
            stale_after=self.stale_after,
            run_quiet_after=self.value("run_quiet_after"),
            statement_timeout=float(self.value("statement_timeout")) or None,
        )

    def target(self) -> DbTarget:
        if self.resolved is None:
            chosen = self.deployments()
            if len(chosen) > 1:
                raise click.UsageError(
                    f"this command reads one database; {len(chosen)} deployments are chosen "
                    "(give one -d NAME)"
                )
            if chosen:
                from tui.store.errors import BadTarget

                try:
                    self.resolved = chosen[0].target()
                except BadTarget as exc:
                    raise click.UsageError(self.scrub(str(exc))) from None
                # A read-only deployment is read-only whatever the command line says.
                self.read_only = self.read_only or chosen[0].read_only
            elif self.demo:
                from tui.store.target import sqlite_target

                self.resolved = sqlite_target(ensure_demo_db(), "--demo")
            else:
                from tui.store.errors import BadTarget
                from tui.store.target import resolve_target

                try:
                    self.resolved = resolve_target(self.db, self.url)
                except BadTarget as exc:
                    # A URL the tool cannot use is a usage error (exit 2), as the README says.
                    raise click.UsageError(self.scrub(str(exc))) from None
        return self.resolved

    def dashboard_settings(self, target: DbTarget, **given: Any) -> Settings:
        """The dashboard's settings from the global options and the config file; `given`
        (read_only, actor, …) wins. Read-only, no config file to remember a theme in."""
        from tui.settings import Settings

        config = self.config or load_config()
        fields: dict[str, Any] = {
            "target": target,
            "read_only": self.read_only,
            "select_cap": self.select_cap,
            "keys": config.keys,
            "config_path": config.path,
            "more": {},
        }
        for declared in SETTINGS:
            if declared.field is None:
                fields["more"][declared.key] = self.value(declared.key)
            else:
                fields[declared.field] = self.value(declared.key)
        fields |= given
        if fields["read_only"]:  # a read-only dashboard writes nothing, the config included
            fields["config_path"] = None
        return Settings(**fields)

    def context(self) -> Context:
        """What a cell needs besides its row, taken once per command."""
        return Context(now=utcnow(), stale_after=self.stale_after)

    def scrub(self, text: str) -> str:
        """Mask every password this process knows of, even from a URL that failed to parse."""
        from tui.store.target import mask_password

        if self.resolved is not None:
            text = self.resolved.scrub(text)
        for raw in (self.url, os.environ.get("DATABASE_URL")):
            if not raw:
                continue
            try:
                password = urlsplit(raw.strip()).password
            except ValueError:
                password = None
            text = mask_password(text, password)
        return text


def ensure_demo_db() -> Path:
    """The cached demo database, built on first use (one line on stderr while building)."""
    import tui.settings as settings_mod
    from tui.store.demo import write_demo_db
    from tui.store.errors import StoreError

    n = DEMO_SESSIONS
    path = settings_mod.demo_path(n)
    if not path.is_file():
        click.echo(f"building the demo database ({n} sessions) at {path} …", err=True)
        try:
            asyncio.run(write_demo_db(path, n_sessions=n))
        except StoreError:
            if not path.is_file():
                raise
            # Another process built it at the same moment: use theirs.
    return path


class CliGroup(click.Group):
    """Turns every StoreError, and a stdout that cannot be written (`output`), into
    `Error: <message>` on stderr and exit 1; `check`'s usage and config errors into its
    UNKNOWN (`plugin_exit`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from tui.cli.plugin_exit import as_unknown

        given = list(args)
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:
            as_unknown(ctx, exc, given)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            from tui.cli.plugin_exit import as_unknown

            as_unknown(ctx, exc)
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except output.OutputFailed as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            from tui.store.errors import StoreError

            if not isinstance(exc, StoreError):
                raise
            g = ctx.find_object(Globals)
            message = str(exc) if g is None else g.scrub(str(exc))
            raise click.ClickException(safe_text(message)) from None


def run_with_store(g: Globals, fn: Callable[[Store], Coroutine[Any, Any, T]]) -> T:
    """Open the store, run one async job on it, and always close it."""
    from tui.store.store import open_store

    target = g.target()

    async def go() -> T:
        store = await open_store(target, read_only=g.read_only, stale_after=g.stale_after)
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(go())


def launch_dashboard(settings: Settings) -> None:
    """Start the Textual app; imported here so that scripts never load Textual. The first
    page is read meanwhile (`warm.start`): it is on hand when the screen mounts."""
    from tui.store import warm

    early = warm.start(
        settings.target, settings.page_size, stale_after=settings.stale_after, now=settings.clock()
    )
    try:
        from tui.app import run
    except ImportError as exc:
        raise click.ClickException(f"the dashboard cannot start: {exc}") from None
    code = run(settings, early)
    if code:  # a crash is a failure for whoever started the dashboard
        sys.exit(code)


class ConfigProblem(click.ClickException):
    """A config file the tool cannot use: one line naming the file and the key, exit 2."""

    exit_code = 2


def from_command_line(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source is not ParameterSource.DEFAULT


def check_for_dashboard(config: Config) -> None:
    """The keys and the theme name the dashboard's own ids and themes: checked with them."""
    if not config.keys and config.theme is None:
        return
    try:
        from tui.app.app import key_problem, theme_names
    except ImportError as exc:
        raise click.ClickException(f"the dashboard cannot start: {exc}") from None
    check_keys_and_theme(config, key_problem, theme_names)


def check_keys_and_theme(
    config: Config,
    key_problem: Callable[[Mapping[str, str]], str | None],
    themes: Callable[[], set[str]],
) -> None:
    """The dashboard's own check of `[keys]` (ids, shadowed keys) and the theme name:
    what `config` and the dashboard's start both refuse, with exit 2."""
    why = key_problem(config.keys)
    if why is not None:
        raise ConfigProblem(f"{config.path}: {why}")
    try:
        check_theme(config, themes())
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
