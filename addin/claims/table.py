"""The raw table every source is read into before normalisation.

A :class:`RawTable` is the input as the user sees it: one column per input column under a
unique header, every data row below the header (blank rows included) and the spreadsheet
row number of each. The CSV, xlsx, DataFrame and list-of-lists readers all produce one, so
normalisation has a single entry point.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Widest row read: Excel's own limit (column XFD). A wider row is refused up front.
MAX_COLUMNS = 16_384


class TooWideError(ValueError):
    """A row has more than :data:`MAX_COLUMNS` cells; ``row`` is its spreadsheet row number."""

    def __init__(self, row: int | None, count: int, *, at_least: bool = False) -> None:
        self.row = row
        self.count = count
        super().__init__(
            f"{'at least ' if at_least else ''}{count:,} columns in one row: more than "
            f"{MAX_COLUMNS:,} (Excel's limit) is refused (wrong delimiter, or not a claims file?)"
        )


@dataclass
class RawTable:
    """Input cells under their headers, before any normalisation.

    Attributes:
        data: one column per input column, named by :attr:`names` (unique); values as read
            (text stays text; xlsx cells are Python objects; CSV cells are ``str``).
        rows: spreadsheet row number of each data row (``int64``, same length as ``data``).
        headers: the header cell text of each column as typed (may repeat or be empty); alias
            matching uses these.
        header_row: spreadsheet row number of the header row.
        sheet: sheet name for workbooks, else None.
        notes: decisions taken while reading (shown to the user).
        extra_meta: source details for ``ClaimsInput.meta`` (encoding, delimiter).
    """

    data: pd.DataFrame
    rows: np.ndarray
    headers: list[str]
    header_row: int
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    extra_meta: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The unique column names of :attr:`data`, in input order."""
        return [str(c) for c in self.data.columns]


def cell_text(value: object) -> str:
    """A cell as the text a user would read in it (stripped; ``""`` when empty).

    Whole floats lose their ``.0`` (Excel stores ``1001`` as ``1001.0``), dates print as ISO.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return ""
        if number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return repr(number)
    if value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, dt.datetime):  # includes pandas Timestamp
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else cell_text(pd.Timestamp(value))
    return str(value).strip()


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index (0 -> ``A``, 27 -> ``AB``)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def unique_names(
    headers: Sequence[str], positions: Sequence[int] | None = None
) -> tuple[list[str], list[str]]:
    """Unique column names for ``headers`` and notes about what was renamed.

    An empty header becomes ``Column F`` (the Excel letter of its position in ``positions``,
    default its index); a repeated header gets ``.1``, ``.2`` suffixes in order, as pandas does.
    """
    if positions is None:
        positions = range(len(headers))
    names: list[str] = []
    seen: set[str] = set()
    counts: dict[str, int] = {}
    notes: list[str] = []
    for index, header in zip(positions, headers, strict=True):
        base = header if header else f"Column {column_letter(index)}"
        name = base
        if name in seen:
            counts[base] = counts.get(base, 0) + 1
            name = f"{base}.{counts[base]}"
            while name in seen:
                counts[base] += 1
                name = f"{base}.{counts[base]}"
        seen.add(name)
        names.append(name)
    counted = Counter(h for h in headers if h)  # in first-seen order
    for header, times in counted.items():
        if times > 1:
            notes.append(
                f'duplicate header "{header}" appears {times} times: '
                f"all kept (later copies suffixed .1, .2)"
            )
    return names, notes


def is_blank_cell(value: object) -> bool:
    """True for an empty cell: None, NaN/NaT, or text of only whitespace."""
    return cell_text(value) == ""


def blank_mask(column: pd.Series) -> np.ndarray:
    """Vectorised :func:`is_blank_cell` over a column (evaluated once per distinct value)."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) or dtype == "str":
        stripped = column.str.strip()
        return (column.isna() | (stripped == "")).to_numpy(dtype=bool, na_value=True)
    if dtype.kind in "biufcmM":
        return column.isna().to_numpy(dtype=bool)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    blank_unique = np.fromiter((is_blank_cell(u) for u in uniques), dtype=bool, count=len(uniques))
    return np.append(blank_unique, True)[codes]


