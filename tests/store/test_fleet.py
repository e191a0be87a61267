"""Reading several deployments at once: each answers on its own, one that is down says
why in its own reading, and one that never answers costs only its own timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from time import monotonic

import pytest

from tests.support.overview_scenes import silent_port
from tui.deployments import Deployment
from tui.fleet import ReadOptions, read_each
from tui.store.store import Store
from tui.store.target import DbTarget


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never answers (a hung server)."""
    with silent_port() as port:
        yield port


def live(target: DbTarget, name: str) -> Deployment:
    if target.kind == "sqlite":
        return Deployment(name, db=target.path)
    return Deployment(name, url=target.secret_url())


async def active_count(store: Store) -> int:
    return (await store.counts()).active


def test_one_down_and_one_hung_never_delay_the_live_one(
    service_db: DbTarget, tmp_path: Path, silent_server: int
) -> None:
    deployments = [
        Deployment("hung", url=f"postgresql://archon:s3cret@127.0.0.1:{silent_server}/archon"),
        live(service_db, "live"),
        Deployment("gone", db=tmp_path / "nothing-here.db"),
        Deployment("unset", url_env="NOBODY_SET_THIS_URL_EITHER"),
    ]
    options = ReadOptions(
        within=1.5, stale_after=timedelta(hours=24), run_quiet_after=timedelta(minutes=30)
    )
    started = monotonic()
    readings = asyncio.run(read_each(deployments, active_count, options))
    took = monotonic() - started

    assert [r.deployment.name for r in readings] == ["hung", "live", "gone", "unset"]
    hung, ok, gone, unset = readings
    assert ok.ok and ok.value is not None and ok.value > 0
    assert hung.error == "no answer within 1.5 s"
    assert "s3cret" not in (hung.error or "")
    assert not gone.ok and "nothing-here.db" in (gone.error or "")
    assert unset.error == "deployment unset: $NOBODY_SET_THIS_URL_EITHER is not set" + (
        " (it should hold the URL)"
    )
    # The hung one costs its own timeout, and the others are not behind it.
    assert ok.seconds < hung.seconds
    assert took < options.within + 2.0
