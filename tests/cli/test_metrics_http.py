"""`metrics --listen` checks who is asking before it reads anything: a page of another
origin, a name rebound to loopback, or a scrape without the token is refused; only
`GET /metrics` is served; two scrapes within the cache period are one read. A real
`metrics` process on a free loopback port, real HTTP requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.metrics_exporter import (
    Exporter,
    deployment_table,
    exporting,
    get,
    isolated_env,
)
from tui.store.target import DbTarget

TOKEN = "t0ken-for-the-test"
EVIL = "http://evil.example"


@pytest.fixture
def guarded(service_db: DbTarget, tmp_path: Path) -> Iterator[Exporter]:
    """`metrics` over one deployment with a token, the cache set long (300 s)."""
    env: dict[str, str] = {}
    config = "metrics_cache_seconds = 300\n\n" + deployment_table("one", service_db, env)
    environment = isolated_env(tmp_path, config) | env | {"SESSIONS_TUI_METRICS_TOKEN": TOKEN}
    with exporting(["-d", "one", "metrics", "--listen", "127.0.0.1:0"], environment) as exporter:
        yield exporter


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def values(text: str, name: str) -> list[float]:
    return [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def test_refused_without_the_token_or_from_another_origin(guarded: Exporter) -> None:
    url = guarded.url
    assert get(url) == (401, "sessions-tui metrics: give the token: Authorization: Bearer TOKEN\n")
    assert get(url, bearer("wrong"))[0] == 401
    assert get(url, {"Authorization": f"Basic {TOKEN}"})[0] == 401
    # A page of another site, even one that knows the token, cannot read the counts.
    status, said = get(url, {**bearer(), "Origin": EVIL})
    assert (status, said) == (403, f"sessions-tui metrics: origin {EVIL} is not this server's\n")
    # A name rebound to 127.0.0.1 (DNS rebinding) sends its own name as Host.
    rebound = {**bearer(), "Host": f"evil.example:{guarded.port}"}
    assert get(url, rebound) == (403, "sessions-tui metrics: the Host is not a loopback address\n")
    assert get(url.removesuffix("/metrics") + "/", bearer())[0] == 404
    assert get(url, bearer(), method="POST")[0] == 405
    # This server's own origin, and a scrape with no Origin (Prometheus), are served.
    own = f"http://127.0.0.1:{guarded.port}"
    status, text = get(url, {**bearer(), "Origin": own})
    assert status == 200 and values(text, "sessions_tui_up") == [1.0]
    via_localhost = {**bearer(), "Host": f"localhost:{guarded.port}"}
    assert get(url, via_localhost)[0] == 200


def test_two_scrapes_within_the_cache_period_are_one_read(guarded: Exporter) -> None:
    status, first = get(guarded.url, bearer())
    assert status == 200
    status, second = get(guarded.url, bearer())
    assert status == 200
    for name in ("sessions_tui_read_timestamp_seconds", "sessions_tui_scrape_duration_seconds"):
        assert values(first, name) == values(second, name) != []


def test_without_a_token_any_loopback_scrape_is_served(
    service_db: DbTarget, tmp_path: Path
) -> None:
    env: dict[str, str] = {}
    environment = isolated_env(tmp_path, deployment_table("one", service_db, env)) | env
    with exporting(["-d", "one", "metrics", "--listen", "127.0.0.1:0"], environment) as exporter:
        assert "bearer token asked" not in exporter.said
        status, text = get(exporter.url)
        assert status == 200 and values(text, "sessions_tui_up") == [1.0]
        assert get(exporter.url, {"Origin": EVIL})[0] == 403
