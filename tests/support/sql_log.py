"""Observe the SQL a Store sends: the engine's events and the hot reads' watchers
(`Statements.watching`: those reads do not go through the engine), not a mock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.base import Executable

from tui.store.store import Store


@contextmanager
def sql_log(store: Store) -> Iterator[list[str]]:
    """Every statement the store sends while the block runs, as the driver gets it."""
    seen: list[str] = []

    def _before(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    def _hot(_clause: ClauseElement, statement: str) -> None:
        seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", _before)
    try:
        with store.sql.watching(_hot):
            yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", _before)


@contextmanager
def statement_log(store: Store) -> Iterator[list[Executable]]:
    """Every statement object the store executes while the block runs (observed, not
    mocked), with the values of that execution, to compile again as a test needs, e.g.
    with literal values for EXPLAIN."""
    seen: list[Executable] = []

    def _before(_conn: Any, clause: Executable, *_args: Any) -> None:
        seen.append(clause)

    def _hot(clause: ClauseElement, _statement: str) -> None:
        assert isinstance(clause, Executable)
        seen.append(clause)

    event.listen(store.engine.sync_engine, "before_execute", _before)
    try:
        with store.sql.watching(_hot):
            yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_execute", _before)
