"""What `end` and `runs cancel` share before they write: the dry run's last line and the
operator's yes, each with the exit code the commands give."""

from __future__ import annotations

import click


def dry_run_exit(ctx: click.Context, all_would_write: bool) -> None:
    """After a dry run's plan: nothing written; 0 when every target would be written,
    else 1."""
    click.echo("dry run: nothing changed")
    ctx.exit(0 if all_would_write else 1)


def confirm_or_exit(ctx: click.Context, question: str) -> None:
    """Ask `question`, no by default; anything but yes (Ctrl-C included) writes nothing,
    says so and exits 1."""
    try:
        confirmed = click.confirm(question, default=False)
    except click.Abort:
        confirmed = False
        click.echo("", err=True)
    if not confirmed:
        click.echo("aborted, nothing changed", err=True)
        ctx.exit(1)
