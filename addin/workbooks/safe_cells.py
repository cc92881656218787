"""Cells whose text came from a user's file: always written as text, never as a formula.

openpyxl turns any string that starts with ``=`` into a formula and strings such as ``#N/A``
into error cells; a claims file could therefore smuggle ``=HYPERLINK(...)`` or ``=WEBSERVICE``
into the audit report (formula injection). Every input-derived value goes through
:func:`safe_value` (write-only sheets) or :func:`set_text` (ordinary sheets), which force the
cell type to text. Strings starting with ``+``, ``-`` or ``@`` are already written as text by
openpyxl; spreadsheet apps only parse those when a person types them.

The module also turns pandas/numpy scalars into values openpyxl can write (NaN and NaT become
empty cells) and removes the control characters XML cannot hold.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from copy import copy

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

from addin.workbooks import styles

MAX_CELL_TEXT = 32767
_NEEDS_CARE = re.compile(r"^[=#]|[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ERRORS = frozenset(ERROR_CODES)


def clean_text(text: str) -> str:
    """Text a cell can hold: control characters replaced, at most 32,767 characters."""
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return text[:MAX_CELL_TEXT]


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pd.NA."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.floating):
        return bool(np.isnan(value))
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    return False


class CellMaker:
    """Builds write-only cells for one sheet, caching each named style's resolved StyleArray.

    Assigning ``cell.style = name`` looks the name up every time; copying a cached style array
    is several times faster, which matters on sheets with millions of cells.
    """

    def __init__(self, ws) -> None:
        self.ws = ws
        self._styles: dict[str, object] = {}

    def _style_array(self, style: str):
        cached = self._styles.get(style)
        if cached is None:
            probe = WriteOnlyCell(self.ws)
            probe.style = style
            cached = self._styles[style] = probe._style
        return cached

    def cell(self, value: object = None, style: str | None = None, text: bool = False) -> WriteOnlyCell:
        """A cell holding ``value`` with a named style; strings always stay text."""
        cell = WriteOnlyCell(self.ws)
        if text or isinstance(value, str):
            cell.value = clean_text(str(value))
            cell.data_type = "s"
        else:
            cell.value = value
        if style:
            cell._style = copy(self._style_array(style))
        return cell

    def restyle(self, cell, style: str):
        """Give an existing write-only cell a named style; returns the cell."""
        cell._style = copy(self._style_array(style))
        return cell

    def text(self, value: str, style: str | None = None) -> WriteOnlyCell:
        """A text cell (never a formula or an error value)."""
        return self.cell(value, style, text=True)

    def formula(self, formula: str, style: str | None = None) -> WriteOnlyCell:
        """A formula cell (only for formulas the program writes, never input text)."""
        if not formula.startswith("="):
            raise ValueError(f"not a formula: {formula!r}")
        cell = WriteOnlyCell(self.ws, formula)
        if style:
            cell._style = copy(self._style_array(style))
        return cell

    def safe_value(self, value: object, date_style: str = styles.STYLE_DATE) -> object:
        """Any scalar from a DataFrame as a value/cell openpyxl writes without interpreting it.

        Plain strings, numbers and booleans pass through (cheap); strings that openpyxl
        would read as a formula or an error code, or that hold control characters, become
        text cells; dates get a date format; missing values become None.
        """
        kind = type(value)
        if kind is str:
            if value and _NEEDS_CARE.search(value) is None and len(value) <= MAX_CELL_TEXT:
                return value
            if not value:
                return None
            if value[0] == "=" or value in _ERRORS:
                return self.text(value)
            return clean_text(value)
        if kind is int or kind is bool:
            return value
        if kind is float:
            return None if math.isnan(value) or math.isinf(value) else value
        if is_missing(value):
            return None
        if isinstance(value, (np.integer,)):
            return int(value)
        if isinstance(value, (np.floating,)):
            number = float(value)
            return None if math.isinf(number) else number
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value)
        if isinstance(value, pd.Timestamp):
            if value.tzinfo is not None:
                value = value.tz_localize(None)
            value = value.to_pydatetime()
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.replace(tzinfo=None)
            style = date_style if value.time() == dt.time() else styles.STYLE_DATETIME
            return self.cell(value, style)
        if isinstance(value, dt.date):
            return self.cell(value, date_style)
        if isinstance(value, (dt.time, dt.timedelta)):
            return self.cell(value)
        if isinstance(value, str):  # str subclasses (numpy.str_)
            return self.safe_value(str(value), date_style)
        return self.safe_value(str(value), date_style)

    def safe_row(self, values: Iterable[object]) -> list[object]:
        """:meth:`safe_value` over a row."""
        return [self.safe_value(value) for value in values]


def frame_rows(maker: CellMaker, frame: pd.DataFrame, chunk: int = 20_000):
    """Yield the rows of a DataFrame as safe values, converting column-wise in chunks.

    Columns of dtype datetime64 are converted once per chunk; everything else per value
    through :meth:`CellMaker.safe_value` (with a fast path for plain strings and numbers).
    """
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        columns: list[Sequence[object]] = []
        for name in part.columns:
            column = part[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                column = column.astype(object)
            values = column.to_numpy(dtype=object)
            columns.append([maker.safe_value(v) for v in values])
        yield from zip(*columns, strict=True)


def set_text(cell, value: object) -> None:
    """Write a value into an ordinary worksheet cell as text (never a formula)."""
    if is_missing(value):
        cell.value = None
        return
    cell.value = clean_text(str(value))
    cell.data_type = "s"
