"""Split before you add: the size limits the developers' guide sets, checked.

A module of `tui/` over 600 lines, or the main screen at 400 lines or 30 methods, is a
sign that concerns have gathered in one place again: split it by concern (see
`tui/app/screens/main.py` for how the list's concerns are held).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import tui
from tui.app.screens import main

ROOT = Path(tui.__file__).parent
MODULE_LINES = 600
MAIN_LINES = 400
MAIN_METHODS = 30


def methods_in(source: str, name: str) -> list[str]:
    """The functions class `name` defines in its own body (properties and handlers too;
    not those of a nested class)."""
    tree = ast.parse(source)
    found = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    assert len(found) == 1, f"{name} is defined once"
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return [n.name for n in found[0].body if isinstance(n, kinds)]


def test_no_module_of_tui_is_over_600_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(ROOT.rglob("*.py"))
    }
    assert len(sizes) > 50, "every module of tui/ is measured"
    over = {path: n for path, n in sizes.items() if n > MODULE_LINES}
    assert over == {}, f"split these by concern (over {MODULE_LINES} lines): {over}"


def test_the_main_screen_is_under_400_lines_and_30_methods() -> None:
    source = inspect.getsource(main)
    lines = len(source.splitlines())
    assert lines < MAIN_LINES, f"tui/app/screens/main.py: {lines} lines"
    methods = methods_in(source, "MainScreen")
    assert len(methods) < MAIN_METHODS, f"MainScreen: {len(methods)} methods: {methods}"


def test_the_method_count_sees_every_kind_of_method() -> None:
    """Plain, async, property and handler methods count; a nested class's do not."""
    source = (
        "class Probe:\n"
        "    @property\n    def a(self): ...\n"
        "    async def b(self): ...\n"
        "    @on(Message)\n    def c(self, m): ...\n"
        "    X = 1\n"
        "    class Inner:\n        def d(self): ...\n"
    )
    assert methods_in(source, "Probe") == ["a", "b", "c"]
