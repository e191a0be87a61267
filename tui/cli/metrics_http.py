"""`metrics --listen`: `/metrics` over HTTP (prometheus_client's WSGI app on the
standard library's threading WSGI server), behind the same checks of who is asking as
`serve` (`tui.cli.http_checks`):

- A request carrying an `Origin` must come from this server's own origin: a page of
  another site open in the operator's browser cannot read the counts.
- Listening on loopback, the `Host` must name a loopback address too (`localhost`,
  127.0.0.0/8, ::1): a page whose name was rebound to 127.0.0.1 sends its own name.
- With a token (`SESSIONS_TUI_METRICS_TOKEN` or `--token-file`), every request needs
  `Authorization: Bearer TOKEN` (Prometheus: `authorization: {credentials_file: …}`).

A refused request gets 403 (401 for a missing or wrong token) before any database is read.
Only `GET`/`HEAD /metrics` is served.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from msgspec import Struct
from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app
from prometheus_client.registry import CollectorRegistry

from tui.cli.http_checks import origin_of, same_secret
from tui.cli.serve import http_url, is_loopback

PATH = "/metrics"
TOKEN_ENV = "SESSIONS_TUI_METRICS_TOKEN"

StartResponse = Callable[..., Any]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Asker(Struct, frozen=True):
    """Who may read: the server's own origins, whether `Host` must be loopback, the token."""

    origins: frozenset[str]
    loopback_host: bool
    token: str | None

    def refusal(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(HTTP status, why) for a request this server refuses; None to serve it."""
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin_of(origin) not in self.origins:
            return "403 Forbidden", f"origin {origin} is not this server's"
        if self.loopback_host and not is_loopback(host_name(environ.get("HTTP_HOST", ""))):
            return "403 Forbidden", "the Host is not a loopback address"
        if self.token is not None:
            given = environ.get("HTTP_AUTHORIZATION", "")
            scheme, _, credentials = given.partition(" ")
            if scheme.lower() != "bearer" or not same_secret(credentials.strip(), self.token):
                return "401 Unauthorized", "give the token: Authorization: Bearer TOKEN"
        return None


def host_name(host: str) -> str:
    """The name in a `Host` header, without its port (an IPv6 address in brackets)."""
    host = host.strip()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def guarded(app: App, asker: Asker) -> App:
    """`app` at `PATH` alone, behind `asker`."""

    def serve(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def answer(status: str, text: str, *extra: tuple[str, str]) -> list[bytes]:
            body = f"sessions-tui metrics: {text}\n".encode()
            headers = [("Content-Type", "text/plain; charset=utf-8"), *extra]
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]

        if environ.get("PATH_INFO") != PATH:
            return answer("404 Not Found", f"only {PATH} is served")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return answer("405 Method Not Allowed", "GET only", ("Allow", "GET, HEAD"))
        refused = asker.refusal(environ)
        if refused is not None:
            status, why = refused
            extra = [("WWW-Authenticate", "Bearer")] if status.startswith("401") else []
            return answer(status, why, *extra)
        return app(environ, start_response)

    return serve


class QuietHandler(WSGIRequestHandler):
    """No line on stderr per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def family_of(host: str) -> socket.AddressFamily:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    return infos[0][0]


class MetricsServer(Struct):
    """A bound server: `port` is the one bound (`--listen HOST:0` picks a free one)."""

    server: Any
    host: str
    port: int

    @property
    def url(self) -> str:
        return http_url(self.host, self.port) + PATH

    def serve_forever(self) -> None:
        try:
            self.server.serve_forever()
        finally:
            self.server.server_close()


def bind(host: str, port: int, registry: CollectorRegistry, token: str | None) -> MetricsServer:
    """Bind `host:port` (OSError when it cannot) with `/metrics` behind the checks."""
    name = host.strip("[]")

    class Server(ThreadingWSGIServer):
        address_family = family_of(name)

    exposition = make_wsgi_app(registry)
    server = make_server(name, port, exposition, Server, QuietHandler)
    bound = int(server.server_address[1])
    origins = {origin_of(http_url(name, bound))}
    if is_loopback(name):
        origins |= {origin_of(http_url(alias, bound)) for alias in ("localhost", "127.0.0.1")}
    asker = Asker(
        frozenset(o for o in origins if o is not None),
        loopback_host=is_loopback(name),
        token=token,
    )
    server.set_app(guarded(exposition, asker))
    return MetricsServer(server, name, bound)
