"""`sessions-tui metrics`: the deployments' counts for Prometheus (`tui.metrics`),
served on `/metrics` or written to a file for node_exporter's textfile collector."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.common import Globals, from_command_line
from tui.cli.serve import is_loopback, remote_refusal

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

    from tui.deployments import Deployment

DEFAULT_LISTEN = "127.0.0.1:9464"


def split_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 address in brackets: `[::1]:9464`); UsageError otherwise."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or (":" in host and not host.startswith("[")) or not port.isdigit():
        raise click.UsageError(f"--listen {value}: give HOST:PORT, e.g. {DEFAULT_LISTEN}")
    number = int(port)
    if number > 65535:
        raise click.UsageError(f"--listen {value}: a port is 0 to 65535")
    return host, number


def read_token(token_file: Path | None) -> str | None:
    """The bearer token: the file's first line, else `$SESSIONS_TUI_METRICS_TOKEN`;
    None when neither gives one."""
    from tui.cli.metrics_http import TOKEN_ENV

    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.UsageError(f"--token-file {token_file}: cannot read it: {exc}") from None
        if not text:
            raise click.UsageError(f"--token-file {token_file}: the file is empty")
        return text.splitlines()[0].strip()
    return os.environ.get(TOKEN_ENV, "").strip() or None


@click.command(short_help="Prometheus metrics: served on /metrics, or written to a file.")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    default=DEFAULT_LISTEN,
    show_default=True,
    help="Serve /metrics here (port 0: any free port, printed at start).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow --listen on an address other than loopback (plain HTTP).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Ask every scrape for this bearer token (else $SESSIONS_TUI_METRICS_TOKEN, if set).",
)
@click.option(
    "--textfile",
    metavar="PATH",
    help="Write the metrics to PATH atomically instead of serving them ('-': standard output).",
)
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="With --textfile PATH: write it again every SECONDS until interrupted.",
)
@click.pass_obj
def metrics(
    g: Globals,
    listen: str,
    allow_remote: bool,
    token_file: Path | None,
    textfile: str | None,
    every: float | None,
) -> None:
    """Export the counts as Prometheus gauges, labelled by deployment.

    Reads the deployments chosen with -d NAME or --all (each within deployment_timeout;
    a down one is up 0), else the one database resolved as always, labelled
    deployment="default". A read answers the scrapes of the next metrics_cache_seconds
    (config file; default 10). Metric names: README, "metrics: Prometheus".
    """
    if textfile is not None and from_command_line(click.get_current_context(), "listen"):
        raise click.UsageError("give either --listen or --textfile, not both")
    if token_file is not None and textfile is not None:
        raise click.UsageError("--token-file guards --listen, not a --textfile")
    if every is not None and (textfile is None or textfile == "-"):
        raise click.UsageError("--every rewrites a file: give it with --textfile PATH")
    where = None if textfile is not None else listen_address(listen, allow_remote)
    from tui import metrics as exporter

    source = exporter.SnapshotSource(
        chosen_deployments(g),
        g.read_options(),
        float(g.value("metrics_cache_seconds")),
        report=lambda line: click.echo(g.scrub(line), err=True),
    )
    registry = exporter.registry_for(source)
    if textfile == "-":
        sys.stdout.buffer.write(exporter.exposition(registry))
        sys.stdout.flush()
    elif textfile is not None:
        write_textfile(textfile, registry, every)
    else:
        assert where is not None
        serve(*where, read_token(token_file), registry, len(source.deployments))


def listen_address(listen: str, allow_remote: bool) -> tuple[str, int]:
    """`--listen`'s host and port; a usage error for an address beyond this machine
    without `--allow-remote` (as `serve`)."""
    host, port = split_listen(listen)
    refused = remote_refusal(host, allow_remote)
    if refused is not None:
        raise click.UsageError(refused)
    return host, port


def chosen_deployments(g: Globals) -> list[Deployment]:
    """`-d`/`--all`'s deployments, else the database resolved as always, as one
    deployment named `tui.metrics.DEFAULT_DEPLOYMENT`."""
    from tui.deployments import Deployment
    from tui.metrics import DEFAULT_DEPLOYMENT

    chosen = g.deployments()
    if chosen:
        return chosen
    target = g.target()
    if target.kind == "sqlite" and target.path is not None:
        return [Deployment(DEFAULT_DEPLOYMENT, db=target.path)]
    return [Deployment(DEFAULT_DEPLOYMENT, url=target.secret_url())]


def write_textfile(path: str, registry: CollectorRegistry, every: float | None) -> None:
    from tui import metrics as exporter

    stop = threading.Event()
    while True:
        try:
            exporter.write_textfile(path, registry)
        except OSError as exc:
            raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
        if every is None:
            return
        try:
            stop.wait(every)
        except KeyboardInterrupt:
            return


def serve(host: str, port: int, token: str | None, registry: CollectorRegistry, count: int) -> None:
    from tui.cli import metrics_http

    try:
        server = metrics_http.bind(host, port, registry, token)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise click.ClickException(f"cannot listen on {host}:{port}: {why}") from None
    if not is_loopback(host):
        who = (
            "the token its only lock"
            if token
            else "no token asked: anyone who reaches that port reads the counts"
        )
        click.echo(
            f"warning: serving metrics on {host}:{server.port} beyond this machine over "
            f"plain HTTP, {who}",
            err=True,
        )
    what = f"{count} deployment{'s' if count != 1 else ''}"
    asks = ", bearer token asked" if token else ""
    click.echo(f"serving metrics of {what} on {server.url}{asks}", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
