"""The dashboard across deployments: the overview, then one mode per deployment.

Each deployment opened from the overview gets a Textual mode of its own (named after
it): its own screen stack, whose base is its sessions list, and its own connection
(`DeploymentLink`). Switching deployments switches modes, so each one's stack (a
detail, its runs, a dialog) is where it was left. The overview is the default mode.
Every screen of a deployment's mode carries its banner: its name in its colour, and
read-only when it is, so no one ends a session in one believing it is another.

Imported only when more than one deployment is chosen: the single database's first
frame never loads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Static

from tui.app.app import SessionsApp
from tui.app.deployment_link import DeploymentLink, deployment_settings
from tui.app.render import use_palette
from tui.app.screens.base import Connection
from tui.app.screens.overview import OverviewScreen, deployment_name
from tui.domain.text import safe_text
from tui.fleet_kept import Fleet
from tui.store.errors import StoreError

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen
    from tui.deployments import Deployment
    from tui.fleet import ReadOptions
    from tui.settings import Settings

OVERVIEW = "_overview"
"""The overview's mode, the first (a deployment's name never starts with _)."""


class DeploymentBanner(Static):
    """The top line of every screen of a deployment: its name, in its colour."""

    DEFAULT_CSS = """
    DeploymentBanner { dock: top; height: 1; width: 1fr; background: $panel; }
    """

    def __init__(self, deployment: Deployment, keys: str) -> None:
        line = Text(" ◆ ", style=f"bold {deployment.colour or ''}".strip())
        line.append_text(deployment_name(deployment))
        if deployment.read_only:
            line.append("  read-only", style="bold")
        line.append(f"   {keys}", style="dim")
        super().__init__(line, id="deployment-banner", markup=False)


class DeploymentCommands(Provider):
    """The palette's way to each deployment and back to the overview, on every screen."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.app
        assert isinstance(app, FleetApp)
        found: list[tuple[str, Callable[[], object], str]] = [
            (
                f"Deployment: {safe_text(d.label)}",
                partial(app.open_deployment, d.name),
                f"Its sessions list ({d.name}{', read-only' if d.read_only else ''})",
            )
            for d in app.deployments
        ]
        found.append(
            ("Overview", app.action_overview, f"Every deployment ({app.key_of('overview')})")
        )
        return found

    async def discover(self) -> Hits:
        for name, run, help in self._commands():
            yield DiscoveryHit(name, run, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, run, help in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help)


class FleetApp(SessionsApp):
    """The dashboard over several deployments: the overview first."""

    DEFAULT_MODE = OVERVIEW
    COMMANDS = SessionsApp.COMMANDS | {DeploymentCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "right_square_bracket",
            "deployment(1)",
            "Next deployment",
            key_display="]",
            id="deployment-next",
        ),
        Binding(
            "left_square_bracket",
            "deployment(-1)",
            "Previous deployment",
            key_display="[",
            id="deployment-previous",
        ),
        Binding("D", "overview", "Overview", id="overview", tooltip="Every deployment"),
    ]

    def __init__(
        self, settings: Settings, deployments: Sequence[Deployment], options: ReadOptions
    ) -> None:
        super().__init__(settings)
        self.deployments = list(deployments)
        self.options = options
        self.links: dict[str, DeploymentLink] = {}
        """Each opened deployment's connection, by name (its mode's name)."""
        self._overview: OverviewScreen | None = None
        self.fleet = Fleet(self.deployments, options)
        """Each deployment's store the overview keeps open between readings."""
        self.add_mode(OVERVIEW, self._build_overview)

    def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self._screen_changed)

    def _build_overview(self) -> OverviewScreen:
        self._overview = OverviewScreen(self.deployments, self.options, self.fleet)
        return self._overview

    @property
    def overview(self) -> OverviewScreen:
        """The overview mode's one screen."""
        assert self._overview is not None, "the overview is not built yet"
        return self._overview

    def connection_here(self) -> Connection:
        """The database of the screens built now: the current deployment's; on the
        overview the App's own (which opens none)."""
        return self.links.get(self.current_mode, self.link)

    # -- switching -----------------------------------------------------------------------

    def open_deployment(self, name: str) -> None:
        """Its mode: built on first use (its sessions list, its connection), else
        as it was left."""
        if name not in self.links:
            deployment = next(d for d in self.deployments if d.name == name)
            try:
                settings = deployment_settings(self.settings, deployment)
            except StoreError as exc:  # an unset url_env: its row says so too
                self.notify(safe_text(exc), title=deployment.label, severity="error")
                return
            link = DeploymentLink(self, deployment, settings)
            self.links[name] = link
            self.add_mode(name, lambda: self._list_of(link))
        self.switch_mode(name)

    def _list_of(self, link: DeploymentLink) -> MainScreen:
        from tui.app.screens.main import MainScreen

        screen = MainScreen(link)
        link.screen = screen
        return screen

    def action_deployment(self, step: int) -> None:
        """The next (1) or previous (-1) deployment, from the overview's order; from the
        overview, the first or the last."""
        names = [d.name for d in self.deployments]
        if self.current_mode in names:
            at = (names.index(self.current_mode) + step) % len(names)
        else:
            at = 0 if step > 0 else len(names) - 1
        self.open_deployment(names[at])

    def action_overview(self) -> None:
        self.switch_mode(OVERVIEW)

    def _screen_changed(self, screen: Screen[object]) -> None:
        """Every screen of a deployment's mode gets its banner, once."""
        link = self.links.get(self.current_mode)
        if link is None or screen.query("#deployment-banner"):
            return
        keys = (
            f"{self.key_of('deployment-previous')} {self.key_of('deployment-next')} "
            f"switch · {self.key_of('overview')} overview"
        )

        def mount() -> None:
            if not screen.query("#deployment-banner"):
                screen.mount(DeploymentBanner(link.deployment, keys))

        screen.call_later(mount)

    # -- the App's concerns, for every deployment ----------------------------------------

    def _theme_changed(self, theme: Theme) -> None:
        if use_palette(theme.dark):
            for link in self.links.values():
                if link.screen is not None:
                    link.screen.connection.restyle()
            if self._overview is not None and self._overview.is_mounted:
                self.overview.redraw()
        self.remember_theme(theme.name)

    async def on_unmount(self) -> None:
        """Every deployment's reads cancelled and its pool closed, each bounded."""
        self.workers.cancel_all()
        await asyncio.gather(self.fleet.close(), *(link.close() for link in self.links.values()))


def make_fleet_app(
    settings: Settings, deployments: Sequence[Deployment], options: ReadOptions
) -> FleetApp:
    return FleetApp(settings, deployments, options)


def run_fleet(settings: Settings, deployments: Sequence[Deployment], options: ReadOptions) -> int:
    """Run the overview dashboard; its exit status as `tui.app.app.run`'s."""
    app = make_fleet_app(settings, deployments, options)
    app.run()
    return app.return_code or 0
