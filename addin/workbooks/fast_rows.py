"""Stream the rows of the report's big sheets as worksheet XML, bypassing openpyxl's cells.

openpyxl (without lxml) spends ~20 µs per cell building cell objects and serialising them
through a pure-Python XML writer; a 100k-line report has ~3 million cells. Here rows are
rendered straight to XML text into a temporary file, and spliced into the saved workbook:

1. the sheet is created with openpyxl as usual (column widths, freeze panes, header row,
   table, conditional formats ...) plus one placeholder row (:meth:`StreamedRows.placeholder`);
2. data rows go to :class:`StreamedRows` (text cells as inline strings, never formulas):
   one at a time with :meth:`StreamedRows.add`, or whole columns of a block of rows with
   :meth:`StreamedRows.add_columns` (rendered by :mod:`addin.workbooks.fast_columns`, the
   same XML, ~10x faster);
3. after ``workbook.save``, :func:`splice` replaces the placeholder row (and the placeholder
   hyperlink) in the sheet's XML with the streamed rows and links (deflated with zlib-ng
   when it is installed).

Every string is written as an inline string cell, so input text can never become a formula.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from addin.workbooks import fast_columns

try:  # optional: a faster deflate for the big sheets
    from zlib_ng import zlib_ng as _zlib_ng
except ImportError:  # pragma: no cover - zlib-ng is a declared dependency
    _zlib_ng = None
from addin.workbooks.safe_cells import MAX_CELL_TEXT

MARKER = "cpt-addin:streamed-rows:7d1e"
LINK_MARKER = "cpt-addin:streamed-links:7d1e"
_EPOCH = dt.datetime(1899, 12, 30)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CARE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_SPACE = frozenset(" \t\r\n")  # what XML readers would trim (xml:space="preserve" keeps)
_ATTR_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
COMPRESS_LEVEL = 1  # the big sheets compress well even at level 1, and 3-4x faster than 6
#: Excel keeps at most 66,530 hyperlinks per worksheet; a sheet with more linked rows gets
#: HYPERLINK formulas (with their value cached) instead of hyperlink elements.
MAX_LINK_ELEMENTS = 65_000
#: :meth:`StreamedRows.add_columns` renders this many rows per block (bounded memory) ...
BLOCK_ROWS = 16_384
#: ... and fewer rows than this one by one (the column kernels' set-up costs more).
VECTOR_MIN_ROWS = 64


def style_id(ws, style: str | None) -> int:
    """The cell-format index of a named style in ``ws``'s workbook (0 for none)."""
    if not style:
        return 0
    probe = WriteOnlyCell(ws)
    probe.style = style
    return probe.style_id


