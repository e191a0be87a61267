"""Writing a file the operator named, through a hidden part file renamed over it.

- The part file is new: created with O_CREAT|O_EXCL|O_NOFOLLOW under a fresh random
  name in the target's folder, so an entry planted there (a symlink to another file, a
  FIFO, a leftover) is never followed, opened or reused.
- Only a regular file is replaced: a FIFO, a device, a socket, a folder or a symlink at
  the target is refused (`NotRegular`), whatever the operator ticked.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import IO

PART_TRIES = 20


class NotRegular(OSError):
    """The target exists and is not a regular file: it is not replaced."""


def kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symlink"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def check_replaceable(path: Path) -> None:
    """Nothing at `path`, or a regular file (not followed if a symlink); else NotRegular."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise NotRegular(f"{path.name} is {kind_of(mode)}: only a regular file is replaced")


def create_new(path: Path) -> IO[str]:
    """`path` opened for writing text (UTF-8, newlines as given), which must not exist
    in any form: FileExistsError for anything there, a dangling symlink included."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def open_part(target: Path) -> tuple[Path, IO[str]]:
    """A new hidden `.NAME.RANDOM.part` beside `target`, open for writing."""
    for _ in range(PART_TRIES):
        part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            return part, create_new(part)
        except FileExistsError:
            continue
    raise FileExistsError(f"no new part file could be made beside {target.name}")


def replace_with(part: Path, target: Path) -> None:
    """Rename `part` over `target`, which must be absent or a regular file."""
    check_replaceable(target)
    os.replace(part, target)
