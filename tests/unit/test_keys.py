"""The key ids `[keys]` can move are derived from the bindings: every `Binding(...,
id=...)` written anywhere in tui/app is found, whichever screen declares it."""

from __future__ import annotations

import ast
from pathlib import Path

from tui.app.app import binding_ids

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
