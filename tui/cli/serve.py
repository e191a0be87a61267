"""`sessions-tui serve`: the same dashboard in a browser, through textual-serve.

textual-serve runs one child process per browser tab (the command below, through a
shell) and relays its terminal over a websocket. What holds:

- textual-serve has no authentication: `serve` listens on loopback unless
  `--allow-remote` is given (and then says so on standard error), and admits only pages
  of the served origin holding the token it prints (`tui.cli.serve_guard`).
- The child is `python -m tui … served-app`: the database travels in the child's
  environment (`SERVE_URL`, read and removed by the child), never on its command line,
  which any local user can read with `ps`; the page carries neither. Several
  deployments travel the same way, in `SERVE_DEPLOYMENTS` (`tui.cli.serve_deployments`),
  and the child shows their overview.
- Served, the dashboard opens the database read-only; `--write` needs `--actor`, and
  every end it writes is signed by that actor, never by the server's `user@host`.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shlex
import sys
from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

from msgspec import Struct

from tui.domain.wording import Refusal, served_read_only

INSTALL_HINT = "pip install 'sessions-tui[web]'"
SERVE_URL = "SESSIONS_TUI_SERVE_URL"
"""The database, password included, for the child alone (its environment)."""
SERVE_SOURCE = "SESSIONS_TUI_SERVE_SOURCE"
"""Where `serve` found the database (--db, --url, DATABASE_URL, …), for the header."""
SERVE_ACTOR = "SESSIONS_TUI_SERVE_ACTOR"
"""Who signs the ends of a writable served dashboard."""
SERVE_DEPLOYMENTS = "SESSIONS_TUI_SERVE_DEPLOYMENTS"
"""Several deployments, each with its URL and password, for the child alone (its
environment; `tui.cli.serve_deployments` writes and reads it)."""
SERVE_VARIABLES = (SERVE_URL, SERVE_SOURCE, SERVE_ACTOR, SERVE_DEPLOYMENTS)
SERVED_READ_ONLY: Refusal = served_read_only
"""A served read-only dashboard's refusal, naming the write refused (`wording`)."""
CHILD_COMMAND = "served-app"
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    """Only `localhost` and loopback addresses (127.0.0.0/8, ::1) count: any other name
    may resolve to an address others reach."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def remote_refusal(host: str, allow_remote: bool) -> str | None:
    """Why listening on `host` is refused (an address beyond this machine without
    `--allow-remote`: served over plain HTTP), for `serve` and `metrics` alike; None when
    it is allowed."""
    if is_loopback(host) or allow_remote:
        return None
    return (
        f"{host} is not a loopback address (served over plain HTTP): "
        "add --allow-remote to serve beyond this machine"
    )


def http_url(host: str, port: int) -> str:
    """`http://HOST:PORT`, an IPv6 address in brackets."""
    name = host.strip("[]")
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


def remote_warning(host: str, port: int, actor: str | None) -> str:
    what = "sees every session" if actor is None else f"sees every session and ends them as {actor}"
    return (
        f"warning: serving on {host}:{port} beyond this machine over plain HTTP, the token "
        f"its only lock: anyone who can reach that port and read the token {what}"
    )


class ChildSpec(Struct, frozen=True):
    """How textual-serve starts the dashboard for each browser tab."""

    command: str
    """The shell command: the interpreter, non-secret options, the hidden command."""
    environment: dict[str, str]
    """Added to the serving process's environment, which each child inherits."""


def child_spec(
    secret_url: str,
    source: str,
    *,
    actor: str | None,
    refresh: float,
    stale_after: timedelta,
    select_cap: int,
) -> ChildSpec:
    """`actor` None: read-only. The URL goes to the environment only."""
    environment = {SERVE_URL: secret_url, SERVE_SOURCE: source}
    return ChildSpec(
        child_command(actor=actor, refresh=refresh, stale_after=stale_after, select_cap=select_cap),
        environment | ({} if actor is None else {SERVE_ACTOR: actor}),
    )


def child_command(
    *, actor: str | None, refresh: float, stale_after: timedelta, select_cap: int
) -> str:
    """The child's shell command: the interpreter, the non-secret options (`--read-only`
    when `actor` is None), the hidden command."""
    argv = [
        sys.executable,
        "-m",
        "tui",
        "--refresh",
        f"{refresh:g}",
        "--stale-after",
        f"{int(stale_after.total_seconds())}s",
        "--select-cap",
        str(select_cap),
    ]
    if actor is None:
        argv.append("--read-only")
    argv.append(CHILD_COMMAND)
    return shlex.join(argv)


class ChildTarget(Struct, frozen=True):
    url: str
    source: str
    actor: str | None


def take_child_target(environ: MutableMapping[str, str]) -> ChildTarget | None:
    """What `serve` left for the child, removed from its environment once read (nothing
    it starts inherits the password); None outside `serve`."""
    url = environ.pop(SERVE_URL, None)
    source = environ.pop(SERVE_SOURCE, "serve")
    actor = environ.pop(SERVE_ACTOR, None)
    if url is None:
        return None
    return ChildTarget(url, source, actor or None)


def new_token() -> str:
    """The secret a page needs (printed by `serve` in the address to open)."""
    return secrets.token_urlsafe(32)


def page_url(host: str, port: int, public_url: str | None, token: str | None) -> str:
    """The address to open: the served page, with its token."""
    base = (public_url or http_url(host, port)).rstrip("/") + "/"
    return base if token is None else f"{base}?token={token}"


def no_token_warning(host: str, port: int) -> str:
    return (
        f"warning: --no-token: any client that reaches {host}:{port} with this server's "
        "origin gets the dashboard; use it only behind a proxy that authenticates"
    )


def run_server(
    spec: ChildSpec,
    *,
    host: str,
    port: int,
    public_url: str | None,
    token: str | None,
) -> None:
    """Serve until SIGINT/SIGTERM, every route but the static files behind the guard
    (`token` None: origin only). ImportError when textual-serve is not installed."""
    from textual_serve.server import Server

    from tui.cli import serve_guard

    served = [http_url(host, port)] + ([public_url] if public_url else [])
    guard = serve_guard.guard_for(served, port, token)

    class GuardedServer(Server):
        """textual-serve's server, its aiohttp app behind the guard."""

        async def _make_app(self) -> Any:
            app = await super()._make_app()
            app.middlewares.append(serve_guard.middleware(guard))
            return app

        async def on_startup(self, app: Any) -> None:
            """No banner: textual-serve's names the address without its token, and
            `serve` has printed the one to open."""

    if not callable(getattr(Server, "_make_app", None)):
        raise ImportError("this textual-serve builds no aiohttp app `serve` can guard")
    for name in SERVE_VARIABLES:  # the spec's alone: none left over from elsewhere
        os.environ.pop(name, None)
    os.environ.update(spec.environment)
    server = GuardedServer(
        spec.command,
        host=host.strip("[]"),
        port=port,
        title="sessions-tui",
        public_url=public_url or http_url(host, port),
    )
    server.serve()
