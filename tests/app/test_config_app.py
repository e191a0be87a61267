"""The config file in the dashboard: key overrides through Textual's keymap, and a theme
changed in the app remembered in the file (written atomically, the other keys kept)."""

from __future__ import annotations

from pathlib import Path

from tests.support.app_helpers import app_for, main_screen, ready, settle, wait_until
from tui.config import load_config
from tui.domain.models import Status
from tui.store.target import DbTarget

SIZE = (170, 46)


async def test_a_key_override_moves_the_binding(service_db: DbTarget) -> None:
    app = app_for(service_db, keys={"status-ended": "e", "toggle-panel": "ctrl+b"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("2")
        await settle(pilot)
        assert main.state.status is not Status.ENDED, "2 is no longer that key"
        await pilot.press("e")
        await wait_until(pilot, lambda: main.state.status is Status.ENDED, "ended via e")
        shown = main.query_one("#side").display
        await pilot.press("ctrl+b")
        await wait_until(
            pilot, lambda: main.query_one("#side").display is not shown, "panel via ctrl+b"
        )


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
