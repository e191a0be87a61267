"""Which database to open, resolved the way the service resolves it.

Order: `--db PATH` / `--url URL`, then `DATABASE_URL`, then `$ARCHON_HOME/archon.db`,
then `~/.archon/archon.db`. Passwords never leave this module unmasked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, unquote_to_bytes, urlsplit

from tui.store.errors import BadTarget, DatabaseNotFound, StoreError

Kind = Literal["sqlite", "postgresql"]
DEMO_HINT = "sessions-tui --demo"


@dataclass(frozen=True)
class DbTarget:
    """A resolved database and where the choice came from.

    Parsed without SQLAlchemy, so resolving a target (every CLI call, the dashboard's
    start) does not pay for importing it; `url` builds the SQLAlchemy URL on demand.
    """

    kind: Kind
    source: str
    path: Path | None = None
    ssl: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    def display(self) -> str:
        """What the header and errors show: the path, or user@host:port/db with no password."""
        from tui.store.backends import driver_for  # the standard library only, on first use

        return driver_for(self.kind).display(self)

    def secret_url(self) -> str:
        """This database as a URL `url_target` reads back, password included: for a
        child process's environment (`serve`), never a command line or a screen."""
        from tui.store.backends import driver_for

        return driver_for(self.kind).secret_url(self)

    def error(self, exc: BaseException, *, timeout_from: str | None = None) -> StoreError:
        """`exc` as the one line an operator reads: the backend's look beside the
        database first (`Driver.explain`), else `errors.translate` (`timeout_from` says
        where the statement timeout came from)."""
        if isinstance(exc, StoreError):
            return exc
        from tui.store.backends import driver_for
        from tui.store.errors import translate

        found = driver_for(self.kind).explain(self, exc)
        if found is not None:
            return found
        return translate(exc, self.display(), self.scrub, timeout_from=timeout_from)

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
    """Accept the service's `postgresql://` form (and `postgres://`, `sqlite:///path`).

    A SQLite URL's path is percent-decoded, as SQLAlchemy decodes it: `%25` is a `%`,
    `%3F` a `?`, `%23` a `#`, `%20` a space (what `DbTarget.secret_url` writes)."""
    bad = f"{source}: not a database URL (expected postgresql://user:pass@host/db)"
    text = raw.strip()
    scheme, sep, rest = text.partition("://")
    if not sep or not scheme:
        raise BadTarget(bad)
    backend = scheme.lower().split("+", 1)[0]
    if backend == "sqlite":
        database = rest[1:] if rest.startswith("/") else rest
        database = os.fsdecode(unquote_to_bytes(database.split("?", 1)[0]))
        if not database or database == ":memory:":
            raise BadTarget(
                f"{source}: a SQLite URL needs a file path (sqlite:///path/to/archon.db)"
            )
        return sqlite_target(database, source)
    if backend not in ("postgresql", "postgres"):
        raise BadTarget(f"{source}: unsupported database {backend!r}; use SQLite or PostgreSQL")
    try:
        parts = urlsplit("postgresql://" + rest)
        port = parts.port
    except ValueError:
        raise BadTarget(bad) from None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))  # libpq: the last wins
    for name, value in params.items():
        _check_parameter(source, name, value)
    query = [(k, v) for k, v in params.items() if k != "sslmode"]
    ssl = params.get("sslmode") or None
    return DbTarget(
        kind="postgresql",
        source=source,
        ssl=ssl,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        database=unquote(parts.path[1:]) if parts.path else None,
        query=tuple(query),
    )


LIBPQ_PARAMETERS = ("application_name", "connect_timeout", "options", "sslmode")
"""The libpq connection parameters a PostgreSQL URL may carry, each meaning what it
means to libpq (`postgresql_driver.connect_options` maps them to the driver's), and
`target_session_attrs`. Any other is refused with one line naming it."""
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")


def _check_parameter(source: str, name: str, value: str) -> None:
    """Refuse, in one line, a URL parameter this tool cannot honour as libpq would."""

    def refuse(why: str) -> BadTarget:
        return BadTarget(f"{source}: the URL parameter {name}={value!r} {why}")

    if name == "sslmode" and value not in SSL_MODES:
        raise refuse(f"is not an sslmode ({', '.join(SSL_MODES)})")
    if name == "target_session_attrs":
        if value not in SESSION_ATTRS:
            raise refuse(f"is not a target_session_attrs ({', '.join(SESSION_ATTRS)})")
        return
    if name == "connect_timeout":
        try:
            int(value)
        except ValueError:
            raise refuse("is not a whole number of seconds") from None
    if name == "options":
        try:
            option_settings(value)
        except ValueError as exc:
            raise refuse(str(exc)) from None
    if name not in LIBPQ_PARAMETERS:
        known = ", ".join((*LIBPQ_PARAMETERS, "target_session_attrs"))
        raise BadTarget(
            f"{source}: the URL parameter {name!r} is not supported by sessions-tui "
            f"(supported: {known})"
        )


def option_settings(options: str) -> dict[str, str]:
    """The server settings in a libpq `options` value: `-c name=value`, `-cname=value`
    or `--name=value`, separated by spaces (a backslash keeps the next character, a
    space included). Anything else raises ValueError saying what is supported."""
    words: list[str] = []
    word: list[str] | None = None
    chars = iter(options)
    for ch in chars:
        if ch.isspace():
            if word is not None:
                words.append("".join(word))
                word = None
            continue
        if ch == "\\":
            ch = next(chars, "")
        word = [*(word or []), ch]
    if word is not None:
        words.append("".join(word))
    settings: dict[str, str] = {}
    pending = False
    for w in words:
        if pending:
            pair, pending = w, False
        elif w == "-c":
            pending = True
            continue
        elif w.startswith(("-c", "--")):
            pair = w[2:]
        else:
            raise ValueError("holds a switch other than -c name=value (the only form supported)")
        name, eq, value = pair.partition("=")
        if not eq or not name:
            raise ValueError("holds a -c without name=value")
        settings[name.replace("-", "_")] = value
    if pending:
        raise ValueError("ends with -c and no name=value")
    return settings


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
