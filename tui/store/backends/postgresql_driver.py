"""The PostgreSQL backend's warm first page, through asyncpg, and the settings every
connection of this tool has. No SQLAlchemy here (see driver)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from tui.store import _warm_sql as sql
from tui.store.backends import postgresql_errors
from tui.store.backends.driver import Driver, bind
from tui.store.backends.postgresql_url import option_settings, parse_url
from tui.store.errors import StoreError
from tui.store.target import DbTarget

if TYPE_CHECKING:
    from tui.store.backends.reader import Reader

SERVICE_SCHEMA_SQL = """\
(SELECT coalesce(
  (SELECT n.oid FROM unnest(current_schemas(false)) WITH ORDINALITY AS p(name, pos)
   JOIN pg_catalog.pg_namespace AS n ON n.nspname = p.name
   WHERE EXISTS (SELECT FROM pg_catalog.pg_class AS t
                 WHERE t.relnamespace = n.oid AND t.relname = 'remote_agent_sessions')
   ORDER BY p.pos LIMIT 1),
  (SELECT n.oid FROM pg_catalog.pg_namespace AS n WHERE n.nspname = current_schema())))"""
"""The oid of the schema the service's tables are in, as a scalar subquery: the first
schema on the effective search path (`current_schemas`: the ones that exist and this
role may use, in order) that holds `remote_agent_sessions`, which is where the
service's unqualified names resolve; where none does, the first schema on the path,
where an unqualified CREATE puts a table. Not `current_schema()` alone: with the
default path `"$user", public`, a role that owns an empty schema of its name would
see no service table, although its queries read them from `public`."""

SERVICE_ZONE_SQL = f"""\
WITH owner AS (
  SELECT c.relowner AS oid FROM pg_catalog.pg_class AS c
  WHERE c.relnamespace = {SERVICE_SCHEMA_SQL} AND c.relname = 'remote_agent_sessions'
), zones AS (
  SELECT s.setrole, s.setdatabase, substr(cfg, strpos(cfg, '=') + 1) AS zone
  FROM pg_catalog.pg_db_role_setting AS s CROSS JOIN LATERAL unnest(s.setconfig) AS cfg
  WHERE lower(split_part(cfg, '=', 1)) = 'timezone'
    AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database AS d
                              WHERE d.datname = current_database()))
)
SELECT coalesce(
  (SELECT z.zone FROM zones AS z WHERE z.setrole = (SELECT oid FROM owner)
   ORDER BY z.setdatabase DESC LIMIT 1),
  (SELECT z.zone FROM zones AS z WHERE z.setrole = 0
   AND (SELECT oid FROM owner) IS DISTINCT FROM (SELECT r.oid FROM pg_catalog.pg_roles AS r
                                                 WHERE r.rolname = current_user)),
  current_setting('TimeZone'))"""
"""The zone the service's connections get, so its `NOW()` into a TIMESTAMP column.

The service sets no zone: its sessions take, in PostgreSQL's order, its role's
setting in this database, its role's, this database's (`ALTER DATABASE … SET
timezone`), else the server's (postgresql.conf; a Debian `initdb` writes the
machine's zone there). Its role is taken to be the owner of remote_agent_sessions
(the service's migrations created it). The last step is `current_setting` on this
tool's own connection, which sets no zone (`server_settings`), so it resolves the
same chain for this tool's role: right unless this tool's role has a zone of its
own that the service's role has not (the server's file value is not readable
without privileges). Shared by the Store (at open) and the warm page."""


def server_settings(*, read_only: bool) -> dict[str, str]:
    """Every PostgreSQL session of this tool: named, read-only when asked. It sets no
    time zone, so `SERVICE_ZONE_SQL` sees the default the service's sessions get; every
    statement names the zone it converts with, so nothing depends on the session's."""
    from tui import TOOL_NAME

    settings = {"application_name": TOOL_NAME}
    if read_only:
        settings["default_transaction_read_only"] = "on"
    return settings


NO_CONNECT_LIMIT_S = 10.0**9
"""libpq's `connect_timeout=0` (or below): wait for the server indefinitely."""


def connect_options(
    target: DbTarget, *, read_only: bool, timeout: float, settings: dict[str, str] | None = None
) -> dict[str, Any]:
    """`asyncpg.connect`'s keyword arguments for `target`, its URL's libpq parameters
    meaning what they mean to libpq: `application_name` and the `-c` settings of
    `options` go to the server at connect (over this tool's name and `settings`, but
    never over read-only), `connect_timeout` bounds the connection (0: no limit; libpq
    takes less than 2 s as 2 s) in place of `timeout`, `sslmode` is the driver's `ssl`,
    `target_session_attrs` the driver's own (on a read-only session, whose read-only
    default is this tool's own, `read-write` asks for a server not in recovery and
    `read-only` for a standby). `postgresql_url.parse_url` refused every other."""

    query = dict(target.query)
    server = {**(settings or {}), **server_settings(read_only=False)}
    if "application_name" in query:
        server["application_name"] = query["application_name"]
    server.update(option_settings(query.get("options", "")))
    if read_only:
        server["default_transaction_read_only"] = "on"
    out: dict[str, Any] = {"server_settings": server, "timeout": timeout}
    if "connect_timeout" in query:
        seconds = int(query["connect_timeout"])
        out["timeout"] = NO_CONNECT_LIMIT_S if seconds <= 0 else float(max(seconds, 2))
    if target.ssl:
        out["ssl"] = target.ssl
    if "target_session_attrs" in query:
        attrs = query["target_session_attrs"]
        if read_only:  # judge the server, not the read-only default this tool set itself
            attrs = {"read-write": "primary", "read-only": "standby"}.get(attrs, attrs)
        out["target_session_attrs"] = attrs
    return out


