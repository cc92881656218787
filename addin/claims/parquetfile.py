"""Parquet claims: the columns of a Parquet file as the text a spreadsheet user would read.

Claims exported from a data lake arrive as Parquet with typed columns. Each column becomes
text the way :func:`~addin.claims.table.cell_text` reads an Excel cell — whole numbers
without ``.0`` (a code stored as the integer ``99213`` reads ``99213``), dates as
``YYYY-MM-DD``, booleans ``TRUE``/``FALSE``, nulls empty — so the one normaliser downstream
sees the same values whatever the source. The header is the schema's column names (row 1);
data rows are numbered from 2, as if the file were opened in a spreadsheet.

:func:`iter_parquet_tables` reads the file in batches (row groups) for the streamed check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from addin.claims.table import RawTable, table_from_columns

#: Batch size of :func:`iter_parquet_tables` when the caller gives none.
BATCH_LINES = 1_000_000


class ParquetReadError(ValueError):
    """The file is not a readable Parquet file (the message says why)."""


def _open(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(str(path))
    except (pa.ArrowException, OSError) as exc:
        raise ParquetReadError(f"could not be read as Parquet ({exc})") from None


def parquet_rows(path: Path) -> int:
    """Rows in a Parquet file, from its footer (nothing else is read)."""
    return int(_open(path).metadata.num_rows)


def _text(column) -> pd.Series:
    """One Arrow column as cell text (``str``; ``""`` for null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_floating(kind):
        values = column.to_numpy(zero_copy_only=False).astype(np.float64)
        finite = np.isfinite(values)
        whole = finite & (np.floor(values) == values) & (np.abs(values) < 2**53)
        text = pc.cast(column, pa.large_string())
        if whole.any():
            as_int = pa.array(np.where(whole, values, 0).astype(np.int64)).cast(pa.large_string())
            text = pc.if_else(pa.array(whole), as_int, text)
        column = text
    elif pa.types.is_timestamp(kind):
        column = pc.strftime(column, format="%Y-%m-%d")
    elif pa.types.is_date(kind):
        column = pc.strftime(column.cast(pa.timestamp("s")), format="%Y-%m-%d")
    elif pa.types.is_boolean(kind):
        column = pc.if_else(column, "TRUE", "FALSE")
    elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        column = column.cast(pa.large_string())
    column = pc.fill_null(column.cast(pa.large_string()), "")
    series = column.to_pandas()
    return series if series.dtype == "str" else series.astype("str")


def _raw_table(batch, headers: list[str], first_row: int) -> RawTable:
    columns = [_text(batch.column(j)) for j in range(batch.num_columns)]
    rows = np.arange(batch.num_rows, dtype=np.int64) + first_row
    return table_from_columns(headers, columns, rows, header_row=1)


def read_parquet_table(path: Path) -> RawTable:
    """The whole Parquet file as one :class:`RawTable`."""
    handle = _open(path)
    table = handle.read()
    headers = [str(name).strip() for name in table.column_names]
    out = _raw_table(table, headers, first_row=2)
    out.extra_meta = {"format": "parquet"}
    return out


def iter_parquet_tables(path: Path, batch_lines: int = BATCH_LINES) -> Iterator[RawTable]:
    """The Parquet file in :class:`RawTable` batches of at most ``batch_lines`` rows."""
    handle = _open(path)
    headers = [str(name).strip() for name in handle.schema_arrow.names]
    first_row = 2
    for batch in handle.iter_batches(batch_size=batch_lines):
        table = _raw_table(batch, headers, first_row)
        table.extra_meta = {"format": "parquet"}
        first_row += batch.num_rows
        yield table
