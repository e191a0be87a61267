"""Service databases built once per test session and copied for every test that asks.

Building a service database (the service's DDL, then the demo rows) costs far more than
copying one, and a test may change its copy freely: each test still owns a database of
its own. On SQLite the copy is a file copy; on PostgreSQL it is
``CREATE DATABASE … TEMPLATE``, a file-level copy inside the server. The template
databases are named ``tpl_…`` and no test connects to them (PostgreSQL refuses to copy a
database that has connections).
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from tests.support.dbs import create_service_db
from tests.support.pgserver import PgServer, PgServerError
from tui.store.target import DbTarget, resolve_target

T = TypeVar("T")


class ServiceTemplates:
    """Databases built once per kind (a key) and backend, copied for each test."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._files: dict[Hashable, Path] = {}
        self._databases: dict[tuple[Hashable, Path], str] = {}
        self._made: dict[tuple[Hashable, Path | None], object] = {}

    def copy(self, url: str, server: PgServer | None = None, **options: Any) -> DbTarget:
        """Make the database at `url` what `create_service_db(url, **options)` makes."""

        def build(at: str) -> None:
            asyncio.run(create_service_db(at, **options))

        return self.copy_built(url, server, ("service", *sorted(options.items())), build)

    def copy_built(
        self, url: str, server: PgServer | None, key: Hashable, build: Callable[[str], object]
    ) -> DbTarget:
        """Make the database at `url` what `build(url)` makes, `build` run once per `key`
        (and backend) on a template of its own.

        SQLite: the file at `url` must not exist yet. PostgreSQL: the (empty) database
        named in `url` lives on `server`; it is replaced by a copy of the template.
        """
        if url.startswith("sqlite"):
            dest = Path(url.removeprefix("sqlite:///"))
            if dest.exists():
                raise FileExistsError(f"{dest} exists: a template copy would overwrite it")
            shutil.copyfile(self._file(key, build), dest)
        else:
            if server is None:
                raise ValueError("a PostgreSQL copy needs the server that holds the database")
            self._copy_database(unquote(url.rsplit("/", 1)[1]), server, key, build)
        return resolve_target(url=url)

    def copy_made(
        self, url: str, server: PgServer | None, key: Hashable, make: Callable[[str], T]
    ) -> T:
        """`copy_built` with `make` as the build, returning what `make` returned when it
        built the template (the ids of the rows it wrote, say): the copy holds the same rows."""
        slot = (key, None if url.startswith("sqlite") or server is None else server.tmp_dir)

        def build(at: str) -> None:
            self._made[slot] = make(at)

        self.copy_built(url, server, key, build)
        made: T = self._made[slot]  # type: ignore[assignment]
        return made

    def _file(self, key: Hashable, build: Callable[[str], object]) -> Path:
        path = self._files.get(key)
        if path is None:
            path = self._dir / f"template-{len(self._files)}.db"
            build(f"sqlite:///{path}")
            # Everything in the main file: a copy of it alone is the whole database.
            conn = sqlite3.connect(path)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
            wal = path.with_name(path.name + "-wal")
            if wal.exists() and wal.stat().st_size:
                raise RuntimeError(f"{wal} still holds pages after the checkpoint")
            self._files[key] = path
        return path

    def _copy_database(
        self, name: str, server: PgServer, key: Hashable, build: Callable[[str], object]
    ) -> None:
        # Keyed on the cluster's directory too: a cluster set up again has no templates.
        slot = (key, server.tmp_dir)
        template = self._databases.get(slot)
        if template is None:
            template = "tpl_" + uuid.uuid4().hex[:16]
            build(server.create_database(template))
            server.psql(f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS false')
            self._databases[slot] = template
        try:
            quoted = '"' + name.replace('"', '""') + '"'
            server.psql(
                f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE);"
                f' CREATE DATABASE {quoted} TEMPLATE "{template}"'
            )
        except PgServerError:
            self._databases.pop(slot, None)
            raise
