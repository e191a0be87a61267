"""`serve` and the child command it starts per browser tab."""

from __future__ import annotations

import importlib.util
import os

import click

from tui.cli import common, options
from tui.cli import serve as serve_mod
from tui.cli.common import Globals, check_for_dashboard
from tui.domain.text import safe_text

# -- serve -----------------------------------------------------------------------------------


class MissingExtra(click.ClickException):
    """An optional part of the tool that is not installed: one line naming its install, exit 2."""

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
    if remote and not allow_remote:
        raise click.UsageError(
            f"{host} is not a loopback address (served over plain HTTP): "
            "add --allow-remote to serve beyond this machine"
        )
    if importlib.util.find_spec("textual_serve") is None:
        raise MissingExtra(f"serve needs textual-serve: {serve_mod.INSTALL_HINT}")
    target = g.target()
    if g.config is not None:
        check_for_dashboard(g.config)
    spec = serve_mod.child_spec(
        target.secret_url(),
        target.source,
        actor=actor,
        refresh=g.refresh,
        stale_after=g.stale_after,
        select_cap=g.select_cap,
    )
    if remote:
        click.echo(serve_mod.remote_warning(host, port, actor), err=True)
    if no_token:
        click.echo(serve_mod.no_token_warning(host, port), err=True)
    token = None if no_token else serve_mod.new_token()
    mode = "read-only" if actor is None else f"ends signed by {actor}"
    shown = safe_text(target.display())
    page = serve_mod.page_url(host, port, public_url, token)
    click.echo(f"serving {shown} ({mode}) on {page}", err=True)
    try:
        serve_mod.run_server(spec, host=host, port=port, public_url=public_url, token=token)
    except ImportError as exc:
        raise MissingExtra(f"serve needs textual-serve ({exc}): {serve_mod.INSTALL_HINT}") from None
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise click.ClickException(f"cannot listen on {host}:{port}: {why}") from None


@click.command(serve_mod.CHILD_COMMAND, hidden=True)
@click.pass_obj
def served_app(g: Globals) -> None:
    """The dashboard as `serve` starts it for each browser tab (not for direct use)."""
    from tui.store.errors import BadTarget
    from tui.store.target import url_target

    given = serve_mod.take_child_target(os.environ)
    if given is None:
        raise click.UsageError("this command is started by `sessions-tui serve`")
    if given.actor is not None:
        from tui.domain.audit import BadActor, check_actor

        try:
            check_actor(given.actor)
        except BadActor as exc:
            raise click.UsageError(f"${serve_mod.SERVE_ACTOR}: {exc}") from None
    try:
        target = url_target(given.url, given.source)
    except BadTarget as exc:
        raise click.UsageError(g.scrub(str(exc))) from None
    g.resolved = target
    common.launch_dashboard(
        g.dashboard_settings(
            target,
            read_only_why=serve_mod.SERVED_READ_ONLY if g.read_only else None,
            actor=given.actor,
            config_path=None,  # served: nothing is written on the serving machine
        )
    )
