"""`check`'s own failures, on the plugin contract: one line on stdout, where a monitor
reads a plugin's output, and exit 3 (UNKNOWN). A usage error or a bad config file
exits 2 elsewhere, which a monitor would read as CRITICAL."""

from __future__ import annotations

from typing import IO, Any

import click

from tui.domain.check import State, unknown_line

COMMAND = "check"


class PluginUnknown(click.ClickException):
    """`SESSIONS-TUI UNKNOWN - <why>` on stdout, exit 3."""

    exit_code = int(State.UNKNOWN)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(unknown_line(self.format_message()))


def is_check(ctx: click.Context, args: list[str] | None = None) -> bool:
    """Whether this invocation runs `check`: the subcommand resolved, else (the global
    options failed to parse, so none is) `check` among the words given."""
    if ctx.invoked_subcommand is not None:
        return ctx.invoked_subcommand == COMMAND
    return args is not None and COMMAND in args


def as_unknown(
    ctx: click.Context, exc: click.ClickException, args: list[str] | None = None
) -> None:
    """Raise `exc` again as PluginUnknown when `check` runs and it would exit 2."""
    if exc.exit_code == 2 and is_check(ctx, args):
        raise PluginUnknown(exc.format_message()) from None