_URL_DELIMITERS = frozenset("%@:/?#[]")


def _shown(part: str) -> str:
    """`part` of a URL as shown: `_URL_DELIMITERS` and unprintable characters escaped,
    every other character (unicode included) as it is."""
    return "".join(
        quote(c, safe="") if c in _URL_DELIMITERS or not c.isprintable() else c for c in part
    )


class PostgresqlDriver(Driver):
    zone_sql = SERVICE_ZONE_SQL
    warm_apart = True  # asyncpg's import and protocol are Python work: a thread would hold the GIL

    def display(self, target: DbTarget) -> str:
        """`postgresql://user@host:port/db`, the service's form without the password.

        Read back as a URL, it names the same user and database: in each, a character
        that ends or splits a URL part (`%@:/?#[]`) or is not printable is
        percent-escaped (a user `ops@team:1` is `ops%40team%3A1@host`), and an IPv6 host
        is bracketed."""
        host = target.host or "localhost"
        if ":" in host:
            host = f"[{host}]"
        port = f":{target.port}" if target.port else ""
        user = f"{_shown(target.username)}@" if target.username else ""
        return f"postgresql://{user}{host}{port}/{_shown(target.database or '')}"

    def secret_url(self, target: DbTarget) -> str:
        """The service's form with the password, user, password and database quoted, the
        libpq parameters and `sslmode` kept."""
        user = quote(target.username, safe="") if target.username else ""
        if target.password is not None:
            user += ":" + quote(target.password, safe="")
        host = target.host or ""
        if ":" in host:  # an IPv6 address
            host = f"[{host}]"
        port = f":{target.port}" if target.port else ""
        query = list(target.query) + ([("sslmode", target.ssl)] if target.ssl else [])
        tail = f"?{urlencode(query)}" if query else ""
        at = "@" if user else ""
        return f"postgresql://{user}{at}{host}{port}/{quote(target.database or '', safe='')}{tail}"

    def missing(self, target: DbTarget) -> bool:
        """Never known beforehand: the server says so when connected to."""
        return False

    def error(
        self,
        target: DbTarget,
        exc: BaseException,
        *,
        timeout: tuple[str, str, str, str] | None = None,
    ) -> StoreError:
        """`postgresql_errors.translate`; a statement timeout says where it was set
        (`timeout_origin`: the server's `pg_settings.source`, or the URL's `options`)."""
        if isinstance(exc, StoreError):
            return exc
        timeout_from = None
        if timeout is not None:
            setting, source, role, database = timeout
            in_url = "statement_timeout" in option_settings(dict(target.query).get("options", ""))
            timeout_from = postgresql_errors.timeout_origin(
                setting, source, role=role, database=database, in_url=in_url
            )
        return postgresql_errors.translate(
            exc, self.display(target), target.scrub, timeout_from=timeout_from
        )

    def parse_url(self, raw: str, rest: str, source: str) -> DbTarget:
        """`postgresql_url.parse_url`."""
        return parse_url(raw, rest, source)

    async def first_rows(self, target: DbTarget, limit: int, wait: float) -> list[tuple[Any, ...]]:
        """In a read-only session, in the service's zone: `SERVICE_ZONE_SQL`, which the
        Store reads at open, is a subquery of the compiled statement (`zone_sql`), so
        the page costs one statement after the connection. The URL's libpq parameters
        apply as on the Store's connections (`connect_options`); the connection waits
        `wait` at most, or `connect_timeout` where that is shorter."""
        import asyncpg

        options = connect_options(target, read_only=True, timeout=wait)
        options["timeout"] = min(wait, options["timeout"])
        conn = await asyncpg.connect(
            host=target.host,
            port=target.port,
            user=target.username,
            password=target.password,
            database=target.database,
            **options,
        )
        try:
            for schema, (text, params) in enumerate(sql.POSTGRESQL, 1):
                try:
                    records = await conn.fetch(text, *bind(params, limit), timeout=wait)
                except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
                    if schema == len(sql.POSTGRESQL):  # an older schema: the Store's turn
                        raise
                    continue
                break
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=wait)
        return [tuple(r) for r in records]

    def reader(
        self,
        target: DbTarget,
        *,
        read_only: bool,
        lock_wait_ms: int,
        statement_timeout_ms: int | None,
    ) -> Reader:
        """`postgresql_reader`; locks wait as the server is configured, as on the engine."""
        from tui.store.backends.postgresql_reader import PostgresqlReader

        return PostgresqlReader(
            target, read_only=read_only, statement_timeout_ms=statement_timeout_ms
        )


DRIVER = PostgresqlDriver()
