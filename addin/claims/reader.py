"""``read_claims``: any claims source in, one normalised :class:`ClaimsInput` out.

Stages, each in its own module: read the source into a :class:`RawTable`
(:mod:`~addin.claims.sources` -> :mod:`~addin.claims.csvfile` / :mod:`~addin.claims.xlsx`),
decide which column is which (:mod:`~addin.claims.columns`), normalise every field once over
whole columns (:mod:`~addin.claims.normalize`) and split the rows into readable lines and
rejected rows (:mod:`~addin.claims.assemble`). Nothing is dropped silently: blank rows are
counted, unreadable rows are listed with their reason.

Logging carries counts only, never cell contents (claims hold patient data).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence

from addin.claims.assemble import assemble
from addin.claims.columns import (
    MappingError,
    UnusedColumnError,
    map_columns,
    validate_column_map,
)
from addin.claims.model import ClaimsInput
from addin.claims.sources import Source, as_date, display_name, headers_list, read_table
from addin.errors import InputFileError

log = logging.getLogger(__name__)


def column_mapping(headers, column_map, ignore_columns, name: str, header_row: int):
    """:func:`~addin.claims.columns.map_columns`, its refusals as :class:`InputFileError`
    naming the file and the header row (shared by the whole-file and the batched reads)."""
    try:
        return map_columns(headers, column_map, ignore_columns)
    except UnusedColumnError as exc:
        raise InputFileError(name, str(exc), line=header_row) from None
    except MappingError as exc:
        raise InputFileError(
            name, f"{exc}; headers found: {headers_list(headers)}", line=header_row
        ) from None


def read_claims(
    source: Source,
    sheet: str | int | None = None,
    column_map: Mapping[str, str | Sequence[str]] | None = None,
    date_default: dt.date | None = None,
    source_name: str | None = None,
    ignore_columns: Sequence[str] | None = None,
) -> ClaimsInput:
    """Read a claims spreadsheet into one normalised table.

    Args:
        source: path to ``.xlsx``/``.xlsm``/``.csv``/``.tsv``/``.txt``; or a DataFrame whose
            columns are the headers (e.g. an Excel range with headers); or a list of rows whose
            first row is the header (title rows above it are tolerated).
        sheet: workbook sheet name or 0-based index; default the first sheet with claim columns.
        column_map: ``{"cpt": "Proc Code", ...}`` canonical field -> the user's header (a list
            of headers for ``modifiers`` and ``dx``); wins over the built-in aliases.
        date_default: date of service for lines whose date cell is empty (or with no date
            column at all).
        source_name: display name for a DataFrame or list source.
        ignore_columns: headers that feed no field and raise no alarm (``--ignore-column``):
            an unused header close to a field name (``Modifers``) otherwise stops the read.

    Returns:
        :class:`ClaimsInput` (see its docstring for the columns and meta keys).

    Raises:
        InputFileError: unknown extension, unreadable or unsafe file, no sheet or header with a
            code column (the message lists the headers found), a ``--map`` header not found, or
            no date column and no ``date_default``, an ``ignore_columns`` header not found, or
            an unused header that looks like a typo of a field (the message says how to
            ``--map`` or ``--ignore-column`` it).
    """
    started = time.perf_counter()
    try:
        validate_column_map(column_map)
    except MappingError as exc:
        raise InputFileError(display_name(source, source_name), str(exc)) from None
    name, sha256, table = read_table(source, sheet, column_map, source_name)
    default = as_date(date_default, name)
    mapping = column_mapping(table.headers, column_map, ignore_columns, name, table.header_row)
    result = assemble(table, mapping, default, name, sha256)
    meta = result.meta
    log.info(
        "claims read: %d rows, %d checked, %d rejected, %d blank in %.2fs",
        meta["rows_read"],
        meta["rows_checked"],
        meta["rows_rejected"],
        meta["blank_rows"],
        time.perf_counter() - started,
    )
    return result
