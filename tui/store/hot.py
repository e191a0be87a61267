"""The Store's hot statements as the bare driver takes them: SQL text and positional
parameters (`reader.Query`), compiled by SQLAlchemy once per statement shape.

SQLAlchemy stays the one place the SQL is written (`queries`); what it no longer does
on a hot read is execute it. A statement is compiled for the backend's driver dialect
(`Traits.driver_dialect`) once per shape: its cache key (SQLAlchemy's own, which
leaves the bound values out) names the compiled text, and each use binds its own
values into it, through the same bind processing as an execution would (the column
types' `process_bind_param`, callables evaluated at each use). So a filter's new
value, a cursor or a window's floor compiles nothing, and the driver (asyncpg's
statement cache) sees the same text again.

Building the statement itself is skipped where the caller can name its shape
(`Statements.shaped`): the statement built for that name the first time is reused,
its bound values replaced by the ones given (cursor positions, floors, "now"), so
paging and refreshing build nothing at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter

from tui.store.backends.reader import Query

SHAPES_KEPT = 256
"""Statements kept by name (`shaped`), the least recently used dropped first."""
COMPILED_KEPT = 512
"""Compiled statements kept by cache key, the least recently used dropped first."""

_Entry = tuple[SQLCompiler, Sequence[BindParameter[Any]] | None]
"""A compiled statement, and the bound values of one statement of its shape."""
Watcher = Callable[[ClauseElement, str], None]
"""Told of each statement a hot read runs: the statement (with the values of this use)
and the SQL text the driver gets."""


class Statements:
    """Compiled statements for one driver dialect. Safe to use from several threads
    (SQLite's reading threads build their plans' statements): a race compiles twice."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._compiled: OrderedDict[Hashable, SQLCompiler] = OrderedDict()
        self._shaped: OrderedDict[Hashable, tuple[ClauseElement, _Entry]] = OrderedDict()
        self._lock = threading.Lock()
        self._watchers: list[Watcher] = []

    @contextmanager
    def watching(self, watcher: Watcher) -> Iterator[None]:
        """`watcher` told of every statement run while the block runs, in the order they
        run: the engine's events do not see the hot reads."""
        self._watchers.append(watcher)
        try:
            yield
        finally:
            self._watchers.remove(watcher)

    def noted(self, statements: Sequence[str]) -> None:
        """Tell the watchers of statements run as text (a read's `setup`)."""
        for watcher in list(self._watchers):
            for text in statements:
                watcher(sa.text(text), text)

    def bind(self, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> Query:
        """`stmt` with its own bound values (and `params` over them, by bind name)."""
        return self._told(stmt, _query(self._entry(stmt), params), params)

    def _told(self, stmt: ClauseElement, query: Query, params: Mapping[str, Any] | None) -> Query:
        for watcher in list(self._watchers):
            watcher(stmt.params(dict(params)) if params else stmt, query[0])
        return query

    def shaped(
        self,
        shape: Hashable,
        build: Callable[[], ClauseElement],
        params: Mapping[str, Any] | None = None,
    ) -> Query:
        """The statement `build()` makes, built once for `shape`: everything it depends
        on but the values passed in `params` (by bind name) must be in `shape`."""
        with self._lock:
            found = self._shaped.get(shape)
            if found is not None:
                self._shaped.move_to_end(shape)
        if found is None:
            stmt = build()
            found = stmt, self._entry(stmt)
            with self._lock:
                self._shaped[shape] = found
                if len(self._shaped) > SHAPES_KEPT:
                    self._shaped.popitem(last=False)
        stmt, entry = found
        query = _query(entry, params)
        if self._watchers:
            self._told(stmt, query, params)
        return query

    def _entry(self, stmt: ClauseElement) -> _Entry:
        key = stmt._generate_cache_key()  # SQLAlchemy's own statement-cache key
        if key is None:  # a construct SQLAlchemy cannot key: compiled for this use only
            return self._compile(stmt, None), None
        with self._lock:
            compiled = self._compiled.get(key.key)
            if compiled is not None:
                self._compiled.move_to_end(key.key)
        if compiled is None:
            compiled = self._compile(stmt, key)
            with self._lock:
                self._compiled[key.key] = compiled
                if len(self._compiled) > COMPILED_KEPT:
                    self._compiled.popitem(last=False)
        return compiled, key.bindparams

    def _compile(self, stmt: ClauseElement, key: Any) -> SQLCompiler:
        compiler: SQLCompiler = self.dialect.statement_compiler(self.dialect, stmt, cache_key=key)
        return compiler


def _query(entry: _Entry, params: Mapping[str, Any] | None) -> Query:
    """The SQL and its arguments in the driver's order, each through its type's bind
    processing (`_bind_processors`: what an execution applies; an IN list's expanded
    values get theirs from the expanded state)."""
    compiled, extracted = entry
    values: Mapping[str, Any] = compiled.construct_params(
        dict(params) if params else None, extracted_parameters=extracted, escape_names=False
    )
    processors: Mapping[str, Any] = compiled._bind_processors
    if compiled.post_compile_params or compiled.literal_execute_params:
        state = compiled._process_parameters_for_postcompile(dict(values))
        sql, names, values = state.statement, state.positiontup, state.parameters
        processors = {**processors, **state.processors}
    else:
        sql, names = compiled.string, compiled.positiontup
    args = [
        processors[name](values[name]) if name in processors else values[name]
        for name in names or ()
    ]
    return sql, args
