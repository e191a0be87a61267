"""The config file from the command line: where it is, what is in force and from where,
the command line over the file over the defaults, and a bad file in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.cli import common as cli_common
from tui.cli.main import cli
from tui.config import settings_default
from tui.settings import Settings
from tui.store.target import DbTarget

ROOT = Path(__file__).resolve().parents[2]


def run(config: Path, *args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, [str(a) for a in args], env={"SESSIONS_TUI_CONFIG": str(config)}
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def setting(out: str, name: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.split()[:1] == [name])
    return line.split(None, 2)[1:]


def test_config_without_a_file_says_where_it_would_be(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    code, out, err = run(path, "config")
    assert code == 0, err
    assert str(path) in out.splitlines()[0] and "not found" in out.splitlines()[0]
    assert setting(out, "refresh") == ["5", "default"]
    assert setting(out, "stale_after") == ["24h", "default"]
    assert setting(out, "page_size") == ["100", "default"]
    assert "status-ended" in out and "toggle-panel" in out


def test_the_command_line_wins_over_the_file_and_the_file_over_the_defaults(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'refresh = 2\nstale_after = "3h"\ntheme = "textual-light"\npage_size = 50\n'
        '\n[keys]\nstatus-ended = "E"\n'
    )
    code, out, err = run(path, "--stale-after", "2h", "config")
    assert code == 0, err
    assert "(" in out.splitlines()[0] and "found" in out.splitlines()[0]
    assert setting(out, "refresh") == ["2", "file"]
    assert setting(out, "stale_after") == ["2h", "command line"]
    assert setting(out, "theme") == ["textual-light", "file"]
    assert setting(out, "page_size") == ["50", "file"]
    assert any(
        line.split()[:2] == ["status-ended", "E"] and "(file; default 2)" in line
        for line in out.splitlines()
    )
    code, out, err = run(path, "--refresh", "7", "config")
    assert setting(out, "refresh") == ["7", "command line"]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('refresh = "fast"\n', "refresh: must be a number of seconds"),
        ("refresh = 0.1\n", "refresh: at least 0.5 seconds"),
        ('stale_after = "soon"\n', "stale_after: 'soon' is not a duration"),
        ("page_size = 5\n", "page_size: must be a whole number from 10 to 1000"),
        ("colour = 1\n", "colour: unknown setting"),
        ('[keys]\nnope = "e"\n', "keys.nope: no key binding has this id"),
        ('[keys]\nend = "q"\n', "keys.end: 'q' is already the key of quit (Quit)"),
        ('[keys]\nstatus-ended = "e"\n', "keys.status-ended: 'e' is already the key of export"),
        ('[keys]\nselect = "x"\n', "keys.select: 'x' is already the key of "),
        ("refresh = \n", "not valid TOML"),
        ('theme = "no-such-theme"\n', "theme: no theme 'no-such-theme'"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, content: str, said: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(content)
    # `config` checks the key ids and the theme as the dashboard would.
    code, out, err = run(path, "config")
    if "keys" in content or "theme" in content:
        assert code == 2, out + err
        # The dashboard refuses it at start with the same line.
        dash_code, _out, dash_err = run(path)
        assert (dash_code, dash_err) == (2, err)
    else:
        code, out, err = run(path, "reasons")
        assert code == 2, out + err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"Error: {path}: ") and said in line, line
    assert "Traceback" not in err


def _idle_rows(path: Path, url: str, *extra: str) -> int:
    code, out, err = run(
        path, "--url", url, *extra, "list", "--status", "active", "--limit", "0", "--format", "json"
    )
    assert code == 0, err
    return sum(1 for s in json.loads(out)["sessions"] if "idle" in s["stuck"])


def test_list_takes_stale_after_from_the_file_unless_the_command_line_says(
    service_db: DbTarget, empty_db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    default = _idle_rows(path, empty_db_url)
    assert default > 0, "the demo has idle sessions (quiet for days)"
    path.write_text('stale_after = "1000w"\n')
    assert _idle_rows(path, empty_db_url) == 0
    assert _idle_rows(path, empty_db_url, "--stale-after", "24h") == default


def test_the_search_window_comes_from_the_file_and_defaults_to_the_dashboards(
    tmp_path: Path, service_db: DbTarget, empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`search_window` (the sessions a free-text search reads before `n`): the file's,
    else the dashboard's own default, in `config` and in the dashboard's settings;
    outside 1,000 to 1,000,000 it is refused."""
    launched: list[Settings] = []
    monkeypatch.setattr(cli_common, "launch_dashboard", launched.append)
    path = tmp_path / "config.toml"
    code, out, err = run(path, "config")
    assert code == 0, err
    default = settings_default("search_window")
    assert setting(out, "search_window") == [str(default), "default"]
    assert run(path, "--url", empty_db_url)[0] == 0
    path.write_text("search_window = 50000\n")
    code, out, err = run(path, "config")
    assert setting(out, "search_window") == ["50000", "file"]
    assert run(path, "--url", empty_db_url)[0] == 0
    assert [s.search_window for s in launched] == [default, 50000]
    for bad in ("999", "2000000", '"big"', "true"):
        path.write_text(f"search_window = {bad}\n")
        code, out, err = run(path, "reasons")
        assert code == 2, out + err
        (line,) = err.strip().splitlines()
        assert "search_window: must be a whole number of sessions from 1000 to 1000000" in line


def _limit_memory() -> None:
    """At most 1 GiB of address space: a reader that never stops fails here, not the host."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "folder", "2 MiB"])
def test_only_a_regular_file_of_a_sane_size_is_read(tmp_path: Path, kind: str) -> None:
    """Refused before it is read, in one line, exit 2: a device never ends (memory grew
    without bound) and a named pipe waits for a writer (the tool hung). Run as a process
    with a time and a memory limit, so that the old behaviour fails instead of hanging."""
    if kind == "/dev/zero":
        path, said = Path("/dev/zero"), "a character device, not a config file"
    elif kind == "fifo":
        path, said = tmp_path / "config.toml", "a named pipe, not a config file"
        os.mkfifo(path)
    elif kind == "folder":
        path, said = tmp_path / "config.toml", "a folder, not a config file"
        path.mkdir()
    else:
        path, said = tmp_path / "config.toml", "larger than 1 MiB, not a config file"
        path.write_text("# padding\n" * ((2 << 20) // 10))
        assert path.stat().st_size > 1 << 20
    for args in (["config"], ["reasons"]):
        done = subprocess.run(
            [sys.executable, "-m", "tui", *args],
            env={**os.environ, "SESSIONS_TUI_CONFIG": str(path), "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_limit_memory,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 2, (args, done.stderr[-2000:])
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"Error: {path}: {said}"), line
        assert done.stdout == ""


@pytest.mark.parametrize(
    "keys", ['trends-window = "W"', 'audit-reload = "R"', 'export-cancel = "ctrl+g"']
)
def test_the_keys_of_every_screen_can_be_moved(tmp_path: Path, keys: str) -> None:
    """The Audit, Trends and Export screens' bindings are movable like the list's."""
    path = tmp_path / "config.toml"
    path.write_text(f"[keys]\n{keys}\n")
    code, out, err = run(path, "config")
    assert code == 0, err
    binding_id, key = keys.split(" = ")
    assert any(
        line.split()[:2] == [binding_id, key.strip('"')] and "(file; default" in line
        for line in out.splitlines()
    ), out
