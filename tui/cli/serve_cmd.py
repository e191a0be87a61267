"""`serve` and the child command it starts per browser tab."""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING, Any

import click

from tui.cli import common, options
from tui.cli import serve as serve_mod
from tui.cli.common import Globals, check_for_dashboard
from tui.domain.text import safe_text

if TYPE_CHECKING:
    from tui.deployments import Deployment

# -- serve -----------------------------------------------------------------------------------


class MissingExtra(click.ClickException):
    """An optional part of the tool that is not installed: one line naming its install, exit 2."""

    exit_code = 2


class BadServedEnvironment(click.ClickException):
    """An environment `serve` did not write, given to its child: one line, exit 2."""

    exit_code = 2


@click.command(short_help="The dashboard in a browser (textual-serve), read-only by default.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=serve_mod.DEFAULT_PORT,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow --host to be an address other than loopback (plain HTTP: the token only).",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="The address browsers use to reach this server, when it is not http://HOST:PORT.",
)
@click.option(
    "--no-token",
    is_flag=True,
    help="Ask no token (only behind a proxy that authenticates; the origin is still checked).",
)
@click.option(
    "--write",
    is_flag=True,
    help="Let the served dashboard end sessions, each signed by --actor (required with it).",
)
@click.option(
    "--actor",
    metavar="WHO",
    callback=options.actor_callback,
    help="Who every end from the browser is signed by (with --write).",
)
@click.pass_obj
def serve(
    g: Globals,
    host: str,
    port: int,
    allow_remote: bool,
    public_url: str | None,
    no_token: bool,
    write: bool,
    actor: str | None,
) -> None:
    """Serve the dashboard to a browser through textual-serve.

    Each browser tab runs its own dashboard process on this machine. Listens on
    127.0.0.1 unless --allow-remote. Only pages of the served origin holding the
    token printed at start get a dashboard (--no-token: the origin only). Read-only unless
    --write --actor WHO, and then every end is signed by WHO. The database (and its
    password) reaches each dashboard through its environment, never its command line.
    With several deployments (-d A -d B, --all, or none chosen while the config file
    declares several, as for the dashboard) each tab opens their overview, and a
    read-only deployment stays read-only with --write.
    """
    if write and actor is None:
        raise click.UsageError(
            "--write needs --actor WHO: every end from the browser is signed by it"
        )
    if actor is not None and not write:
        raise click.UsageError("--actor signs ends: give it with --write")
    if write and g.read_only:
        raise click.UsageError("--read-only and serve --write contradict each other")
    remote = not serve_mod.is_loopback(host)
    refused = serve_mod.remote_refusal(host, allow_remote)
    if refused is not None:
        raise click.UsageError(refused)
    if importlib.util.find_spec("textual_serve") is None:
        raise MissingExtra(f"serve needs textual-serve: {serve_mod.INSTALL_HINT}")
    from tui.cli.fleet_dashboard import overview_deployments

    chosen = overview_deployments(g)
    if len(chosen) > 1:
        spec, shown, mode = _several(g, chosen, actor)
    else:
        target = g.target()
        if write and g.read_only:  # the one deployment chosen is read-only
            raise click.UsageError(
                f"deployment {chosen[0].name} is read-only (read_only = true in "
                f"[deployments.{chosen[0].name}]): serve --write would end nothing there"
            )
        spec = serve_mod.child_spec(
            target.secret_url(),
            target.source,
            actor=actor,
            refresh=g.refresh,
            stale_after=g.stale_after,
            select_cap=g.select_cap,
        )
        shown = safe_text(target.display())
        mode = "read-only" if actor is None else f"ends signed by {actor}"
    if g.config is not None:
        check_for_dashboard(g.config)
    if remote:
        click.echo(serve_mod.remote_warning(host, port, actor), err=True)
    if no_token:
        click.echo(serve_mod.no_token_warning(host, port), err=True)
    token = None if no_token else serve_mod.new_token()
    page = serve_mod.page_url(host, port, public_url, token)
    click.echo(f"serving {shown} ({mode}) on {page}", err=True)
    try:
        serve_mod.run_server(spec, host=host, port=port, public_url=public_url, token=token)
    except ImportError as exc:
        raise MissingExtra(f"serve needs textual-serve ({exc}): {serve_mod.INSTALL_HINT}") from None
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise click.ClickException(f"cannot listen on {host}:{port}: {why}") from None


