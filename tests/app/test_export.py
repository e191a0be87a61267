"""The dashboard's export: the whole view (not the loaded window) to CSV or JSON, the file
byte for byte what `list --format csv|json --limit 0` prints for the same filter and order."""

from __future__ import annotations

import asyncio
import csv
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.widgets import Button, Checkbox, Input

import tui.cli.common as cli_common
from tests.support.app_helpers import (
    NOW,
    app_for,
    click_on,
    main_screen,
    notifications,
    ready,
    settle,
    wait_until,
)
from tests.support.locks import sessions_locked
from tui.app.screens.export import ExportScreen
from tui.cli.main import cli
from tui.domain.columns import FIELD_KEYS
from tui.store.store import make_engine
from tui.store.tables import conversations
from tui.store.target import DbTarget

SIZE = (100, 24)
PAGE = 50


async def cli_output(url: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI's listing at the dashboard's clock (durations of active sessions count to it),
    in a thread: the CLI runs its own event loop."""
    monkeypatch.setattr(cli_common, "utcnow", lambda: NOW)
    argv = ["--url", url, "list", "--limit", "0", *args]
    result = await asyncio.to_thread(CliRunner().invoke, cli, argv)
    assert result.exit_code == 0, result.output
    return result.stdout


async def open_export(pilot: Any) -> ExportScreen:
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportScreen), "export screen")
    screen = pilot.app.screen
    assert isinstance(screen, ExportScreen)
    return screen


def set_path(screen: ExportScreen, path: Path) -> None:
    screen.query_one("#export-path", Input).value = str(path)


async def test_export_writes_the_whole_view_as_the_cli_does(
    service_db: DbTarget,
    empty_db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ended sessions, oldest end first: 400-odd rows, read in pages of 500 by the export
    while the table holds 50; as CSV, then as JSON."""
    outs = {fmt: tmp_path / f"view.{fmt}" for fmt in ("csv", "json")}
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        main = main_screen(app)
        await pilot.press("2", "o", "O")  # ended; sort by ended, ascending
        await settle(pilot)
        assert main.table.row_count == PAGE
        for fmt, out in outs.items():
            screen = await open_export(pilot)
            if fmt == "json":
                await click_on(pilot, "#fmt-json")
            set_path(screen, out)
            await click_on(pilot, "#export-go")
            await wait_until(
                pilot, lambda: not isinstance(app.screen, ExportScreen), f"{fmt} export done"
            )
            assert any(f"to {out}" in n for n in notifications(app)), fmt
    for fmt, out in outs.items():
        expected = await cli_output(
            empty_db_url,
            "--status",
            "ended",
            "--sort",
            "ended",
            "--asc",
            "--format",
            fmt,
            monkeypatch=monkeypatch,
        )
        assert out.read_text(encoding="utf-8") == expected, fmt
        assert expected.count("\n") > 300, fmt
    assert not list(tmp_path.glob(".*.part"))


async def test_the_export_replaces_only_a_regular_file_when_told_and_no_planted_part(
    service_db: DbTarget, tmp_path: Path
) -> None:
    """A FIFO is refused even with Overwrite; an existing file needs an explicit
    Overwrite. Someone who can write in the folder planted `.keep.csv.part` pointing at
    another file: the export neither writes through it nor reuses it."""
    folder = tmp_path / "out"
    folder.mkdir()
    fifo = folder / "pipe.csv"
    os.mkfifo(fifo)
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    planted = tmp_path / ".keep.csv.part"
    planted.symlink_to(victim)
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_export(pilot)
        set_path(screen, fifo)
        overwrite = screen.query_one("#export-overwrite", Checkbox)
        overwrite.value = True
        go = screen.query_one("#export-go", Button)
        await click_on(pilot, "#export-go")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        note = str(screen.query_one("#export-note").render())
        assert "pipe.csv is a FIFO: only a regular file is replaced" in note
        overwrite.value = False
        set_path(screen, out)
        # A Button ignores clicks while its press effect (0.2 s) shows: a loaded machine
        # can reach the next click inside it, so wait for the effect to end.
        await wait_until(pilot, lambda: not go.has_class("-active"), "the press to end")
        await click_on(pilot, "#export-go")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert "exists: tick Overwrite" in str(screen.query_one("#export-note").render())
        assert out.read_text() == "precious\n"
        overwrite.value = True
        await wait_until(pilot, lambda: not go.has_class("-active"), "the press to end")
        await click_on(pilot, "#export-go")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen), "export done")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in folder.iterdir()] == ["pipe.csv"]
    assert out.read_text(encoding="utf-8").startswith("id,active,")
    assert victim.read_text() == "precious\n"
    assert planted.is_symlink() and planted.readlink() == victim
    assert not out.is_symlink()
    assert list(tmp_path.glob(".*.part")) == [planted]


async def test_an_export_closed_or_cancelled_leaves_no_file(
    service_db: DbTarget, tmp_path: Path
) -> None:
    """Escape closes the form without writing; an export cancelled before its first page
    lands leaves no file, and says so."""
    out = tmp_path / "never.csv"
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        screen = await open_export(pilot)
        set_path(screen, tmp_path / "x.csv")
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        assert not (tmp_path / "x.csv").exists()
        screen = await open_export(pilot)
        set_path(screen, out)
        async with sessions_locked(service_db):  # no page can land meanwhile
            await click_on(pilot, "#export-go")  # the export starts...
            await wait_until(pilot, lambda: screen.running, "the export under way")
            screen.action_cancel()  # ...and is cancelled before its first page lands
        # (not `settle`: waiting for every worker raises for the cancelled one)
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen), "closed")
        said = lambda: any("Export cancelled" in n for n in notifications(app))  # noqa: E731
        await wait_until(pilot, said, "the toast")
    assert not out.exists()
    assert not (tmp_path / "x.csv").exists()
    assert not list(tmp_path.glob(".*.part"))


async def test_the_export_quotes_a_bare_cr_and_guards_each_line(
    service_db: DbTarget, tmp_path: Path
) -> None:
    """The dashboard's export writes the CSV `list` does: a title with a bare CR is one
    quoted cell, and its second line does not start a formula."""
    title = "x\r=cmd|' /C calc'!A0"
    engine = make_engine(service_db)
    try:
        async with engine.begin() as conn:
            await conn.execute(conversations.update().values(title=title))
    finally:
        await engine.dispose()
    out = tmp_path / "view.csv"
    app = app_for(service_db, page_size=PAGE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_export(pilot)
        set_path(screen, out)
        await click_on(pilot, "#export-go")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen), "export done")
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 601 and {len(row) for row in rows} == {len(FIELD_KEYS)}
    titles = {row[FIELD_KEYS.index("title")] for row in rows[1:]}
    assert "x\r'=cmd|' /C calc'!A0" in titles
    for row in rows:
        assert not any(line.startswith("=") for cell in row for line in cell.splitlines()), row
