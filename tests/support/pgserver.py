"""A throwaway PostgreSQL server for the test-suite.

The dashboard has to behave identically on SQLite and PostgreSQL, and the
PostgreSQL-specific failure modes we care about (a server restart under a
running client, a role without privileges, scram authentication, connection
limits) cannot be faked convincingly with mocks or a shared developer database.
So the tests start their own cluster: ``initdb`` into a temporary directory,
``pg_ctl start`` on a free port of 127.0.0.1, and remove everything at the end.

Design notes (the *why*):

* Everything is driven through the server binaries and ``psql`` as
  subprocesses, never through an asyncio driver. The helpers are therefore
  plain blocking calls that work the same from synchronous code, from an async
  pytest fixture, or from inside a running event loop (no ``asyncio.run``
  re-entrancy problems).
* ``initdb``, ``pg_ctl`` and ``postgres`` refuse to run as root. CI runs as
  root, so in that case they are run as the unprivileged ``postgres`` OS user
  via ``runuser``, and the directories they write to are chowned to that user.
  The temporary directory is created under ``/tmp`` with mode 0755 (not inside
  pytest's 0700 ``tmp_path``) so that user can actually reach it.
* Clients connect over TCP with scram-sha-256 passwords, which is how the
  service connects in production; the administrative helpers use the unix
  socket with ``trust`` so they need no password handling.
* Durability is switched off (``--no-sync``, ``fsync=off``, ...) because the
  cluster lives for one test session; it makes start-up and DDL much faster.
* Autovacuum is off: the tests create a database per test from templates, and
  its workers visited each of them every minute; no test waits for it (a test
  that needs statistics or the visibility map runs VACUUM or ANALYZE itself).
* The cluster uses the ``C`` locale with UTF8 encoding: bytewise text ordering
  like SQLite's default, and independent of which locales the machine has.
* The primary always accepts streaming replication (``wal_level=replica``, WAL
  senders, a ``replication`` line in ``pg_hba.conf`` for the socket and
  127.0.0.1), so :meth:`PgServer.start_standby` can clone it into a real hot
  standby (:class:`PgStandby`) at any time: the read-replica tests run against
  the same kind of server big deployments point their dashboards at.

This module deliberately imports nothing from the application.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

__all__ = [
    "LIMITED_PASSWORD",
    "LIMITED_USER",
    "PASSWORD",
    "SUPERUSER",
    "PgBinariesNotFound",
    "PgServer",
    "PgServerError",
    "PgStandby",
    "find_pg_bin",
]

#: Superuser of the throwaway cluster (created by ``initdb -U``).
SUPERUSER = "postgres"
#: Password of :data:`SUPERUSER` for TCP (scram-sha-256) connections.
PASSWORD = "tui-secret-pw"
#: A login role with no privileges on anything, for "missing privileges" tests.
LIMITED_USER = "limited"
#: Password of :data:`LIMITED_USER`.
LIMITED_PASSWORD = "limited-pw"

#: The binaries a directory must hold to be usable by :class:`PgServer`.
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
#: How many lines of the server log to attach to errors.
_LOG_TAIL_LINES = 40
#: Seconds ``pg_ctl`` waits for start/stop before giving up.
_PG_CTL_TIMEOUT = 60
#: Seconds a standby may take to replay what the primary has written.
_REPLAY_TIMEOUT = 60.0
#: WAL senders the primary allows: one per standby, with room for a base backup's.
_MAX_WAL_SENDERS = 5
#: Environment variables that would silently redirect our tools elsewhere.
_LEAKY_ENV = re.compile(r"^PG[A-Z_]*$")


class PgServerError(RuntimeError):
    """The throwaway server could not be set up, started, stopped or queried.

    ``log_tail`` carries the last lines of the server log (possibly empty),
    because the server's own message is almost always the useful part.
    """

    def __init__(self, message: str, log_tail: str = "") -> None:
        self.message = message
        self.log_tail = log_tail
        text = message
        if log_tail.strip():
            text += "\n--- tail of the PostgreSQL server log ---\n" + log_tail.rstrip()
        super().__init__(text)


class PgBinariesNotFound(PgServerError):
    """No directory with ``initdb``, ``pg_ctl`` and ``postgres`` was found.

    A separate type so callers can tell "PostgreSQL is not installed" (skip
    locally) from "PostgreSQL is installed but broke" (always an error).
    """


def _has_binaries(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in _REQUIRED_BINARIES)


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin: sort numerically so 15 beats 9.6.
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (-1,)


def find_pg_bin() -> Path | None:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Looked up, first match wins: ``$PG_BIN``; ``pg_config --bindir`` (if
    ``pg_config`` is on PATH); the newest ``/usr/lib/postgresql/*/bin``
    (Debian/Ubuntu keep the server binaries off PATH); the directory of
    ``pg_ctl`` on PATH (symlinks resolved, since e.g. ``/usr/local/bin`` may
    only hold a ``pg_ctl`` link). A candidate only counts if it holds all
    three binaries, so a client-only ``pg_config`` or a misconfigured
    ``$PG_BIN`` falls through to the next source instead of failing later.
    """
    candidates: list[Path] = []
    env_bin = os.environ.get("PG_BIN")
    if env_bin:
        candidates.append(Path(env_bin))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
                stdin=subprocess.DEVNULL,
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    candidates.extend(
        sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    )
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        candidates.append(Path(pg_ctl).resolve().parent)
    for candidate in candidates:
        if candidate.is_dir() and _has_binaries(candidate):
            return candidate
    return None


