"""The config file in the dashboard: key overrides through Textual's keymap, and a theme
changed in the app remembered in the file (written atomically, the other keys kept)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from msgspec.structs import replace
from textual.command import CommandInput, CommandList, CommandPalette

import tui.cli.common as cli_common
from tests.support.app_helpers import (
    app_for,
    main_screen,
    notifications,
    ready,
    screen_lines,
    settle,
    wait_until,
)
from tui.app import make_app
from tui.cli.main import cli
from tui.cli.serve import SERVE_ACTOR, SERVE_URL
from tui.config import ENV as CONFIG_ENV
from tui.config import load_config
from tui.domain.models import Status
from tui.settings import Settings
from tui.store.target import DbTarget

SIZE = (100, 24)


async def test_a_theme_changed_in_the_app_is_remembered(
    service_db: DbTarget, tmp_path: Path
) -> None:
    path = tmp_path / "sessions-tui" / "config.toml"
    path.parent.mkdir()
    path.write_text('refresh = 2\npage_size = 50\n\n[keys]\nstatus-ended = "e"\n')
    app = app_for(service_db, config_path=path, theme="textual-dark")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert load_config(path).theme is None, "starting up writes nothing"
        app.theme = "textual-light"
        await wait_until(pilot, lambda: load_config(path).theme == "textual-light", "written")
    config = load_config(path)
    assert (config.refresh, config.page_size, config.keys) == (2, 50, {"status-ended": "e"})
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"], "no temp file left"
    # The next start takes it from the file.
    again = app_for(service_db, config_path=path, theme=config.theme)
    async with again.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert again.current_theme.name == "textual-light"


async def test_a_read_only_dashboard_never_writes_the_config_file(
    service_db: DbTarget, tmp_path: Path
) -> None:
    kept = tmp_path / "kept" / "config.toml"
    kept.parent.mkdir()
    kept.write_bytes(b'refresh = 2 # mine\ntheme = "textual-dark"\n')
    before = kept.read_bytes()
    absent = tmp_path / "absent" / "config.toml"
    for path in (kept, absent):
        app = app_for(service_db, config_path=path, read_only=True, theme="textual-dark")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            app.theme = "textual-light"
            await settle(pilot)
            assert app.current_theme.name == "textual-light"
    assert kept.read_bytes() == before
    assert sorted(p.name for p in kept.parent.iterdir()) == ["config.toml"]
    assert not absent.exists() and not absent.parent.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--read-only"],
        ["--read-only", "served-app"],
        ["served-app"],  # served with --write: still nothing written on the server
    ],
)
async def test_served_or_read_only_settings_write_no_theme(
    service_db: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """The settings the CLI gives the dashboard (captured where it would start it), in the
    app: a theme change leaves the config file byte for byte, or absent."""
    path = tmp_path / "config.toml"
    path.write_bytes(b"# the operator's own\npage_size = 50\n")
    before = path.read_bytes()
    monkeypatch.setenv(CONFIG_ENV, str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    started: list[Settings] = []
    monkeypatch.setattr(cli_common, "launch_dashboard", started.append)
    if "served-app" in argv:
        monkeypatch.setenv(SERVE_URL, service_db.secret_url())
        if "--read-only" not in argv:
            monkeypatch.setenv(SERVE_ACTOR, "oncall")
        db_args: list[str] = []
    else:
        db_args = ["--url", service_db.secret_url()]
    result = await asyncio.to_thread(CliRunner().invoke, cli, [*db_args, *argv])
    assert result.exit_code == 0, result.output
    (settings,) = started
    assert settings.page_size == 50, "the config file was read"
    app = make_app(replace(settings, refresh_seconds=0))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.theme = "textual-light"
        await settle(pilot)
        assert app.current_theme.name == "textual-light"
    assert path.read_bytes() == before


async def test_a_moved_key_is_named_in_help_the_palette_the_toasts_and_the_hints(
    service_db: DbTarget, tmp_path: Path
) -> None:
    """`[keys] end = "X"` in the config file: every text that names the end key says X,
    none says x, and X ends. The other keys it moves act on their new keys only."""
    path = tmp_path / "config.toml"
    path.write_text('[keys]\nend = "X"\nstatus-ended = "E"\ntoggle-panel = "ctrl+b"\n')
    app = app_for(service_db, keys=load_config(path).keys)
    # Wide: Textual's footer puts a moved binding last.
    async with app.run_test(size=(240, 46)) as pilot:
        await ready(pilot)
        hints = screen_lines(app)[-1]  # the footer
        assert "X End session" in hints and "x End session" not in hints, hints

        await pilot.press("question_mark")
        await wait_until(
            pilot, lambda: any("End session" in ln for ln in screen_lines(app)), "help"
        )
        help_text = "\n".join(screen_lines(app))  # the key column, then the description
        assert re.search(r"(?<!\S)X {2,}End session", help_text), help_text
        assert not re.search(r"(?<!\S)x {2,}End session", help_text), help_text
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
        hits = app.screen.query_one(CommandList)
        app.screen.query_one(CommandInput).value = "End session"  # typed at once
        await wait_until(
            pilot,
            lambda: (
                hits.option_count > 0 and "End session" in str(hits.get_option_at_index(0).prompt)
            ),
            "palette hit",
        )
        palette = "\n".join(screen_lines(app))
        assert "(X)" in palette and "(x)" not in palette, palette
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("A")
        await wait_until(
            pilot, lambda: any("sessions that match" in n for n in notifications(app)), "toast"
        )
        (toast,) = [n for n in notifications(app) if "sessions that match" in n]
        assert toast.endswith(": X ends them"), toast
        await pilot.press("X")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "EndReasonScreen", "X ends")
        await pilot.press("escape")
        main = main_screen(app)
        await wait_until(pilot, lambda: app.screen is main, "back on the list")

        await pilot.press("2")
        await settle(pilot)
        assert main.state.status is not Status.ENDED, "2 is no longer that key"
        await pilot.press("E")
        await wait_until(pilot, lambda: main.state.status is Status.ENDED, "ended via E")
        shown = main.query_one("#side").display
        await pilot.press("ctrl+b")
        await wait_until(
            pilot, lambda: main.query_one("#side").display is not shown, "panel via ctrl+b"
        )
