"""The runs' filter options, declared once: `runs` lists under them and `trends --runs`
counts under them (its window replaces no filter; the stuck kind is the list's alone)."""

from __future__ import annotations

from datetime import datetime

import click

from tui.cli import options
from tui.domain.runs import RunFilter

status_option = click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="S",
    help="This stored status (repeatable, ORed): pending, running, paused, completed, …",
)
workflow_option = click.option(
    "--workflow", metavar="W", help="Workflow name or its start, any case."
)
owner_option = click.option(
    "--owner",
    metavar="NAME",
    help="The run's user (else its conversation's): display name, email or user id.",
)
since_option = options.when_option(
    "--since", "Started within this long (2h, 3d, 1w) or since an ISO-8601 time."
)
search_option = click.option(
    "--search",
    metavar="TEXT",
    help="Text in the id, workflow name, user message or working path, any case.",
)
conversation_option = click.option(
    "--conversation", metavar="ID", help="Only the runs of this conversation (whole id)."
)

RUN_ONLY = ("--status", "--workflow", "--owner", "--since", "--search", "--conversation")
"""The options above, by name: `trends` takes them with `--runs` only."""


def run_filter(
    statuses: tuple[str, ...],
    workflow: str | None,
    codebase: str | None,
    owner: str | None,
    since: datetime | None,
    search: str | None,
    conversation: str | None,
) -> RunFilter:
    """The options' filter, as both commands read it."""
    return RunFilter(
        statuses=frozenset(statuses),
        workflow=workflow,
        codebase=codebase,
        owner=owner,
        since=since,
        text=search,
        conversation_id=conversation,
    )
