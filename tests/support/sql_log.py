"""Observe the SQL a Store sends: an engine event, not a mock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.sql.base import Executable

from tui.store.store import Store


@contextmanager
def sql_log(store: Store) -> Iterator[list[str]]:
    """Every statement the store's engine sends while the block runs (observed, not mocked)."""
    seen: list[str] = []

    def _before(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", _before)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", _before)


@contextmanager
def statement_log(store: Store) -> Iterator[list[Executable]]:
    """Every statement object the store executes while the block runs (observed, not
    mocked), to compile again as a test needs, e.g. with literal values for EXPLAIN."""
    seen: list[Executable] = []

    def _before(_conn: Any, clause: Executable, *_args: Any) -> None:
        seen.append(clause)

    event.listen(store.engine.sync_engine, "before_execute", _before)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_execute", _before)
