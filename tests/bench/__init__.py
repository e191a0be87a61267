"""Scale benchmark for sessions-tui: run `python3 -m tests.bench.run` (see README.md).

Not a test-suite: pytest ignores this directory (``--ignore=tests/bench`` in pyproject).
"""
