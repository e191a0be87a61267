"""A test run ends by naming every skipped test and why (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SKIPPING = """
import pytest

@pytest.fixture(scope="session")
def browser() -> None:
    pytest.skip("chromium is missing here")

def test_in_the_browser(browser: None) -> None: ...
def test_in_another_tab(browser: None) -> None: ...
def test_that_runs() -> None: ...
"""


def test_the_last_lines_name_each_skipped_test_and_why(tmp_path: Path) -> None:
    """`-ra` says `SKIPPED [1] test_x.py:5` (where the skip was called, a fixture), not
    which test: the run's last lines before the count name them."""
    (tmp_path / "test_x.py").write_text(SKIPPING)
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": ""}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-ra", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.rstrip().splitlines()[-4:]
    assert "2 skipped: which and why" in last[0]
    assert last[1:3] == [
        "SKIPPED test_x.py::test_in_the_browser: chromium is missing here",
        "SKIPPED test_x.py::test_in_another_tab: chromium is missing here",
    ]
    assert "1 passed, 2 skipped" in last[3]
