"""`serve` across deployments: what it refuses before serving, and what its child refuses
in an environment `serve` did not write. Each is exit 2 and one `Error:` line, never a
traceback or a password; nothing listens and no database is opened (the served overview
itself is tests/web/test_serve_deployments_browser.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_env import invoke, isolate
from tui.cli.serve import SERVE_ACTOR, SERVE_DEPLOYMENTS, SERVE_URL, SERVED_READ_ONLY
from tui.domain.wording import END_SESSIONS

PASSWORD = "s3cret-serve"
PG = f"postgresql://archon:{PASSWORD}@127.0.0.1:1/archon"


@pytest.fixture(autouse=True)
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployments `staging` (a file), `prod` (a URL, read-only), `vault` (read-only) and
    `unset` (a variable nobody set)."""
    isolate(tmp_path, monkeypatch)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[deployments.staging]\ndb = "{tmp_path / "staging.db"}"\n'
        f'\n[deployments.prod]\nurl = "{PG}"\nread_only = true\ntitle = "[b]Prod[/b]"\n'
        f'\n[deployments.vault]\nurl = "{PG}"\nread_only = true\n'
        '\n[deployments.unset]\nurl_env = "NOBODY_SET_THIS_URL"\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(config))


def _error_line(output: str) -> str:
    assert "Traceback" not in output and PASSWORD not in output, output
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, output
    return errors[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["-d", "staging", "-d", "nope", "serve"],
            "Error: -d nope: no such deployment (known: staging, prod, vault, unset)",
        ),
        (
            ["--all", "serve"],
            "Error: deployment unset: $NOBODY_SET_THIS_URL is not set (it should hold the URL)",
        ),
        (
            ["-d", "prod", "-d", "vault", "serve", "--write", "--actor", "oncall"],
            "Error: every chosen deployment is read-only (read_only = true): "
            "serve --write would end nothing there",
        ),
        (
            ["-d", "prod", "serve", "--write", "--actor", "oncall"],
            "Error: deployment prod is read-only (read_only = true in [deployments.prod]): "
            "serve --write would end nothing there",
        ),
        (
            ["-d", "staging", "-d", "prod", "serve", "--host", "0.0.0.0"],
            "Error: 0.0.0.0 is not a loopback address (served over plain HTTP): "
            "add --allow-remote to serve beyond this machine",
        ),
        (
            ["-d", "staging", "-d", "prod", "serve", "--write"],
            "Error: --write needs --actor WHO: every end from the browser is signed by it",
        ),
    ],
    ids=["unknown", "unset-variable", "all-read-only", "one-read-only", "remote", "no-actor"],
)
def test_serve_refuses_before_serving(args: list[str], says: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert _error_line(result.output) == says


GOOD = [
    {"name": "staging", "title": None, "colour": None, "read_only": False, "url": PG},
    {"name": "prod", "title": "[b]Prod[/b]", "colour": "red", "read_only": True, "url": PG},
]


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (
            ["--read-only"],
            {SERVE_DEPLOYMENTS: json.dumps(GOOD)[:-2]},
            f"Error: ${SERVE_DEPLOYMENTS}: not the JSON `serve` writes",
        ),
        (
            ["--read-only"],
            {SERVE_DEPLOYMENTS: json.dumps(GOOD[:1])},
            f"Error: ${SERVE_DEPLOYMENTS}: not a list of two or more deployments",
        ),
        (
            ["--read-only"],
            {SERVE_DEPLOYMENTS: json.dumps([GOOD[0], GOOD[0]])},
            f"Error: ${SERVE_DEPLOYMENTS}: deployment 2: the name staging is repeated",
        ),
        (
            ["--read-only"],
            {SERVE_DEPLOYMENTS: json.dumps(GOOD), SERVE_URL: PG},
            f"Error: ${SERVE_URL} and ${SERVE_DEPLOYMENTS} are both set: "
            "`sessions-tui serve` sets one",
        ),
        (
            [],
            {SERVE_DEPLOYMENTS: json.dumps(GOOD)},
            f"Error: ${SERVE_ACTOR} is not set and the dashboard is not read-only: "
            "`sessions-tui serve --write` signs every end with its --actor",
        ),
        (
            [],
            {SERVE_URL: PG},
            f"Error: ${SERVE_ACTOR} is not set and the dashboard is not read-only: "
            "`sessions-tui serve --write` signs every end with its --actor",
        ),
    ],
    ids=["cut", "one", "repeated", "both", "writable-unsigned", "one-database-unsigned"],
)
def test_the_child_refuses_an_environment_serve_did_not_write(
    args: list[str], env: dict[str, str], says: str
) -> None:
    result = invoke(*args, "served-app", env=env)
    assert result.exit_code == 2, result.output
    assert result.output == says + "\n"
    assert PASSWORD not in result.output


