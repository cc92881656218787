"""Where claims come from: a file path, a DataFrame or a list of rows -> :class:`RawTable`.

Dispatches on the source (``.xlsx``/``.xlsm`` -> :mod:`~addin.claims.xlsx`, ``.csv``/``.tsv``/
``.txt`` -> :mod:`~addin.claims.csvfile`) and turns every reader's own exception into one
:class:`~addin.errors.InputFileError` naming the file (and the row, where known).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineError

from addin.claims.columns import HEADER_SCAN_ROWS, find_header_row, typo_hint
from addin.claims.csvfile import NoHeaderError, read_text_table
from addin.claims.sniff import NotTextError
from addin.claims.table import (
    RawTable,
    TooWideError,
    cell_text,
    table_from_columns,
    table_from_grid,
)
from addin.claims.xlsx import (
    NoClaimSheetError,
    SheetNotFoundError,
    UnsafeWorkbookError,
    check_zip_safety,
    read_workbook_table,
)
from addin.codes import parse_date
from addin.errors import InputFileError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")

Source = str | Path | pd.DataFrame | Sequence[Sequence[object]]


def display_name(source: object, source_name: str | None) -> str:
    """How messages name a source: the path as given, else ``source_name``."""
    if isinstance(source, (str, Path)):
        return str(source)
    return source_name or ("DataFrame" if isinstance(source, pd.DataFrame) else "table")


def _code_column_hint(column_map: Mapping[str, object] | None) -> str:
    """What header-less reading looked for: the --map'd code header, or the aliases."""
    if column_map and "cpt" in column_map:
        return f'no header row has the column "{column_map["cpt"]}" (--map cpt=...)'
    return "no header row with a code column (CPT, HCPCS, Procedure Code, ...)"


def read_table(
    source: Source,
    sheet: str | int | None,
    column_map: Mapping[str, object] | None,
    source_name: str | None,
) -> tuple[str, str | None, RawTable]:
    """Read any source into a :class:`RawTable`; return ``(display name, sha256, table)``.

    Raises :class:`InputFileError` for everything a user can fix (and ``TypeError`` for a
    source type that is not supported at all).
    """
    try:
        return _read_any(source, sheet, column_map, source_name)
    except TooWideError as exc:
        raise InputFileError(
            display_name(source, source_name), str(exc), line=exc.row
        ) from None


def _read_any(
    source: Source,
    sheet: str | int | None,
    column_map: Mapping[str, object] | None,
    source_name: str | None,
) -> tuple[str, str | None, RawTable]:
    if isinstance(source, pd.DataFrame):
        name = source_name or "DataFrame"
        return name, None, _table_from_dataframe(source, column_map, name)
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.name, *_read_path(path, sheet, column_map)
    if isinstance(source, Sequence):
        name = source_name or "table"
        grid = [list(r) if isinstance(r, (list, tuple)) else [r] for r in source]
        index = find_header_row(grid, column_map)
        if index is None:
            first = [cell_text(c) for c in grid[0]] if grid else []
            raise InputFileError(
                name,
                f"{_code_column_hint(column_map)}; headers found: {headers_list(first)}"
                + typo_hint(first),
            )
        return name, None, table_from_grid(grid, index)
    raise TypeError(f"read_claims cannot read a {type(source).__name__}")


def _read_path(
    path: Path, sheet: str | int | None, column_map: Mapping[str, object] | None
) -> tuple[str | None, RawTable]:
    where = str(path)
    suffix = path.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES + TEXT_SUFFIXES + PARQUET_SUFFIXES:
        raise InputFileError(
            where,
            f'unknown file type "{path.suffix or "(none)"}"; '
            "use .xlsx, .xlsm, .csv, .tsv, .txt or .parquet",
        )
    if not path.is_file():
        raise InputFileError(where, "file not found" if not path.exists() else "not a file")
    try:
        if suffix in PARQUET_SUFFIXES:
            from addin.claims.parquetfile import ParquetReadError, read_parquet_table

            try:
                table = read_parquet_table(path)
            except ParquetReadError as exc:
                raise InputFileError(where, str(exc)) from None
            if sheet is not None:
                table.notes.append("sheet ignored: a Parquet file has no sheets")
            return _file_sha256(path), table
        if suffix in TEXT_SUFFIXES:
            data = path.read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
            try:
                table = read_text_table(data, suffix=suffix, column_map=column_map)
            except NotTextError as exc:
                raise InputFileError(where, str(exc)) from None
            except NoHeaderError as exc:
                raise InputFileError(
                    where,
                    f"{_code_column_hint(column_map)} in the first rows; "
                    f"headers found: {headers_list(exc.found)}" + typo_hint(exc.found),
                ) from None
            if sheet is not None:
                table.notes.append("sheet ignored: a text file has no sheets")
            return sha256, table
        sha256 = _file_sha256(path)
        try:
            check_zip_safety(path)
            table = read_workbook_table(path, sheet=sheet, column_map=column_map)
        except UnsafeWorkbookError as exc:
            raise InputFileError(where, str(exc)) from None
        except SheetNotFoundError as exc:
            raise InputFileError(where, f"{exc}; sheets: {headers_list(exc.sheets)}") from None
        except NoClaimSheetError as exc:
            found = "; ".join(
                f'sheet "{s}": {headers_list(cells)}' for s, cells in exc.found.items()
            )
            raise InputFileError(
                where,
                f"no sheet with claim columns: {_code_column_hint(column_map)}; "
                f"headers found: {found or 'none (empty workbook)'}"
                + typo_hint([c for cells in exc.found.values() for c in cells]),
            ) from None
        except CalamineError as exc:  # damaged, encrypted or not really a workbook
            raise InputFileError(where, f"could not be read as a workbook ({exc})") from None
        return sha256, table
    except PermissionError:
        raise InputFileError(
            where, "permission denied (is the file open in another program?)"
        ) from None
    except OSError as exc:
        raise InputFileError(where, f"could not be read ({exc.strerror or exc})") from None


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table_from_dataframe(
    frame: pd.DataFrame, column_map: Mapping[str, object] | None, name: str
) -> RawTable:
    """Headers are the DataFrame's columns (row 1); if they name no code column, the first
    rows are searched for a header row (a range read without headers)."""
    headers = [cell_text(c) for c in frame.columns]
    head = [headers] + frame.head(HEADER_SCAN_ROWS).astype(object).to_numpy().tolist()
    index = find_header_row(head, column_map)
    if index is None:
        raise InputFileError(
            name,
            f"{_code_column_hint(column_map)}; headers found: {headers_list(headers)}"
            + typo_hint(headers),
        )
    if index > 0:
        headers = [cell_text(c) for c in frame.iloc[index - 1].tolist()]
    body = frame.iloc[index:] if index else frame
    columns = [body.iloc[:, j] for j in range(body.shape[1])]
    rows = np.arange(len(body), dtype=np.int64) + index + 2
    return table_from_columns(headers, columns, rows, header_row=index + 1)


def as_date(value: object, name: str) -> dt.date | None:
    """The default date of service as a date (accepts a date, datetime or date text)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(value)
    except ValueError:
        raise InputFileError(name, f'default date of service "{value}" is not a date') from None


def headers_list(headers: Sequence[str]) -> str:
    """Headers for a message: quoted, comma-separated, at most 20."""
    shown = [f'"{h}"' for h in headers if h][:20]
    return ", ".join(shown) if shown else "none"
