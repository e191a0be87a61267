"""The options several commands share, each declared once: its name, type, default and
help are the same wherever it appears (`sessions-tui COMMAND --help` says it one way).

A factory takes what rightly differs between commands: the choices of `--format`, the
noun `--limit` counts, and what a time option bounds (`--since` starts sessions in
`list` but writes audit rows in `audit`). An option only one command has stays beside
that command in `main.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from tui.domain.timefmt import DurationTooLong, parse_duration, utcnow

F = TypeVar("F", bound=Callable[..., Any])


def timestamp(text: str) -> datetime:
    """ISO-8601; a time without a zone is UTC. ValueError for one that is not, or whose
    UTC falls outside the years 1 to 9999 (9999-12-31T23:59:59-01:00 is in year 10000)."""
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text.strip()!r} is outside the years 1 to 9999 in UTC") from None


def _when(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """A duration back from now (30m, 2h, 3d, 1w) or an ISO-8601 time, as a UTC instant."""
    if value is None:
        return None
    try:
        return utcnow() - parse_duration(value)
    except DurationTooLong as exc:
        raise click.BadParameter(str(exc)) from None
    except ValueError:
        pass  # not a duration: perhaps a timestamp
    try:
        return timestamp(value)
    except ValueError as exc:
        if "outside the years" in str(exc):
            raise click.BadParameter(str(exc)) from None
        raise click.BadParameter(
            f"{value!r} is neither a duration like 30m, 2h, 3d or 1w "
            "nor an ISO-8601 timestamp like 2026-01-31T12:00:00Z"
        ) from None


def actor_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`--actor WHO` that signs ends (`end`, `serve`): `check_actor`'s rule, the one every
    actor follows, else a usage error."""
    from tui.domain.audit import BadActor, check_actor

    if value is None:
        return None
    try:
        return check_actor(value)
    except BadActor as exc:
        raise click.BadParameter(str(exc)) from None


def when_option(name: str, help: str) -> Callable[[F], F]:
    """A time bound (`--since`, `--ended-since`, `--ended-until`): a duration back from
    now or an ISO-8601 time, handed to the command as an aware UTC datetime."""
    return click.option(name, metavar="WHEN", callback=_when, help=help)


def format_option(*choices: str) -> Callable[[F], F]:
    """`--format` among `choices`, the first the default; the command gets it as `fmt`."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
    )


def limit_option(noun: str) -> Callable[[F], F]:
    """`--limit`: at most N of `noun`, 50 by default; 0 reads them all, page by page."""
    return click.option(
        "--limit",
        type=click.IntRange(min=0),
        default=50,
        show_default=True,
        help=f"At most this many {noun}; 0 for all (fetched page by page).",
    )


csv_raw_option = click.option(
    "--csv-raw",
    is_flag=True,
    help="CSV cells exactly as stored: no leading ' on cells a spreadsheet would run as a "
    "formula (=, +, -, @).",
)
"""Turns off the formula guard of every CSV the CLI writes (`CsvStyle.guard`)."""

# The filters `list` and `trends` share: the same `SessionFilter` fields, matched alike.
platform_option = click.option(
    "--platform", metavar="P", help="Platform type or its start, any case: slack, SL."
)
codebase_option = click.option(
    "--codebase", metavar="C", help="Codebase name or id, or its start, any case."
)
user_option = click.option(
    "--user",
    metavar="NAME",
    help="The conversation's owner: display name, email or user id (any case).",
)
