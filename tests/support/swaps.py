"""A SQLite path that names another file after a symlink on it is swapped, as a deploy
does it (`ln -s B tmp && mv -T tmp cur`: one atomic rename over the link).

Two layouts: `file`, where the database's own name is the symlink (`cur.db -> A.db`),
and `folder`, the usual deploy layout, where a folder on the path is
(`current -> releases/1`, the path `current/archon.db`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.support.dbs import create_service_db
from tests.support.sqlite_files import sqlite_file

LAYOUTS = ("file", "folder")
SWAPPED_IN = "swapped in by the deploy"
"""The title of the active session's conversation in the second file only."""


@dataclass(frozen=True)
class Swap:
    path: Path
    """What the tool is given: it names `first` until `swap()`, then `second`."""
    first: Path
    second: Path
    link: Path
    """The symlink on the path that `swap()` replaces."""
    to_second: str
    """What the link holds after `swap()`."""
    sid: str
    """A session active in both files."""

    def swap(self) -> None:
        """`ln -s TARGET tmp && mv -T tmp LINK`, pointing the link at `second`."""
        staged = self.link.with_name(self.link.name + ".tmp")
        os.symlink(self.to_second, staged)
        os.replace(staged, self.link)
        assert self.path.resolve() == self.second.resolve()

    def row(self, which: Path) -> tuple[object, ...]:
        """The session's `active` and `ended_reason` in one file."""
        with sqlite_file(which) as conn:
            return tuple(
                conn.execute(
                    "SELECT active, ended_reason FROM remote_agent_sessions WHERE id = ?",
                    (self.sid,),
                ).fetchone()
            )


async def swappable(tmp_path: Path, layout: str, sessions: int = 60) -> Swap:
    """Two service databases and a path through a symlink naming the first. The second
    is a copy with the active session's conversation retitled (`SWAPPED_IN`) and the ten
    oldest sessions gone, so the rows shown tell which file was read."""
    if layout == "file":
        first, second = tmp_path / "A.db", tmp_path / "B.db"
        link = path = tmp_path / "cur.db"
        os.symlink("A.db", link)
        to_second = "B.db"
    else:
        first = tmp_path / "releases" / "1" / "archon.db"
        second = tmp_path / "releases" / "2" / "archon.db"
        first.parent.mkdir(parents=True)
        second.parent.mkdir(parents=True)
        link = tmp_path / "current"
        os.symlink("releases/1", link)
        to_second = "releases/2"
        path = link / "archon.db"
    await create_service_db(f"sqlite:///{first}", sessions=sessions)
    with sqlite_file(first) as conn:
        newest = "SELECT id FROM remote_agent_sessions ORDER BY started_at DESC"
        sid = str(conn.execute(newest).fetchone()[0])
        conn.execute(
            "UPDATE remote_agent_sessions SET active = 1, ended_at = NULL, ended_reason = NULL "
            "WHERE id = ?",
            (sid,),
        )
        conn.commit()
        with sqlite_file(second) as copy:
            conn.backup(copy)
    with sqlite_file(second) as conn:
        conn.execute(
            "UPDATE remote_agent_conversations SET title = ? WHERE id = (SELECT "
            "conversation_id FROM remote_agent_sessions WHERE id = ?)",
            (SWAPPED_IN, sid),
        )
        conn.execute(
            "DELETE FROM remote_agent_sessions WHERE id IN (SELECT id FROM "
            "remote_agent_sessions ORDER BY started_at LIMIT 10)"
        )
    return Swap(path=path, first=first, second=second, link=link, to_second=to_second, sid=sid)