def blank_rows(data: pd.DataFrame) -> np.ndarray:
    """True for each row whose cells are all blank.

    Column by column, only rows still blank so far are looked at: after the first columns
    hardly any candidates remain, so a wide table costs little more than a narrow one.
    """
    candidates = np.arange(len(data), dtype=np.int64)
    for name in data.columns:
        if not len(candidates):
            break
        column = data[name]
        subset = column if len(candidates) == len(data) else column.take(candidates)
        candidates = candidates[blank_mask(subset)]
    mask = np.zeros(len(data), dtype=bool)
    mask[candidates] = True
    return mask


def table_from_grid(
    grid: Sequence[Sequence[object]],
    header_index: int,
    *,
    first_row_number: int = 1,
    sheet: str | None = None,
) -> RawTable:
    """Build a :class:`RawTable` from rows of cells with the header at ``grid[header_index]``.

    ``first_row_number`` is the spreadsheet row number of ``grid[0]``. Ragged rows are padded
    with ``""``; a trailing column without header and without any value is dropped.
    """
    header_cells = list(grid[header_index])
    body = grid[header_index + 1 :]
    lengths = [len(header_cells)] + [len(r) for r in body]
    width = max(lengths)
    if width > MAX_COLUMNS:
        first = next(i for i, n in enumerate(lengths) if n > MAX_COLUMNS)
        raise TooWideError(first_row_number + header_index + first, lengths[first])
    headers = [cell_text(c) for c in header_cells] + [""] * (width - len(header_cells))
    if body and all(len(r) == width for r in body):
        columns = [np.array(col, dtype=object) for col in zip(*body, strict=True)]
    else:
        columns = []
        for j in range(width):
            col = np.empty(len(body), dtype=object)
            col[:] = [r[j] if j < len(r) else "" for r in body]
            columns.append(col)
    rows = np.arange(len(body), dtype=np.int64) + first_row_number + header_index + 1
    return _assemble(headers, columns, rows, first_row_number + header_index, sheet)


def table_from_columns(
    headers: list[str],
    columns: list[pd.Series | np.ndarray],
    rows: np.ndarray,
    header_row: int,
    sheet: str | None = None,
) -> RawTable:
    """Build a :class:`RawTable` from ready columns (CSV and DataFrame readers)."""
    return _assemble(headers, columns, rows, header_row, sheet)


def _assemble(
    headers: list[str],
    columns: list[pd.Series | np.ndarray],
    rows: np.ndarray,
    header_row: int,
    sheet: str | None,
) -> RawTable:
    if len(headers) > MAX_COLUMNS:
        raise TooWideError(header_row, len(headers))
    # Drop columns with no header and no value (Excel's trailing empty columns, ",,,").
    keep = [
        j
        for j, header in enumerate(headers)
        if header or not bool(blank_mask(_as_series(columns[j])).all())
    ]
    headers = [headers[j] for j in keep]
    names, notes = unique_names(headers, keep)
    # arrays, not Series: no index alignment (one reindex per column made wide files slow)
    data = pd.DataFrame(
        {name: _as_series(columns[j]).array for name, j in zip(names, keep, strict=True)},
        index=pd.RangeIndex(len(rows)),
        copy=False,
    )
    if not names:
        data = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    return RawTable(
        data=data,
        rows=np.asarray(rows, dtype=np.int64),
        headers=headers,
        header_row=header_row,
        sheet=sheet,
        notes=notes,
    )


def _as_series(column: pd.Series | np.ndarray) -> pd.Series:
    if isinstance(column, pd.Series):
        return column.reset_index(drop=True)
    return pd.Series(column, dtype=column.dtype if column.dtype != object else object)
