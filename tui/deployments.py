"""Named deployments: the config file's `[deployments.NAME]` tables.

The service is one install per client, so an operator may watch several databases. Each
deployment names exactly one database:

    [deployments.acme]
    db = "/srv/acme/archon.db"        # a SQLite file, or
    url = "postgresql://…"            # a URL (the file then holds a password), or
    url_env = "ACME_DATABASE_URL"     # the environment variable that holds the URL
    read_only = true                  # optional: never end or cancel there
    colour = "red"                    # optional: its name in the header, in this colour
    title = "Acme (production)"       # optional: what screens call it; else NAME

Names are letters, digits, `-` and `_` (they are typed after `-d`). The file's order is
the order everywhere. Nothing here opens a database: `Deployment.target` resolves the
one it names, and an unset `url_env` is a one-line error naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

if TYPE_CHECKING:
    from tui.store.target import DbTarget

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
KEYS = ("db", "url", "url_env", "read_only", "colour", "title")
"""Every key a deployment's table may hold."""
WHERE = ("db", "url", "url_env")
"""The keys that name its database: exactly one of them."""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DeploymentError(ValueError):
    """A deployment the tool cannot use; `str()` is the one line the operator reads."""


class Deployment(Struct, frozen=True):
    """One named database, as the config file declares it."""

    name: str
    db: Path | None = None
    url: str | None = None
    url_env: str | None = None
    read_only: bool = False
    colour: str | None = None
    title: str | None = None

    @property
    def label(self) -> str:
        """What screens and output call it: the title, else the name."""
        return self.title or self.name

    @property
    def holds_password(self) -> bool:
        """Whether the file's own text carries a password for it (a `url` with one)."""
        if self.url is None:
            return False
        from urllib.parse import urlsplit

        try:
            return bool(urlsplit(self.url.strip()).password)
        except ValueError:
            return True  # unparseable: assume the worst for the file's permissions

    def where(self) -> str:
        """Where its database comes from, without a password: for `config` and errors."""
        if self.db is not None:
            return str(self.db)
        if self.url_env is not None:
            return f"${self.url_env}"
        return "url in the config file"

    def target(self, env: Mapping[str, str] | None = None) -> DbTarget:
        """Its database, resolved now (`url_env` is read from `env`, else the process's
        environment); BadTarget with one line naming the deployment when it cannot be."""
        from tui.store.errors import BadTarget
        from tui.store.target import sqlite_target, url_target

        source = f"deployment {self.name}"
        if self.db is not None:
            return sqlite_target(self.db, source)
        if self.url is not None:
            return url_target(self.url, source)
        assert self.url_env is not None
        value = (os.environ if env is None else env).get(self.url_env, "")
        if not value.strip():
            raise BadTarget(f"{source}: ${self.url_env} is not set (it should hold the URL)")
        return url_target(value, f"{source} (${self.url_env})")


def _colour(value: str) -> str:
    from rich.color import Color, ColorParseError

    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f'not a colour: {value!r} (a name like "red", or "#ff8800")') from None
    return value


def read_deployment(name: str, table: Any) -> Deployment:
    """One `[deployments.NAME]` table, checked; DeploymentError says which key and why
    (the caller puts the file's path in front)."""
    where = f"deployments.{name}"
    if not NAME.match(name):
        raise DeploymentError(
            f"{where}: a deployment's name is letters, digits, '-' and '_' (at most 63)"
        )
    if not isinstance(table, dict):
        raise DeploymentError(f'{where}: must be a table: [{where}] then db = "…" or url_env = "…"')
    for key in table:
        if key not in KEYS:
            raise DeploymentError(f"{where}.{key}: unknown key (known: {', '.join(KEYS)})")
    given = [key for key in WHERE if key in table]
    if len(given) != 1:
        raise DeploymentError(
            f"{where}: give exactly one of db, url or url_env"
            + (f" (it has {', '.join(given)})" if given else "")
        )
    for key in ("db", "url", "url_env", "colour", "title"):
        if key in table and (not isinstance(table[key], str) or not table[key].strip()):
            raise DeploymentError(f"{where}.{key}: must be a non-empty string in quotes")
    if "url_env" in table and not ENV_NAME.match(table["url_env"]):
        raise DeploymentError(
            f"{where}.url_env: the name of an environment variable, e.g. ACME_DATABASE_URL"
        )
    if "read_only" in table and not isinstance(table["read_only"], bool):
        raise DeploymentError(f"{where}.read_only: must be true or false")
    colour = table.get("colour")
    if colour is not None:
        try:
            _colour(colour)
        except ValueError as exc:
            raise DeploymentError(f"{where}.colour: {exc}") from None
    return Deployment(
        name=name,
        db=Path(table["db"]).expanduser() if "db" in table else None,
        url=table.get("url"),
        url_env=table.get("url_env"),
        read_only=bool(table.get("read_only", False)),
        colour=colour,
        title=table.get("title"),
    )


def read_deployments(raw: Any) -> dict[str, Deployment]:
    """The file's `deployments` table, in the file's order."""
    if not isinstance(raw, dict):
        raise DeploymentError('deployments: must be tables: [deployments.NAME] then db = "…"')
    return {name: read_deployment(name, table) for name, table in raw.items()}


def select(
    known: Mapping[str, Deployment], names: tuple[str, ...], every: bool
) -> list[Deployment]:
    """The deployments `-d NAME…` or `--all` name, in the file's order; `-d` given twice
    counts once. DeploymentError for a name the file does not declare, or `--all`
    with none declared."""
    if every:
        if not known:
            raise DeploymentError(
                "--all: the config file declares no deployments ([deployments.NAME])"
            )
        return list(known.values())
    for name in names:
        if name not in known:
            have = ", ".join(known) if known else "none declared"
            raise DeploymentError(f"-d {name}: no such deployment (known: {have})")
    wanted = set(names)
    return [deployment for name, deployment in known.items() if name in wanted]