def _free_port(host: str) -> int:
    """Ask the kernel for a currently unused TCP port on ``host``.

    There is an unavoidable window between closing this socket and the server
    binding the port; :meth:`PgServer.start` retries with a new port if the
    server reports the address as taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PgServer:
    """A PostgreSQL cluster in a temporary directory, owned by this object.

    Typical use::

        server = PgServer()
        server.start()
        try:
            url = server.url(server.create_database("t_abc"))
            ...
        finally:
            server.cleanup()

    or as a context manager (``with PgServer() as server: ...``), which starts
    and cleans up. ``restart()`` keeps the port and the data, so a client that
    was connected before sees a genuine server restart.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        bin_dir: Path | None = None,
        *,
        os_user: str = "postgres",
        base_dir: Path | None = None,
    ) -> None:
        """Prepare (but do not start) a server.

        ``bin_dir`` defaults to :func:`find_pg_bin`; :class:`PgBinariesNotFound`
        is raised if there is none. ``os_user`` is the unprivileged account the
        server runs as when we are root. ``base_dir`` is where the temporary
        directory is created (default ``/tmp``, see the module docstring).
        """
        resolved = bin_dir if bin_dir is not None else find_pg_bin()
        if resolved is None or not _has_binaries(resolved):
            raise PgBinariesNotFound(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
                + (f" in {resolved}" if resolved is not None else "")
                + "; install them with `apt-get install postgresql` or set PG_BIN"
            )
        self.bin_dir: Path = resolved
        self._as_root = os.geteuid() == 0
        self._os_user = os_user
        self._base_parent = base_dir
        self._tmp: Path | None = None
        self._port: int | None = None
        self._initialized = False
        self._atexit_registered = False
        self._doomed: list[str] = []

    # ------------------------------------------------------------------ paths

    @property
    def tmp_dir(self) -> Path:
        """The temporary directory holding data, socket and log."""
        if self._tmp is None:
            raise PgServerError("the server has not been started yet")
        return self._tmp

    @property
    def data_dir(self) -> Path:
        return self.tmp_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.tmp_dir / "sock"

    @property
    def log_path(self) -> Path:
        return self.tmp_dir / "server.log"

    @property
    def port(self) -> int:
        """TCP port on :attr:`host`; fixed for the life of the object once started."""
        if self._port is None:
            raise PgServerError("the server has not been started yet")
        return self._port

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Create the cluster (first call only) and start the server.

        The first call runs ``initdb``, picks a free port and creates the
        :data:`LIMITED_USER` role; later calls (after :meth:`stop`) just start
        the existing cluster again on the same port.
        """
        if not self._initialized:
            self._init_cluster()
        if self.is_running():
            return
        if self._port is not None:
            self._pg_ctl_start(self._port)
            return
        # First start: the free port may be grabbed by someone else between
        # probing and binding, so retry a couple of times on that error only.
        last_error: PgServerError | None = None
        for _ in range(3):
            port = _free_port(self.host)
            try:
                self._pg_ctl_start(port)
            except PgServerError as exc:
                last_error = exc
                if "Address already in use" not in exc.log_tail:
                    raise
                continue
            self._port = port
            break
        else:
            assert last_error is not None
            raise last_error
        self._bootstrap_roles()

    def stop(self) -> None:
        """Stop the server (fast shutdown: open client connections are cut)."""
        if self._tmp is None or not self.is_running():
            return
        self._run_checked(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                str(_PG_CTL_TIMEOUT),
                "stop",
            ],
            what="pg_ctl stop",
            as_server_user=True,
        )

    def restart(self) -> None:
        """Stop and start again on the same port with the same data.

        Connections opened before the restart are broken afterwards; new ones
        work. This is what a client sees when the real server is restarted.
        """
        self.stop()
        self.start()

    def is_running(self) -> bool:
        """Whether the postmaster of this cluster is up (``pg_ctl status``)."""
        if self._tmp is None or not self.data_dir.exists():
            return False
        result = self._run(
            [self._bin("pg_ctl"), "-D", str(self.data_dir), "status"],
            as_server_user=True,
        )
        return result.returncode == 0

    def cleanup(self) -> None:
        """Stop the server if it runs and delete the temporary directory.

        Safe to call more than once; also registered with :mod:`atexit` so an
        aborted test session does not leave a postmaster behind.
        """
        if self._atexit_registered:
            atexit.unregister(self.cleanup)
            self._atexit_registered = False
        if self._tmp is None:
            return
        try:
            self.stop()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
            self._port = None
            self._initialized = False

    def __enter__(self) -> PgServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # ---------------------------------------------------------------- clients

    def url(self, dbname: str, user: str = SUPERUSER, password: str = PASSWORD) -> str:
        """Service-style URL (``postgresql://user:pw@127.0.0.1:PORT/db``, no driver)."""
        return (
            f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}"
            f"@{self.host}:{self.port}/{quote(dbname, safe='')}"
        )

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run ``sql`` (one or more statements) as the superuser; return the output.

        Statements run one by one (``psql -f -``, so ``CREATE DATABASE`` and
        friends are allowed) and the first error aborts with
        :class:`PgServerError`. Output is unaligned and tuples-only: one line
        per row, columns separated by ``|``, no headers or command tags, with
        the trailing newline stripped. ``SELECT 1`` returns ``"1"``. Databases handed to
        :meth:`drop_soon` are dropped first, in the same call.
        """
        if self._doomed:
            drops = "".join(
                f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE);\n"
                for name in self._doomed
            )
            self._doomed.clear()
            sql = drops + sql
        cmd = [
            self._psql_binary(),
            "-X",  # ignore ~/.psqlrc
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            dbname,
            "-f",
            "-",
        ]
        result = self._run(cmd, input_text=sql, as_server_user=False)
        if result.returncode != 0:
            raise PgServerError(
                f"psql failed on database {dbname!r} (exit {result.returncode}):\n"
                f"{result.stderr.strip()}\n--- SQL ---\n{sql.strip()}",
                self.log_tail(10),
            )
        return result.stdout.rstrip("\n")

    def create_database(self, name: str, *, exist_ok: bool = False) -> str:
        """Create an empty database ``name``; return its service-style URL. ``exist_ok``:
        a database of that name already there is left as it is."""
        create = f"CREATE DATABASE {_quote_ident(name)}"
        if exist_ok:  # one round trip: psql runs the statement only when the row is absent
            create = (
                f"SELECT {_sql_literal(create)} WHERE NOT EXISTS"
                f" (SELECT FROM pg_database WHERE datname = {_sql_literal(name)}) \\gexec"
            )
        self.psql(create)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, terminating any connections still open to it."""
        self.psql(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")

    def drop_soon(self, name: str) -> None:
        """Drop ``name`` (as :meth:`drop_database` does) with the next :meth:`psql` call,
        which then starts one ``psql`` and one connection instead of two; a name still
        pending at :meth:`cleanup` goes with the cluster."""
        self._doomed.append(name)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the server log ('' if there is none yet)."""
        if self._tmp is None:
            return ""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -------------------------------------------------------------- internals

    def _bin(self, name: str) -> str:
        return str(self.bin_dir / name)

    def _psql_binary(self) -> str:
        # Prefer the psql matching the server version; fall back to PATH.
        candidate = self.bin_dir / "psql"
        if os.access(candidate, os.X_OK):
            return str(candidate)
        found = shutil.which("psql")
        if found is None:
            raise PgServerError(f"psql not found in {self.bin_dir} nor on PATH")
        return found

    def _server_user_ids(self) -> tuple[int, int]:
        try:
            entry = pwd.getpwnam(self._os_user)
        except KeyError:
            raise PgServerError(
                f"running as root, but there is no unprivileged OS user {self._os_user!r} "
                "to run PostgreSQL as (initdb/postgres refuse to run as root)"
            ) from None
        return entry.pw_uid, entry.pw_gid

    def _make_tmp(self) -> Path:
        parent = self._base_parent
        if parent is None:
            parent = Path("/tmp") if Path("/tmp").is_dir() else Path(tempfile.gettempdir())
        tmp = Path(tempfile.mkdtemp(prefix="sessions-tui-pg-", dir=parent))
        # mkdtemp creates 0700; the server user must be able to traverse it.
        tmp.chmod(0o755)
        return tmp

    def _init_cluster(self) -> None:
        uid_gid = self._server_user_ids() if self._as_root else None
        self._tmp = self._make_tmp()
        if not self._atexit_registered:
            atexit.register(self.cleanup)
            self._atexit_registered = True
        self.socket_dir.mkdir(mode=0o755)
        pwfile = self.tmp_dir / "pwfile"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        if uid_gid is not None:
            # initdb creates data/ itself; it and the server need to write
            # into the temp dir (data/, server.log) and the socket dir.
            for path in (self.tmp_dir, self.socket_dir, pwfile):
                os.chown(path, *uid_gid)
        try:
            self._run_checked(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                ],
                what="initdb",
                as_server_user=True,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        self._allow_replication()
        self._initialized = True

    def _allow_replication(self) -> None:
        """Make sure ``pg_hba.conf`` lets a standby stream from this server.

        initdb's sample already has ``replication`` lines for the socket and
        127.0.0.1; a distribution whose sample lacks them gets them appended
        (trust on the socket, like every administrative helper; scram on TCP).
        """
        hba = self.data_dir / "pg_hba.conf"
        text = hba.read_text(encoding="utf-8")
        rules = [line.split() for line in text.splitlines() if not line.lstrip().startswith("#")]
        wanted = {
            ("local", "replication"): "local   replication   all                  trust",
            ("host", "replication"): "host    replication   all   127.0.0.1/32   scram-sha-256",
        }
        missing = [
            line
            for key, line in wanted.items()
            if not any(tuple(rule[:2]) == key for rule in rules if len(rule) >= 2)
        ]
        if missing:
            # Written in place: the file keeps its owner (the server user).
            with hba.open("a", encoding="utf-8") as out:
                out.write("\n" + "\n".join(missing) + "\n")

    # --------------------------------------------------------------- standbys

    def start_standby(self) -> PgStandby:
        """A streaming hot standby of this server, started and caught up.

        The caller owns it: :meth:`PgStandby.cleanup` stops it and removes its
        directory (also registered with :mod:`atexit`).
        """
        standby = PgStandby(self)
        try:
            standby.start()
            standby.wait_for_replay()
        except BaseException:
            standby.cleanup()
            raise
        return standby

    def _server_options(self, port: int) -> list[str]:
        """The ``postgres`` command-line settings of this cluster.

        Replication settings are explicit rather than left to the defaults, so a
        packaged ``postgresql.conf`` that lowers them cannot break the standby
        tests; a standby must allow at least as many connections and WAL senders
        as its primary, and gets the same list.
        """
        return [
            f"-p {port}",
            f"-k {self.socket_dir}",
            "-c listen_addresses=127.0.0.1",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=100",
            "-c wal_level=replica",
            f"-c max_wal_senders={_MAX_WAL_SENDERS}",
            "-c hot_standby=on",
            "-c autovacuum=off",
        ]

    def _pg_ctl_start(self, port: int) -> None:
        options = " ".join(self._server_options(port))
        self._run_checked(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-o",
                options,
                "-l",
                str(self.log_path),
                "-w",
                "-t",
                str(_PG_CTL_TIMEOUT),
                "start",
            ],
            what=f"pg_ctl start (port {port})",
            as_server_user=True,
        )

    def _bootstrap_roles(self) -> None:
        # No GRANTs at all: the role only inherits what PUBLIC has (CONNECT and
        # TEMP on databases; since PostgreSQL 15 not even CREATE on schema public).
        self.psql(
            f"CREATE ROLE {_quote_ident(LIMITED_USER)} LOGIN "
            f"PASSWORD '{LIMITED_PASSWORD.replace(chr(39), chr(39) * 2)}'"
        )

    def _env(self) -> dict[str, str]:
        # Drop PG* variables (PGDATA, PGHOST, PGPASSWORD, ...) so nothing from
        # the caller's environment redirects our tools; force C messages so
        # the log is greppable and UTF8 on the client side.
        env = {k: v for k, v in os.environ.items() if not _LEAKY_ENV.match(k)}
        env.update(LC_ALL="C", LANG="C", PGCLIENTENCODING="UTF8")
        return env

    def _run(
        self,
        cmd: Sequence[str],
        *,
        as_server_user: bool,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        argv = list(cmd)
        if as_server_user and self._as_root:
            self._server_user_ids()  # clear error if the user is missing
            argv = ["runuser", "-u", self._os_user, "--", *argv]
        cwd = self._tmp if self._tmp is not None else Path("/")
        try:
            return subprocess.run(
                argv,
                input=input_text,
                stdin=subprocess.DEVNULL if input_text is None else None,
                capture_output=True,
                text=True,
                env=self._env(),
                cwd=cwd,
                timeout=_PG_CTL_TIMEOUT + 30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PgServerError(f"could not run {argv[0]}: {exc}", self.log_tail()) from exc

    def _run_checked(self, cmd: Sequence[str], *, what: str, as_server_user: bool) -> None:
        result = self._run(cmd, as_server_user=as_server_user)
        if result.returncode != 0:
            output = "\n".join(s.strip() for s in (result.stdout, result.stderr) if s.strip())
            raise PgServerError(
                f"{what} failed (exit {result.returncode}):\n{output}", self.log_tail()
            )


class PgStandby(PgServer):
    """A real streaming replica of a :class:`PgServer`: a hot standby.

    Its data directory is a ``pg_basebackup -R -X stream`` of the primary (so it
    holds every database and role the primary has, and ``standby.signal`` with
    ``primary_conninfo`` pointing at the primary's socket); it runs on its own
    free port and accepts read-only connections only. Everything written on the
    primary arrives here by streaming replication: :meth:`wait_for_replay` waits
    until it has. Same URLs, passwords and helpers as the primary; :meth:`psql`
    may only read.

    It streams through a physical replication slot of its own (:attr:`slot`): the
    primary keeps every WAL segment the standby has not received yet, so the
    standby catches up however far it fell behind (the primary restarted by a
    test, a burst of writes on a loaded machine). :meth:`cleanup` drops the slot,
    or the primary would keep WAL for it forever.
    """

    def __init__(self, primary: PgServer) -> None:
        super().__init__(primary.bin_dir, os_user=primary._os_user, base_dir=primary._base_parent)
        self.primary = primary
        self.slot = f"tui_standby_{os.getpid()}_{id(self):x}"

    def cleanup(self) -> None:
        """Stop the standby, remove its directory, and drop its slot on the primary."""
        try:
            super().cleanup()
        finally:
            if self.primary.is_running():
                self.primary.psql(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    f" WHERE slot_name = '{self.slot}'"
                )

    def _init_cluster(self) -> None:
        """Clone the running primary instead of running initdb."""
        uid_gid = self._server_user_ids() if self._as_root else None
        self._tmp = self._make_tmp()
        if not self._atexit_registered:
            atexit.register(self.cleanup)
            self._atexit_registered = True
        self.socket_dir.mkdir(mode=0o755)
        if uid_gid is not None:
            for path in (self.tmp_dir, self.socket_dir):
                os.chown(path, *uid_gid)
        self._run_checked(
            [
                self._bin("pg_basebackup"),
                "-D",
                str(self.data_dir),
                "-h",
                str(self.primary.socket_dir),
                "-p",
                str(self.primary.port),
                "-U",
                SUPERUSER,
                "-R",  # standby.signal + primary_conninfo (and primary_slot_name)
                "-C",
                "-S",
                self.slot,
                "-X",
                "stream",
                "-c",
                "fast",  # checkpoint now rather than wait for the next one
                "--no-sync",
            ],
            what="pg_basebackup",
            as_server_user=True,
        )
        self._initialized = True

    def _bootstrap_roles(self) -> None:
        """Nothing to create: the roles came with the base backup, and a standby
        accepts no writes anyway."""

    def in_recovery(self) -> bool:
        """What the server itself says: ``pg_is_in_recovery()``."""
        return self.psql("SELECT pg_is_in_recovery()") == "t"

    def wait_for_replay(self, timeout: float = _REPLAY_TIMEOUT) -> None:
        """Return once this standby has replayed everything the primary has written.

        The target is a commit the primary has just flushed: a transaction that
        writes one WAL record (a transactional ``pg_logical_emit_message``; one that
        only takes an xid writes none and commits asynchronously) committed with
        ``synchronous_commit=on``, so every earlier commit (the server runs with
        ``synchronous_commit=off``: a commit that has returned may still sit in WAL
        buffers) is flushed with it, and the target is the end of a real record the
        standby will replay. The primary's plain insert or write position is not
        enough: after a WAL segment switch (every base backup makes one) it points
        past a page header that no record reaches until the next write, up to 15 s
        later. This polls the standby's ``pg_last_wal_replay_lsn()`` until it gets there.
        """
        flushed = self.primary.psql(
            "SET synchronous_commit = on;"
            " SELECT pg_logical_emit_message(true, 'sessions-tui-tests', 'replay mark');"
            " SELECT pg_current_wal_flush_lsn();"
        )
        target = flushed.splitlines()[-1]
        query = f"SELECT coalesce(pg_last_wal_replay_lsn() >= '{target}'::pg_lsn, false)"
        deadline = time.monotonic() + timeout
        while True:
            if self.psql(query) == "t":
                return
            if time.monotonic() > deadline:
                replayed = self.psql("SELECT pg_last_wal_replay_lsn()")
                raise PgServerError(
                    f"standby on port {self.port} replayed up to {replayed or 'nothing'} "
                    f"in {timeout:.0f} s; the primary had written up to {target}",
                    self.log_tail(),
                )
            time.sleep(0.02)
