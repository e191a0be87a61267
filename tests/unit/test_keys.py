"""The key ids `[keys]` can move are derived from the bindings: every `Binding(...,
id=...)` written anywhere in tui/app is found, whichever screen declares it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import OptionList

from tui.app.app import binding_ids
from tui.app.keys import SPOKEN, builtin_key, declared

APP = Path(__file__).resolve().parents[2] / "tui" / "app"


def _written_ids() -> dict[str, str]:
    """Every binding id in the source of tui/app, read from the text (not imported)."""
    found: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or getattr(node.func, "id", None) != "Binding":
                continue
            for kw in node.keywords:
                if kw.arg == "id" and isinstance(kw.value, ast.Constant):
                    found[str(kw.value.value)] = path.relative_to(APP).as_posix()
    return found


def test_every_binding_with_an_id_can_be_moved() -> None:
    written = _written_ids()
    missed = {i: where for i, where in written.items() if i not in binding_ids()}
    assert not missed, f"bindings [keys] cannot move: {missed}"
    assert {"trends-window", "audit-reload", "export-cancel", "end"} <= set(written)


KEY_WORDS = frozenset({"end", "home", "up", "down", "left", "right", "1", "2", "3"})
"""Keys whose names are also words or numbers of the texts ("the end was written",
"3 sessions")."""

NAMED_LITERALLY: set[tuple[str, str]] = set()
"""Texts allowed to name a key literally: none."""


def _literal_key_names(root: Path = APP) -> set[tuple[str, str]]:
    """Each text of tui/app (not a docstring) that names a key of ours as it does
    something ("x ends them", "r retries") or is pressed ("Press q"), written literally."""
    names = {SPOKEN.get(k.strip(), k.strip()) for o in declared() for k in o.binding.key.split(",")}
    names |= {o.binding.key_display for o in declared() if o.binding.key_display}
    names -= KEY_WORDS
    alt = "|".join(sorted((re.escape(k) for k in names), key=len, reverse=True))
    said = re.compile(rf"(?:^|(?<=[\s(·,]))(?:[Pp]ress (?:{alt})\b|(?:{alt}) [a-z]+s\b)")
    found = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        docs = {
            id(n.value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
            ):
                where = path.relative_to(root).as_posix()
                found |= {(where, m.group(0)) for m in said.finditer(node.value)}
    return found


def test_no_text_names_a_key_literally() -> None:
    """A text that names a key takes it from the live binding (`SessionsApp.key_of`), so
    `[keys]` moves the name with the key."""
    unlisted = _literal_key_names() - NAMED_LITERALLY
    assert not unlisted, f"name these keys with key_of(binding id): {sorted(unlisted)}"


def test_the_scan_sees_a_key_written_into_a_text(tmp_path: Path) -> None:
    (tmp_path / "sample.py").write_text(
        "def f(screen):\n"
        '    """r retries: a docstring is not shown."""\n'
        '    screen.notify("Selected 3 sessions: x ends them")\n'
        '    screen.notify("Press q to quit; the end was written; (esc cancels)")\n'
        '    screen.notify(f"{key} ends them")\n'
    )
    assert _literal_key_names(tmp_path) == {
        ("sample.py", "x ends"),
        ("sample.py", "Press q"),
        ("sample.py", "esc cancels"),
    }


def test_textuals_own_keys_are_named_from_their_bindings() -> None:
    """ctrl+q (the App's quit) and an OptionList's enter have no id: `[keys]` does not
    move them, and the texts name them from Textual's bindings."""
    assert builtin_key(App, "quit") == "ctrl+q"
    assert builtin_key(OptionList, "select") == "enter"
    with pytest.raises(KeyError):
        builtin_key(OptionList, "no-such-action")


def test_a_binding_id_declared_on_several_screens_is_the_same_key_everywhere() -> None:
    """`key_of` looks among the modules already imported first (the other screens load
    when first pushed), and a list declared as a view reuses the sessions list's ids
    (one `[keys]` entry moves the key on both lists): every declaration of an id binds
    the same keys with the same display, so `key_of` names the key the full walk of
    `declared` finds, whichever declaration it meets first."""
    seen: dict[str, tuple[str, str | None]] = {}
    differ: list[str] = []
    for owned in declared():
        b = owned.binding
        if not b.id:
            continue
        shape = (b.key, b.key_display)
        if seen.setdefault(b.id, shape) != shape:
            differ.append(f"{b.id}: {seen[b.id]} vs {shape} ({owned.owner.__name__})")
    assert not differ, f"binding ids bound to other keys on another screen: {differ}"
    assert len(seen) >= 40, "declared() walks every module of tui.app"
