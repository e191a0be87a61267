"""The reason panel's ticks as they are painted: a filter that changes them repaints only
the lines of the entries whose tick changed (`ReasonPanel.sync`), and what is painted is
what a whole repaint paints, with entries of two lines above them."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.app.widgets.reason_panel import ReasonPanel
from tui.domain.models import ReasonFacets
from tui.domain.triggers import KNOWN_REASONS, NEWEST


class PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ReasonPanel(lambda: False, id="reasons")


async def test_ticks_painted_line_by_line_are_what_a_whole_repaint_paints() -> None:
    retired = [wire for wire in KNOWN_REASONS if wire not in NEWEST.wires]
    app = PanelApp()
    async with app.run_test(size=(60, 40)) as pilot:
        panel = app.query_one(ReasonPanel)
        panel.set_vocabulary(NEWEST)
        groups = [(wire, False, 10 + i) for i, wire in enumerate([*NEWEST.wires, *retired])]
        panel.show_facets(ReasonFacets.from_groups(groups))
        await pilot.pause()
        assert panel.option_count == len(NEWEST.wires) + 1 + len(retired)
        assert panel.virtual_size.height > panel.option_count, "entries of two lines (an era)"
        for picked in (retired[-1], retired[-2], NEWEST.wires[0], retired[-1]):
            panel.sync(frozenset({picked}))
            await pilot.pause()
            painted = app.export_screenshot()
            assert panel.selected == [picked]
            panel.refresh()  # the whole panel, as `SelectionList.select` alone repaints it
            await pilot.pause()
            assert app.export_screenshot() == painted, f"ticking {picked}"
