"""Render whole columns of worksheet cells to XML at once (pyarrow string kernels).

:class:`~addin.workbooks.fast_rows.StreamedRows` renders a row at a time in Python, about a
microsecond per cell; a 100k-line findings-heavy report has ~4 million cells. Here each
column of a block of rows becomes one Arrow string array of ``<c>`` elements (escaped text as
inline strings, numbers, booleans, dates as serial numbers with their date style), and the
rows are joined element-wise, so the per-cell work runs in C++.

The XML is the same as the row renderer's (tests compare both): text is always an inline
string, so input text can never become a formula; empty cells are left out unless styled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from addin.workbooks.safe_cells import MAX_CELL_TEXT

_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_CARE = r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]"
_EDGE_SPACE = r"^[ \t\r\n]|[ \t\r\n]$"
_EPOCH_NS = np.datetime64(dt.datetime(1899, 12, 30), "ns").astype(np.int64)
_DAY_NS = 86_400 * 10**9
_EXACT_INTEGERS = 1e15  # integer-valued floats below this are written as integers
#: Text columns whose strings average at most this many bytes are rendered per distinct value
#: (codes, ids, severities repeat); longer texts (messages) are rendered as they are.
SHORT_TEXT = 32

#: A column's cells: one array of XML texts, or pieces (arrays and scalars) whose element-wise
#: concatenation is that array (joined once, with the whole row, by :func:`rows_xml`).
Cells = "pa.Array | tuple"


def join(*pieces) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    return pc.binary_join_element_wise(*pieces, "")


def materialize(cells) -> pa.Array:
    """A column's :data:`Cells` as one array."""
    return join(*cells) if isinstance(cells, tuple) else cells


