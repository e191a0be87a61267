"""Whole packets to textual-serve, one at a time.

In a browser tab the dashboard speaks textual-serve's framed protocol on stdout: a type
byte, a 4-byte length, the payload. Textual's web driver writes screen updates from the
app's thread and file chunks (a download) from its input thread, each with a bare
`os.write`. A pipe write of more than `PIPE_BUF` bytes is not atomic, so two threads can
interleave their bytes, and `os.write` may write only part of a packet: either breaks the
framing, and the browser shows packet bytes as text while the download never ends.
`PacketWriter` writes each packet whole, under one lock; `SerialWebDriver` uses it.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from textual.drivers.web_driver import WebDriver

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["PacketWriter", "SerialWebDriver"]


class PacketWriter:
    """Writes each packet completely before any other thread may write."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lock = threading.Lock()

    def __call__(self, packet: bytes) -> None:
        view = memoryview(packet)
        with self.lock:
            while view:
                view = view[os.write(self.fd, view) :]


class SerialWebDriver(WebDriver):
    """Textual's web driver with whole, serialised packet writes."""

    def __init__(
        self,
        app: App[Any],
        *,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        # WebDriver's write, write_meta and write_binary_encoded all go through `_write`.
        self._write = PacketWriter(self.fileno)  # type: ignore[assignment]  # a callable too
