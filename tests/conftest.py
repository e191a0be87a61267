"""Fixtures only: helpers live in tests/support/."""

from __future__ import annotations

# ============================================================================
# Database backends: a real, throwaway PostgreSQL server + SQLite files.
#
# Every backend-agnostic test takes `empty_db_url` and runs twice, once per
# backend. The PostgreSQL server is started lazily (only when a test needs it)
# and once per session; in CI (CI=true) a missing or broken PostgreSQL is a
# failure, never a silent skip.
# ============================================================================
import gc
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

# `python -m pytest` puts the repo root on sys.path, plain `pytest` does not;
# make `tests.support` importable either way.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.browser import find_chromium  # noqa: E402
from tests.support.dbs import Replica, sa_url  # noqa: E402
from tests.support.pgserver import (  # noqa: E402
    PgBinariesNotFound,
    PgServer,
    PgServerError,
    PgStandby,
)
from tests.support.prometheus import find_prometheus  # noqa: E402
from tests.support.service_writes import NEW_YORK, ServiceDb  # noqa: E402
from tests.support.templates import ServiceTemplates  # noqa: E402
from tui.store.target import DbTarget  # noqa: E402

_IN_CI = os.environ.get("CI") == "true"

# pytest imports readline, which exports COLUMNS=80 and LINES=24 (at the C level, unseen by
# os.environ); xdist's workers inherit them into os.environ, and the CLI sizes its tables to
# COLUMNS. What the tests see must not depend on the terminal or runner: a test that needs a
# width sets it.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
    os.unsetenv(_name)

