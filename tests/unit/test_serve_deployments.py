"""Several deployments served: what `serve` puts in each tab's environment reads back as
the same deployments, hostile titles and passwords included; the tab's command line
holds none of it; and an environment `serve` did not write is refused in one line that
quotes no URL."""

from __future__ import annotations

import json
import shlex
from datetime import timedelta
from pathlib import Path

import pytest

from tui.cli.serve import SERVE_ACTOR, SERVE_DEPLOYMENTS
from tui.cli.serve_deployments import (
    BadServedDeployments,
    child_spec,
    decode,
    encode,
    take,
)
from tui.deployments import Deployment
from tui.store.errors import BadTarget

PASSWORD = "p@ss:w/rd\"'},{%20"
HOSTILE_TITLES = [
    "[b]Prod[/b] [link=http://x]EU[/link]",
    '"},{"name":"evil","url":"sqlite:////etc/passwd"}',
    "\x1b[31mred\x1b[0m \u202eevil\u202c",
    "line\nbreak\x00nul\u2028",
    "ünïcødé 🚀 $(rm -rf /) `id` ${HOME}",
]


def _url(password: str = PASSWORD) -> str:
    from urllib.parse import quote

    return f"postgresql://archon:{quote(password, safe='')}@db.example:5433/acme?sslmode=require"


def _fleet(tmp_path: Path) -> list[Deployment]:
    return [
        Deployment("staging", db=tmp_path / "a dir" / "archon.db", colour="green"),
        Deployment("prod-eu", url=_url(), read_only=True, colour="#ff8800", title="Prod"),
        Deployment("from_env", url_env="ACME_DATABASE_URL"),
        *(Deployment(f"t{i}", url=_url(), title=title) for i, title in enumerate(HOSTILE_TITLES)),
    ]


def test_the_deployments_read_back_as_they_were_written(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path)
    env = {"ACME_DATABASE_URL": _url("env-secret")}
    text = encode(fleet, env)
    assert text.isascii() and "\n" not in text and "\x00" not in text
    back = decode(text)
    assert [d.name for d in back] == [d.name for d in fleet]
    assert [(d.title, d.colour, d.read_only) for d in back] == [
        (d.title, d.colour, d.read_only) for d in fleet
    ]
    for before, after in zip(fleet, back, strict=True):
        was, now = before.target(env), after.target()
        assert (now.kind, now.path, now.host, now.port, now.database, now.ssl) == (
            was.kind,
            was.path,
            was.host,
            was.port,
            was.database,
            was.ssl,
        )
        assert now.username == was.username and now.password == was.password
    assert back[1].target().password == PASSWORD
    assert back[2].target().password == "env-secret"


def test_the_command_line_holds_no_password_url_or_title(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path)
    env = {"ACME_DATABASE_URL": _url("env-secret")}
    for actor in (None, "oncall-web"):
        spec = child_spec(
            fleet,
            actor=actor,
            refresh=2.0,
            stale_after=timedelta(hours=1),
            select_cap=100,
            env=env,
        )
        argv = shlex.split(spec.command)
        assert argv[-1] == "served-app"
        assert ("--read-only" in argv) == (actor is None)
        for secret in (PASSWORD, "env-secret", "db.example", "a dir", "Prod", "staging"):
            assert not [arg for arg in argv if secret in arg], (secret, argv)
        assert set(spec.environment) == {SERVE_DEPLOYMENTS} | ({SERVE_ACTOR} if actor else set())
        assert decode(spec.environment[SERVE_DEPLOYMENTS])[1].target().password == PASSWORD


def test_a_deployment_that_cannot_be_resolved_is_named(tmp_path: Path) -> None:
    with pytest.raises(BadTarget, match=r"^deployment from_env: \$ACME_DATABASE_URL is not set"):
        encode(_fleet(tmp_path), {})


def test_more_than_one_variable_holds_is_refused_before_serving() -> None:
    fleet = [Deployment(f"d{i}", url=_url(), title="x" * 5000) for i in range(25)]
    with pytest.raises(BadServedDeployments, match="more than one environment variable holds"):
        encode(fleet, {})


def test_the_variable_is_taken_out_of_the_environment() -> None:
    environ = {SERVE_DEPLOYMENTS: "[]", "OTHER": "kept"}
    assert take(environ) == "[]"
    assert environ == {"OTHER": "kept"}
    assert take(environ) is None


def _entry(**changed: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": "prod",
        "title": None,
        "colour": None,
        "read_only": False,
        "url": _url(),
    }
    entry.update(changed)
    return entry


GOOD = {"name": "staging", "title": "S", "colour": "red", "read_only": True, "url": _url()}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not the JSON `serve` writes"),
        ("[{", "not the JSON `serve` writes"),
        ("[" * 50_000 + "]" * 50_000, "not the JSON `serve` writes"),
        (json.dumps({"name": "prod"}), "not a list of two or more deployments"),
        (json.dumps([GOOD]), "not a list of two or more deployments"),
        (json.dumps([GOOD, "prod"]), "deployment 2: not an object with keys name, title, "),
        (json.dumps([GOOD, {"name": "prod", "url": _url()}]), "deployment 2: not an object"),
        (json.dumps([GOOD, _entry(extra=1)]), "deployment 2: not an object"),
        (json.dumps([GOOD, _entry(name=7)]), "deployment 2: its name is not a string"),
        (
            json.dumps([GOOD, _entry(name="\x1b[2Jbad name")]),
            "deployment 2: deployments.\\e[2Jbad name: a deployment's name is letters",
        ),
        (json.dumps([GOOD, _entry(name="staging")]), "deployment 2: the name staging is repeated"),
        (json.dumps([GOOD, _entry(read_only=None)]), "read_only: must be true or false"),
        (json.dumps([GOOD, _entry(read_only="yes")]), "read_only: must be true or false"),
        (json.dumps([GOOD, _entry(title="")]), "title: must be a non-empty string"),
        (json.dumps([GOOD, _entry(colour="no-such-colour")]), "colour: not a colour"),
        (json.dumps([GOOD, _entry(url=None)]), "deployment 2: deployments.prod.url: must be a"),
        (json.dumps([GOOD, _entry(url=3)]), "url: must be a non-empty string"),
        (
            json.dumps([GOOD, _entry(url=f"mysql://root:{PASSWORD}@h/d")]),
            "deployment 2: deployment prod: unsupported database 'mysql'",
        ),
        (
            json.dumps([GOOD, _entry(url=f"postgresql://u:{PASSWORD}@h:port/d")]),
            "deployment 2: deployment prod: not a database URL",
        ),
    ],
    ids=[
        "empty",
        "cut",
        "nested",
        "object",
        "one",
        "not-an-object",
        "keys-missing",
        "key-added",
        "name-not-string",
        "name-hostile",
        "name-repeated",
        "read-only-null",
        "read-only-string",
        "title-empty",
        "colour",
        "url-null",
        "url-number",
        "url-scheme",
        "url-port",
    ],
)
def test_an_environment_serve_did_not_write_is_one_line(text: str, says: str) -> None:
    with pytest.raises(BadServedDeployments) as caught:
        decode(text)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message and "\x1b" not in message
    assert PASSWORD not in message and "s%40" not in message