@functools.lru_cache(maxsize=1 << 16)  # codes, rule ids, severities, ids repeat a lot
def _text(value: str) -> str:
    """An inline string's XML: control characters replaced, at most 32,767 chars, escaped."""
    if len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT]
    if _CARE.search(value):
        value = _ILLEGAL.sub("\ufffd", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if value[:1] in _XML_SPACE or value[-1:] in _XML_SPACE:
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


class StreamedRows:
    """Rows rendered to XML in a temporary file, to be spliced into one sheet."""

    def __init__(self, ws, columns: int, first_row: int = 2, date_style: str | None = None,
                 datetime_style: str | None = None, link_formulas: bool = False) -> None:
        self.ws = ws
        self.link_formulas = link_formulas
        self.first_row = first_row
        self.next_row = first_row
        self.letters = [get_column_letter(i + 1) for i in range(columns)]
        self._styles: dict[str | None, str] = {}
        self._date = self._s(date_style)
        self._datetime = self._s(datetime_style or date_style)
        handle, name = tempfile.mkstemp(prefix="cpt-rows-", suffix=".xml")
        self.rows_path = Path(name)
        self._rows = os.fdopen(handle, "wb")
        handle, name = tempfile.mkstemp(prefix="cpt-links-", suffix=".xml")
        self.links_path = Path(name)
        self._links = os.fdopen(handle, "wb")
        self.link_count = 0

    # -------------------------------------------------------------- set-up in openpyxl
    def placeholder(self, with_links: bool = False) -> None:
        """Append the placeholder row (and hyperlink) that :func:`splice` replaces."""
        cell = WriteOnlyCell(self.ws, MARKER)
        self.ws.append([cell])
        if with_links:
            self.ws._hyperlinks.append(Hyperlink(ref="A1", location=LINK_MARKER))

    def _s(self, style: str | None) -> str:
        cached = self._styles.get(style)
        if cached is None:
            number = style_id(self.ws, style)
            cached = self._styles[style] = f' s="{number}"' if number else ""
        return cached

    # -------------------------------------------------------------- rows
    def cell(self, ref: str, value: object, style: str | None = None) -> str:
        """One cell's XML (``""`` for an empty unstyled cell)."""
        return self._cell(ref, value, self._s(style) if style else "")

    def _cell(self, ref: str, value: object, s: str) -> str:
        """One cell's XML with its style attribute (``' s="3"'`` or ``""``)."""
        kind = type(value)
        if kind is str:
            if not value:
                return f'<c r="{ref}"{s}/>' if s else ""
            return f'<c r="{ref}"{s} t="inlineStr">{_text(value)}</c>'
        if value is None:
            return f'<c r="{ref}"{s}/>' if s else ""
        if kind is bool or isinstance(value, np.bool_):
            return f'<c r="{ref}"{s} t="b"><v>{int(bool(value))}</v></c>'
        if kind is int or isinstance(value, np.integer):
            return f'<c r="{ref}"{s}><v>{int(value)}</v></c>'
        if kind is float or isinstance(value, np.floating):
            number = float(value)
            if math.isnan(number) or math.isinf(number):
                return f'<c r="{ref}"{s}/>' if s else ""
            return f'<c r="{ref}"{s}><v>{_number(number)}</v></c>'
        if value is pd.NaT or value is pd.NA:
            return f'<c r="{ref}"{s}/>' if s else ""
        if isinstance(value, np.datetime64):
            if np.isnat(value):
                return f'<c r="{ref}"{s}/>' if s else ""
            value = pd.Timestamp(value)
        if isinstance(value, dt.datetime):
            stamp = value.replace(tzinfo=None)
            serial = (stamp - _EPOCH).total_seconds() / 86400
            # a date keeps its date format whatever the column's style (dates are top-aligned too)
            s = self._date if stamp.time() == dt.time() else self._datetime
            return f'<c r="{ref}"{s}><v>{_number(serial)}</v></c>'
        if isinstance(value, dt.date):
            serial = (dt.datetime(value.year, value.month, value.day) - _EPOCH).days
            return f'<c r="{ref}"{self._date}><v>{serial}</v></c>'
        return self._cell(ref, str(value), s)

    def add(
        self,
        values: Sequence[object],
        cell_styles: Sequence[str | None] | None = None,
        height: float | None = None,
        link: tuple[int, str, str] | None = None,
    ) -> int:
        """Append one row; ``link`` = (column index, target location, tooltip). Returns its number."""
        number = self.next_row
        row = str(number)
        letters = self.letters
        if cell_styles is None:
            cells = [self.cell(letters[i] + row, v) for i, v in enumerate(values)]
        else:
            cells = [self.cell(letters[i] + row, v, cell_styles[i]) for i, v in enumerate(values)]
        if link is not None and self.link_formulas:
            column, location, _ = link
            target = ("#" + location).replace('"', '""')
            shown = values[column]
            cached = f"<v>{int(shown)}</v>" if isinstance(shown, (int, np.integer)) else ""
            shown_text = str(int(shown)) if cached else '"' + str(shown).replace('"', '""') + '"'
            formula = f'HYPERLINK("{target}",{shown_text})'.translate(_ATTR_ESCAPE)
            style = self._s(cell_styles[column]) if cell_styles else ""
            cells[column] = f'<c r="{letters[column]}{row}"{style}><f>{formula}</f>{cached}</c>'
            link = None
        attributes = f' ht="{height:g}" customHeight="1"' if height else ""
        self._rows.write(f'<row r="{row}"{attributes}>{"".join(cells)}</row>'.encode())
        if link is not None:
            column, location, tooltip = link
            self._links.write(
                f'<hyperlink ref="{letters[column]}{row}" location="{location.translate(_ATTR_ESCAPE)}"'
                f' tooltip="{tooltip.translate(_ATTR_ESCAPE)}"/>'.encode()
            )
            self.link_count += 1
        self.next_row += 1
        return number

    def add_columns(
        self,
        columns: Sequence[pd.Series | np.ndarray],
        cell_styles: Sequence[str | None | np.ndarray],
        heights: np.ndarray | None = None,
        link: tuple[int, Sequence[str | None], str] | None = None,
    ) -> None:
        """Append many rows given column by column (the fast path of big sheets).

        ``cell_styles``: per column one style name (or None), or an array of names per row;
        ``heights``: per row a height in points (NaN: default); ``link``: (column index,
        per-row target locations with None for no link, tooltip). Same XML as :meth:`add`
        row by row; blocks of :data:`BLOCK_ROWS` rows are rendered by
        :mod:`addin.workbooks.fast_columns`.
        """
        count = len(columns[0]) if columns else 0
        if count < VECTOR_MIN_ROWS:
            self._add_rows(columns, cell_styles, heights, link, count)
            return
        for start in range(0, count, BLOCK_ROWS):
            stop = min(count, start + BLOCK_ROWS)
            block = [c.iloc[start:stop] if isinstance(c, pd.Series) else c[start:stop] for c in columns]
            block_styles = [s if s is None or isinstance(s, str) else s[start:stop] for s in cell_styles]
            block_heights = None if heights is None else heights[start:stop]
            block_link = None if link is None else (link[0], link[1][start:stop], link[2])
            self._add_block(block, block_styles, block_heights, block_link, stop - start)

    def _add_rows(self, columns, cell_styles, heights, link, count: int) -> None:
        """:meth:`add_columns` for a few rows: row by row."""
        values = [c.to_numpy(dtype=object) if isinstance(c, pd.Series) else np.asarray(c, dtype=object)
                  for c in columns]
        for i in range(count):
            height = None if heights is None or not np.isfinite(heights[i]) or heights[i] <= 0 else float(heights[i])
            row_link = None
            if link is not None and link[1][i] is not None:
                row_link = (link[0], link[1][i], link[2])
            self.add([v[i] for v in values],
                     [s if s is None or isinstance(s, str) else s[i] for s in cell_styles],
                     height, row_link)

    def _add_block(self, columns, cell_styles, heights, link, count: int) -> None:
        first = self.next_row
        rows_text = fast_columns.integers_text(np.arange(first, first + count))
        attrs = [self._s(s) if s is None or isinstance(s, str) else fast_columns.style_array(s, self._s)
                 for s in cell_styles]
        cells = []
        for index, column in enumerate(columns):
            renderer = fast_columns.ColumnRenderer(self.letters[index], rows_text, self._date,
                                                   self._datetime, self._cell)
            if link is not None and index == link[0] and self.link_formulas:
                cells.append(self._formula_links(renderer, column, attrs[index], link[1]))
            else:
                cells.append(renderer.render(column, attrs[index], first))
        xml = fast_columns.rows_xml(rows_text, fast_columns.heights_attr(heights, count), cells)
        fast_columns.write_array(self._rows, xml)
        if link is not None and not self.link_formulas:
            self._link_elements(rows_text, link)
        self.next_row += count

    def _link_elements(self, rows_text, link) -> None:
        """``<hyperlink>`` elements of the block's linked rows."""
        column, targets, tooltip = link
        targets = pd.Series(np.asarray(targets, dtype=object))
        linked = targets.notna().to_numpy()
        if not linked.any():
            return
        where = pa.array(np.flatnonzero(linked))
        locations = fast_columns.escape_markup(pa.array(targets[linked].tolist(), type=pa.string()), quotes=True)
        xml = fast_columns.join(
            f'<hyperlink ref="{self.letters[column]}', pc.take(rows_text, where), '" location="', locations,
            f'" tooltip="{tooltip.translate(_ATTR_ESCAPE)}"/>',
        )
        fast_columns.write_array(self._links, xml)
        self.link_count += int(linked.sum())

    def _formula_links(self, renderer, column, attr, targets) -> pa.Array:
        """HYPERLINK formulas (with the shown integer cached) in place of an integer column."""
        numbers = pd.to_numeric(pd.Series(np.asarray(column, dtype=object)), errors="coerce")
        targets = pd.Series(np.asarray(targets, dtype=object))
        linked = (targets.notna() & numbers.notna()).to_numpy()
        plain = fast_columns.materialize(renderer.render(column, attr, self.next_row))
        if not linked.any():
            return plain
        location = ("#" + targets.fillna("").astype(str)).str.replace('"', '""', regex=False)
        shown = fast_columns.integers_text(numbers.fillna(0).to_numpy(dtype=np.int64))
        formula = fast_columns.escape_markup(
            fast_columns.join('HYPERLINK("', pa.array(location.tolist(), type=pa.string()), '",', shown, ")"),
            quotes=True,
        )
        cell = fast_columns.join(renderer.open, renderer.rows_text, '"', attr, "><f>", formula, "</f><v>",
                                 shown, "</v></c>")
        return pc.if_else(pa.array(linked), cell, plain)

    @property
    def last_row(self) -> int:
        """The last row written (the header row when none)."""
        return self.next_row - 1

    def close(self) -> None:
        """Finish writing the temporary files."""
        for handle in (self._rows, self._links):
            if not handle.closed:
                handle.close()

    def discard(self) -> None:
        """Delete the temporary files."""
        self.close()
        for path in (self.rows_path, self.links_path):
            path.unlink(missing_ok=True)

    @property
    def part(self) -> str:
        """The sheet's part name in the package (known once the workbook is saved)."""
        return self.ws.path.lstrip("/")


def _pieces(xml: str, streamed: StreamedRows) -> list[str | Path]:
    """The sheet XML cut around the placeholders, with the streamed files in between."""
    row = re.search(r"<row\b[^>]*>(?:(?!</row>).)*" + re.escape(MARKER) + r".*?</row>", xml, re.S)
    if row is None:
        raise RuntimeError(f"placeholder row not found in {streamed.part}")
    pieces: list[str | Path] = [xml[: row.start()], streamed.rows_path]
    rest = xml[row.end():]
    link = re.search(r"<hyperlink\b[^>]*" + re.escape(LINK_MARKER) + r"[^>]*/>", rest)
    if link is None:
        pieces.append(rest)
    else:
        pieces += [rest[: link.start()], streamed.links_path, rest[link.end():]]
    return pieces


def _faster_deflate(entry) -> None:
    """Deflate a zip entry being written with zlib-ng when it is installed (2-3x faster than
    zlib at level 1, same format); otherwise leave zipfile's zlib compressor."""
    if _zlib_ng is None or not hasattr(entry, "_compressor"):
        return
    entry._compressor = _zlib_ng.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)


def splice(path: Path, parts: Sequence[StreamedRows]) -> None:
    """Rewrite the saved workbook at ``path`` with the streamed rows in their sheets."""
    by_part = {p.part: p for p in parts}
    for p in parts:
        p.close()
    temp = Path(f"{path}.splice")
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(
            temp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL, allowZip64=True
        ) as target:
            for info in source.infolist():
                streamed = by_part.get(info.filename)
                if streamed is None:
                    target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
                    continue
                pieces = _pieces(source.read(info).decode("utf-8"), streamed)
                entry = zipfile.ZipInfo(info.filename, info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                for name in ("compress_level", "_compresslevel"):  # Python >= 3.13, older
                    try:
                        setattr(entry, name, COMPRESS_LEVEL)
                        break
                    except AttributeError:
                        continue
                with target.open(entry, "w", force_zip64=True) as out:
                    _faster_deflate(out)
                    for piece in pieces:
                        if isinstance(piece, Path):
                            with piece.open("rb") as handle:
                                shutil.copyfileobj(handle, out, 1 << 20)
                        else:
                            out.write(piece.encode("utf-8"))
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
        for p in parts:
            p.discard()
