"""Running the tool on a folder mounted read-only, for the read-only file system tests.

The folder is bind-mounted read-only onto a sibling folder inside a mount namespace of
the command's own (`unshare -m`, propagation private): the mount exists for that
process alone and ends with it, so nothing else on the machine sees it and nothing is
left to unmount. Needs root (or a user namespace) and util-linux's `unshare`; proven,
not assumed: a probe must fail to create a file under the mount with EROFS. When that
cannot be done the tests skip locally and fail in CI (CI=true), as for PostgreSQL.
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
SCRIPT = 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"'


def _command(source: Path, mount_point: Path, argv: Sequence[str]) -> list[str]:
    unshare = shutil.which("unshare") or "unshare"
    return [
        unshare,
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        SCRIPT,
        "sh",
        str(source),
        str(mount_point),
        *argv,
    ]


@functools.cache
def _why_not() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    with tempfile.TemporaryDirectory() as folder:
        source, mount_point = Path(folder) / "src", Path(folder) / "ro"
        source.mkdir()
        mount_point.mkdir()
        probe = [sys.executable, "-c", f"open({str(mount_point / 'probe')!r}, 'w')"]
        done = subprocess.run(
            _command(source, mount_point, probe), capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            return "the mount was made, but a file could be created under it"
        if "Read-only file system" not in done.stderr:
            return f"cannot mount read-only here: {done.stderr.strip()[:200]}"
    return None


def run_on_read_only_mount(
    folder: Path, argv: Sequence[str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python argv…` with `folder` mounted read-only at `folder` + "-ro" (created here),
    every `{ro}` in `argv` replaced by that mount point; this checkout's `tui` imported."""
    why = _why_not()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the read-only mount tests must run in CI: {why}", pytrace=False)
        pytest.skip(why)
    mount_point = folder.with_name(folder.name + "-ro")
    mount_point.mkdir(exist_ok=True)
    args = [a.replace("{ro}", str(mount_point)) for a in argv]
    return subprocess.run(
        _command(folder, mount_point, [sys.executable, *args]),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