def _several(
    g: Globals, chosen: list[Deployment], actor: str | None
) -> tuple[serve_mod.ChildSpec, str, str]:
    """The child that shows the overview of `chosen`, what the start line calls them,
    and its mode. A read-only deployment stays read-only with --write; --write where
    every one is read-only, or a deployment whose database cannot be resolved now, is
    a usage error (exit 2)."""
    from tui.cli import serve_deployments
    from tui.store.errors import BadTarget

    read_only = [d.name for d in chosen if d.read_only]
    if actor is not None and len(read_only) == len(chosen):
        raise click.UsageError(
            "every chosen deployment is read-only (read_only = true): "
            "serve --write would end nothing there"
        )
    try:
        spec = serve_deployments.child_spec(
            chosen,
            actor=actor,
            refresh=g.refresh,
            stale_after=g.stale_after,
            select_cap=g.select_cap,
        )
    except BadTarget as exc:
        raise click.UsageError(g.scrub(str(exc))) from None
    except serve_deployments.BadServedDeployments as exc:
        raise click.UsageError(str(exc)) from None
    shown = f"{len(chosen)} deployments ({', '.join(d.name for d in chosen)})"
    if actor is None:
        mode = "read-only"
    else:
        mode = f"ends signed by {actor}"
        if read_only:
            mode += f"; read-only: {', '.join(read_only)}"
    return spec, shown, mode


@click.command(serve_mod.CHILD_COMMAND, hidden=True)
@click.pass_obj
def served_app(g: Globals) -> None:
    """The dashboard as `serve` starts it for each browser tab (not for direct use)."""
    from tui.cli import serve_deployments
    from tui.store.errors import BadTarget
    from tui.store.target import url_target

    several = serve_deployments.take(os.environ)
    actor = os.environ.get(serve_mod.SERVE_ACTOR) or None
    given = serve_mod.take_child_target(os.environ)  # removes the actor's too
    if given is None and several is None:
        raise click.UsageError("this command is started by `sessions-tui serve`")
    if given is not None and several is not None:
        raise BadServedEnvironment(
            f"${serve_mod.SERVE_URL} and ${serve_mod.SERVE_DEPLOYMENTS} are both set: "
            "`sessions-tui serve` sets one"
        )
    if actor is None and not g.read_only:
        raise BadServedEnvironment(
            f"${serve_mod.SERVE_ACTOR} is not set and the dashboard is not read-only: "
            "`sessions-tui serve --write` signs every end with its --actor"
        )
    if actor is not None:
        from tui.domain.audit import BadActor, check_actor

        try:
            check_actor(actor)
        except BadActor as exc:
            raise click.UsageError(f"${serve_mod.SERVE_ACTOR}: {exc}") from None
    served: dict[str, Any] = {
        "read_only_why": serve_mod.SERVED_READ_ONLY if g.read_only else None,
        "actor": actor,
        "config_path": None,  # served: nothing is written on the serving machine
    }
    if several is not None:
        from tui.cli.fleet_dashboard import launch_overview

        try:
            deployments = serve_deployments.decode(several)
        except serve_deployments.BadServedDeployments as exc:
            raise BadServedEnvironment(f"${serve_mod.SERVE_DEPLOYMENTS}: {exc}") from None
        launch_overview(g, deployments, **served)
        return
    assert given is not None
    try:
        target = url_target(given.url, given.source)
    except BadTarget as exc:
        raise click.UsageError(g.scrub(str(exc))) from None
    g.resolved = target
    common.launch_dashboard(g.dashboard_settings(target, **served))
