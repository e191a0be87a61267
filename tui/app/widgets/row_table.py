"""A DataTable whose cell updates repaint their own row, not the whole table.

Textual's `DataTable.update_cell` asks for the whole table to be painted again, and a
paint renders every visible cell through Rich: a table that takes its answers one row at
a time (the overview: each deployment's reading) paid for every row on each. Here an
update repaints the lines of its row alone, and `update_cells` (several cells of one
row) asks for them once. When the columns' widths change (measured when the table is
idle, as DataTable does), every row moves, so the whole table is painted again then.

A cell's width is measured once per value it holds, as Rich measures a `Text` (the
widest of its lines, which no console option changes: `text_width`), and kept; new rows
widen the columns from those widths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Self

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, RowKey


def text_width(text: Text) -> int:
    """The cells `text` takes on one line: its widest line (`Text.__rich_measure__`'s
    maximum, which reads no console option), 0 when it is empty."""
    return max(map(cell_len, text.plain.splitlines()), default=0)


class RowTable(DataTable[Text]):
    """A DataTable of text cells: `update_cell` and `update_cells` repaint the updated
    row only."""

    _updating_row: int | None = None
    """The row an `update_cell` is updating, while it runs."""
    _holding = False
    """While `update_cells` updates: its row is repainted once, after the last cell."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._measured: dict[CellKey, tuple[Text, int]] = {}
        """Each cell's width, with the value it was measured for."""

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Text,
        *,
        update_width: bool = False,
    ) -> None:
        """DataTable's update, its repaint narrowed to the row's lines."""
        key = row_key if isinstance(row_key, RowKey) else RowKey(row_key)
        self._updating_row = self.get_row_index(key) if key in self.rows else None
        try:
            super().update_cell(row_key, column_key, value, update_width=update_width)
        finally:
            self._updating_row = None

    def update_cells(self, row_key: str, cells: Mapping[str, Text]) -> None:
        """Several cells of one row (by column key), each as `update_cell` with
        `update_width`, and the row's lines asked to repaint once."""
        key = RowKey(row_key)
        self._holding = True
        try:
            for column_key, value in cells.items():
                super().update_cell(key, column_key, value, update_width=True)
        finally:
            self._holding = False
        self.refresh_row(self.get_row_index(key))

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if not regions and repaint and not layout and not recompose:
            if self._holding:
                return self
            if self._updating_row is not None:
                return self.refresh_row(self._updating_row)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        """DataTable's rule for the updated cells' columns (a wider cell widens its
        column; a narrower one has it measured again, here from the widths kept); the
        whole table repainted when a column's width changed (the rows not updated move
        too)."""
        before = self._widths()
        for row_key, column_key in updated_cells:
            column = self.columns.get(column_key)
            if column is None or row_key not in self.rows:
                continue
            label = text_width(column.label)
            width = self._width_of(row_key, column_key)
            if width < column.content_width:
                widths = (self._width_of(key, column_key) for key in self.rows)
                column.content_width = max(label, *widths)
            else:
                column.content_width = max(width, label)
        if self._widths() != before:
            self.refresh()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """DataTable's, the new rows of one line and no label widening the columns by
        their cells' kept widths (`_width_of`) instead of measuring each cell through
        the console; any other row DataTable's own way."""
        theirs: list[RowKey] = []
        for row_key in new_rows:
            row = self.rows.get(row_key)
            if row is None:
                continue  # removed before the table was idle, as DataTable skips it
            if row.label is not None or row.auto_height or row.height != 1:
                theirs.append(row_key)
                continue
            for column in self.columns.values():
                width = self._width_of(row_key, column.key)
                column.content_width = max(column.content_width, width)
        super()._update_dimensions(theirs)

    def _width_of(self, row_key: RowKey, column_key: ColumnKey) -> int:
        value = self.get_cell(row_key, column_key)
        key = CellKey(row_key, column_key)
        kept = self._measured.get(key)
        if kept is not None and kept[0] is value:
            return kept[1]
        if value is None:  # a row shorter than the columns: DataTable draws it empty
            width = 0
        elif isinstance(value, Text):
            width = text_width(value)
        else:
            width = measure(self.app.console, value, 1)
        self._measured[key] = (value, width)
        return width

    def _widths(self) -> tuple[int, ...]:
        return tuple(column.get_render_width(self) for column in self.columns.values())
