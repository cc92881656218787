"""Append rows to a write-only sheet while knowing the row number and fitting wrapped text."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.cell import Cell

from addin.workbooks import styles
from addin.workbooks.safe_cells import CellMaker


def _wrapped_text(value: object) -> object:
    """The text of a cell that wraps (its style says so); None for anything else."""
    if isinstance(value, Cell) and value.has_style and value.alignment.wrap_text:
        return value.value
    return None


def top_aligned(maker: CellMaker, values: Sequence[object]) -> list[object]:
    """The row's values as cells aligned to the top (for rows taller than one line)."""
    out: list[object] = []
    for value in values:
        if value is None:
            out.append(None)
        elif isinstance(value, Cell):
            if not value.has_style:
                maker.restyle(value, styles.STYLE_PLAIN)
            out.append(value)
        else:
            out.append(maker.cell(value, styles.STYLE_PLAIN))
    return out


class RowWriter:
    """Appends rows to a sheet; sets column widths first and row heights for wrapped cells."""

    def __init__(self, ws, widths: Sequence[float], maker: CellMaker | None = None) -> None:
        self.ws = ws
        self.maker = maker or CellMaker(ws)
        self.widths = list(widths)
        self.row = 0
        styles.set_widths(ws, self.widths)

    def add(self, values: Sequence[object] | None = None, wrap: bool = False, bold: bool = False) -> int:
        """Append a row; returns its number.

        ``wrap``: make the row tall enough for its wrapping cells (cells whose style wraps).
        """
        number = self.row + 1
        values = list(values or [])
        if wrap and values:
            # tall rows: keep every cell at the top, not only the styled ones
            values = top_aligned(self.maker, values)
            height = styles.row_height([_wrapped_text(v) for v in values], self.widths, bold=bold)
            if height:
                self.ws.row_dimensions[number].height = height
        self.ws.append(values)
        self.row = number
        return number
