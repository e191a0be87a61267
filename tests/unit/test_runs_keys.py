"""The runs key is a binding like any other: `[keys]` can move it, and is refused when
it would take a key the runs list or the sessions list already answers."""

from __future__ import annotations

from tui.app.keys import binding_ids, key_problem
from tui.app.screens.runs import RUNS_VIEW


def test_the_runs_key_can_be_moved_and_not_onto_a_taken_key() -> None:
    assert binding_ids()["runs"] == "W"
    assert key_problem({"runs": "R"}) is None
    refused = key_problem({"runs": "s"})
    assert refused is not None and "stuck" in refused


def test_the_runs_list_shares_the_sessions_lists_binding_ids() -> None:
    """Moving `export` (or search, refresh, copy-id, back, clear, stuck) moves it on both."""
    ids = {b.id for b in RUNS_VIEW.bindings}
    assert {"search", "refresh", "export", "copy-id", "back", "clear", "stuck", "runs"} <= ids
    assert key_problem({"export": "E", "copy-id": "Y"}) is None
