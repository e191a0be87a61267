"""Tests read no private attributes: they check what the app, the CLI and the database
show (screen text, output, rows, public API), so the code under test may be rearranged
freely. At most `MAX_LEFT` reads remain, each listed in `LEFT` and marked in the source
with a `# Private read: <reason>` comment on its line or the line above.

A private attribute is a name with one leading underscore (`obj._x`,
`getattr(obj, "_x")`, `monkeypatch.setattr(obj, "_x", …)`, `from tui.m import _x`), read
or written. Not counted: an object's own names (`self._x`, `cls._x`, and any `_x` the same
test module defines as an instance or class attribute), and the few underscore names that
are public API (`PUBLIC_UNDERSCORED`).
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

MAX_LEFT = 5

PUBLIC_UNDERSCORED = frozenset({"_replace", "_asdict", "_fields", "_make", "_mapping"})
"""A named tuple's methods and SQLAlchemy's `Row._mapping`: underscored only to keep
clear of field names."""

LEFT: Counter[tuple[str, str]] = Counter(
    {
        ("support/app_helpers.py", "_compositor"): 1,
        ("bench/harness.py", "_display"): 2,
        ("bench/inproc.py", "_driver"): 1,
    }
)
"""(file under tests/, attribute): how many times; each site carries its reason."""

MARK = "# Private read:"
ATTRIBUTE_CALLS = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _own_names(tree: ast.Module) -> set[str]:
    """The private names this module defines: `self._x = …`, and a class's methods and
    attributes."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                own.add(node.attr)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    own.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    own.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    own.update(t.id for t in item.targets if isinstance(t, ast.Name))
    return {name for name in own if _private(name)}


def _named(node: ast.AST) -> str | None:
    """The private name this node reads or writes, if any."""
    if isinstance(node, ast.Attribute) and _private(node.attr):
        receiver = node.value
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            return None
        return node.attr
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if (  # monkeypatch.setattr("pkg.mod._x", …)
            called in ("setattr", "delattr")
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and "." in first.value
        ):
            last = first.value.rsplit(".", 1)[1]
            return last if _private(last) else None
        if called in ATTRIBUTE_CALLS and len(node.args) >= 2:  # getattr(obj, "_x"), …
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return name.value if _private(name.value) else None
    if isinstance(node, ast.ImportFrom) and node.module and not node.module.startswith("tests"):
        names = [alias.name for alias in node.names if _private(alias.name)]
        return names[0] if names else None
    return None


def private_reads(root: Path = TESTS) -> list[tuple[str, int, str]]:
    """(file under `root`, line, name) of every counted private read."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        own = _own_names(tree)
        for node in ast.walk(tree):
            name = _named(node)
            if name is None or name in own or name in PUBLIC_UNDERSCORED:
                continue
            found.append((path.relative_to(root).as_posix(), node.lineno, name))  # type: ignore[attr-defined]
    return sorted(found)


def test_at_most_the_listed_private_reads_remain() -> None:
    found = private_reads()
    counted = Counter((path, name) for path, _line, name in found)
    unlisted = [f"{p}:{line}: {name}" for p, line, name in found if (p, name) not in LEFT]
    assert not unlisted, "read what the app shows, not its private attributes:\n" + "\n".join(
        unlisted
    )
    assert counted == LEFT, "LEFT lists a private read that is gone: drop it from the list"
    assert sum(LEFT.values()) <= MAX_LEFT


def test_each_private_read_left_says_why() -> None:
    for path, line, name in private_reads():
        lines = (TESTS / path).read_text(encoding="utf-8").splitlines()
        nearby = lines[line - 1] + lines[line - 2] if line > 1 else lines[line - 1]
        assert MARK in nearby, f"{path}:{line}: {name} without a '{MARK} <reason>' comment"


def test_the_scan_finds_each_form_of_private_read(tmp_path: Path) -> None:
    """The checker itself: every form counts, an object's own names do not."""
    (tmp_path / "sample.py").write_text(
        "from tui.store import _warm_sql\n"
        "from tests.support import _helper\n"
        "class Own:\n"
        "    def __init__(self):\n"
        "        self._mine = 1\n"
        "    def _step(self):\n"
        "        return self._mine + other._mine + self._step()\n"
        "def test(app, monkeypatch, row, point):\n"
        "    app._facets\n"
        "    getattr(app, '_rows')\n"
        "    monkeypatch.setattr(app, '_timer', None)\n"
        "    monkeypatch.setattr('tui.app.data._cache', None)\n"
        "    app.__class__, row._mapping, point._replace(x=1)\n"
    )
    assert private_reads(tmp_path) == [
        ("sample.py", 1, "_warm_sql"),
        ("sample.py", 9, "_facets"),
        ("sample.py", 10, "_rows"),
        ("sample.py", 11, "_timer"),
        ("sample.py", 12, "_cache"),
    ]
