"""`config`: where the config file is, every setting in force, the deployments it
names and `check`'s thresholds."""

from __future__ import annotations

import os
import stat

import click

from tui.cli.common import Globals, check_keys_and_theme
from tui.config import ENV, Config
from tui.deployments import Deployment
from tui.domain.text import safe_text

# -- config ----------------------------------------------------------------------------------


@click.command("config", short_help="Where the config file is, and every setting in force.")
@click.pass_obj
def config_cmd(g: Globals) -> None:
    """The config file's path, each setting in force and where it came from (the command
    line, the file, the default), the deployments it names (where each one's database
    comes from, never a password), `check`'s thresholds, and the key bindings with the
    ids `[keys]` moves. A file that holds a password (a deployment's `url`) and that
    group or others may read gets one warning line on stderr."""
    config = g.config
    assert config is not None  # the group read it
    state = "found" if config.exists else "not found: every value is a default"
    how = f"${ENV}" if os.environ.get(ENV) else "the platform's config folder"
    click.echo(f"config file  {config.path}  ({how}; {state})")
    width = max(len(name) for name in g.in_force)
    for setting in g.in_force.values():
        click.echo(f"  {setting.name:<{width}}  {setting.value:<14}  {setting.source}")
    click.echo("\n".join(deployment_lines(config)))
    warning = password_warning(config)
    if warning is not None:
        click.echo(warning, err=True)
    try:
        from tui.app.app import binding_ids, key_problem, theme_names
    except ImportError:
        return
    keys = binding_ids()
    click.echo("keys (binding id = key; [keys] in the file moves them)")
    id_width = max(len(b) for b in keys)
    for binding, key in sorted(keys.items()):
        moved = config.keys.get(binding)
        shown = f"{moved}  (file; default {key})" if moved else key
        click.echo(f"  {binding:<{id_width}}  {shown}")
    check_keys_and_theme(config, key_problem, theme_names)


def where(deployment: Deployment) -> str:
    """Where its database comes from; a URL in the file with its password masked."""
    if deployment.url is None:
        return deployment.where()
    from urllib.parse import urlsplit

    from tui.store.target import mask_password

    try:
        password = urlsplit(deployment.url.strip()).password
    except ValueError:
        return "url in the config file (not a URL the tool can read)"
    return mask_password(deployment.url.strip(), password)


def deployment_lines(config: Config) -> list[str]:
    """`deployments` then one line each: name, title, where, read-only, colour; then the
    thresholds `check` reads from the file."""
    if not config.deployments:
        lines = ["deployments  none ([deployments.NAME] in the file; chosen with -d NAME, --all)"]
    else:
        lines = ["deployments ([deployments.NAME]; chosen with -d NAME, --all)"]
        rows = [
            (
                d.name,
                safe_text(d.title or "-"),
                safe_text(where(d)),
                "read-only" if d.read_only else "read-write",
                d.colour or "-",
            )
            for d in config.deployments.values()
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            lines.append("  " + "  ".join([*cells, row[4]]))
    if config.check is not None:
        levels = (("warning", config.check.warning), ("critical", config.check.critical))
        for level, table in levels:
            if table:
                said = ", ".join(f"{name} > {n}" for name, n in table.items())
                lines.append(f"check {level}  {said}")
    return lines


def password_warning(config: Config) -> str | None:
    """One line when the file holds a password and group or others may read it."""
    holders = [d.name for d in config.deployments.values() if d.holds_password]
    if not holders:
        return None
    try:
        mode = config.path.stat().st_mode
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    return (
        f"warning: {config.path} holds a password (deployments.{holders[0]}.url) and group or "
        f"others can read it (mode {stat.S_IMODE(mode):o}): chmod 600 {config.path}, or move "
        "the URL to an environment variable (url_env)"
    )
