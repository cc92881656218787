"""Small tables as a grid of cells with line numbers: CSV text or one spreadsheet sheet.

The official MUE, RVU, AOC and HCPCS files are tens of thousands of rows at most, so they are
read whole into a :class:`Grid` (the ``csv`` module or python-calamine), the header row is found
by content, and the rows under it become a DataFrame of text with the line (CSV) or row
(spreadsheet) number of each record kept for error messages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.errors import InputFileError
from addin.reference.importers.common import RowContext, Source, cell_text

csv.field_size_limit(16 * 1024 * 1024)

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls


@dataclass
class Grid:
    """Rows of cells, each with the line (CSV) or spreadsheet row it starts on."""

    source: Source
    rows: list[list[object]]
    lines: list[int]
    kind: str  # "csv" or "xlsx"
    sheet: str = ""

    @property
    def where(self) -> str:
        """File name, with the sheet for workbooks (``AOC.xlsx [Sheet1]``)."""
        return f"{self.source.name} [{self.sheet}]" if self.sheet else self.source.name

    def head_text(self, limit: int = 40) -> list[list[str]]:
        """The first rows as stripped text (for recognising the layout)."""
        return [[_text(c) for c in row] for row in self.rows[:limit]]

    def find_row(self, match: Callable[[list[str]], bool], limit: int = 40) -> int | None:
        """Index of the first of the first ``limit`` rows that ``match`` accepts."""
        for index, row in enumerate(self.head_text(limit)):
            if match(row):
                return index
        return None

    def frame(
        self, start: int, names: Sequence[str], *, stop_at_blank_code: bool = False
    ) -> tuple[pd.DataFrame, RowContext]:
        """Rows from ``start`` on as text columns ``names`` (blank rows dropped).

        Rows narrower than ``names`` are padded with ``""``; wider rows must have nothing in
        the extra cells, else the file is refused at that row.
        """
        width = len(names)
        body = self.rows[start:]
        lines = np.asarray(self.lines[start:], dtype=np.int64)
        wide = [
            i
            for i, row in enumerate(body)
            if len(row) > width and any(_text(c) for c in row[width:])
        ]
        if wide:
            row = body[wide[0]]
            extra = [_text(c) for c in row[width:] if _text(c)]
            raise InputFileError(
                self.where,
                f"expected {width} columns, found {width + len(extra)} (extra value {extra[0]!r})",
                line=int(lines[wide[0]]),
            )
        padded = [list(row[:width]) + [""] * (width - len(row)) for row in body]
        raw = pd.DataFrame(padded, columns=list(names), dtype=object)
        text = (
            pd.DataFrame({name: cell_text(raw[name]) for name in names})
            if len(raw)
            else (pd.DataFrame({name: pd.Series([], dtype="str") for name in names}))
        )
        keep = ~(text == "").all(axis=1).to_numpy() if len(text) else np.zeros(0, dtype=bool)
        text = text[keep].reset_index(drop=True)
        kept_lines = lines[keep]
        ctx = RowContext(self.where, lambda i: int(kept_lines[i]))
        return text, ctx


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_csv_grid(source: Source, text: str, delimiter: str = ",") -> Grid:
    """Parse CSV text (quoted cells may hold line breaks) keeping each record's first line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[object]] = []
    lines: list[int] = []
    previous_end = 0
    try:
        for record in reader:
            rows.append(record)  # type: ignore[arg-type]
            lines.append(previous_end + 1)
            previous_end = reader.line_num
    except csv.Error as exc:
        raise InputFileError(source.name, f"not valid CSV: {exc}", line=reader.line_num) from exc
    return Grid(source, rows, lines, "csv")


def is_workbook(data: bytes) -> bool:
    """True for .xlsx/.xlsm (a zip holding ``xl/``) and legacy .xls files."""
    if data.startswith(OLE2_MAGIC):
        return True
    if not data.startswith(XLSX_MAGIC):
        return False
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.startswith("xl/") for name in archive.namelist())
    except zipfile.BadZipFile:
        return False


def read_workbook(source: Source) -> list[Grid]:
    """Every sheet of a workbook as a grid (row numbers as Excel shows them)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(source.data))
        grids = []
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            grids.append(Grid(source, rows, list(range(1, len(rows) + 1)), "xlsx", name))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputFileError(source.name, f"not a readable spreadsheet: {exc}") from exc
    return grids


def sniff_delimiter(first_line: str) -> str:
    """The delimiter of a plain CSV header line: comma, semicolon, tab or pipe."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","
