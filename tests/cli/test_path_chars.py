"""A SQLite path is a file's name, whatever its characters: `--db NAME` opens the file
called NAME and only that file, and creates none. SQLite is opened by a `file:` URI, in
which `%`, `#` and `?` mean something; `p%41.db` once ended a session in `pA.db`, and
`h#x.db` created an empty `h`. The same holds for the warm first page (the bare
driver), for a `sqlite:///` URL (percent-decoded, as SQLAlchemy decodes it) and for the
URL `serve` hands each tab. SQLite only: a server has no file."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.browser import serving, tab_text
from tests.support.cli_env import invoke, isolate
from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file
from tui.store.store import open_store
from tui.store.target import sqlite_target, url_target
from tui.store.warm import first_page

NAMES = {
    "percent": ("p%41.db", "pA.db"),
    "hash": ("h#x.db", "h"),
    "question": ("a?mode=rwc.db", "a"),
    "space": ("with space.db", "with"),
    "unicode": ("sessions-ünï-会话.db", "sessions-%C3%BCn%C3%AF-%E4%BC%9A%E8%AF%9D.db"),
    "newline": ("new\nline.db", "new"),
    "not utf-8": (os.fsdecode(b"bytes-\xff.db"), "bytes-%FF.db"),
}
"""Each name, and a decoy: the file a wrong reading of the name would have opened
(or created), present beside it so that reading it would be seen."""


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path, monkeypatch)


async def _two_files(folder: Path, name: str, decoy: str) -> tuple[Path, Path, str]:
    """`name` and `decoy`, each a service database with the same rows; the newest
    session is active in both. Returns both paths and that session's id."""
    seed = folder / "seed.db"
    await create_service_db(f"sqlite:///{seed}", sessions=30)
    with sqlite_file(seed) as conn:
        newest = "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC"
        sid = str(conn.execute(newest).fetchone()[0])
        conn.execute(
            "UPDATE remote_agent_sessions SET active = 1, ended_at = NULL, ended_reason = NULL "
            "WHERE id = ?",
            (sid,),
        )
    path, other = folder / name, folder / decoy
    with sqlite_file(seed) as conn, sqlite_file(other) as copy:
        conn.backup(copy)
    os.rename(seed, path)
    return path, other, sid


def _active(path: Path, sid: str) -> int:
    with sqlite_file(path) as conn:
        row = conn.execute("SELECT active FROM remote_agent_sessions WHERE id = ?", (sid,))
        return int(row.fetchone()[0])


@pytest.mark.parametrize("kind", list(NAMES))
def test_a_path_opens_that_file_and_only_that_file(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, decoy = NAMES[kind]
    path, other, sid = asyncio.run(_two_files(tmp_path, name, decoy))
    files = sorted(os.listdir(tmp_path))
    monkeypatch.chdir(tmp_path)  # the name as typed, relative, as in the report

    listed = invoke("--db", name, "--read-only", "list", "--format", "json", "--limit", "0")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)["sessions"]) == 30
    assert sorted(os.listdir(tmp_path)) == files, "read-only: no file created"

    ended = invoke("--db", name, "end", sid, "--reason", "reset-requested", "--yes")
    assert ended.exit_code == 0, ended.output
    assert ended.stdout.startswith(f"ended {sid} (reset-requested)")
    assert _active(path, sid) == 0, "the end is in the file named"
    assert _active(other, sid) == 1, "and in no other"
    assert sorted(os.listdir(tmp_path)) == files, "no file created"


@pytest.mark.parametrize("kind", list(NAMES))
async def test_the_warm_page_and_the_store_read_that_file(tmp_path: Path, kind: str) -> None:
    name, decoy = NAMES[kind]
    path, other, sid = await _two_files(tmp_path, name, decoy)
    other.unlink()  # a wrong name now finds nothing, or creates something
    target = sqlite_target(path)
    warm = await first_page(target, 50)
    store = await open_store(target, read_only=True)
    try:
        page = await store.list_sessions(limit=50)
    finally:
        await store.close()
    assert warm is not None and warm.rows == page.rows
    assert len(page.rows) == 30 and page.rows[0].id == sid
    assert os.listdir(tmp_path) == [name]


@pytest.mark.parametrize("kind", list(NAMES))
def test_a_sqlite_url_is_percent_decoded_and_reads_back(tmp_path: Path, kind: str) -> None:
    path = tmp_path / NAMES[kind][0]
    target = sqlite_target(path)
    assert url_target(target.secret_url(), target.source) == target
    assert url_target(f"sqlite:///{quote(os.fsencode(path))}").path == path


@pytest.mark.usefixtures("serve_ready")
def test_a_served_tab_reads_the_file_named(tmp_path: Path) -> None:
    name = "r%41 #x?\nü.db"
    path, other, sid = asyncio.run(_two_files(tmp_path, name, "rA #x"))
    with sqlite_file(other) as conn:  # the decoy shows another newest session
        conn.execute("DELETE FROM remote_agent_sessions WHERE id = ?", (sid,))
    with serving(["--db", str(path)]) as served:
        text = asyncio.run(tab_text(served, lambda t: sid[:8] in t or "Error" in t))
    assert sid[:8] in text
    assert sorted(os.listdir(tmp_path)) == sorted([name, "rA #x"])
