"""A throwaway Prometheus server (Debian's `prometheus` package) for the tests: its own
storage in a temporary folder, a free loopback port, the scrape config the test gives,
stopped and removed at the end. Queried through its HTTP API, as Grafana does.

This module imports nothing from the application."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

START_WITHIN = 60.0
"""Seconds the server may take to answer /-/ready."""


def find_prometheus() -> str | None:
    """Why `prometheus` and `promtool` cannot be used here; None when both can."""
    missing = [name for name in ("prometheus", "promtool") if shutil.which(name) is None]
    if missing:
        return f"{' and '.join(missing)} not found: apt-get install prometheus"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrometheusError(RuntimeError):
    """The server did not start or answer; carries the tail of its log."""


class Prometheus:
    """`prometheus` scraping `targets` (host:port each) every `interval` seconds, with
    `extra` added to the scrape job (e.g. an `authorization` block)."""

    def __init__(
        self, targets: list[str], *, job: str = "sessions-tui", interval: float = 1.0, **extra: Any
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="prometheus-"))
        self.port = free_port()
        scrape = {
            "job_name": job,
            "scrape_interval": f"{interval:g}s",
            "scrape_timeout": f"{interval:g}s",
            "static_configs": [{"targets": targets}],
            **extra,
        }
        config = {"global": {"scrape_interval": f"{interval:g}s"}, "scrape_configs": [scrape]}
        # JSON is YAML: no YAML writer needed.
        (self.folder / "prometheus.yml").write_text(json.dumps(config))
        self.log = self.folder / "prometheus.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    "prometheus",
                    f"--config.file={self.folder / 'prometheus.yml'}",
                    f"--storage.tsdb.path={self.folder / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_for(lambda: self.get("/-/ready") is not None, START_WITHIN, "ready")

    def get(self, path: str) -> bytes | None:
        """The body of a GET, or None when the server does not answer it (yet)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                body: bytes = response.read()
                return body
        except OSError:
            if self.process is not None and self.process.poll() is not None:
                raise PrometheusError(f"prometheus exited:\n{self.tail()}") from None
            return None

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's vector: each result's `metric` labels and `value`."""
        body = self.get("/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        if body is None:
            return []
        answer = json.loads(body)
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def targets_health(self) -> list[str]:
        body = self.get("/api/v1/targets")
        if body is None:
            return []
        active = json.loads(body)["data"]["activeTargets"]
        return [str(target["health"]) for target in active]

    def wait_for(self, done: Callable[[], bool], within: float, what: str) -> None:
        """Poll `done` until it holds; PrometheusError after `within` seconds."""
        deadline = time.monotonic() + within
        while not done():
            if time.monotonic() > deadline:
                raise PrometheusError(f"not {what} within {within:g} s:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Prometheus:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
