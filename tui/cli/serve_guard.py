"""Who may drive a served dashboard: the page of the served origin, holding the token.

textual-serve checks nothing: any page open in the operator's browser could open
`ws://127.0.0.1:PORT/ws` and get a dashboard. `serve` adds an aiohttp middleware in
front of every route but the static files:

- A request that carries an `Origin` (every browser websocket does) must come from a
  served origin: the address `serve` listens on, or `--public-url`. The websocket must
  carry one.
- Unless turned off (`--no-token`, behind a proxy that authenticates), the page and the
  websocket need the secret token `serve` prints at start: `?token=…` in the page's
  address, which then sets it as a cookie (HttpOnly, SameSite=Strict) that the page's
  own websocket and downloads carry.

A refused request gets 403 before any handler runs: no dashboard process is started.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from msgspec import Struct

from tui.cli.http_checks import origin_of, same_secret

OPEN_PREFIX = "/static/"
"""textual-serve's own scripts and styles: no data, served to anyone."""
TOKEN_PARAM = "token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Guard(Struct, frozen=True):
    origins: frozenset[str]
    """The origins a page of this server has."""
    token: str | None
    """None: no token asked (`--no-token`)."""
    cookie: str
    """The cookie that carries the token, named after the port (one per server)."""

    def origin_ok(self, origin: str | None) -> bool:
        found = origin_of(origin) if origin is not None else None
        return found is not None and found in self.origins

    def token_ok(self, given: str | None) -> bool:
        if self.token is None:
            return True
        return same_secret(given, self.token)


def guard_for(served_urls: list[str], port: int, token: str | None) -> Guard:
    origins = frozenset(o for o in map(origin_of, served_urls) if o is not None)
    return Guard(origins, token, f"sessions-tui-token-{port}")


def refusal(why: str) -> web.HTTPForbidden:
    return web.HTTPForbidden(text=f"sessions-tui serve: {why}\n")


def middleware(guard: Guard) -> Any:
    """The aiohttp middleware enforcing `guard` (see the module's rules)."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(OPEN_PREFIX):
            return await handler(request)
        origin = request.headers.get("Origin")
        websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        if (origin is not None or websocket) and not guard.origin_ok(origin):
            raise refusal(f"origin {origin or '(none)'} is not this server's")
        in_query = request.query.get(TOKEN_PARAM)
        if not (guard.token_ok(in_query) or guard.token_ok(request.cookies.get(guard.cookie))):
            raise refusal("open the address `serve` printed, with its token")
        response = await handler(request)
        if guard.token is not None and request.path == "/" and guard.token_ok(in_query):
            response.set_cookie(
                guard.cookie, guard.token, httponly=True, samesite="Strict", path="/"
            )
        return response

    return check
