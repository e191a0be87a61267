"""Standard output that cannot be written (a full device, a closed pipe's EIO, a quota).

A command's stdout is guarded (`guard_stdout`): a write or flush that fails raises
OutputFailed, and from then on the process's stdout goes to the null device, so nothing
left in a buffer fails again at exit. The command group turns OutputFailed into one
line on stderr and exit 1. An `end` whose write committed says its outcomes on stderr
instead (`report`) and exits with REPORT_LOST: the database holds the end, only its
report was lost.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable
from typing import Any, TextIO, cast

import click

REPORT_LOST = 3
"""`end`'s exit code when its sessions were written but stdout could not take the report."""


class OutputFailed(Exception):
    """Writing to stdout failed; `str()` is the one line the operator reads."""

    def __init__(self, error: OSError) -> None:
        why = error.strerror or str(error)
        super().__init__(f"cannot write to standard output ({why}): the output is incomplete")
        self.why = why


class ReportLost(click.ClickException):
    """An end was written, but its report could not go to stdout (it went to stderr)."""

    exit_code = REPORT_LOST


class _Guarded:
    """stdout, each write and flush turning an OSError into OutputFailed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text:
            return 0  # click probes the stream so: nothing to write, nothing to fail
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise _failed(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise _failed(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _failed(error: OSError) -> OutputFailed:
    """Point fd 1 at the null device: what is still buffered is dropped, not retried."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
        finally:
            os.close(null)
    return OutputFailed(error)


def guard_stdout() -> None:
    """Guard the process's own stdout (not a test runner's stand-in), once."""
    if sys.stdout is sys.__stdout__ and sys.stdout is not None:
        sys.stdout = cast(TextIO, _Guarded(sys.stdout))


def report(lines: Iterable[str]) -> str | None:
    """Each line on stdout; when stdout fails, all of them on stderr instead, and why it
    failed is returned (None when stdout took them)."""
    said = list(lines)
    try:
        for line in said:
            click.echo(line)
    except OutputFailed as exc:
        for line in said:
            click.echo(line, err=True)
        return exc.why
    return None
