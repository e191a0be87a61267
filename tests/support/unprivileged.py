"""Running the tool as a user that file modes apply to, for the unreadable-file tests.

Root reads a chmod-000 file and searches a chmod-000 folder (the DAC override
capabilities), so a test of "this user may not read the database" must run the CLI
or the dashboard in a process without them. Here: the same root, with
`CAP_DAC_OVERRIDE` and `CAP_DAC_READ_SEARCH` dropped by `setpriv` (util-linux, beside
`runuser`). Not `runuser -u nobody`: the interpreter and its packages may sit where
nobody cannot reach (a virtualenv under /root, mode 0700, as on the CI machine);
without those two capabilities root owns its files like any user, and the files'
modes decide. A process that is not root needs nothing: it runs as it is.

When neither works (root without `setpriv`, or not allowed to drop capabilities) the
tests skip locally and fail in CI (CI=true), as for PostgreSQL: CI must run them.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DAC_CAPS = "-dac_override,-dac_read_search"


@functools.cache
def _prefix() -> tuple[str, ...] | str:
    """The argv prefix that runs a command without the DAC override, or why there is
    none. Proven, not assumed: the prefixed interpreter must fail to read a chmod-000
    file."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return "running as root and setpriv (util-linux) is not installed"
    prefix = (setpriv, f"--inh-caps={DAC_CAPS}", f"--bounding-set={DAC_CAPS}")
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_text("x")
        probe.chmod(0)
        done = subprocess.run(
            [*prefix, sys.executable, "-c", f"open({str(probe)!r}).read()"],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode == 0:
        return "setpriv ran, but the process could still read a chmod-000 file"
    if "PermissionError" not in done.stderr:
        return f"setpriv cannot drop the capabilities here: {done.stderr.strip()[:200]}"
    return prefix


def unprivileged_prefix() -> tuple[str, ...]:
    """The argv prefix for a process that file modes apply to; skips (fails in CI)
    where there is none."""
    found = _prefix()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"the unreadable-file tests must run in CI: {found}", pytrace=False)
        pytest.skip(found)
    return found


def run_unprivileged(argv: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python argv…` as such a process, importing this checkout's `tui` and `tests`."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [*unprivileged_prefix(), sys.executable, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
