"""Issue 17's smaller screen defects: the reason panel's counts, the light theme's
colours, and ages of 100 days or more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rich.cells import cell_len
from rich.color import Color
from textual.app import App

from tests.support.rows import make_row
from tui.app import render
from tui.domain.columns import COLUMNS, Context
from tui.domain.timefmt import relative
from tui.domain.triggers import Behaviour
from tui.domain.wording import ODD


@pytest.mark.parametrize("count", [7, 12_345, 123_456, 9_999_999])
@pytest.mark.parametrize("name", ["conversation-closed", "a-reason-a-newer-service-wrote-long"])
def test_panel_counts_never_touch_the_name(name: str, count: int) -> None:
    plain = render.reason_label(name, count).plain.split("\n")[0]
    assert cell_len(plain) == render.PANEL_LABEL_WIDTH
    assert plain.endswith(f" {count:,}"), plain
    shown_name = plain[: -len(f"{count:,}")].rstrip()
    assert shown_name.endswith("…") or shown_name.endswith(name), plain


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        x = value / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = Color.parse(colour).get_truecolor()
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_every_colour_reads_on_its_theme(theme: str) -> None:
    """WCAG AA (4.5) for each word colour on the theme's background, surface and panel."""
    spec = App().available_themes[theme]
    variables = spec.to_color_system().generate()
    render.use_palette(spec.dark)
    try:
        styles = [render.behaviour_style(b) for b in Behaviour]
        styles += [
            render.status_style("active"),
            render.status_style("stuck"),
            render.status_style(ODD),
        ]
        p = render.palette()
        styles += [p.unrecognised, p.warning, p.info]
        for style in styles:
            colour = style.split()[-1]
            for ground in ("background", "surface", "panel"):
                ratio = contrast(colour, variables[ground])
                assert ratio >= 4.5, f"{style} on {theme}'s {ground}: {ratio:.2f}"
    finally:
        render.use_palette(True)


@pytest.mark.parametrize("days", [99, 100, 400, 699, 700, 3650])
def test_old_ages_fit_their_column(days: int) -> None:
    now = datetime(2026, 8, 1, tzinfo=UTC)
    row = make_row(now, started_at=now - timedelta(days=days, hours=1))
    ctx = Context(now=now, stale_after=timedelta(1))
    column = next(c for c in COLUMNS if c.key == "started")
    value = column.value(row, ctx)
    assert cell_len(value) <= column.width.screen, value
    assert value.endswith(" ago") and value == relative(row.started_at, now)
