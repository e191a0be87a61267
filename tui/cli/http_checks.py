"""Who is asking, for the tool's HTTP servers (`serve`, `metrics --listen`): the
browser's `Origin` and a secret token, checked without any web framework.

- `origin_of` writes an address as a browser writes `Origin` (`scheme://host[:port]`,
  lower case, the scheme's default port left out), so a served origin and a request's
  compare as strings.
- `same_secret` compares a token in constant time.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` in lower case, the scheme's default port left out (as a
    browser writes `Origin`); None when `url` names no http(s) host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def same_secret(given: str | None, token: str) -> bool:
    """Whether `given` is `token`, compared in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())
