"""`sessions-tui serve` in a subprocess, and Debian's chromium driving it headless.

The served page draws the terminal with xterm.js on a canvas (WebGL), so its text is not
in the DOM. Before any page script runs, `HOOK` catches the xterm `Terminal` the page's
own script creates (textual.js assigns it to `this.terminal`) and keeps it as
`window.__xterm`: the text is then read from xterm's own buffer, which is what the
canvas paints. `HOOK` also stamps `window.__marks[text]` with `performance.now()`
(milliseconds since the navigation started) the first time a written frame leaves
`text` on the screen, and `window.__marks["(first frame)"]` at the first frame: the
benchmark's clock, read in the page itself.

Selenium is given /usr/bin/chromedriver and /usr/bin/chromium explicitly, and
`SE_OFFLINE` is set: Selenium Manager never looks for (or downloads) anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1400, 900)

HOOK = """
(() => {
  window.__marks = {};
  window.__wanted = %s;
  const screenText = (t) => {
    const b = t.buffer.active, out = [];
    for (let i = 0; i < t.rows; i++) {
      const line = b.getLine(b.viewportY + i);
      out.push(line ? line.translateToString(true) : "");
    }
    return out.join("\\n");
  };
  window.__screen = () => (window.__xterm ? screenText(window.__xterm) : null);
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    get() { return undefined; },
    set(value) {
      Object.defineProperty(this, "terminal", {
        value, writable: true, configurable: true, enumerable: true,
      });
      if (value && value.buffer && value.buffer.active && !window.__xterm) {
        window.__xterm = value;
        value.onWriteParsed(() => {
          if (!("(first frame)" in window.__marks)) {
            window.__marks["(first frame)"] = performance.now();
          }
          const wanted = window.__wanted.filter((w) => !(w in window.__marks));
          if (!wanted.length) return;
          const text = screenText(value), now = performance.now();
          for (const w of wanted) if (text.includes(w)) window.__marks[w] = now;
        });
      }
    },
  });
})();
"""


SHORT_TMP = "/tmp" if Path("/tmp").is_dir() else None
"""Where paths that end in a unix socket go, whatever TMPDIR is (None: tempfile's)."""


def find_chromium() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} not found: install it with `apt-get install {package}`"
    try:
        import selenium  # noqa: F401
        import textual_serve  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed: pip install -e '.[test]'"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what`."""
    from selenium.webdriver.support.wait import WebDriverWait

    try:
        return WebDriverWait(None, timeout, poll_frequency=every).until(lambda _: condition())
    except Exception as exc:
        raise AssertionError(f"timed out after {timeout:g}s waiting for {what}") from exc


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Served:
    """A running `sessions-tui … serve`; every process it started is remembered."""

    process: subprocess.Popen[str]
    port: int
    token: str | None = None
    """The page's token, read from the address `serve` printed (None: `--no-token`)."""
    printed: str = ""
    """What `serve` printed up to that address (its warnings included)."""
    seen: dict[int, psutil.Process] = field(default_factory=dict)
    argv: dict[int, list[str]] = field(default_factory=dict)
    """The command line of every process it started, as `ps` showed it."""

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The page, with its token: what the operator opens."""
        return f"{self.origin}/" + ("" if self.token is None else f"?token={self.token}")

    def children(self) -> list[psutil.Process]:
        """Its descendants now (each browser tab's dashboard, through a shell)."""
        try:
            found = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        for child in found:
            self.seen.setdefault(child.pid, child)
            with contextlib.suppress(psutil.Error):
                self.argv.setdefault(child.pid, child.cmdline())
        return found

    def dashboards(self) -> list[psutil.Process]:
        """The dashboard processes: those whose command line runs `served-app`."""
        out = []
        for child in self.children():
            with contextlib.suppress(psutil.Error):
                if "served-app" in child.cmdline():
                    out.append(child)
        return out

    def stop(self) -> list[str]:
        """SIGTERM, as an operator's Ctrl+C or a service manager would; returns the
        processes that outlived it (killed here), empty when none leaked."""
        self.children()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _, alive = psutil.wait_procs(list(self.seen.values()), timeout=10)
        leaked = []
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                leaked.append(" ".join(proc.cmdline()) or str(proc.pid))
                proc.kill()
        return leaked


PAGE_ADDRESS = re.compile(r"^serving .* on (http\S+)$")


def _page_address(process: subprocess.Popen[str]) -> tuple[str, str | None]:
    """What `serve` printed up to its `serving … on URL` line (printed before it
    listens, so already there), and the URL's token."""
    assert process.stdout is not None
    printed = []
    for line in process.stdout:
        printed.append(line)
        found = PAGE_ADDRESS.match(line.strip())
        if found:
            token = re.search(r"[?&]token=([^&]+)", found.group(1))
            return "".join(printed), token.group(1) if token else None
    raise AssertionError(f"serve printed no address: {''.join(printed)}")


@contextlib.contextmanager
def serving(
    db_args: Sequence[str], *serve_args: str, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """`python -m tui DB_ARGS serve --port P SERVE_ARGS` from this checkout, until the
    block ends; asserts that no process it started outlives it."""
    port = free_port()
    environment = dict(os.environ if env is None else env)
    environment["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "tui", *db_args, "serve", "--port", str(port), *serve_args]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process, port)
    try:
        wait_for(
            lambda: process.poll() is not None or _port_open(port),
            30,
            f"serve to listen on port {port}",
        )
        if process.poll() is not None:
            out = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"serve exited with {process.returncode}: {out}")
        served.printed, served.token = _page_address(process)
        yield served
    finally:
        leaked = served.stop()
        assert not leaked, f"processes outlived serve: {leaked}"


@contextlib.contextmanager
def chromium(download_dir: Path | None = None, wanted: Sequence[str] = ()) -> Iterator[Any]:
    """Headless chromium with `HOOK` in every page; `wanted`: texts whose first
    appearance on the terminal the page stamps (`window.__marks`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never the network
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        # xterm.js draws with WebGL2; without a GPU that is SwiftShader, which Chromium
        # now uses only when asked (the page is our own, on loopback).
        "--enable-unsafe-swiftshader",
        # textual-serve starts a download with window.open() when the file is ready; a
        # key press allows a pop-up for a few seconds only, which a loaded machine
        # outlasts (README: allow pop-ups for the served address).
        "--disable-popup-blocking",
        # A page left for another stays whole in the back-forward cache, its websocket
        # open, so its dashboard would run on until textual-serve's heartbeat gives up.
        "--disable-features=BackForwardCache",
    ):
        options.add_argument(arg)
    if download_dir is not None:
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(download_dir),
                "download.prompt_for_download": False,
            },
        )
    # Chromium puts its profile, with a unix socket in it, under TMPDIR: a socket path is
    # at most 107 bytes, so a long TMPDIR (CI sets one) failed the session. A short
    # folder of its own holds the profile and whatever else it makes there.
    short = Path(tempfile.mkdtemp(prefix="st-chr-", dir=SHORT_TMP))
    options.add_argument(f"--user-data-dir={short / 'profile'}")
    env = {**os.environ, "TMPDIR": str(short)}
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER), env=env), options=options)
    except BaseException:
        shutil.rmtree(short, ignore_errors=True)
        raise
    try:
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": HOOK % json.dumps(list(wanted))}
        )
        if download_dir is not None:
            driver.execute_cdp_cmd(
                "Browser.setDownloadBehavior",
                {"behavior": "allow", "downloadPath": str(download_dir)},
            )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(short, ignore_errors=True)


def screen(driver: Any) -> str:
    """The terminal's text as xterm holds it (what its canvas paints); '' before the
    page's terminal exists."""
    return str(driver.execute_script("return window.__screen ? window.__screen() || '' : ''"))


def wait_for_screen(
    driver: Any, test: Callable[[str], bool], what: str, timeout: float = 60
) -> str:
    last = [""]

    def shown() -> str | None:
        last[0] = screen(driver)
        return last[0] if test(last[0]) else None

    try:
        found: str = wait_for(shown, timeout, what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the page showed:\n{last[0]}") from None
    return found


def press(driver: Any, keys: str) -> None:
    """Keys typed into the terminal (xterm's hidden textarea has the keyboard)."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys(keys)


def first_mark(driver: Any, text: str) -> float | None:
    """Milliseconds from the navigation's start to the first frame showing `text`."""
    value = driver.execute_script(
        "return window.__marks ? window.__marks[arguments[0]] : null", text
    )
    return None if value is None else float(value)


def elapsed_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


async def tab_text(served: Served, until: Callable[[str], bool], seconds: float = 60) -> str:
    """What a tab receives, without a browser: textual-serve's own websocket (as the page
    opens it: its origin, its token), its terminal bytes with escape sequences removed,
    read until `until` holds; the tab is closed on return (its dashboard told to quit)."""
    import asyncio

    import aiohttp

    received = bytearray()
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"{served.origin}/ws?width=160&height=40"
            + ("" if served.token is None else f"&token={served.token}"),
            origin=served.origin,
        ) as ws,
    ):

        async def read() -> str:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.BINARY:
                    received.extend(message.data)
                    text = ANSI.sub("", received.decode("utf-8", errors="replace"))
                    if until(text):
                        return text
            raise AssertionError("the tab closed before the text arrived")

        try:
            return await asyncio.wait_for(read(), seconds)
        except TimeoutError:
            text = ANSI.sub("", received.decode("utf-8", errors="replace"))
            raise AssertionError(f"timed out; the tab received:\n{text[-3000:]}") from None
