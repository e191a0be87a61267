"""A TCP proxy in front of PostgreSQL that loses the answer to one COMMIT.

Armed, it forwards the next `COMMIT` a client sends (so the server commits), then
closes that connection when the server's answer arrives, without passing it on: the
client sees its connection drop with the commit's outcome unknown, while the
transaction is committed. Deterministic: the cut happens on the answer itself, with no
timing involved. It runs its own event loop in a thread, so the store (in the test's
loop) and the CLI (`asyncio.run` inside CliRunner) can both connect through it.

It reads the protocol's framing only: untyped startup messages (SSL and GSS requests,
then the startup message), then typed messages (one byte, a length). The test server
has no SSL, so the stream stays readable.

With `then_refuse`, the database stops answering once the cut is made: every
connection through the proxy is closed and new ones are refused, so the client cannot
re-read what its commit did. `stop_answering` does the same at once, with no commit:
a server gone down.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

PROTOCOL_3 = 196608


class CommitCutProxy:
    def __init__(self, url: str, *, then_refuse: bool = False) -> None:
        parts = urlsplit(url)
        self._parts = parts
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 5432
        self.armed = threading.Event()
        self.cut = threading.Event()
        """Set once a commit's answer has been dropped."""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self.port = 0
        self._then_refuse = then_refuse
        self._closers: list[Callable[[], None]] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CommitCutProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def stop_answering(self) -> None:
        """The database goes down now, as `then_refuse` has it after a cut: every
        connection through the proxy is closed and new ones are refused."""
        done = threading.Event()

        def down() -> None:
            self._then_refuse = True
            self.cut.set()
            for close in self._closers:
                close()
            done.set()

        self._loop.call_soon_threadsafe(down)
        assert done.wait(10), "the proxy's loop did not answer"

    @property
    def url(self) -> str:
        """The database's URL, through the proxy."""
        netloc = self._parts.netloc.rsplit("@", 1)
        auth = netloc[0] + "@" if len(netloc) == 2 else ""
        return urlunsplit(self._parts._replace(netloc=f"{auth}127.0.0.1:{self.port}"))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        if self._then_refuse and self.cut.is_set():
            c_writer.close()
            return
        s_reader, s_writer = await asyncio.open_connection(self._host, self._port)
        doomed = asyncio.Event()

        def close() -> None:
            for w in (c_writer, s_writer):
                with contextlib.suppress(Exception):
                    w.close()

        self._closers.append(close)

        async def upstream() -> None:
            buf, typed = b"", False
            while data := await c_reader.read(65536):
                buf += data
                while True:
                    if not typed:
                        if len(buf) < 8 or len(buf) < int.from_bytes(buf[:4], "big"):
                            break
                        n = int.from_bytes(buf[:4], "big")
                        typed = int.from_bytes(buf[4:8], "big") == PROTOCOL_3
                        msg, buf = buf[:n], buf[n:]
                    else:
                        if len(buf) < 5 or len(buf) < 1 + int.from_bytes(buf[1:5], "big"):
                            break
                        n = 1 + int.from_bytes(buf[1:5], "big")
                        msg, buf = buf[:n], buf[n:]
                        query = msg[5:].lstrip().upper()
                        if msg[:1] == b"Q" and query.startswith(b"COMMIT") and self.armed.is_set():
                            self.armed.clear()
                            doomed.set()
                    s_writer.write(msg)
                await s_writer.drain()
            close()

        async def downstream() -> None:
            while data := await s_reader.read(65536):
                if doomed.is_set():  # the commit's answer: the server has committed
                    self.cut.set()
                    if self._then_refuse:
                        for other in self._closers:
                            other()
                    break
                c_writer.write(data)
                await c_writer.drain()
            close()

        with contextlib.suppress(Exception):
            await asyncio.gather(upstream(), downstream())
        close()
