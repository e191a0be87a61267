"""`Reader`: the Store's hot reads on the bare driver. No SQLAlchemy here.

A hot read (a list page, a search window, the counts a refresh asks for) is a *plan*:
a generator that yields each statement as (SQL text, positional parameters), compiled
beforehand (`tui.store.hot`), and receives its rows (`Rows`); what it returns is the
read's answer. The plan decides each next statement from the rows before it, and
decodes them, without any I/O of its own, so one plan serves every backend: the
reader runs it in one read transaction on a connection of its own, and each backend
runs it the way its driver is cheapest (`sqlite_reader`: the whole plan in one hop to
a reading thread; `postgresql_reader`: on the event loop, statements prepared once
per connection).

A plan is given as a function that makes it, so a reader can start it again from the
top (a connection found dead before it answered anything).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

Query = tuple[str, Sequence[Any]]
"""One statement as the driver takes it: SQL text and its positional parameters."""


class Rows:
    """A statement's rows as the driver returned them (values undecoded), by position,
    with the names of the columns."""

    __slots__ = ("data", "names")

    def __init__(self, names: Sequence[str], data: Sequence[Sequence[Any]]) -> None:
        self.names = tuple(names)
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[Sequence[Any]]:
        return iter(self.data)

    def __add__(self, other: Rows) -> Rows:
        """These rows, then `other`'s (statements of one select list)."""
        return Rows(self.names or other.names, [*self.data, *other.data])

    def dicts(self) -> list[dict[str, Any]]:
        """Each row as {column name: value}."""
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.data]

    def scalars(self) -> list[Any]:
        """The first column of each row."""
        return [row[0] for row in self.data]

    def scalar(self) -> Any:
        """The first column of the first row; None when there is none."""
        return self.data[0][0] if self.data else None


Plan = Generator[Query, Rows, T]
"""A hot read: yields each statement, is sent its rows, returns the answer."""


def drive(plan: Plan[T], execute: Callable[[Query], Rows]) -> T:
    """Run `plan` to its end, each statement through `execute` (synchronous drivers)."""
    try:
        query = next(plan)
        while True:
            query = plan.send(execute(query))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        plan.close()


class Reader(ABC):
    """Bare-driver connections of one Store that run its hot reads (`Plan`), each in one
    read transaction: the same settings as the Store's engine (read-only, busy timeout,
    statement timeout), never a write."""

    reading: set[int]
    """The server ids of the connections reading now, for the Store's `cancel_reads`
    (empty where nothing can cancel a read from outside: SQLite)."""

    @abstractmethod
    async def run(
        self,
        plan: Callable[[], Plan[T]],
        *,
        setup: Sequence[str] = (),
        snapshot: bool = False,
        short: bool = False,
    ) -> T:
        """The answer of the plan `plan()` makes, run in one read transaction that first
        runs each statement of `setup` (`Traits.background_sql` and the like); with
        `snapshot`, every statement of it sees the same data. `short`: the caller
        expects a read of a few milliseconds (a keyset page), which a reader may run
        without leaving the event loop while it stays short. A plan may be started
        again from the top (its statements run twice), never its answer kept twice.
        Raises the driver's errors as they are: the Store words them (`Driver.error`)."""

    @abstractmethod
    async def close(self) -> None:
        """Close every connection; a read still running closes its own when it ends."""
