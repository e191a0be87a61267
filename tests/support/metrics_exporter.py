"""`sessions-tui metrics --listen` as a real process of this checkout, and the pieces
its tests share: a deployments config over seeded databases, and HTTP GETs."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.store.target import DbTarget

REPO = Path(__file__).resolve().parents[2]
SERVING = re.compile(r"^serving metrics of .* on (http://\S+/metrics)")


def deployment_table(name: str, target: DbTarget, env: dict[str, str]) -> str:
    """`[deployments.NAME]` for `target`: a SQLite file by `db`, PostgreSQL by `url_env`
    (its URL put in `env`, as an operator keeps the password out of the file)."""
    if target.kind == "sqlite":
        return f'[deployments.{name}]\ndb = "{target.path}"\n'
    variable = f"{name.upper()}_DATABASE_URL"
    env[variable] = target.secret_url()
    return f'[deployments.{name}]\nurl_env = "{variable}"\n'


def isolated_env(tmp_path: Path, config: str) -> dict[str, str]:
    """This process's environment with the config file written, and no database, home
    or cache of the machine's own in reach."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    (tmp_path / "config.toml").write_text(config)
    env.update(
        SESSIONS_TUI_CONFIG=str(tmp_path / "config.toml"),
        ARCHON_HOME=str(tmp_path / "archon-home"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        HOME=str(tmp_path / "home"),
        PYTHONPATH=str(REPO),
    )
    env.pop("SESSIONS_TUI_METRICS_TOKEN", None)
    return env


@dataclass
class Exporter:
    process: subprocess.Popen[str]
    url: str
    said: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])


@contextlib.contextmanager
def exporting(args: Sequence[str], env: Mapping[str, str]) -> Iterator[Exporter]:
    """`python -m tui ARGS metrics --listen 127.0.0.1:0` until the block ends; the URL is
    the one it printed (bound before printing, so it answers at once)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        cwd=REPO,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        said = []
        for line in process.stderr:  # ends when the process does
            said.append(line)
            found = SERVING.match(line)
            if found:
                yield Exporter(process, found.group(1), "".join(said))
                break
        else:
            raise AssertionError(f"metrics exited with {process.wait()}: {''.join(said)}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(url: str, headers: Mapping[str, str] | None = None, method: str = "GET") -> tuple[int, str]:
    """A request's status and body, whatever the status."""
    request = urllib.request.Request(url, headers=dict(headers or {}), method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
