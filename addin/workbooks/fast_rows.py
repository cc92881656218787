"""Stream the rows of the report's big sheets as worksheet XML, bypassing openpyxl's cells.

openpyxl (without lxml) spends ~20 µs per cell building cell objects and serialising them
through a pure-Python XML writer; a 100k-line report has ~3 million cells. Here rows are
rendered straight to XML text into a temporary file, and spliced into the saved workbook:

1. the sheet is created with openpyxl as usual (column widths, freeze panes, header row,
   table, conditional formats ...) plus one placeholder row (:meth:`StreamedRows.placeholder`);
2. data rows go to :class:`StreamedRows` (text cells as inline strings, never formulas);
3. after ``workbook.save``, :func:`splice` replaces the placeholder row (and the placeholder
   hyperlink) in the sheet's XML with the streamed rows and links.

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
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from addin.workbooks.safe_cells import MAX_CELL_TEXT

MARKER = "cpt-addin:streamed-rows:7d1e"
LINK_MARKER = "cpt-addin:streamed-links:7d1e"
_EPOCH = dt.datetime(1899, 12, 30)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CARE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_ATTR_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
COMPRESS_LEVEL = 1  # the big sheets compress well even at level 1, and 3-4x faster than 6
#: Excel keeps at most 66,530 hyperlinks per worksheet; a sheet with more linked rows gets
#: HYPERLINK formulas (with their value cached) instead of hyperlink elements.
MAX_LINK_ELEMENTS = 65_000


def style_id(ws, style: str | None) -> int:
    """The cell-format index of a named style in ``ws``'s workbook (0 for none)."""
    if not style:
        return 0
    probe = WriteOnlyCell(ws)
    probe.style = style
    return probe.style_id


@functools.lru_cache(maxsize=1 << 16)  # codes, rule ids, severities, ids repeat a lot
def _text(value: str) -> str:
    """An inline string's XML: escaped, control characters replaced, at most 32,767 chars."""
    if _CARE.search(value):
        value = _ILLEGAL.sub("\ufffd", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT]
    if value[:1].isspace() or value[-1:].isspace():
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
        self._rows = os.fdopen(handle, "w", encoding="utf-8", newline="")
        handle, name = tempfile.mkstemp(prefix="cpt-links-", suffix=".xml")
        self.links_path = Path(name)
        self._links = os.fdopen(handle, "w", encoding="utf-8", newline="")
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
        s = self._s(style) if style else ""
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
        return self.cell(ref, str(value), style)

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
        self._rows.write(f'<row r="{row}"{attributes}>{"".join(cells)}</row>')
        if link is not None:
            column, location, tooltip = link
            self._links.write(
                f'<hyperlink ref="{letters[column]}{row}" location="{location.translate(_ATTR_ESCAPE)}"'
                f' tooltip="{tooltip.translate(_ATTR_ESCAPE)}"/>'
            )
            self.link_count += 1
        self.next_row += 1
        return number

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
