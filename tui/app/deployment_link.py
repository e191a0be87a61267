"""One deployment's connection, for the screens of its mode (its own screen stack).

What the App's link is to the screens of the single-database dashboard, a
`DeploymentLink` is to the screens of one deployment (`link.DatabaseLink`): its
settings (its database, read-only when the deployment is), its store, its in-flight
set and the connection's life, its workers in groups named after the deployment
(`open@name`). Its toasts name the deployment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec.structs import replace

from tui.app.link import DatabaseLink
from tui.domain.wording import deployment_read_only

if TYPE_CHECKING:
    from textual.app import App

    from tui.deployments import Deployment
    from tui.settings import Settings


def deployment_settings(base: Settings, deployment: Deployment) -> Settings:
    """The dashboard's settings for one deployment: its database; read-only when the
    deployment or the command line says so, refused in the deployment's own words;
    nothing remembered in the config file from its screens."""
    read_only = base.read_only or deployment.read_only
    why = base.read_only_why
    if deployment.read_only:
        why = deployment_read_only(deployment.label, deployment.name)
    return replace(
        base,
        target=deployment.target(),
        read_only=read_only,
        read_only_why=why if read_only else None,
    )


class DeploymentLink(DatabaseLink):
    """A deployment's database as its mode's screens use it (`screens.base.Connection`)."""

    def __init__(self, app: App[None], deployment: Deployment, settings: Settings) -> None:
        super().__init__(app, settings, name=deployment.name, label=deployment.label)
        self.deployment = deployment
