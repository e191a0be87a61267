"""Helpers for driving the dashboard's workflow runs screens in tests: a session written
the service's way beside the runs, and what the runs list and a run's detail show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tests.support.app_helpers import settle, wait_until
from tests.support.run_writes import ServiceRuns
from tui.app import SessionsApp
from tui.app.keys import declared, live
from tui.app.screens.run_detail import RunDetailScreen
from tui.app.screens.runs import RunsScreen
from tui.app.widgets.run_stuck_panel import RunStuckPanel
from tui.domain.run_stuck import RunStuckKind
from tui.domain.timefmt import utcnow

MACHINE_CLOCK: dict[str, Any] = {"clock": lambda: utcnow() + timedelta(0)}
"""`app_for`'s clock for runs written with the database's now: the machine's, not the
fixed one of the demo's screenshots."""


def service_session(svc: ServiceRuns, conversation_id: str) -> str:
    """`createSession` (packages/core/src/db/sessions.ts@v0.9.0, the same columns at
    99bbec9f79): the id, times and `active` by their defaults; the optional columns it
    names are NULL here."""
    out = svc.db.run(
        "INSERT INTO remote_agent_sessions (conversation_id, codebase_id, ai_assistant_type)"
        f" VALUES ('{conversation_id}', NULL, 'claude') RETURNING id"
    )
    return out.strip().splitlines()[0]


def key(app: SessionsApp, binding_id: str) -> str:
    """The key to press for a binding, as Textual names it, after the app's `[keys]`."""
    for owned in declared():
        if owned.binding.id == binding_id:
            return live(owned.binding, app.settings.keys).key.split(",")[0].strip()
    raise KeyError(binding_id)


def runs_screen(app: SessionsApp) -> RunsScreen:
    screen = app.screen
    assert isinstance(screen, RunsScreen), f"the runs list is not on top: {screen!r}"
    return screen


def ids_shown(app: SessionsApp) -> list[str]:
    """The runs list's rows, top to bottom, by whole run id."""
    table = runs_screen(app).table
    return [str(row.key.value) for row in table.ordered_rows]


def cells_of(app: SessionsApp, run_id: str) -> dict[str, str]:
    """One row of the runs list as shown, by column header."""
    table = runs_screen(app).table
    cells = table.get_row(run_id)
    return {str(c.label): str(cell) for c, cell in zip(table.ordered_columns, cells, strict=True)}


def loaded(app: SessionsApp) -> bool:
    """The runs list's last question is answered (its note says how many, or none)."""
    screen = app.screen
    if not isinstance(screen, RunsScreen):
        return False
    return "loading" not in str(screen.note.render())


async def runs_ready(pilot: Pilot[Any]) -> RunsScreen:
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await wait_until(pilot, lambda: loaded(app), "the runs list's rows")
    await settle(pilot)
    return runs_screen(app)


async def open_runs(pilot: Pilot[Any]) -> RunsScreen:
    """The runs key on the sessions list."""
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await pilot.press(key(app, "runs"))
    await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs list")
    return await runs_ready(pilot)


def stuck_counts(app: SessionsApp) -> dict[str, str]:
    """The runs stuck panel's count per kind as shown."""
    panel = runs_screen(app).query_one(RunStuckPanel)
    out = {}
    for index, kind in enumerate(RunStuckKind):
        label = str(panel.get_option_at_index(index).prompt).split("\n")[0]
        out[kind.wire] = label.split()[-1]
    return out


async def detail_ready(pilot: Pilot[Any]) -> RunDetailScreen:
    app: SessionsApp = pilot.app  # type: ignore[assignment]
    await wait_until(pilot, lambda: isinstance(app.screen, RunDetailScreen), "a run's detail")
    screen = app.screen
    assert isinstance(screen, RunDetailScreen)
    await wait_until(pilot, lambda: screen.loaded, "the run read")
    await settle(pilot)
    return screen


def detail_text(screen: RunDetailScreen, part: str) -> str:
    """A part of a run's detail as shown: fields, metadata, events, nodes."""
    return str(screen.query_one(f"#run-{part}", Static).render())


def link_ids(screen: RunDetailScreen) -> list[str]:
    links = screen.query_one("#run-links", OptionList)
    found = (links.get_option_at_index(i).id for i in range(links.option_count))
    return [i for i in found if i]


def highlight_link(screen: RunDetailScreen, link: str) -> None:
    """Put the links' highlight on one link (`run:ID`, `session:ID`)."""
    links = screen.query_one("#run-links", OptionList)
    found = (links.get_option_at_index(i).id for i in range(links.option_count))
    links.highlighted = next(i for i, x in enumerate(found) if x == link)
