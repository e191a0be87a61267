"""Every backend implements the whole interface, and loads only what it needs."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tui.store.backends import KINDS, backend_for, driver_for
from tui.store.backends.base import Backend
from tui.store.backends.driver import Driver


@pytest.mark.parametrize("kind", KINDS)
def test_every_backend_implements_the_whole_interface(kind: str) -> None:
    """Both sides, SQLAlchemy's and the bare driver's: no operation left abstract."""
    for impl, interface in ((backend_for(kind), Backend), (driver_for(kind), Driver)):
        assert isinstance(impl, interface)
        left = sorted(type(impl).__abstractmethods__)
        assert not left, f"{kind}: {type(impl).__name__} lacks {left}"
    assert Backend.__abstractmethods__ and Driver.__abstractmethods__


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        backend_for("mysql")
    with pytest.raises(ValueError, match="mysql"):
        driver_for("mysql")


async def test_a_sqlite_user_never_loads_postgresql(tmp_path: Path) -> None:
    """Neither the PostgreSQL dialect of SQLAlchemy nor asyncpg, from the warm page
    through the Store's reads and an end."""
    from tests.support.dbs import create_service_db

    target = await create_service_db(f"sqlite:///{tmp_path / 'archon.db'}", sessions=20)
    code = (
        "import asyncio, sys\n"
        "from tui.store.target import sqlite_target\n"
        "from tui.store.warm import first_page\n"
        "from tui.store.store import open_store\n"
        "async def main():\n"
        f"    target = sqlite_target({str(target.path)!r})\n"
        "    assert await first_page(target, 5) is not None\n"
        "    store = await open_store(target)\n"
        "    page = await store.list_sessions(limit=5)\n"
        "    await store.reason_counts()\n"
        "    await store.get_session(page.rows[0].id)\n"
        "    await store.end_sessions([page.rows[0].id], 'reset-requested', 'test')\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "loaded = sorted(m for m in sys.modules if 'postgresql' in m or 'asyncpg' in m)\n"
        "assert not loaded, loaded\n"
    )
    run = [sys.executable, "-c", code]
    done = await asyncio.to_thread(subprocess.run, run, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
