"""Read ``.xlsx`` / ``.xlsm`` workbooks safely and fast.

Safety first: a workbook is a zip of XML parts. Before anything parses it, the zip directory
is inspected and the file refused when it would expand to an absurd size (a zip bomb): more
than :data:`MAX_UNCOMPRESSED_BYTES` in total, or a member that expands more than
:data:`MAX_COMPRESSION_RATIO` times. The cells are then read by python-calamine (Rust; its
XML reader does not expand DTD entities, so "billion laughs" payloads stay inert). For
formulas calamine returns the cached value Excel saved; nothing is ever evaluated.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

from addin.claims.columns import HEADER_SCAN_ROWS, find_header_row
from addin.claims.table import RawTable, cell_text, table_from_grid

log = logging.getLogger(__name__)

#: Refuse a workbook whose parts expand to more than this many bytes in total.
MAX_UNCOMPRESSED_BYTES = 1 << 30
#: Refuse a workbook with a part that expands more than this many times its stored size.
MAX_COMPRESSION_RATIO = 100
#: Parts smaller than this (expanded) are not ratio-checked: they cannot hurt.
RATIO_CHECK_MIN_BYTES = 1 << 20

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnsafeWorkbookError(ValueError):
    """The file is not a workbook, or it is one that would expand to an absurd size."""


class SheetNotFoundError(ValueError):
    """The sheet asked for does not exist; ``sheets`` lists the ones that do."""

    def __init__(self, message: str, sheets: list[str]) -> None:
        super().__init__(message)
        self.sheets = sheets


class NoClaimSheetError(ValueError):
    """No sheet has a header row with a code column; ``found`` maps sheet -> first cells."""

    def __init__(self, found: dict[str, list[str]]) -> None:
        super().__init__("no sheet with a code column")
        self.found = found


def check_zip_safety(path: Path) -> None:
    """Refuse ``path`` unless it is a zip whose parts expand to a sane size.

    Raises :class:`UnsafeWorkbookError` with a reason a user can act on.
    """
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic == _OLE_MAGIC:
        raise UnsafeWorkbookError(
            "this is an old-style .xls workbook (or an encrypted one) with an .xlsx name; "
            "open it in Excel and save it as .xlsx"
        )
    if not zipfile.is_zipfile(path):
        raise UnsafeWorkbookError("this is not an Excel workbook (.xlsx files are zip archives)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeWorkbookError(f"this workbook is damaged ({exc})") from None
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise UnsafeWorkbookError(
                f"refused: the workbook would expand to more than "
                f"{MAX_UNCOMPRESSED_BYTES // (1 << 20)} MB (zip bomb?)"
            )
        if info.file_size >= RATIO_CHECK_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise UnsafeWorkbookError(
                    f"refused: part {info.filename} expands {ratio:.0f} times "
                    f"(limit {MAX_COMPRESSION_RATIO}; zip bomb?)"
                )


@dataclass
class _SheetInfo:
    name: str
    visible: bool
    is_worksheet: bool


def read_workbook_table(
    path: Path,
    *,
    sheet: str | int | None = None,
    column_map: Mapping[str, object] | None = None,
) -> RawTable:
    """Read the claims sheet of a workbook into a :class:`RawTable`.

    ``sheet`` is a name or a 0-based index; by default the first visible worksheet whose
    header row (within the first rows) names a code column. Call :func:`check_zip_safety`
    first.
    """
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        sheets = _sheets(workbook)
        if sheet is not None:
            name = _resolve_sheet(sheet, [s.name for s in sheets])
            grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            header_index = find_header_row(grid, column_map)
            if header_index is None:
                raise NoClaimSheetError({name: _first_cells(grid)})
            return _table(grid, header_index, name)
        ordered = [s for s in sheets if s.visible and s.is_worksheet] + [
            s for s in sheets if not s.visible and s.is_worksheet
        ]
        found: dict[str, list[str]] = {}
        for info in ordered:
            sheet_obj = workbook.get_sheet_by_name(info.name)
            head = sheet_obj.to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
            if find_header_row(head, column_map) is None:
                found[info.name] = _first_cells(head)
                continue
            grid = sheet_obj.to_python(skip_empty_area=False)
            header_index = find_header_row(grid, column_map)
            assert header_index is not None
            table = _table(grid, header_index, info.name)
            if found:
                table.notes.insert(
                    0,
                    f'sheet "{info.name}" used (no claim columns on '
                    + ", ".join(f'"{n}"' for n in found)
                    + ")",
                )
            if not info.visible:
                table.notes.insert(0, f'sheet "{info.name}" is hidden')
            return table
        raise NoClaimSheetError(found)
    finally:
        workbook.close()


def _table(grid: list[list[object]], header_index: int, name: str) -> RawTable:
    table = table_from_grid(grid, header_index, first_row_number=1, sheet=name)
    log.debug("sheet read: %d data rows, %d columns", len(table.rows), table.data.shape[1])
    return table


def _sheets(workbook: CalamineWorkbook) -> list[_SheetInfo]:
    out = []
    for meta in workbook.sheets_metadata:
        visible = str(meta.visible).rsplit(".", 1)[-1].lower() == "visible"
        is_worksheet = str(meta.typ).rsplit(".", 1)[-1].lower() == "worksheet"
        out.append(_SheetInfo(meta.name, visible, is_worksheet))
    return out


def _resolve_sheet(sheet: str | int, names: list[str]) -> str:
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise SheetNotFoundError(
            f"there is no sheet number {sheet} (0-based; the workbook has {len(names)})", names
        )
    text = str(sheet)
    if text in names:
        return text
    folded = [n for n in names if n.strip().casefold() == text.strip().casefold()]
    if folded:
        return folded[0]
    if text.isdigit() and int(text) < len(names):
        return names[int(text)]
    raise SheetNotFoundError(f'there is no sheet "{text}"', names)


def _first_cells(grid: list[list[object]], limit: int = 20) -> list[str]:
    """The text cells of the likely header: the first row with two or more text cells.

    Only the top of the sheet is looked at, so an error message shows headers, not claims.
    """
    fallback: list[str] = []
    for row in grid[:HEADER_SCAN_ROWS]:
        cells = [cell_text(c) for c in row if isinstance(c, str) and c.strip()]
        if len(cells) >= 2:
            return [c[:40] for c in cells[:limit]]
        if cells and not fallback:
            fallback = cells
    return [c[:40] for c in fallback[:limit]]
