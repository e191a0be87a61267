"""CSV goes to spreadsheets and, often, straight to a terminal: formula cells are guarded
unless asked otherwise, and a terminal never receives the data's control characters."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from tests.support.dbs import create_service_db
from tui.cli.main import cli
from tui.store.store import make_engine
from tui.store.tables import conversations
from tui.store.target import DbTarget

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = {
    "formula": '=HYPERLINK("http://evil.example","click")',
    "plus": "+1+1",
    "minus": "-2+3",
    "at": "@SUM(A1:A2)",
    "osc52": "copy \x1b]52;c;ZXZpbA==\x07 me",
    "title": "pane \x1b]0;owned\x07 title",
    "clear": "wipe \x1b[2J\x1b[H it",
}


async def _hostile_db(path: Path) -> DbTarget:
    target = await create_service_db(f"sqlite:///{path}", sessions=40)
    engine = make_engine(target)
    try:
        async with engine.begin() as conn:
            ids = (await conn.execute(sa.select(conversations.c.id).limit(len(HOSTILE)))).scalars()
            for conv_id, title in zip(list(ids), HOSTILE.values(), strict=True):
                await conn.execute(
                    conversations.update().where(conversations.c.id == conv_id).values(title=title)
                )
    finally:
        await engine.dispose()
    return target


def _titles(text: str) -> set[str]:
    return {row["title"] for row in csv.DictReader(io.StringIO(text))}


def test_formula_cells_are_guarded_and_csv_raw_keeps_them(tmp_path: Path) -> None:
    db = tmp_path / "archon.db"
    asyncio.run(_hostile_db(db))
    runner = CliRunner()
    guarded = runner.invoke(cli, ["--db", str(db), "list", "--format", "csv", "--limit", "0"])
    assert guarded.exit_code == 0, guarded.output
    titles = _titles(guarded.stdout)
    for key in ("formula", "plus", "minus", "at"):
        assert "'" + HOSTILE[key] in titles, key
        assert HOSTILE[key] not in titles, key
    # Not a terminal: a program reading the file gets the stored characters.
    assert HOSTILE["osc52"] in titles
    raw = runner.invoke(
        cli, ["--db", str(db), "list", "--format", "csv", "--limit", "0", "--csv-raw"]
    )
    assert raw.exit_code == 0, raw.output
    assert {HOSTILE[k] for k in ("formula", "plus", "minus", "at")} <= _titles(raw.stdout)


def _on_a_terminal(*args: str) -> bytes:
    """Run the CLI with its standard output on a pseudo-terminal; everything it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed: the child is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks)


def test_on_a_terminal_no_format_writes_a_control_character(tmp_path: Path) -> None:
    db = tmp_path / "archon.db"
    asyncio.run(_hostile_db(db))
    for fmt in ("csv", "json", "table"):
        out = _on_a_terminal("--db", str(db), "list", "--format", fmt, "--limit", "0")
        assert b"\x1b" not in out and b"\x07" not in out, fmt
        assert b"pane" in out or fmt != "csv", "the hostile rows were written"
