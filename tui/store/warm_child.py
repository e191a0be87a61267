"""The warm page's rows read by a child interpreter (`warm.start`): the question
pickled on stdin, the driver's rows pickled on stdout in the standard library's types
(empty when the driver declines: no file, a refused connection, an older schema),
nothing else. Run as `python -S -m tui.store.warm_child`; it never writes to the
database, and imports neither the dashboard nor the tool's domain beyond the driver."""

from __future__ import annotations

import pickle
import signal
import sys
import uuid
from typing import Any

from tui.store.backends import driver_for


def plain(value: Any) -> Any:
    """A driver's value in the standard library's type, so that reading the answer
    imports no driver: a driver's own UUID class becomes `uuid.UUID`."""
    if isinstance(value, uuid.UUID) and type(value) is not uuid.UUID:
        return uuid.UUID(int=value.int)
    return value


def read(question: tuple[Any, int, float]) -> list[tuple[Any, ...]]:
    target, limit, wait = question
    try:
        rows = driver_for(target.kind).first_rows_now(target, limit, wait)
    except Exception:  # declined: the Store, opened later, says why
        return []
    return [tuple(plain(v) for v in row) for row in rows]


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c is the dashboard's to answer
    rows = read(pickle.loads(sys.stdin.buffer.read()))
    if rows:
        sys.stdout.buffer.write(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
