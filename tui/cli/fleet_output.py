"""A read-only command across several deployments (`-d a -d b`, `--all`): each read at
once through `tui.fleet`, the output grouped per deployment in the file's order.

Text: a header line per deployment (`== NAME: TITLE`), then the command's own lines,
or `error: <why>` for one that could not be read. JSON: a list with one object per
deployment, its keys `deployment`, `title`, `error`, then the command's own object's.
One that cannot be read never stops the others; the exit code is then 1.
With one deployment or none, the command reads its one database as it always has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from tui.cli.common import Globals
from tui.deployments import Deployment
from tui.domain.export import dumps
from tui.domain.text import safe_text

if TYPE_CHECKING:
    from tui.fleet import Reading
    from tui.store.store import Store
    from tui.store.target import DbTarget

T = TypeVar("T")

SOME_DOWN = 1
"""The exit code when a deployment could not be read (the others were printed)."""
FLEET_HELP = (
    "With several deployments (-d NAME twice or more, --all), each is read at once and "
    "the output is grouped per deployment; one that cannot be read says why in its group, "
    "and the exit code is then 1."
)


def fleet(g: Globals) -> list[Deployment] | None:
    """The deployments chosen when there are several; None for one or none (the
    command then reads its one database as always)."""
    chosen = g.deployments()
    return chosen if len(chosen) > 1 else None


def read_all(
    g: Globals, chosen: list[Deployment], work: Callable[[Store], Awaitable[T]]
) -> list[Reading[T]]:
    from tui.fleet import read_each

    return asyncio.run(read_each(chosen, work, g.read_options()))


class Resolved(Deployment, frozen=True):
    """The one database the global options name (`--db`, `--url`, the environment), as
    a deployment `tui.fleet` reads; its target is already resolved."""

    resolved: DbTarget | None = None

    def target(self, env: Any = None) -> DbTarget:
        assert self.resolved is not None
        return self.resolved


def header(deployment: Deployment) -> str:
    """`== acme: Acme (production)`, or `== acme` without a title."""
    title = f": {safe_text(deployment.title)}" if deployment.title else ""
    return f"== {deployment.name}{title}"


def group_object(reading: Reading[Any], body: dict[str, Any] | None) -> dict[str, Any]:
    d = reading.deployment
    error = None if reading.error is None else safe_text(reading.error)
    return {"deployment": d.name, "title": d.title, "error": error, **(body or {})}


def show_grouped(
    readings: list[Reading[T]],
    fmt: str,
    text: Callable[[T], list[str]],
    obj: Callable[[T], dict[str, Any]],
) -> None:
    """Each deployment's output in its group; exit 1 after all of them when one could
    not be read."""
    if fmt == "json":
        payload = [group_object(r, obj(cast(T, r.value)) if r.ok else None) for r in readings]
        click.echo(dumps(payload, indent=2))
    else:
        for i, reading in enumerate(readings):
            if i:
                click.echo("")
            click.echo(header(reading.deployment))
            if reading.ok:
                click.echo("\n".join(text(cast(T, reading.value))))
            else:
                click.echo(f"error: {safe_text(reading.error or '')}")
    finish(readings)


def finish(readings: list[Reading[Any]]) -> None:
    """Exit 1, with one line on stderr, when a deployment could not be read."""
    down = [r.deployment.name for r in readings if not r.ok]
    if down:
        click.echo(
            f"{len(down)} of {len(readings)} deployments could not be read: {', '.join(down)}",
            err=True,
        )
        raise click.exceptions.Exit(SOME_DOWN)
