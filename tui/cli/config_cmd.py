"""`config`: where the config file is, and every setting in force."""

from __future__ import annotations

import os

import click

from tui.cli.common import Globals, check_keys_and_theme
from tui.config import ENV

# -- config ----------------------------------------------------------------------------------


@click.command("config", short_help="Where the config file is, and every setting in force.")
@click.pass_obj
def config_cmd(g: Globals) -> None:
    """The config file's path, each setting in force and where it came from (the command
    line, the file, the default), and the key bindings with the ids `[keys]` moves."""
    config = g.config
    assert config is not None  # the group read it
    state = "found" if config.exists else "not found: every value is a default"
    how = f"${ENV}" if os.environ.get(ENV) else "the platform's config folder"
    click.echo(f"config file  {config.path}  ({how}; {state})")
    width = max(len(name) for name in g.in_force)
    for setting in g.in_force.values():
        click.echo(f"  {setting.name:<{width}}  {setting.value:<14}  {setting.source}")
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
