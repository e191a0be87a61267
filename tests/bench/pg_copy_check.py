"""The PostgreSQL bench database by COPY holds the generator's rows: a check.

    python3 -m tests.bench.pg_copy_check [--sessions 10000]

Builds two databases on a throwaway server (tests/support/pgserver.py): one as the
benchmark does (`dbs.build_pg`, rows copied from the cached SQLite file), one through
the generator (`build_pg(..., copy=False)`, `write_demo`'s INSERTs). Then hashes every
table's rows in each, and compares the index definitions. Compared as the SQLite file
keeps them: times to the whole second; left out, the codebases' `default_branch` (the
SQLite DDL's default 'main', none in the PostgreSQL DDL) and the users' `created_at` and
`updated_at` and the schema version row's `created_at` and `applied_at` (the build's
own `now()`). Prints SAME or DIFF per table and the build
times; exits 1 on any DIFF.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from tests.bench import dbs

LEFT_OUT = {
    ("remote_agent_codebases", "default_branch"),
    ("remote_agent_users", "created_at"),
    ("remote_agent_users", "updated_at"),
    ("remote_agent_schema_version", "created_at"),
    ("remote_agent_schema_version", "applied_at"),
}


async def fingerprint(url: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Each table's row count and a hash of its rows (sorted), and the indexes."""
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        tables = [
            r[0]
            for r in await con.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema ="
                " current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        out: dict[str, str] = {}
        for table in tables:
            columns = []
            for column, kind in await con.fetch(
                "SELECT column_name, data_type FROM information_schema.columns WHERE"
                " table_schema = current_schema() AND table_name = $1"
                " ORDER BY ordinal_position",
                table,
            ):
                if (table, column) in LEFT_OUT:
                    continue
                quoted = f'"{column}"'
                is_time = str(kind).startswith("timestamp")
                columns.append(f"date_trunc('second', {quoted})" if is_time else quoted)
            out[table] = await con.fetchval(
                "SELECT count(*) || ':' || coalesce(md5(string_agg(x, '|' ORDER BY x)), '-')"
                f' FROM (SELECT ROW({", ".join(columns)})::text AS x FROM "{table}") s'
            )
        indexes = [
            (str(r[0]), str(r[1]))
            for r in await con.fetch(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema() ORDER BY 1"
            )
        ]
        return out, indexes
    finally:
        await con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=10_000)
    args = ap.parse_args(argv)
    from tests.support.pgserver import PgServer

    server = PgServer()
    server.start()
    try:
        copied = server.create_database("copied")
        generated = server.create_database("generated")
        took_copy = dbs.build_pg(copied, args.sessions, print)
        took_gen = dbs.build_pg(generated, args.sessions, print, copy=False)
        a_rows, a_idx = asyncio.run(fingerprint(copied))
        b_rows, b_idx = asyncio.run(fingerprint(generated))
    finally:
        server.cleanup()
    differ = 0
    for table in sorted(set(a_rows) | set(b_rows)):
        same = a_rows.get(table) == b_rows.get(table)
        differ += not same
        print(f"{'SAME' if same else 'DIFF'} {table}: {a_rows.get(table)} / {b_rows.get(table)}")
    same_idx = a_idx == b_idx
    differ += not same_idx
    print(f"{'SAME' if same_idx else 'DIFF'} indexes ({len(a_idx)} / {len(b_idx)})")
    print(f"built by COPY in {took_copy:.1f} s, by the generator in {took_gen:.1f} s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
