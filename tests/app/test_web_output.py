"""In a browser tab, screen updates and download chunks come from two threads; each
packet must reach textual-serve whole, or the framing breaks (packet bytes shown as
text, a download that never ends)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import textual.constants
from textual.drivers.web_driver import WebDriver

from tests.support.app_helpers import app_for
from tui.app.web_output import PacketWriter, SerialWebDriver
from tui.store.target import sqlite_target

PACKETS = 40
PAYLOAD = 300_000  # larger than a pipe's buffer, so one write can be split


def framed_through_a_pipe(write: Callable[[int, bytes], None]) -> list[bytes]:
    """Two threads each write PACKETS framed packets of one repeated byte; the packets'
    payloads as read back, or an AssertionError at the first broken frame."""
    read_end, write_end = os.pipe()
    received = bytearray()

    def reader() -> None:
        while chunk := os.read(read_end, 1 << 16):
            received.extend(chunk)

    def writer(fill: bytes) -> None:
        for _ in range(PACKETS):
            payload = fill * PAYLOAD
            write(write_end, b"D" + len(payload).to_bytes(4, "big") + payload)

    reading = threading.Thread(target=reader)
    reading.start()
    writers = [threading.Thread(target=writer, args=(fill,)) for fill in (b"a", b"b")]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    os.close(write_end)
    reading.join()
    os.close(read_end)

    payloads = []
    at = 0
    while at < len(received):
        assert received[at : at + 1] == b"D", f"a frame starts with {received[at : at + 8]!r}"
        size = int.from_bytes(received[at + 1 : at + 5], "big")
        payload = bytes(received[at + 5 : at + 5 + size])
        assert size == PAYLOAD and len(set(payload)) == 1, f"packet at {at} is mixed"
        payloads.append(payload[:1])
        at += 5 + size
    return payloads


def test_packets_from_two_threads_arrive_whole() -> None:
    writers: dict[int, PacketWriter] = {}

    def write(fd: int, packet: bytes) -> None:
        writers.setdefault(fd, PacketWriter(fd))(packet)

    payloads = framed_through_a_pipe(write)
    assert sorted(payloads) == [b"a"] * PACKETS + [b"b"] * PACKETS


def test_bare_writes_from_two_threads_break_the_framing() -> None:
    """The hazard is real: unserialised writes of this size interleave."""

    def bare(fd: int, packet: bytes) -> None:
        view = memoryview(packet)
        while view:
            view = view[os.write(fd, view) :]

    with pytest.raises(AssertionError, match=r"frame starts with|is mixed"):
        framed_through_a_pipe(bare)


def test_the_dashboard_in_a_browser_tab_uses_the_serialised_driver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_for(sqlite_target(tmp_path / "archon.db"))
    monkeypatch.setattr(textual.constants, "DRIVER", "textual.drivers.web_driver:WebDriver")
    chosen = app.get_driver_class()
    assert chosen is SerialWebDriver and issubclass(chosen, WebDriver)
    monkeypatch.setattr(textual.constants, "DRIVER", None)
    assert app.get_driver_class() is not SerialWebDriver
