"""`migrate` and `demo-db`: writing the schema, and a demo database."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tui.cli import options
from tui.cli.common import Globals, T
from tui.domain.text import safe_text
from tui.domain.wording import (
    NOT_RECORDED,
)
from tui.store.demo_size import DEMO_SEED, DEMO_SESSIONS


def _anchor_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    if value is None:
        return None
    try:
        anchor = options.timestamp(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 timestamp like 2026-01-31T12:00:00Z"
        ) from None
    if not DEMO_ANCHOR_YEARS[0] <= anchor.year <= DEMO_ANCHOR_YEARS[1]:
        low, high = DEMO_ANCHOR_YEARS
        raise click.BadParameter(
            f"the anchor must fall in the years {low} to {high}: the demo's sessions are "
            "spread over the months before it"
        )
    return anchor


DEMO_ANCHOR_YEARS = (1971, 9998)

# -- migrate ---------------------------------------------------------------------------------


@click.command(short_help="Apply pending schema migrations, or print their SQL.")
@click.option("--sql", is_flag=True, help="Print the SQL for a DBA instead of applying it.")
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask before building indexes the service waits for."
)
@click.option(
    "--create-service-schema",
    is_flag=True,
    help="Create the service's tables even though the database holds other tables.",
)
@click.pass_obj
def migrate(g: Globals, sql: bool, yes: bool, create_service_schema: bool) -> None:
    """Apply this tool's pending schema migrations (such as adding ended_reason).

    Safe while the service runs: each change commits on its own. On SQLite the service's
    writes wait while an index is built, so it says how long first and asks (--yes: go).
    """
    from tui.store import migrate as migrations
    from tui.store.errors import StoreError

    if g.read_only and not sql:
        raise click.UsageError("migrate writes to the database: drop --read-only (or use --sql)")
    target = g.target()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        try:
            return asyncio.run(coro)
        except (StoreError, click.ClickException, click.Abort, click.exceptions.Exit):
            raise
        except Exception as exc:
            raise target.error(exc) from None

    if sql:
        text = run(migrations.upgrade_sql(target, create_service_schema=create_service_schema))
        click.echo(text.rstrip("\n"))
        return
    planned = run(migrations.plan(target, create_service_schema=create_service_schema))
    if planned.notice and not yes:
        click.echo(planned.notice, err=True)
        if not sys.stdin.isatty():
            raise click.UsageError("stdin is not a terminal, so no one can answer: pass --yes")
        try:
            confirmed = click.confirm("Go ahead?", default=False, err=True)
        except click.Abort:
            confirmed = False
            click.echo("", err=True)
        if not confirmed:
            click.echo("aborted, nothing changed", err=True)
            raise click.exceptions.Exit(1)
    done = run(migrations.migrate_to_head(target, create_service_schema=create_service_schema))
    if not done.applied and not done.restored:
        click.echo(f"{target.display()}: already up to date")
        return
    for revision in done.applied:
        click.echo(f"applied {revision}")
    for missing in done.restored:
        click.echo(f"restored {missing} (missing although its revision was recorded)")


# -- demo-db ---------------------------------------------------------------------------------


@click.command("demo-db", short_help="Write a deterministic demo database to PATH.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--sessions",
    "n_sessions",
    type=click.IntRange(min=1),
    default=DEMO_SESSIONS,
    show_default=True,
)
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True)
@click.option(
    "--anchor",
    metavar="TIMESTAMP",
    callback=_anchor_option,
    help="The generated data's 'now' (ISO-8601, UTC when no zone); default: the current time.",
)
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def demo_db(path: Path, n_sessions: int, seed: int, anchor: datetime | None, force: bool) -> None:
    """Write a deterministic demo database to PATH (same seed and anchor, same rows)."""
    from tui.store.demo import write_demo_db
    from tui.store.errors import StoreError
    from tui.store.target import DbTarget

    try:
        summary = asyncio.run(
            write_demo_db(path, n_sessions=n_sessions, seed=seed, anchor=anchor, force=force)
        )
    except StoreError:
        raise
    except Exception as exc:  # a full disk, a folder that cannot be written: one line
        raise DbTarget(kind="sqlite", source="demo-db", path=path).error(exc) from None
    pairs = [
        ("sessions", summary.sessions, ""),
        ("conversations", summary.conversations, ""),
        ("codebases", summary.codebases, ""),
        ("active", summary.active, ""),
        ("idle", summary.idle, "active, quiet for days"),
        (NOT_RECORDED, summary.legacy, "legacy NULL reasons, from before migration 016"),
        ("unrecognised", summary.unrecognised, "reasons a newer service version writes"),
    ]
    click.echo(f"wrote {safe_text(summary.path)}")
    for label, count, note in pairs:
        click.echo(f"  {label:<14} {count:>8}" + (f"  ({note})" if note else ""))
