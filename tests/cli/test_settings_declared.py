"""Each setting is declared once (`tui.config.SETTINGS`): the config file's key and its
check, the command-line option, the default, the `Settings` value and the line in
`sessions-tui config` all come from that one record."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import msgspec.structs
import pytest

from tui.config import SETTINGS, Setting
from tui.settings import Settings
from tui.store.target import sqlite_target

SETTINGS_FIELDS = {f.name: f for f in msgspec.structs.fields(Settings)}


@pytest.mark.parametrize("declared", SETTINGS, ids=lambda s: s.key)
def test_every_declaration_has_every_part(declared: Setting) -> None:
    assert declared.key.isidentifier() and declared.key.islower()
    assert declared.help.strip(), "its meaning, for `config` and the docs"
    assert declared.value_type in (int, float, str)
    if declared.default is not None:  # None: unset, the dashboard's own choice
        assert isinstance(declared.default, declared.value_type)
        assert declared.read(declared.default) == declared.default, "the default is valid"
    assert declared.show(declared.default).strip(), "its line in `config`"
    with pytest.raises(ValueError):
        declared.read(["not", "a", "value"])  # a TOML array is no setting's value
    if declared.field is not None:
        field = SETTINGS_FIELDS[declared.field]
        converted = declared.settings_value(declared.default)
        assert field.default == converted, "the Settings default is the declared one"
        assert Settings(sqlite_target(Path("x.db"))).setting(declared.key) == converted
    if declared.flag is not None:
        assert declared.flag.name == "--" + declared.key.replace("_", "-")
        assert declared.flag.metavar.isupper() and declared.flag.help.strip()
    assert [s.key for s in SETTINGS].count(declared.key) == 1
    assert [s.field for s in SETTINGS if s.field].count(declared.field) <= 1


TEST_ONLY = textwrap.dedent(
    """
    import sys
    import tui.config as config
    from tui.domain.timefmt import parse_duration
    config.SETTINGS = (*config.SETTINGS, config.Setting(
        key="expire_after",
        value_type=str,
        default="7d",
        read=config.text('must be a duration in quotes, e.g. expire_after = "7d"', parse_duration),
        help="how long an active session runs before it counts as expired",
        to_settings=parse_duration,
        flag=config.Flag("--expire-after", "DURATION", "Active this long is expired."),
    ))
    import tui.cli.common as common
    common.launch_dashboard = lambda s: print("dashboard expire_after", s.setting("expire_after"))
    from tui.cli.main import main
    main(sys.argv[1:])
    """
)


def with_test_setting(
    tmp_path: Path, *args: str, file: str = ""
) -> subprocess.CompletedProcess[str]:
    """The real CLI with one more declaration, added the way a new setting is added."""
    config = tmp_path / "config.toml"
    config.write_text(file)
    env = {**os.environ, "SESSIONS_TUI_CONFIG": str(config), "COLUMNS": "200"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", TEST_ONLY, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def in_force(output: str, key: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.split()[:1] == [key])


def test_one_declaration_is_the_whole_change(tmp_path: Path) -> None:
    helped = with_test_setting(tmp_path, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "--expire-after DURATION" in helped.stdout
    assert "Active this long is expired.  [default: 7d]" in helped.stdout

    default = with_test_setting(tmp_path, "config")
    assert default.returncode == 0, default.stderr
    assert in_force(default.stdout, "expire_after") == ["expire_after", "7d", "default"]

    in_file = with_test_setting(tmp_path, "config", file='expire_after = "3d"\n')
    assert in_force(in_file.stdout, "expire_after") == ["expire_after", "3d", "file"]

    given = with_test_setting(
        tmp_path, "--expire-after", "2h", "config", file='expire_after = "3d"\n'
    )
    assert in_force(given.stdout, "expire_after") == ["expire_after", "2h", "command", "line"]

    bad_file = with_test_setting(tmp_path, "config", file="expire_after = 5\n")
    assert bad_file.returncode == 2
    assert bad_file.stderr.strip().endswith(
        'expire_after: must be a duration in quotes, e.g. expire_after = "7d"'
    )
    bad_flag = with_test_setting(tmp_path, "--expire-after", "soon", "config")
    assert bad_flag.returncode == 2
    assert "Invalid value for '--expire-after': 'soon' is not a duration" in bad_flag.stderr

    database = tmp_path / "service.db"
    database.touch()
    started = with_test_setting(tmp_path, "--db", str(database), file='expire_after = "3d"\n')
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "dashboard expire_after 3 days, 0:00:00"
