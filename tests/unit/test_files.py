"""The export's file writer (`tui.files`): a part file that follows and reuses nothing,
renamed only over a regular file."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from tui.files import NotRegular, check_replaceable, create_new, open_part, replace_with


def test_create_new_refuses_any_entry_there_and_follows_no_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    planted = tmp_path / ".out.csv.part"
    planted.symlink_to(victim)
    dangling = tmp_path / ".dangling.part"
    dangling.symlink_to(tmp_path / "created-through-the-link")
    for path in (planted, dangling, victim):
        with pytest.raises(FileExistsError):
            create_new(path)
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "created-through-the-link").exists()


def test_open_part_is_a_new_hidden_file_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    (tmp_path / ".out.csv.part").symlink_to(tmp_path / "elsewhere")
    part, out = open_part(target)
    with out:
        out.write("a,b\r\n")
    assert part.parent == tmp_path and part.name.startswith(".out.csv.")
    assert part.name.endswith(".part") and not part.is_symlink()
    assert part.read_bytes() == b"a,b\r\n"
    assert not (tmp_path / "elsewhere").exists()
    replace_with(part, target)
    assert target.read_bytes() == b"a,b\r\n" and not part.exists()


def test_only_a_regular_file_is_replaced(tmp_path: Path) -> None:
    regular = tmp_path / "old.csv"
    regular.write_text("old\n")
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    link = tmp_path / "link.csv"
    link.symlink_to(regular)
    sock_path = tmp_path / "sock.csv"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        for path, kind in ((fifo, "a FIFO"), (link, "a symlink"), (sock_path, "a socket")):
            part, out = open_part(path)
            out.close()
            with pytest.raises(NotRegular, match=f"{path.name} is {kind}"):
                replace_with(part, path)
            part.unlink()
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink()
    with pytest.raises(NotRegular, match="null is a device"):
        check_replaceable(Path("/dev/null"))  # checked only: never a rename over a device
    check_replaceable(tmp_path / "absent.csv")
    part, out = open_part(regular)
    with out:
        out.write("new\n")
    replace_with(part, regular)
    assert regular.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fifo.csv", "link.csv", "old.csv", "sock.csv"
    ]  # fmt: skip
