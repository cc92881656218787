"""Claims files read in batches of rows, for inputs too big to hold at once.

:func:`open_batches` looks at the head of the file the way the whole-file reader does (the
same encoding, delimiter and header-row decisions, see :mod:`~addin.claims.csvfile`), then
streams the rest with pyarrow's incremental CSV reader — or the row groups of a Parquet
file — and yields :class:`~addin.claims.table.RawTable` batches that all have the same
columns, so one column mapping serves every batch. Spreadsheet row numbers run on across
batches exactly as in the whole-file read; a record with fewer or more cells than the header
is parsed on its own and padded (extra unnamed cells are dropped, and said once).

UTF-8 (with or without BOM) and Windows-1252 text stream; any other encoding (UTF-16, a
file mixing UTF-8 and Windows-1252 lines) raises :class:`NotStreamable` so the caller reads
the file whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from addin.claims.table import RawTable, unique_names

#: Bytes of the head sniffed for encoding, delimiter and header row.
HEAD_BYTES = 4 << 20
#: pyarrow block size of the streamed reader.
BLOCK_BYTES = 16 << 20


class NotStreamable(ValueError):
    """This file cannot be read in batches (the reason says why); read it whole instead."""


@dataclass
class BatchSource:
    """An opened batched input: its header, how it was read, and its batches."""

    headers: list[str]
    header_row: int
    batches: Iterator[RawTable]
    estimated_rows: int
    notes: list[str] = field(default_factory=list)
    extra_meta: dict = field(default_factory=dict)


def _fixed_table(
    names: list[str], headers: list[str], columns: list, rows: np.ndarray, header_row: int
) -> RawTable:
    """A RawTable with exactly these columns (no column dropped: every batch alike)."""
    data = pd.DataFrame(
        {name: pd.Series(column).array for name, column in zip(names, columns, strict=True)},
        index=pd.RangeIndex(len(rows)),
        copy=False,
    )
    return RawTable(data=data, rows=np.asarray(rows, np.int64), headers=headers, header_row=header_row)


def open_batches(
    path: Path, *, column_map: Mapping[str, object] | None = None, batch_lines: int = 1_000_000
) -> BatchSource:
    """Open ``path`` (.csv/.tsv/.txt or .parquet) for reading in batches of ``batch_lines``."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return _parquet_batches(path, batch_lines)
    return _text_batches(path, column_map, batch_lines)


def _parquet_batches(path: Path, batch_lines: int) -> BatchSource:
    from addin.claims.parquetfile import _open, _text

    handle = _open(path)
    headers = [str(name).strip() for name in handle.schema_arrow.names]
    names, notes = unique_names(headers)

    def batches() -> Iterator[RawTable]:
        first_row = 2
        for batch in handle.iter_batches(batch_size=batch_lines):
            columns = [_text(batch.column(j)) for j in range(batch.num_columns)]
            rows = np.arange(batch.num_rows, dtype=np.int64) + first_row
            first_row += batch.num_rows
            yield _fixed_table(names, headers, columns, rows, 1)

    return BatchSource(
        headers=headers,
        header_row=1,
        batches=batches(),
        estimated_rows=int(handle.metadata.num_rows),
        notes=notes,
        extra_meta={"format": "parquet"},
    )


