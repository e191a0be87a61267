"""How the PostgreSQL backend reads a `postgresql://` URL: the service's form, with the
libpq parameters this tool honours as libpq would. Standard library only (the driver
side: every CLI call and the dashboard's start resolve their target before SQLAlchemy).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

from tui.store.errors import BadTarget
from tui.store.target import DbTarget


def parse_url(raw: str, rest: str, source: str) -> DbTarget:
    """`postgresql://user:pass@host:port/db?params` (`rest`: what follows `://`); user,
    password and database percent-decoded, the libpq parameters checked
    (`_check_parameter`; the last of a repeated one wins, as in libpq), `sslmode` kept
    apart as `DbTarget.ssl`."""
    bad = f"{source}: not a database URL (expected postgresql://user:pass@host/db)"
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