@pytest.mark.parametrize("write", [False, True], ids=["read-only", "write"])
def test_the_child_starts_the_overview_of_what_serve_wrote(
    write: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings and deployments the child gives the overview (captured where it would
    start it): as `serve` chose them, and nothing of them left in its environment."""
    import tui.app.fleet_app as fleet_app
    from tui.app.deployment_link import deployment_settings

    started: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        fleet_app, "run_fleet", lambda *given: started.append((*given, set(os.environ))) or 0
    )
    env = {SERVE_DEPLOYMENTS: json.dumps(GOOD)} | ({SERVE_ACTOR: "oncall-web"} if write else {})
    result = invoke(*([] if write else ["--read-only"]), "served-app", env=env)
    assert result.exit_code == 0, result.output
    ((settings, deployments, _, environment),) = started
    assert SERVE_DEPLOYMENTS not in environment and SERVE_ACTOR not in environment
    assert [(d.name, d.title, d.colour, d.read_only) for d in deployments] == [
        ("staging", None, None, False),
        ("prod", "[b]Prod[/b]", "red", True),
    ]
    assert deployments[1].target().password == PASSWORD
    assert settings.config_path is None  # served: nothing written on the serving machine
    staging, prod = (deployment_settings(settings, d) for d in deployments)
    why = prod.read_only_why
    assert prod.read_only and callable(why)
    assert "(read_only = true in [deployments.prod])" in why(END_SESSIONS)
    if write:
        assert settings.actor == "oncall-web" and not staging.read_only
    else:
        assert staging.read_only and staging.read_only_why == SERVED_READ_ONLY


@pytest.mark.parametrize("write", [False, True], ids=["read-only", "write"])
def test_serve_hands_each_tab_the_deployments_through_its_environment(
    write: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `serve` gives textual-serve (captured where it would listen): the command
    line of each tab holds no database, and the environment holds them all; with one
    deployment chosen, its database alone, as `--db` gives it."""
    import tui.cli.serve as serve_mod

    given: list[serve_mod.ChildSpec] = []
    monkeypatch.setattr(serve_mod, "run_server", lambda spec, **_: given.append(spec))
    flags = ["--write", "--actor", "oncall-web"] if write else []
    result = invoke("-d", "staging", "-d", "prod", "serve", *flags)
    assert result.exit_code == 0, result.output
    mode = "ends signed by oncall-web; read-only: prod" if write else "read-only"
    assert result.output.startswith(f"serving 2 deployments (staging, prod) ({mode}) on ")
    (spec,) = given
    assert ("--read-only" in spec.command) != write
    for secret in (PASSWORD, "127.0.0.1", str(tmp_path), "Prod"):
        assert secret not in spec.command
    assert set(spec.environment) == {SERVE_DEPLOYMENTS} | ({SERVE_ACTOR} if write else set())
    assert [
        (d["name"], d["read_only"]) for d in json.loads(spec.environment[SERVE_DEPLOYMENTS])
    ] == [
        ("staging", False),
        ("prod", True),
    ]

    (tmp_path / "staging.db").touch()  # --db asks for a file that is there
    one = invoke("-d", "staging", "serve", *flags)
    alone = invoke("--db", tmp_path / "staging.db", "serve", *flags)
    assert one.exit_code == alone.exit_code == 0, one.output + alone.output
    by_name, by_path = given[1:]
    assert by_name.command == by_path.command
    assert by_name.environment[SERVE_URL] == by_path.environment[SERVE_URL]
    assert SERVE_DEPLOYMENTS not in by_name.environment

    # Nothing chosen while the file declares several: every one, as the dashboard opens them.
    monkeypatch.setenv("NOBODY_SET_THIS_URL", PG)
    bare = invoke("serve", *flags)
    assert bare.exit_code == 0, bare.output
    assert bare.output.startswith("serving 4 deployments (staging, prod, vault, unset) ")
    names = [d["name"] for d in json.loads(given[3].environment[SERVE_DEPLOYMENTS])]
    assert names == ["staging", "prod", "vault", "unset"]
