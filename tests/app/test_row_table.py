"""The overview's table (`RowTable`): a cell's update repaints its own row's line (several
cells of a row, `update_cells`, ask for it once), and a column that widens or narrows
repaints every row, each still under its header. Its columns are as wide as DataTable
makes them for the same rows."""

from __future__ import annotations

from typing import Self

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import DataTable

from tests.support.app_helpers import screen_lines
from tui.app.widgets.row_table import RowTable

NAMES = ("alpha", "beta", "gamma", "delta")


class CountingTable(RowTable):
    """A RowTable that notes each line it renders (the Line API's own call)."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        """Each row index whose repaint was asked (`refresh_row`)."""
        super().__init__(cursor_type="row", zebra_stripes=True)
        self.drawn: list[int] = []

    def render_line(self, y: int) -> Strip:
        self.drawn.append(y)
        return super().render_line(y)

    def refresh_row(self, row_index: int) -> Self:
        self.asked.append(row_index)
        return super().refresh_row(row_index)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        self.table = CountingTable()
        yield self.table

    def on_mount(self) -> None:
        self.table.add_column("Name", key="Name")
        self.table.add_column("Count", key="Count")
        self.table.add_column("Note", key="Note")
        for name in NAMES:
            self.table.add_row(Text(name), Text("1"), Text("-"), key=name)


async def fresh(app: TableApp, pilot: Pilot[None]) -> CountingTable:
    """The app's table once its first rows are painted, with nothing noted yet."""
    await pilot.pause()
    app.table.drawn.clear()
    app.table.asked.clear()
    return app.table


def note_column(app: TableApp) -> set[int]:
    """Where the third column starts on the header's line and on each row's."""
    lines = screen_lines(app)[: 1 + len(NAMES)]
    return {line.index("Note") if "Note" in line else line.index("-") for line in lines}


async def test_an_update_repaints_its_row_and_a_resized_column_every_row() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = await fresh(app, pilot)
        table.update_cell("gamma", "Count", Text("7"), update_width=True)
        await pilot.pause()
        assert table.drawn == [1 + NAMES.index("gamma")]  # the header is line 0
        assert screen_lines(app)[3].split() == ["gamma", "7", "-"]

        table.drawn.clear()
        table.update_cell("beta", "Count", Text("12,345"), update_width=True)
        await pilot.pause()
        assert sorted(set(table.drawn)) == list(range(1 + len(NAMES)))
        lines = screen_lines(app)
        wide = note_column(app)
        assert len(wide) == 1, lines  # every row's third column starts under its header
        assert lines[2].split() == ["beta", "12,345", "-"]
        assert lines[3].split() == ["gamma", "7", "-"]

        table.drawn.clear()
        table.update_cell("beta", "Count", Text("2"), update_width=True)
        await pilot.pause()
        assert sorted(set(table.drawn)) == list(range(1 + len(NAMES)))
        narrow = note_column(app)
        assert len(narrow) == 1 and min(narrow) < min(wide), screen_lines(app)
        assert screen_lines(app)[2].split() == ["beta", "2", "-"]


async def test_the_cells_of_one_row_ask_for_its_repaint_once() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = await fresh(app, pilot)
        table.update_cells("delta", {"Count": Text("3"), "Note": Text("x")})
        assert table.asked == [NAMES.index("delta")]
        await pilot.pause()
        assert table.drawn == [1 + NAMES.index("delta")]
        assert screen_lines(app)[4].split() == ["delta", "3", "x"]

        table.drawn.clear()
        table.update_cells("alpha", {"Count": Text("12,345"), "Note": Text("wider")})
        await pilot.pause()
        assert sorted(set(table.drawn)) == list(range(1 + len(NAMES)))
        lines = screen_lines(app)
        assert lines[1].split() == ["alpha", "12,345", "wider"]
        assert lines[0].index("Note") == lines[1].index("wider") == lines[2].index("-"), lines


ODD_ROWS = (
    (Text("name"), Text("1"), Text("日本語の名前")),  # 6 characters, 12 cells
    (Text("two\nlines, the second wider"), Text("12,345", style="bold"), Text("-")),
    (Text("short row"),),  # fewer cells than columns
    (Text("tab\there"), Text("👍🏽"), Text("é" * 3)),
)


class BothTables(App[None]):
    """The same columns and rows in a DataTable and in a RowTable."""

    def compose(self) -> ComposeResult:
        self.plain: DataTable[Text] = DataTable()
        self.rows = RowTable()
        yield self.plain
        yield self.rows

    def on_mount(self) -> None:
        for table in (self.plain, self.rows):
            for label in ("Name", Text("Count ✓"), "Note"):
                table.add_column(label)
            for i, cells in enumerate(ODD_ROWS):
                table.add_row(*cells, key=str(i))


async def test_new_rows_widen_the_columns_as_datatable_measures_them() -> None:
    app = BothTables()
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        widths = [[c.content_width for c in t.columns.values()] for t in (app.plain, app.rows)]
        assert widths[0] == widths[1]
        assert widths[0][0] == len("lines, the second wider")  # the widest line
        assert widths[0][2] == 12