# Many tests run the CLI, or a helper script, as a process of its own. Where the environment
# forbids writing bytecode, each such process compiled the project's modules again; they
# (and xdist's workers) share one bytecode cache instead, outside the tree, which Python
# writes atomically. A prefix the runner chose is kept.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault(
    "PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / f"sessions-tui-pyc-{os.getuid()}")
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server")
    # Each test builds and drops apps, engines and stores whose objects refer to each other,
    # so Python's cyclic collector ran thousands of times per file. A collection waits for
    # 100,000 new container objects instead of 700: garbage cycles still go, in fewer passes.
    gc.set_threshold(100_000, 50, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (the libraries, the app, the tests) lives until the end:
    the collector stops scanning it (frozen)."""
    gc.collect()
    gc.freeze()


_LONG_MARKS = ("long", "soak", "web")
"""Marks of tests that run for a minute or so each."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first: each is one indivisible item, and one scheduled last keeps a
    worker busy after the others ran out of work. The rest keep their order."""

    def long(item: pytest.Item) -> bool:
        return any(item.get_closest_marker(mark) for mark in _LONG_MARKS)

    items.sort(key=lambda item: not long(item))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core. Most tests wait on the app, a server or a
    subprocess far more than they compute; one worker per core leaves the cores idle."""
    return 2 * (os.cpu_count() or 1)


def _unavailable(reason: str) -> NoReturn:
    """Skip locally, but fail in CI: CI must really exercise PostgreSQL."""
    if _IN_CI:
        pytest.fail(f"PostgreSQL is required in CI (CI=true): {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throwaway PostgreSQL cluster for the whole test session.

    Superuser `postgres` / `tests.support.pgserver.PASSWORD`, plus the
    privilege-less login role `limited` / `limited-pw`. Tests may `restart()`
    it, but must leave it running.
    """
    # Skip/fail outside the `except` blocks so the report shows the reason
    # once, not chained under "During handling of the above exception".
    try:
        server = PgServer()
    except PgBinariesNotFound:
        server = None
    if server is None:
        _unavailable(
            "PostgreSQL server binaries not found: install them with "
            "`apt-get install postgresql` (or set PG_BIN)"
        )
    start_error: PgServerError | None = None
    try:
        server.start()
    except PgServerError as exc:
        start_error = exc
    if start_error is not None:
        server.cleanup()
        _unavailable(f"could not start a PostgreSQL server: {start_error}")
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def pg_standby(pg_server: PgServer) -> Iterator[PgStandby]:
    """A real streaming hot standby of `pg_server`, for the whole test session.

    Started on first use (a base backup of the primary, its own port), stopped at the
    end. It holds every database the primary has: a test creates its database on the
    primary, calls `pg_standby.wait_for_replay()`, then connects to
    `pg_standby.url(name)`. Like `pg_server`, a failure to start it fails in CI.
    """
    if not pg_server.is_running():
        pg_server.start()
    start_error: PgServerError | None = None
    standby: PgStandby | None = None
    try:
        standby = pg_server.start_standby()
    except PgServerError as exc:
        start_error = exc
    if standby is None:
        _unavailable(f"could not start a PostgreSQL standby: {start_error}")
    try:
        yield standby
    finally:
        standby.cleanup()


@pytest.fixture
def pg_database_url(pg_server: PgServer) -> Iterator[str]:
    """The service-style URL of a database on the session server that does not exist yet
    (a template copy creates it in one step); dropped after the test if it was made, with
    the next statement sent to the server."""
    if not pg_server.is_running():
        # A previous test stopped the server and failed before restarting it;
        # heal here so one broken test does not cascade into all later ones.
        pg_server.start()
    name = "t_" + uuid.uuid4().hex
    yield pg_server.url(name)
    pg_server.drop_soon(name)  # WITH (FORCE), with the next statement the suite sends


@pytest.fixture
def pg_database(pg_server: PgServer, pg_database_url: str) -> str:
    """A fresh, empty database; yields its service-style URL, drops it afterwards. Asked
    for together with a template copy at the same URL, it is that copy."""
    name = pg_database_url.rsplit("/", 1)[1]
    return pg_server.create_database(name, exist_ok=True)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """URL of a database of `backend` that does not exist yet, for a template copy.

    SQLite: `sqlite:///<tmp_path>/archon.db`. PostgreSQL: `pg_database_url` (the server is
    started only here, so `-m "not postgres"` runs never need PostgreSQL).
    """
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'archon.db'}"
    return str(request.getfixturevalue("pg_database_url"))


@pytest.fixture
def empty_db_url(backend: str, db_url: str, request: pytest.FixtureRequest) -> str:
    """URL of an empty database of `backend`, in the service's URL form (`db_url`'s).

    SQLite: the file does not exist yet. PostgreSQL: a fresh database on the session
    server (`pg_database`).
    """
    if backend == "sqlite":
        return db_url
    return str(request.getfixturevalue("pg_database"))


# ============================================================================
# End of the database backend fixtures.
# ============================================================================


# ============================================================================
# Service databases: the service's own schema, filled with deterministic demo rows
# (built by tests/support/dbs.py).
# ============================================================================


@pytest.fixture(scope="session")
def service_templates(tmp_path_factory: pytest.TempPathFactory) -> ServiceTemplates:
    """Each kind of service database below is built once per session and copied per test."""
    return ServiceTemplates(tmp_path_factory.mktemp("service-templates"))


def _service_copy(request: pytest.FixtureRequest, url: str, **options: object) -> DbTarget:
    """`create_service_db(url, **options)`, as a copy of a template built once."""
    templates: ServiceTemplates = request.getfixturevalue("service_templates")
    server = None if url.startswith("sqlite") else request.getfixturevalue("pg_server")
    return templates.copy(url, server, **options)


@pytest.fixture
def service_db(db_url: str, request: pytest.FixtureRequest) -> DbTarget:
    """A current (post-016) service database with 600 demo sessions, on each backend."""
    return _service_copy(request, db_url, sessions=600)


@pytest.fixture
def old_service_db(db_url: str, request: pytest.FixtureRequest) -> DbTarget:
    """An empty service database from before migration 016 (no ended_reason column)."""
    return _service_copy(request, db_url, ended_reason=False)


@pytest.fixture
def replica_db(
    pg_database_url: str, pg_standby: PgStandby, request: pytest.FixtureRequest
) -> Replica:
    """A current service database with 300 demo sessions on the primary, replayed on the
    standby: read it through `standby_url`, check writes through `primary_url`."""
    _service_copy(request, pg_database_url, sessions=300)
    pg_standby.wait_for_replay()
    name = pg_database_url.rsplit("/", 1)[1]
    return Replica(primary_url=pg_database_url, standby_url=pg_standby.url(name))


@pytest.fixture
def new_york_db(
    pg_server: PgServer, pg_database_url: str, request: pytest.FixtureRequest
) -> ServiceDb:
    """An empty service database on PostgreSQL whose default zone is New York, with a
    writer that writes as the service does (psql sets no zone: the default applies)."""
    target = _service_copy(request, pg_database_url)
    dbname = str(sa_url(target).database)
    pg_server.psql(f"ALTER DATABASE \"{dbname}\" SET timezone TO '{NEW_YORK}'")
    db = ServiceDb(pg_database_url, pg=True, server=pg_server, dbname=dbname)
    assert db.run("SHOW timezone") == NEW_YORK
    return db


@pytest.fixture
def service_writer(db_url: str, backend: str, request: pytest.FixtureRequest) -> ServiceDb:
    """An empty service database on each backend (PostgreSQL's in New York), with a
    writer that writes as the service does."""
    if backend == "postgresql":
        db: ServiceDb = request.getfixturevalue("new_york_db")
        return db
    _service_copy(request, db_url)
    return ServiceDb(db_url, pg=False, path=Path(db_url.removeprefix("sqlite:///")))


# ============================================================================
# The browser: Debian's chromium and chromium-driver, for `sessions-tui serve`.
# ============================================================================


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """chromium, chromium-driver, selenium and textual-serve are here: skipped without
    them locally, a failure in CI (.ci/run installs them)."""
    why = find_chromium()
    if why is None:
        return
    if _IN_CI:
        pytest.fail(f"the browser test is required in CI (CI=true): {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def serve_ready() -> None:
    """textual-serve (the `web` extra, in the test extra too) is installed: skipped without
    it locally, a failure in CI."""
    import importlib.util

    if importlib.util.find_spec("textual_serve") is not None:
        return
    why = "textual-serve is not installed: pip install -e '.[test]'"
    if _IN_CI:
        pytest.fail(f"serve is tested in CI (CI=true): {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def prometheus_ready() -> None:
    """Debian's prometheus and promtool are here: skipped without them locally, a failure
    in CI (.ci/run installs them)."""
    why = find_prometheus()
    if why is None:
        return
    if _IN_CI:
        pytest.fail(f"Prometheus is required in CI (CI=true): {why}", pytrace=False)
    pytest.skip(why)


# ============================================================================
# The end of a run: every skipped test by name, and why.
# ============================================================================


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """`-ra` groups skips by where `pytest.skip` was called (a fixture in this file), so
    it says why but not which tests: the last lines name each one, with its reason."""
    yield
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    terminalreporter.section(f"{len(skipped)} skipped: which and why", sep="-", yellow=True)
    for report in skipped:
        longrepr = report.longrepr
        why = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        why = why.removeprefix("Skipped: ")
        terminalreporter.line(f"SKIPPED {report.nodeid}: {why}")