def _text_batches(path: Path, column_map, batch_lines: int) -> BatchSource:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from addin.claims.csvfile import MIXED_ENCODING, _choose_layout
    from addin.claims.sniff import decode_text, normalise_newlines, strip_sep_line

    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if len(head) < size:  # only whole lines: a cut character would look like another encoding
        head = head[: head.rfind(b"\n") + 1] or head
    decoded = decode_text(head)
    encoding = decoded.encoding
    if encoding == MIXED_ENCODING or encoding not in ("utf-8", "windows-1252", "cp1252"):
        raise NotStreamable(f"{encoding} text is read whole")
    text, sep_hint = strip_sep_line(normalise_newlines(decoded.text))
    layout = _choose_layout(text, path.suffix.lower(), sep_hint, column_map)
    sample = layout.sample
    header = [h.strip() for h in sample.records[layout.header_index]]
    width = max(len(r) for r in sample.records[layout.header_index :])
    headers = header + [""] * (width - len(header))
    names, notes = unique_names(headers)
    header_row = layout.header_index + 1
    sep_lines = 1 if sep_hint is not None else 0
    skip = header_row + sep_lines
    columns = [f"c{j}" for j in range(width)]
    invalid: list[tuple[int, str]] = []

    def on_invalid(row) -> str:
        invalid.append((int(row.number), row.text))
        return "skip"

    reader = pacsv.open_csv(
        str(path),
        read_options=pacsv.ReadOptions(
            skip_rows=skip,
            column_names=columns,
            use_threads=False,  # row numbers of irregular records are only known this way
            block_size=BLOCK_BYTES,
            encoding="utf8" if encoding == "utf-8" else "cp1252",
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=layout.delimiter,
            quote_char='"',
            double_quote=True,
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.large_string() for name in columns},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )
    dropped = {"cells": 0}

    def padded(record_text: str) -> list[str]:
        cells = next(csv.reader(io.StringIO(record_text), delimiter=layout.delimiter), [])
        if len(cells) > width:
            dropped["cells"] += 1
        return (cells + [""] * width)[:width]

    def batches() -> Iterator[RawTable]:
        consumed = 0  # records read so far (valid + irregular)
        pending: list[pa.RecordBatch] = []
        pending_invalid: list[tuple[int, str]] = []
        pending_rows = 0

        def emit() -> RawTable:
            nonlocal consumed
            valid = sum(b.num_rows for b in pending)
            total = valid + len(pending_invalid)
            index = np.arange(consumed, consumed + total, dtype=np.int64)
            consumed += total
            rows = index + header_row + 1
            if not pending_invalid:
                table = pa.Table.from_batches(pending) if pending else None
                values = [
                    table.column(j).to_pandas() if table is not None else pd.Series([], dtype="str")
                    for j in range(width)
                ]
                values = [v if v.dtype == "str" else v.astype("str") for v in values]
                return _fixed_table(names, headers, values, rows, header_row)
            odd = {number - skip - 1 - int(index[0]): text for number, text in pending_invalid}
            regular = np.setdiff1d(np.arange(total), np.fromiter(odd, np.int64), assume_unique=True)
            out = [np.full(total, "", dtype=object) for _ in range(width)]
            if pending:
                table = pa.Table.from_batches(pending)
                for j in range(width):
                    out[j][regular] = table.column(j).to_numpy(zero_copy_only=False)
            for position, record in odd.items():
                for j, cell in enumerate(padded(record)):
                    out[j][position] = cell
            return _fixed_table(
                names, headers, [pd.Series(v, dtype="str") for v in out], rows, header_row
            )

        for batch in reader:
            pending.append(batch)
            pending_invalid.extend(invalid)
            invalid.clear()
            pending_rows += batch.num_rows
            if pending_rows >= batch_lines:
                yield emit()
                pending, pending_invalid, pending_rows = [], [], 0
        pending_invalid.extend(invalid)
        invalid.clear()
        if pending or pending_invalid:
            yield emit()
        if dropped["cells"]:
            notes.append(
                f"{dropped['cells']} row(s) had more cells than the header row; the cells "
                "beyond the last column were not read"
            )

    per_line = max(len(head) / max(head.count(b"\n"), 1), 1.0)
    return BatchSource(
        headers=headers,
        header_row=header_row,
        batches=batches(),
        estimated_rows=int(size / per_line),
        notes=layout.notes + notes,
        extra_meta={
            "encoding": encoding + ("-sig" if decoded.had_bom and encoding == "utf-8" else ""),
            "delimiter": layout.delimiter,
        },
    )
