"""The config file's deployments: each table checked with one line that names its key,
and a file the tool rewrites (a remembered theme) keeps them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import ConfigError, load_config, remember
from tui.deployments import Deployment, DeploymentError, select
from tui.store.errors import BadTarget


def load(tmp_path: Path, text: str) -> dict[str, Deployment]:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path).deployments


def test_deployments_are_read_in_the_files_order(tmp_path: Path) -> None:
    found = load(
        tmp_path,
        '[deployments.zeta]\nurl_env = "ZETA_URL"\nread_only = true\ncolour = "#ff8800"\n'
        '[deployments.alpha]\ndb = "~/alpha/archon.db"\ntitle = "Alpha (prod)"\n'
        '[deployments.mid]\nurl = "postgresql://archon:s3cret@db/archon"\n',
    )
    assert list(found) == ["zeta", "alpha", "mid"]
    assert found["zeta"] == Deployment("zeta", url_env="ZETA_URL", read_only=True, colour="#ff8800")
    assert found["alpha"].db == Path("~/alpha/archon.db").expanduser()
    assert found["alpha"].label == "Alpha (prod)" and found["zeta"].label == "zeta"
    assert found["mid"].holds_password and not found["zeta"].holds_password
    assert found["mid"].where() == "url in the config file"
    assert "s3cret" not in found["mid"].where()
    assert found["mid"].target().database == "archon"
    assert found["alpha"].target().source == "deployment alpha"
    assert found["zeta"].target({"ZETA_URL": "postgresql://u@h/z"}).database == "z"
    with pytest.raises(BadTarget, match=r"deployment zeta: \$ZETA_URL is not set"):
        found["zeta"].target({})


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[deployments."a b"]\ndb = "x"\n', "deployments.a b: a deployment's name is letters"),
        ("[deployments.a]\nread_only = true\n", "deployments.a: give exactly one of db, url"),
        (
            '[deployments.a]\ndb = "x"\nurl_env = "X"\n',
            "deployments.a: give exactly one of db, url or url_env (it has db, url_env)",
        ),
        ('[deployments.a]\ndb = "x"\npassword = "p"\n', "deployments.a.password: unknown key"),
        ('[deployments.a]\ndb = ""\n', "deployments.a.db: must be a non-empty string"),
        ('[deployments.a]\nurl_env = "1X"\n', "deployments.a.url_env: the name of an environment"),
        ('[deployments.a]\ndb = "x"\nread_only = "yes"\n', "deployments.a.read_only: must be"),
        ('[deployments.a]\ndb = "x"\ncolour = "ultraviolet"\n', "deployments.a.colour: not a"),
        ('deployments = "prod"\n', "deployments: must be tables"),
        ('[deployments]\na = "x"\n', "deployments.a: must be a table"),
    ],
)
def test_a_bad_deployment_is_one_line_naming_its_key(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert said in str(caught.value)
    assert "\n" not in str(caught.value)


def test_select_keeps_the_files_order_and_names_what_is_unknown() -> None:
    known = {n: Deployment(n, db=Path(f"/{n}.db")) for n in ("b", "a", "c")}
    assert [d.name for d in select(known, ("c", "b"), False)] == ["b", "c"]
    assert [d.name for d in select(known, (), True)] == ["b", "a", "c"]
    assert select(known, (), False) == []
    with pytest.raises(DeploymentError, match=r"-d x: no such deployment \(known: b, a, c\)"):
        select(known, ("x",), False)
    with pytest.raises(DeploymentError, match="declares no deployments"):
        select({}, (), True)


def test_remembering_a_theme_keeps_the_deployments(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'refresh = 2\n[keys]\nstatus-ended = "E"\n'
        '[deployments.acme]\nurl_env = "ACME_URL"\nread_only = true\ntitle = "Acme \\"prod\\""\n'
        '[deployments.beta]\ndb = "/srv/beta.db"\n'
    )
    before = load_config(path)
    remember(path, "theme", "textual-light")
    after = load_config(path)
    assert after.deployments == before.deployments
    assert after.keys == before.keys and after.theme == "textual-light"
    assert after.deployments["acme"].title == 'Acme "prod"'
