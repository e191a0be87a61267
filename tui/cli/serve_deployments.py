"""Several deployments served: how `serve` hands them to each browser tab's process.

The child's command line is readable by any local user (`ps`), so the deployments,
each one's database URL with its password, travel in the child's environment only: one
variable, `serve.SERVE_DEPLOYMENTS`, holding a JSON array in the overview's order, one
object per deployment with exactly these keys:

    {"name": "acme", "title": "Acme (prod)" or null, "colour": "red" or null,
     "read_only": true or false, "url": "postgresql://user:pass@host/db"}

JSON escapes every character of a name or a title that could end the value or the
variable (written as ASCII: no NUL, no newline), so a hostile title arrives as the
same string, and the screens show it as text, never markup. The child reads the
variable and removes it before anything else (`take`), then checks it as the config
file's deployments are checked (`tui.deployments.read_deployment`), each URL as
`--url` is, the names unique, at least two: anything else is `BadServedDeployments`,
one line that quotes no URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import timedelta
from typing import Any

from tui.cli.serve import SERVE_ACTOR, SERVE_DEPLOYMENTS, ChildSpec, child_command
from tui.deployments import Deployment, DeploymentError, read_deployment

FIELDS = ("name", "title", "colour", "read_only", "url")
"""Every key of a served deployment's object, in the order written."""
MAX_LENGTH = 100_000
"""Characters the variable may hold: Linux refuses a single environment string over
128 KiB when the tab's process is started."""


class BadServedDeployments(ValueError):
    """A served environment the child cannot use; `str()` is its one line."""


def encode(deployments: Sequence[Deployment], env: Mapping[str, str] | None = None) -> str:
    """The variable's value for `deployments`, each database resolved now (`url_env` read
    from `env`, else the process's environment). BadTarget, naming the deployment, for
    one that cannot be resolved; BadServedDeployments when the whole is too long."""
    entries = [
        {
            "name": d.name,
            "title": d.title,
            "colour": d.colour,
            "read_only": d.read_only,
            "url": d.target(env).secret_url(),
        }
        for d in deployments
    ]
    text = json.dumps(entries, ensure_ascii=True, separators=(",", ":"))
    if len(text) > MAX_LENGTH:
        raise BadServedDeployments(
            f"the {len(deployments)} deployments' names, titles and URLs take {len(text):,} "
            f"characters: more than one environment variable holds ({MAX_LENGTH:,})"
        )
    return text


def child_spec(
    deployments: Sequence[Deployment],
    *,
    actor: str | None,
    refresh: float,
    stale_after: timedelta,
    select_cap: int,
    env: Mapping[str, str] | None = None,
) -> ChildSpec:
    """The child that shows the overview of `deployments`: its command line holds the
    non-secret options alone (`actor` None: read-only); the deployments, with their
    URLs, and the actor go to its environment. BadTarget or BadServedDeployments as
    `encode`."""
    environment = {SERVE_DEPLOYMENTS: encode(deployments, env)}
    if actor is not None:
        environment[SERVE_ACTOR] = actor
    command = child_command(
        actor=actor, refresh=refresh, stale_after=stale_after, select_cap=select_cap
    )
    return ChildSpec(command, environment)


def take(environ: MutableMapping[str, str]) -> str | None:
    """The variable's value, removed from `environ` (nothing the child starts inherits
    the passwords); None when `serve` set none."""
    return environ.pop(SERVE_DEPLOYMENTS, None)


def decode(text: str) -> list[Deployment]:
    """The deployments `encode` wrote, checked; BadServedDeployments otherwise."""
    try:
        entries = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays nested too deep
        raise BadServedDeployments("not the JSON `serve` writes") from None
    if not isinstance(entries, list) or len(entries) < 2:
        raise BadServedDeployments("not a list of two or more deployments")
    found: list[Deployment] = []
    for at, entry in enumerate(entries, 1):
        deployment = _entry(at, entry)
        if any(d.name == deployment.name for d in found):
            raise BadServedDeployments(f"deployment {at}: the name {deployment.name} is repeated")
        found.append(deployment)
    return found


def _entry(at: int, entry: Any) -> Deployment:
    from tui.domain.text import safe_text
    from tui.store.errors import BadTarget

    where = f"deployment {at}"
    if not isinstance(entry, dict) or sorted(entry) != sorted(FIELDS):
        raise BadServedDeployments(f"{where}: not an object with keys {', '.join(FIELDS)}")
    name = entry["name"]
    if not isinstance(name, str):
        raise BadServedDeployments(f"{where}: its name is not a string")
    table = {"url": entry["url"], "read_only": entry["read_only"]}
    table |= {key: entry[key] for key in ("colour", "title") if entry[key] is not None}
    try:
        deployment = read_deployment(name, table)
        deployment.target()  # the URL as `--url` reads it
    except (DeploymentError, BadTarget) as exc:
        # The name is data (read_deployment quotes it before it is checked): escaped.
        raise BadServedDeployments(f"{where}: {safe_text(exc)}") from None
    return deployment