def byte_lengths(values: pa.Array) -> np.ndarray:
    """UTF-8 byte length of each string (0 for null), read from the offsets (no pass over text)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(values.buffers()[1], dtype=kind)[values.offset : values.offset + len(values) + 1]
    return np.diff(offsets).astype(np.int64)


def escape_text(values: pa.Array, lengths: np.ndarray | None = None) -> pa.Array:
    """Text as XML element content: control characters replaced, cut to 32,767, & < > escaped."""
    lengths = byte_lengths(values) if lengths is None else lengths
    # bytes >= characters: count characters only when some string may be too long
    if len(lengths) and lengths.max() > MAX_CELL_TEXT and pc.max(pc.utf8_length(values)).as_py() > MAX_CELL_TEXT:
        values = pc.utf8_slice_codeunits(values, 0, MAX_CELL_TEXT)
    if not pc.any(pc.match_substring_regex(values, _CARE)).as_py():
        return values
    if pc.any(pc.match_substring_regex(values, _ILLEGAL)).as_py():
        values = pc.replace_substring_regex(values, _ILLEGAL, "\ufffd")
    return escape_markup(values)


def escape_markup(values: pa.Array, quotes: bool = False) -> pa.Array:
    """``&``, ``<``, ``>`` (and with ``quotes`` also ``"``) as entities."""
    pattern = r'[&<>"]' if quotes else r"[&<>]"
    if not pc.any(pc.match_substring_regex(values, pattern)).as_py():
        return values
    values = pc.replace_substring(values, "&", "&amp;")
    values = pc.replace_substring(values, "<", "&lt;")
    values = pc.replace_substring(values, ">", "&gt;")
    if quotes:
        values = pc.replace_substring(values, '"', "&quot;")
    return values


def integers_text(values: np.ndarray) -> pa.Array:
    """Integers as decimal text."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def _numbers_text(numbers: np.ndarray) -> pa.Array:
    """Floats as text: integer-valued ones as integers (like the row renderer), others shortest."""
    whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < _EXACT_INTEGERS)
    as_int = integers_text(np.where(whole, numbers, 0).astype(np.int64))
    as_float = pc.cast(pa.array(np.where(whole, 0.0, numbers)), pa.string())
    return pc.if_else(pa.array(whole), as_int, as_float)


class ColumnRenderer:
    """Cells of one column for a block of rows; ``refs`` are the cell references' prefixes."""

    def __init__(self, letter: str, rows_text: pa.Array, date_attr: str, datetime_attr: str,
                 fallback: Callable[[str, object, str | None], str]) -> None:
        self.open = f'<c r="{letter}'
        self.letter = letter
        self.rows_text = rows_text
        self.date_attr = date_attr
        self.datetime_attr = datetime_attr
        self.fallback = fallback

    # ------------------------------------------------------------------ shapes
    def _empty(self, style) -> pa.Array | str:
        """Empty cells: nothing when unstyled, else ``<c r=".." s=".."/>``."""
        if isinstance(style, str):
            if not style:
                return ""
            return join(self.open, self.rows_text, '"' + style + "/>")
        styled = join(self.open, self.rows_text, '"', style, "/>")
        return pc.if_else(pc.equal(style, ""), "", styled)

    @staticmethod
    def _choose(empty_mask: np.ndarray, empty, full: tuple) -> Cells:
        """``full`` (pieces, joined with the row later) where no cell is empty, else one array."""
        if not empty_mask.any():
            return full
        return pc.if_else(pa.array(empty_mask), empty, join(*full))

    def _quoted(self, style) -> pa.Array | str:
        return '"' + style if isinstance(style, str) else join('"', style)

    # ------------------------------------------------------------------ kinds
    def text(self, values: pa.Array, style) -> Cells:
        """Inline-string cells (missing and empty strings are empty cells)."""
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if values.null_count:
            values = pc.fill_null(values, "")
        lengths = byte_lengths(values)
        empty = lengths == 0
        if len(values) and lengths.sum() <= SHORT_TEXT * len(values):
            encoded = pc.dictionary_encode(values)
            if len(encoded.dictionary) * 2 <= len(values):
                content = self._content(encoded.dictionary)
                content = pc.take(content, encoded.indices)
                full = (self.open, self.rows_text, self._quoted(style), content)
                return self._choose(empty, self._empty(style), full)
        full = (self.open, self.rows_text, self._quoted(style), self._content(values, lengths))
        return self._choose(empty, self._empty(style), full)

    @staticmethod
    def _content(values: pa.Array, lengths: np.ndarray | None = None) -> pa.Array:
        """What follows a text cell's style: `` t="inlineStr"><is><t>..</t></is></c>``."""
        values = escape_text(values, lengths)
        tag = ' t="inlineStr"><is><t>'
        preserve = pc.match_substring_regex(values, _EDGE_SPACE)
        if pc.any(preserve).as_py():
            tag = pc.if_else(preserve, ' t="inlineStr"><is><t xml:space="preserve">', tag)
        return join(tag, values, "</t></is></c>")

    def numbers(self, numbers: np.ndarray, style, integers: bool = False) -> Cells:
        """Number cells; NaN and infinities are empty cells."""
        if integers:
            empty = np.zeros(len(numbers), dtype=bool)
            shown = integers_text(numbers)
        else:
            numbers = np.asarray(numbers, dtype=np.float64)
            empty = ~np.isfinite(numbers)
            shown = _numbers_text(numbers)
        full = (self.open, self.rows_text, self._quoted(style), "><v>", shown, "</v></c>")
        return self._choose(empty, self._empty(style), full)

    def booleans(self, flags: np.ndarray, missing: np.ndarray, style) -> Cells:
        """``t="b"`` cells."""
        shown = pa.array(np.where(flags, "1", "0"))
        full = (self.open, self.rows_text, self._quoted(style), ' t="b"><v>', shown, "</v></c>")
        return self._choose(missing, self._empty(style), full)

    def dates(self, stamps: np.ndarray, style) -> Cells:
        """Dates and times as serial numbers; a date at midnight gets the date style."""
        nanos = stamps.astype("datetime64[ns]").astype(np.int64)
        missing = np.isnat(stamps)
        since = nanos - _EPOCH_NS
        midnight = (since % _DAY_NS) == 0
        serial = np.where(missing, 0.0, since / _DAY_NS)
        days = np.where(midnight & ~missing, since // _DAY_NS, 0)
        shown = pc.if_else(pa.array(midnight), integers_text(days), _numbers_text(serial))
        attr = pc.if_else(pa.array(midnight), '"' + self.date_attr, '"' + self.datetime_attr)
        full = (self.open, self.rows_text, attr, "><v>", shown, "</v></c>")
        return self._choose(missing, self._empty(style), full)

    def objects(self, values: np.ndarray, style, first_row: int) -> pa.Array:
        """Mixed Python values, one at a time through the row renderer."""
        styles = [style] * len(values) if isinstance(style, str) else style.to_pylist()
        letter = self.letter
        out = [self.fallback(f"{letter}{first_row + i}", value, attr)
               for i, (value, attr) in enumerate(zip(values, styles, strict=True))]
        return pa.array(out, type=pa.string())

    # ------------------------------------------------------------------ dispatch
    def render(self, column: pd.Series | np.ndarray, style, first_row: int) -> Cells:
        """The cells of ``column`` (any dtype), each as XML text (``""`` when left out)."""
        series = column if isinstance(column, pd.Series) else pd.Series(column)
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return self._categorical(series, style, first_row)
        if pd.api.types.is_bool_dtype(dtype):
            missing = series.isna().to_numpy()
            flags = series.fillna(False).to_numpy(dtype=bool)
            return self.booleans(flags, missing, style)
        if isinstance(dtype, pd.DatetimeTZDtype):
            return self.dates(series.dt.tz_localize(None).to_numpy(), style)
        if pd.api.types.is_datetime64_dtype(dtype):
            return self.dates(series.to_numpy(), style)
        if pd.api.types.is_integer_dtype(dtype):
            if series.hasnans:
                return self.numbers(series.astype("float64").to_numpy(), style)
            return self.numbers(series.to_numpy(dtype=np.int64), style, integers=True)
        if pd.api.types.is_float_dtype(dtype):
            return self.numbers(series.to_numpy(dtype=np.float64, na_value=np.nan), style)
        if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
            return self.text(pa.array(series, type=pa.string(), from_pandas=True), style)
        values = series.to_numpy(dtype=object)
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in ("string", "empty"):
            texts = [v if type(v) is str else None for v in values]
            return self.text(pa.array(texts, type=pa.string()), style)
        return self.objects(values, style, first_row)

    def _categorical(self, series: pd.Series, style, first_row: int) -> Cells:
        categories = series.cat.categories
        if categories.dtype == object and pd.api.types.infer_dtype(categories, skipna=True) != "string":
            return self.render(series.astype(object), style, first_row)
        return self.render(series.astype(categories.dtype), style, first_row)


def style_array(names: np.ndarray, attr: Callable[[str | None], str]) -> pa.Array:
    """Per-row style names (None for none) as ``' s="n"'`` attributes."""
    codes, uniques = pd.factorize(pd.Series(names, dtype=object), use_na_sentinel=True)
    table = [attr(u) for u in uniques] + [attr(None)]
    return pc.take(pa.array(table, type=pa.string()), pa.array(np.where(codes < 0, len(table) - 1, codes)))


def heights_attr(heights: np.ndarray | None, count: int) -> pa.Array | str:
    """``' ht="30" customHeight="1"'`` for rows with a height, ``""`` for the others."""
    if heights is None:
        return ""
    heights = np.asarray(heights, dtype=np.float64)
    tall = np.isfinite(heights) & (heights > 0)
    if not tall.any():
        return ""
    shown = join(' ht="', _numbers_text(np.where(tall, heights, 0.0)), '" customHeight="1"')
    return pc.if_else(pa.array(tall), shown, "")


def write_array(handle, values: pa.Array) -> None:
    """Write the concatenation of a string array (no nulls) to a binary file."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if len(values) == 0:
        return
    if values.null_count:
        values = pc.fill_null(values, "")
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32 if values.type == pa.string() else np.int64)
    start, stop = int(offsets[values.offset]), int(offsets[values.offset + len(values)])
    handle.write(memoryview(values.buffers()[2])[start:stop])


def rows_xml(rows_text: pa.Array, heights, cells: Sequence) -> pa.Array:
    """``<row r="n" ...>cells</row>`` for each row (``cells``: each column's :data:`Cells`)."""
    pieces: list = []
    for column in cells:
        if isinstance(column, tuple):
            pieces.extend(column)
        else:
            pieces.append(column)
    return join('<row r="', rows_text, '"', heights, ">", *pieces, "</row>")
