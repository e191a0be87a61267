"""Which database to open, resolved the way the service resolves it.

Order: `--db PATH` / `--url URL`, then `DATABASE_URL`, then `$ARCHON_HOME/archon.db`,
then `~/.archon/archon.db`. Passwords never leave this module unmasked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tui.store.errors import DatabaseNotFound, StoreError

Kind = Literal["sqlite", "postgresql"]
DEMO_HINT = "sessions-tui --demo"


@dataclass(frozen=True)
class DbTarget:
    """A resolved database: the SQLAlchemy URL plus where the choice came from."""

    kind: Kind
    url: URL = field(repr=False)
    source: str
    path: Path | None = None
    ssl: str | None = field(default=None, repr=False)

    @property
    def password(self) -> str | None:
        return self.url.password if isinstance(self.url.password, str) else None

    def display(self) -> str:
        """What the header and errors show: the path, or user@host:port/db with no password."""
        if self.kind == "sqlite":
            return str(self.path)
        host = self.url.host or "localhost"
        port = f":{self.url.port}" if self.url.port else ""
        user = f"{self.url.username}@" if self.url.username else ""
        return f"postgresql://{user}{host}{port}/{self.url.database or ''}"

    def scrub(self, text: str) -> str:
        """Remove the password from any text that might reach a screen or a log."""
        pw = self.password
        if pw:
            text = text.replace(pw, "***")
        return text


def sqlite_target(path: str | Path, source: str = "--db") -> DbTarget:
    resolved = Path(path).expanduser().resolve()
    return DbTarget(
        kind="sqlite",
        url=URL.create("sqlite+aiosqlite", database=str(resolved)),
        source=source,
        path=resolved,
    )


def url_target(raw: str, source: str = "--url") -> DbTarget:
    """Accept the service's `postgresql://` form (and `postgres://`, `sqlite:///path`)."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise StoreError(
            f"{source}: not a database URL (expected postgresql://user:pass@host/db)"
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise StoreError(
                f"{source}: a SQLite URL needs a file path (sqlite:///path/to/archon.db)"
            )
        return sqlite_target(url.database, source)
    if backend not in ("postgresql", "postgres"):
        raise StoreError(f"{source}: unsupported database {backend!r}; use SQLite or PostgreSQL")
    query = dict(url.query)
    sslmode = query.pop("sslmode", None)
    ssl = sslmode if isinstance(sslmode, str) and sslmode not in ("disable", "allow") else None
    url = url.set(drivername="postgresql+asyncpg", query=query)
    return DbTarget(kind="postgresql", url=url, source=source, ssl=ssl)


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
    if must_exist and target.kind == "sqlite" and target.path and not target.path.is_file():
        raise DatabaseNotFound(
            f"no database at {target.path} (from {target.source}). "
            f"Point --db or DATABASE_URL at the service's database, "
            f"or try the dashboard on a demo database: {DEMO_HINT}"
        )
    return target
