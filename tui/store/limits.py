"""How long the store waits and how much it does at once: read at each use, so a test
can set them (`monkeypatch.setattr(limits, ...)`)."""

from __future__ import annotations

from datetime import timedelta

from tui.store import queries as q

SQLITE_BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for a lock another connection holds, where the client
sets it (SQLite's busy_timeout): `make_engine` passes it to the backend."""
SEARCH_WINDOW = q.SEARCH_WINDOW
FULL_RECOUNT_SECONDS = 300.0
"""How old the settled reason counts may get before a full count replaces them."""
SETTLE_MARGIN = timedelta(minutes=10)
"""Sessions ended this long before a full count are settled: no write still in flight
can land before the mark (the service's writes take milliseconds)."""
END_BATCH = 250
"""Sessions ended per transaction. Each batch holds the write lock (SQLite's one per
file; PostgreSQL's row locks) for its own statements only, so the service's writes
wait for one batch, never for the whole end (see tests/bench/README.md)."""
CONFLICT_ATTEMPTS = 5
"""Tries per batch that the server rolls back for a deadlock or serialization failure."""
CONFLICT_PAUSE_S = 0.05
"""The pause before the next try, doubled each time."""
REREAD_ATTEMPTS = 5
REREAD_PAUSE_S = 0.2
"""After a commit whose answer was lost: tries at re-reading the rows (the pool opens a
new connection each time), the pause doubling from this (about 6 s in all)."""
