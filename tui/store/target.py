"""Which database to open, resolved the way the service resolves it.

Order: `--db PATH` / `--url URL`, then `DATABASE_URL`, then `$ARCHON_HOME/archon.db`,
then `~/.archon/archon.db`. Passwords never leave this module unmasked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from msgspec import Struct

from tui.domain.records import repr_hiding
from tui.store.errors import BadTarget, DatabaseNotFound, StoreError

Kind = Literal["sqlite", "postgresql"]
DEMO_HINT = "sessions-tui --demo"


class DbTarget(Struct, frozen=True):
    """A resolved database and where the choice came from.

    Parsed without SQLAlchemy, so resolving a target (every CLI call, the dashboard's
    start) does not pay for importing it; `url` builds the SQLAlchemy URL on demand.
    """

    kind: Kind
    source: str
    path: Path | None = None
    ssl: str | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = None
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        return repr_hiding(self, "ssl", "password")

    def display(self) -> str:
        """What the header and errors show: the path, or user@host:port/db with no password."""
        from tui.store.backends import driver_for  # the standard library only, on first use

        return driver_for(self.kind).display(self)

    def secret_url(self) -> str:
        """This database as a URL `url_target` reads back, password included: for a
        child process's environment (`serve`), never a command line or a screen."""
        from tui.store.backends import driver_for

        return driver_for(self.kind).secret_url(self)

    def error(
        self, exc: BaseException, *, timeout: tuple[str, str, str, str] | None = None
    ) -> StoreError:
        """`exc` as the one line an operator reads, as this database's backend words its
        driver's errors (`Driver.error`; `timeout`: the statement timeout in force)."""
        if isinstance(exc, StoreError):
            return exc
        from tui.store.backends import driver_for

        return driver_for(self.kind).error(self, exc, timeout=timeout)

    def scrub(self, text: str) -> str:
        """Remove the password from any text that might reach a screen or a log."""
        return mask_password(text, self.password)


def mask_password(text: str, password: str | None) -> str:
    """Mask a password where it stands as itself, not inside other words.

    A plain replace turned `postgres` in "postgresql://" into "***ql://" and, for a
    one-letter password, starred every such letter: the message was garbled and the
    pattern of stars gave the password away.
    """
    if not password:
        return text
    quoted = quote(password, safe="")
    for form in {password, quoted}:
        text = text.replace(f":{form}@", ":***@")
        edge = r"(?<![A-Za-z0-9_.~%-])" + re.escape(form) + r"(?![A-Za-z0-9_.~%-])"
        text = re.sub(edge, "***", text)
    return text


def sqlite_target(path: str | Path, source: str = "--db") -> DbTarget:
    """The file at `path`, made absolute against the working directory and nothing more:
    its characters are the file's name, whatever they are, and a symlink on the path is
    kept, not resolved, so the path names what it names now (a symlink swapped under a
    running dashboard is noticed as a replaced file, `Store.file_changed`)."""
    return DbTarget(kind="sqlite", source=source, path=Path(path).expanduser().absolute())


def url_target(raw: str, source: str = "--url") -> DbTarget:
    """The database a URL names, read by the backend its scheme names
    (`backends.SCHEMES`: `postgresql://` and `postgres://`, `sqlite:///path`, each with an
    optional `+driver`); BadTarget, naming `source`, for anything else."""
    from tui.store.backends import SCHEMES, driver_for

    text = raw.strip()
    scheme, sep, rest = text.partition("://")
    if not sep or not scheme:
        raise BadTarget(f"{source}: not a database URL (expected postgresql://user:pass@host/db)")
    name = scheme.lower().split("+", 1)[0]
    kind = SCHEMES.get(name)
    if kind is None:
        raise BadTarget(f"{source}: unsupported database {name!r}; use SQLite or PostgreSQL")
    return driver_for(kind).parse_url(text, rest, source)


def default_sqlite_path(env: Mapping[str, str]) -> tuple[Path, str]:
    home = env.get("ARCHON_HOME")
    if home:
        return Path(home).expanduser() / "archon.db", "$ARCHON_HOME"
    return Path("~/.archon/archon.db").expanduser(), "~/.archon"


def resolve_target(
    db: str | Path | None = None,
    url: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    must_exist: bool = True,
) -> DbTarget:
    """Pick the database the same way the service does; flags win over the environment."""
    env = os.environ if env is None else env
    if db is not None and url is not None:
        raise StoreError("give either --db or --url, not both")
    if url is not None:
        target = url_target(url, "--url")
    elif db is not None:
        target = sqlite_target(db, "--db")
    elif env.get("DATABASE_URL"):
        target = url_target(env["DATABASE_URL"], "DATABASE_URL")
    else:
        path, source = default_sqlite_path(env)
        target = sqlite_target(path, source)
    from tui.store.backends import driver_for

    if must_exist and driver_for(target.kind).missing(target):
        raise DatabaseNotFound(
            f"no database at {target.path} (from {target.source}). "
            f"Point --db or DATABASE_URL at the service's database, "
            f"or try the dashboard on a demo database: {DEMO_HINT}"
        )
    return target
