"""`sessions-tui metrics --textfile`: the exposition read back by prometheus_client's own
parser equals the deployment's snapshot; the file is replaced by a rename, never
written in place; a read answers the scrapes of the cache period; usage errors are
one line and exit 2."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import click
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.cli_env import invoke, isolate
from tests.support.metrics_exporter import REPO, deployment_table, isolated_env
from tui.cli.metrics import read_token
from tui.deployments import Deployment
from tui.domain.snapshot import Snapshot
from tui.fleet import ReadOptions
from tui.metrics import DEFAULT_DEPLOYMENT, NOT_RECORDED, SnapshotSource
from tui.store.snapshot import read_snapshot
from tui.store.store import Store, open_store
from tui.store.target import DbTarget

OPTIONS = ReadOptions(
    within=30, stale_after=timedelta(hours=24), run_quiet_after=timedelta(minutes=30)
)


def database_args(target: DbTarget) -> list[str]:
    if target.kind == "sqlite":
        return ["--db", str(target.path)]
    return ["--url", target.secret_url()]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample the parser reads: (name, sorted labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def snapshot_of(target: DbTarget) -> Snapshot:
    async def go() -> Snapshot:
        store = await open_store(target, read_only=True)
        try:
            return await read_snapshot(store)
        finally:
            await store.close()

    return asyncio.run(go())


def test_the_textfile_parses_back_to_the_snapshot(
    service_db: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path, monkeypatch)
    path = tmp_path / "textfile" / "sessions.prom"
    path.parent.mkdir()
    written = invoke(*database_args(service_db), "metrics", "--textfile", path)
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    found = samples(path.read_text())
    expected = snapshot_of(service_db)
    label = (("deployment", DEFAULT_DEPLOYMENT),)
    assert found[("sessions_tui_up", label)] == 1
    assert found[("sessions_tui_active_sessions", label)] == expected.active
    assert found[("sessions_tui_ended_sessions", label)] == expected.ended
    for kind, n in expected.stuck.items():
        key = ("sessions_tui_stuck_sessions", (*label, ("kind", kind.wire)))
        assert found.get(key) == n  # a kind not detectable is absent, not 0
    for reason, n in expected.ended_recently.items():
        key = (
            "sessions_tui_ended_sessions_last_24h",
            (*label, ("reason", reason or NOT_RECORDED)),
        )
        assert found[key] == n
    info = ("sessions_tui_service_info", (*label, ("version", expected.version)))
    assert found[info] == 1
    assert os.listdir(path.parent) == ["sessions.prom"], "no temporary file is left"
    # '-' writes the same exposition to standard output.
    shown = invoke(*database_args(service_db), "metrics", "--textfile", "-")
    assert shown.exit_code == 0
    assert samples(shown.stdout).keys() == found.keys()


def test_the_textfile_is_replaced_by_a_rename_never_written_in_place(
    service_db: DbTarget, tmp_path: Path
) -> None:
    """An old copy held open keeps its whole text while `--every 1` writes new files over
    its name: each write is a new file renamed into place, so node_exporter reading the
    name sees a whole exposition, old or new."""
    env = isolated_env(tmp_path, "")
    path = tmp_path / "out" / "sessions.prom"
    path.parent.mkdir()
    old_text = "# an earlier exposition\nsessions_tui_up 1\n"
    path.write_text(old_text)
    held = path.open()
    inodes = {path.stat().st_ino}
    command = ["metrics", "--textfile", str(path), "--every", "1"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *database_args(service_db), *command],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(inodes) < 3:  # the old file, then two writes
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "two writes within 60 s"
            try:
                inode = path.stat().st_ino
                text = path.read_text()
            except FileNotFoundError:
                raise AssertionError("the name was missing between two writes") from None
            if inode not in inodes:
                inodes.add(inode)
                assert text.endswith("\n") and samples(text), "a whole exposition"
            time.sleep(0.05)  # polling the name, bounded by the deadline above
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert held.read() == old_text, "the old file was never written to"
    held.close()
    assert os.listdir(path.parent) == ["sessions.prom"]


def test_a_file_that_cannot_be_written_is_one_line_and_exit_1(
    service_db: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path, monkeypatch)
    path = tmp_path / "no-such-folder" / "sessions.prom"
    failed = invoke(*database_args(service_db), "metrics", "--textfile", path)
    assert failed.exit_code == 1
    assert failed.stderr.startswith(f"Error: cannot write {path}: No such file or directory")
    assert not path.parent.exists()


class CountingReads:
    """The snapshot read, counted: how many times the databases were read."""

    def __init__(self) -> None:
        self.reads = 0
        self.lock = threading.Lock()

    async def __call__(self, store: Store) -> Snapshot:
        with self.lock:
            self.reads += 1
        return await read_snapshot(store)


def deployment_of(target: DbTarget) -> Deployment:
    if target.kind == "sqlite":
        return Deployment("one", db=target.path)
    return Deployment("one", url=target.secret_url())


def test_scrapes_within_the_cache_period_read_once(service_db: DbTarget) -> None:
    work = CountingReads()
    source = SnapshotSource([deployment_of(service_db)], OPTIONS, cache_seconds=300, work=work)
    first = source.scrape()
    assert source.scrape() is first and work.reads == 1
    # Six scrapes at once: still that one read.
    start = threading.Barrier(6)
    got: list[object] = []

    def scrape() -> None:
        start.wait()
        got.append(source.scrape())

    threads = [threading.Thread(target=scrape) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [first] * 6 and work.reads == 1


def test_every_scrape_reads_without_a_cache_and_after_it_expires(service_db: DbTarget) -> None:
    work = CountingReads()
    uncached = SnapshotSource([deployment_of(service_db)], OPTIONS, cache_seconds=0, work=work)
    uncached.scrape()
    uncached.scrape()
    assert work.reads == 2
    work = CountingReads()
    short = SnapshotSource([deployment_of(service_db)], OPTIONS, cache_seconds=0.3, work=work)
    first = short.scrape()
    deadline = time.monotonic() + 30
    while (latest := short.scrape()) is first:
        assert time.monotonic() < deadline
    assert work.reads == 2
    assert latest.finished_mono - first.finished_mono >= 0.3


def test_a_deployment_going_down_and_back_is_one_line_each(
    service_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLIPPING_DATABASE_URL", raising=False)
    said: list[str] = []
    flipping = Deployment("flip", url_env="FLIPPING_DATABASE_URL")
    source = SnapshotSource(
        [deployment_of(service_db), flipping], OPTIONS, cache_seconds=0, report=said.append
    )
    first = source.scrape()
    assert [r.ok for r in first.readings] == [True, False]
    down = "deployment flip: $FLIPPING_DATABASE_URL is not set (it should hold the URL)"
    assert said == [down]
    source.scrape()
    assert said == [down], "no line while nothing changes"
    monkeypatch.setenv("FLIPPING_DATABASE_URL", service_db.secret_url())
    assert [r.ok for r in source.scrape().readings] == [True, True]
    assert said == [down, "deployment flip: up again"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--listen", "0.0.0.0:9464"], "0.0.0.0 is not a loopback address"),
        (["--listen", "9464"], "--listen 9464: give HOST:PORT, e.g. 127.0.0.1:9464"),
        (["--listen", "::1:9464"], "--listen ::1:9464: give HOST:PORT"),
        (["--listen", "127.0.0.1:70000"], "a port is 0 to 65535"),
        (["--listen", "127.0.0.1:9464", "--textfile", "x.prom"], "either --listen or --textfile"),
        (["--every", "5"], "--every rewrites a file: give it with --textfile PATH"),
        (["--textfile", "-", "--every", "5"], "--every rewrites a file"),
        (["--textfile", "x.prom", "--token-file", "t"], "--token-file guards --listen"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    args: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path, monkeypatch)
    result = invoke("--db", tmp_path / "archon.db", "metrics", *args)
    assert result.exit_code == 2, result.output
    assert said in result.stderr


def test_deployments_by_name_and_an_unset_one_is_down(
    service_db: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path, monkeypatch)
    env: dict[str, str] = {}
    config = deployment_table("one", service_db, env)
    config += '\n[deployments.unset]\nurl_env = "NOBODY_SET_THIS_METRICS_URL"\n'
    (tmp_path / "config.toml").write_text(config)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "config.toml"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    shown = invoke("--all", "metrics", "--textfile", "-")
    assert shown.exit_code == 0, shown.output
    found = samples(shown.stdout)
    assert found[("sessions_tui_up", (("deployment", "one"),))] == 1
    assert found[("sessions_tui_up", (("deployment", "unset"),))] == 0
    # Why it is down is the exporter's log line, not a label.
    assert shown.stderr == (
        "deployment unset: $NOBODY_SET_THIS_METRICS_URL is not set (it should hold the URL)\n"
    )
    names = {name for name, labels in found if ("deployment", "unset") in labels}
    assert names == {
        "sessions_tui_up",
        "sessions_tui_scrape_duration_seconds",
        "sessions_tui_read_timestamp_seconds",
    }
    only = samples(invoke("-d", "one", "metrics", "--textfile", "-").stdout)
    assert {dict(labels)["deployment"] for _, labels in only} == {"one"}


def test_the_token_comes_from_the_file_else_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONS_TUI_METRICS_TOKEN", " from-env \n")
    assert read_token(None) == "from-env"
    token_file = tmp_path / "token"
    token_file.write_text("from-file\nanything after the first line\n")
    assert read_token(token_file) == "from-file"
    monkeypatch.delenv("SESSIONS_TUI_METRICS_TOKEN")
    assert read_token(None) is None
    token_file.write_text("\n")
    with pytest.raises(click.UsageError, match="the file is empty"):
        read_token(token_file)
    with pytest.raises(click.UsageError, match="cannot read it"):
        read_token(tmp_path / "missing")
