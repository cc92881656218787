"""Read a delimited text file (``.csv``, ``.tsv``, ``.txt``) into a :class:`RawTable`.

Every cell is read as text (no type guessing: ``00100`` stays ``00100``). The first records
are parsed with the standard library to choose the delimiter and find the header row below
any title rows; the body is then parsed by ``pyarrow.csv`` (multi-threaded, about 0.2 s for a
million lines). Row numbers are the ones Excel shows when it opens the file: one per record,
empty lines included, Excel's ``sep=`` hint line not counted.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from addin.claims.columns import HEADER_SCAN_ROWS, find_header_row, row_fields
from addin.claims.sniff import (
    DELIMITERS,
    MIXED_ENCODING,
    SAMPLE_CHARS,
    DecodedText,
    SampleRecords,
    decode_text,
    normalise_newlines,
    sample_records,
    strip_sep_line,
)
from addin.claims.table import MAX_COLUMNS, RawTable, TooWideError, table_from_columns

log = logging.getLogger(__name__)
# a quoted cell may be long (notes pasted into a claims export); set here as in
# addin.reference.importers, so reading does not depend on which modules were imported first
csv.field_size_limit(16 * 1024 * 1024)

_NON_SPACE_RE = re.compile(r"\S")

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

#: pyarrow's first block size; a record longer than a block is re-read with bigger blocks.
BLOCK_SIZE = 1 << 22
_MAX_BLOCK_SIZE = (1 << 31) - 1

#: Padding ragged rows may add at most this many cells beyond two per input byte: a short
#: file with one absurdly wide row must not become a huge table.
PADDING_CELLS_ALLOWANCE = 10_000_000


class NoHeaderError(ValueError):
    """No delimiter gives a header row with a code column; ``found`` lists the first cells."""

    def __init__(self, found: list[str]) -> None:
        super().__init__("no header row with a code column")
        self.found = found


@dataclass
class _Layout:
    delimiter: str
    header_index: int
    sample: SampleRecords
    notes: list[str] = field(default_factory=list)


def read_text_table(
    data: bytes,
    *,
    suffix: str = ".csv",
    column_map: Mapping[str, object] | None = None,
) -> RawTable:
    """Parse the bytes of a text file into a :class:`RawTable`.

    Raises :class:`addin.claims.sniff.NotTextError` for undecodable bytes and
    :class:`NoHeaderError` when no header row names a code column.
    """
    decoded: DecodedText = decode_text(data)
    text = normalise_newlines(decoded.text)
    same_text = text is decoded.text
    text, sep_hint = strip_sep_line(text)
    layout = _choose_layout(text, suffix, sep_hint, column_map)
    sample = layout.sample
    header = sample.records[layout.header_index]
    body_start = sample.ends[layout.header_index]
    # Width: the header, or wider when the rows below it carry unnamed values.
    lengths = [len(r) for r in sample.records[layout.header_index :]]
    width = max(lengths)
    if width > MAX_COLUMNS:  # refused before anything is parsed
        first = next(i for i, n in enumerate(lengths) if n > MAX_COLUMNS)
        index = layout.header_index + first
        cut = len(text) > SAMPLE_CHARS and sample.ends[index] >= SAMPLE_CHARS  # sample ends here
        raise TooWideError(index + 1, lengths[first], at_least=cut)
    headers = [h.strip() for h in header] + [""] * (width - len(header))
    encoding, had_bom = decoded.encoding, decoded.had_bom
    fallback_note = _fallback_note(decoded, sep_hint is not None)
    body: bytes | memoryview
    if not _NON_SPACE_RE.search(text, body_start):
        body, quoted = b"", False
    elif same_text and encoding == "utf-8":
        # Hand pyarrow the file's own bytes after the header: no re-encoding, no copy.
        skipped = len(decoded.text) - len(text) + body_start
        offset = (3 if had_bom else 0) + len(decoded.text[:skipped].encode("utf-8"))
        body, quoted = memoryview(data)[offset:], data.find(b'"', offset) >= 0
    else:
        body = text[body_start:].encode("utf-8")
        quoted = body.find(b'"') >= 0
    del text, decoded  # the decoded copy is not needed any more: free it before parsing
    columns, count = _parse_body(
        body, layout.delimiter, width, quoted, first_row=layout.header_index + 2
    )
    headers += [""] * (len(columns) - len(headers))
    header_row = layout.header_index + 1
    rows = np.arange(count, dtype=np.int64) + header_row + 1
    table = table_from_columns(headers, columns, rows, header_row)
    table.notes = layout.notes + table.notes
    table.extra_meta = {
        "encoding": encoding + ("-sig" if had_bom and encoding == "utf-8" else ""),
        "delimiter": layout.delimiter,
    }
    if fallback_note:
        table.notes.append(fallback_note)
    elif encoding != "utf-8":
        table.notes.append(f"read as {encoding} text")
    log.debug("text file: %d data rows, %d columns", count, width)
    return table


def _fallback_note(decoded: DecodedText, sep_line: bool) -> str | None:
    """Which rows of a mixed UTF-8 / Windows-1252 file were read as Windows-1252."""
    if decoded.encoding != MIXED_ENCODING:
        return None
    shift = 0 if sep_line else 1  # spreadsheet rows do not count Excel's sep= line
    rows = [str(line + shift) for line in decoded.fallback_lines if line + shift > 0]
    count = decoded.fallback_count
    more = count - len(decoded.fallback_lines)
    listed = ", ".join(rows) + (f" and {more} more" if more > 0 else "")
    return (
        f"{count} row{'s' if count != 1 else ''} not valid UTF-8, read as Windows-1252 "
        f"(row{'s' if count != 1 else ''} {listed}); every other row read as UTF-8"
    )


def _choose_layout(
    text: str, suffix: str, sep_hint: str | None, column_map: Mapping[str, object] | None
) -> _Layout:
    order = list(DELIMITERS)
    if suffix in (".tsv", ".txt"):
        order.remove("\t")
        order.insert(0, "\t")
    if sep_hint:
        order = [sep_hint] + [d for d in order if d != sep_hint]
    best: tuple[tuple[int, int, int], _Layout] | None = None
    for rank, delimiter in enumerate(order):
        sample = sample_records(text, delimiter, HEADER_SCAN_ROWS + 1)
        index = find_header_row(sample.records, column_map)
        if index is None:
            continue
        score = (
            len(row_fields(sample.records[index], column_map)),
            len(sample.records[index]),
            -rank,
        )
        if best is None or score > best[0]:
            best = (score, _Layout(delimiter, index, sample))
    if best is None:
        raise NoHeaderError(_first_cells(text, order))
    layout = best[1]
    if layout.delimiter != ",":
        layout.notes.append(
            f"{_DELIMITER_NAMES.get(layout.delimiter, repr(layout.delimiter))}-delimited text"
        )
    return layout


def _first_cells(text: str, order: list[str]) -> list[str]:
    """The cells of the first non-empty record under the delimiter that splits it most."""
    best: list[str] = []
    for delimiter in order:
        for record in sample_records(text, delimiter, 5).records:
            cells = [c.strip() for c in record if c.strip()]
            if cells:
                if len(cells) > len(best):
                    best = cells
                break
    return best


def _parse_body(
    body: bytes | memoryview, delimiter: str, width: int, quoted: bool, *, first_row: int
) -> tuple[list[pd.Series], int]:
    """Parse the records below the header into ``width`` text columns; return them and the count.

    ``quoted`` says whether the body has a quote at all: only then may values span lines
    (pyarrow reads faster when told they cannot). ``first_row`` is the spreadsheet row number
    of the first record (for messages).

    Fast path: pyarrow, multi-threaded. Records with a different number of fields (hand-made
    files) make it re-read single-threaded, which tells where they are, and those records are
    parsed with the standard library and put back in place, padded with ``""``. A record with
    more than :data:`MAX_COLUMNS` fields, or ragged rows that would pad the table far beyond
    the size of the file, raise :class:`TooWideError`.
    """
    if not len(body):
        return [pd.Series([], dtype="str") for _ in range(width)], 0
    names = [f"c{j}" for j in range(width)]
    invalid: list[tuple[int | None, str]] = []
    too_wide: list[tuple[int | None, int]] = []

    stop_when_too_wide = False  # the second, single-threaded pass stops at the first one

    def on_invalid(row: pacsv.InvalidRow) -> str:
        if row.actual_columns > MAX_COLUMNS:
            too_wide.append((row.number, row.actual_columns))
            return "error" if stop_when_too_wide else "skip"
        invalid.append((row.number, row.text))
        return "skip"

    table = _arrow_read(body, delimiter, names, on_invalid, quoted, use_threads=True)
    if not invalid and not too_wide:
        return [_to_str_series(table.column(j)) for j in range(width)], table.num_rows
    invalid.clear()
    too_wide.clear()
    stop_when_too_wide = True
    try:
        table = _arrow_read(body, delimiter, names, on_invalid, quoted, use_threads=False)
    except pa.ArrowInvalid:
        if not too_wide:
            raise
    if too_wide:
        number, count = too_wide[0]
        raise TooWideError(None if number is None else first_row + number - 1, count)
    if any(number is None for number, _ in invalid):  # pragma: no cover - pyarrow always knows
        raise ValueError("could not locate irregular records")
    extra_rows = {int(number): _split_record(text, delimiter) for number, text in invalid}  # type: ignore[arg-type]
    total = table.num_rows + len(extra_rows)
    widest = max(extra_rows, key=lambda number: len(extra_rows[number]))
    wide = max(width, len(extra_rows[widest]))
    if wide > width and wide * total > 2 * len(body) + PADDING_CELLS_ALLOWANCE:
        raise TooWideError(first_row + widest - 1, len(extra_rows[widest]))
    irregular = np.array(sorted(extra_rows), dtype=np.int64) - 1
    regular = np.setdiff1d(np.arange(total, dtype=np.int64), irregular, assume_unique=True)
    columns = [np.full(total, "", dtype=object) for _ in range(wide)]
    for j in range(width):
        columns[j][regular] = table.column(j).to_numpy(zero_copy_only=False)
    for position, number in zip(irregular.tolist(), sorted(extra_rows), strict=True):
        for j, cell in enumerate(extra_rows[number]):  # linear in the irregular rows' cells
            columns[j][position] = cell
    return [pd.Series(values, dtype="str") for values in columns], total


def _arrow_read(
    body: bytes | memoryview,
    delimiter: str,
    names: list[str],
    on_invalid: Callable[[pacsv.InvalidRow], str],
    quoted: bool,
    *,
    use_threads: bool,
) -> pa.Table:
    """``pyarrow.csv.read_csv`` of ``body``; a record longer than a block (a huge cell) makes it
    read again with a block as big as the whole body, so any cell size is read."""
    block_size = BLOCK_SIZE
    while True:
        try:
            return _arrow_read_blocks(
                body, delimiter, names, on_invalid, quoted, use_threads, block_size
            )
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc) or block_size >= min(len(body) + 1, _MAX_BLOCK_SIZE):
                raise
            block_size = min(len(body) + 1, _MAX_BLOCK_SIZE)
            log.debug("a record is longer than a pyarrow block: re-read as one block")


def _arrow_read_blocks(
    body: bytes | memoryview,
    delimiter: str,
    names: list[str],
    on_invalid: Callable[[pacsv.InvalidRow], str],
    quoted: bool,
    use_threads: bool,
    block_size: int,
) -> pa.Table:
    buffer = pa.py_buffer(body)
    return pacsv.read_csv(
        pa.BufferReader(buffer),
        read_options=pacsv.ReadOptions(
            column_names=names, use_threads=use_threads, block_size=block_size
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            newlines_in_values=quoted,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.large_string() for name in names},  # pandas' own layout
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )


def _split_record(text: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(text), delimiter=delimiter, strict=False), [])


def _to_str_series(column: pa.ChunkedArray) -> pd.Series:
    series = column.to_pandas()
    return series if series.dtype == "str" else series.astype("str")
