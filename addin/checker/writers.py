"""Findings files: CSV, JSON, JSON Lines or Parquet, written atomically, never over the input.

``.jsonl`` holds one JSON object per finding per line (what log tools and ``jq -c`` read);
``.parquet`` keeps the types (``row``/``related_row`` int64, ``dos`` a date) for analysts'
lakes and DataFrames. :class:`FindingsSink` writes any of them batch by batch, so a streamed
check never holds every finding at once; :func:`write_findings` is one batch.

The CSV is made to be opened in Excel, so text cells that a spreadsheet would run as a
formula are neutralised as OWASP's "CSV Injection" advice says: a text value that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote in front
(``=1+1`` is written ``'=1+1``; a code such as ``-1`` too). Numbers (``row``,
``related_row``) are left alone. ``raw_csv=True`` (``cpt-addin check --raw-csv``) writes the
text exactly as it is; JSON is always written as is (it is not a spreadsheet format).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from addin.findings import FINDING_COLUMNS
from addin.outputs import atomic_write, check_output

FORMATS = (".csv", ".json", ".jsonl", ".parquet")
#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMERIC_COLUMNS = ("row", "related_row")


def findings_for_output(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings with :data:`FINDING_COLUMNS` in order and dates as ``YYYY-MM-DD`` text."""
    out = findings.reindex(columns=FINDING_COLUMNS).copy()
    dos = pd.to_datetime(out["dos"], errors="coerce")
    out["dos"] = dos.dt.strftime("%Y-%m-%d").fillna("").astype(str)
    for column in _NUMERIC_COLUMNS:
        out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0).astype("int64")
    return out


def write_findings(
    findings: pd.DataFrame,
    path: str | Path,
    *,
    input_path: str | Path | None = None,
    raw_csv: bool = False,
) -> Path:
    """Write the findings to ``path`` (``.csv``, ``.json``, ``.jsonl`` or ``.parquet``)
    atomically; returns the path.

    ``raw_csv``: write CSV text cells as they are (by default a cell that would start a
    formula in Excel gets a leading ``'``; see the module docs).

    Raises:
        addin.outputs.OutputFileError: another extension, ``path`` is the input file (also
            through a link), a folder, a device, or cannot be written (full disk ...).
    """
    path = check_output(path, inputs=[input_path], suffixes=FORMATS, what="findings file")
    if path.suffix.lower() == ".json":
        with atomic_write(path) as temp:
            _write_json(findings, temp)
        return path
    with FindingsSink(path, raw_csv=raw_csv, checked=True) as sink:
        sink.write(findings)
    return path


class FindingsSink:
    """Write findings batch by batch to one ``.csv``, ``.jsonl`` or ``.parquet`` file.

    Used as a context manager: the file appears (atomically) only when the block ends
    without an error; the batches are written in the order given. ``.json`` (one array)
    is not streamable: use ``.jsonl``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        raw_csv: bool = False,
        input_path: str | Path | None = None,
        checked: bool = False,
    ) -> None:
        suffixes = (".csv", ".jsonl", ".parquet")
        self.path = Path(path) if checked else check_output(
            path, inputs=[input_path], suffixes=suffixes, what="findings file"
        )
        self.kind = self.path.suffix.lower()
        if self.kind not in suffixes:
            raise ValueError(f"{self.path.name}: findings are streamed as .csv, .jsonl or .parquet")
        self.raw_csv = raw_csv
        self.count = 0
        self._atomic = None
        self._handle = None
        self._writer = None

    def __enter__(self) -> FindingsSink:
        self._atomic = atomic_write(self.path)
        temp = self._atomic.__enter__()
        if self.kind == ".parquet":
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(str(temp), _arrow_schema(), compression="zstd")
        else:
            self._handle = temp.open("wb")
            if self.kind == ".csv":
                import pyarrow.csv as pacsv

                self._writer = pacsv.CSVWriter(
                    self._handle,
                    _arrow_schema(dates_as_text=True),
                    write_options=pacsv.WriteOptions(quoting_style="needed"),
                )
        return self

    def write(self, findings: pd.DataFrame) -> None:
        """Append one batch of findings (:data:`FINDING_COLUMNS`)."""
        if not len(findings) and self.count:
            return
        self.write_table(_arrow_table(findings))

    def write_table(self, table) -> None:
        """Append one batch already in Arrow form (the schema :func:`arrow_findings` gives)."""
        if not table.num_rows and self.count:
            return
        self.count += table.num_rows
        if self.kind == ".parquet":
            self._writer.write_table(table)
        elif self.kind == ".csv":
            table = _dates_as_text(table)
            self._writer.write_table(table if self.raw_csv else neutralise_formulas(table))
        elif table.num_rows:
            self._handle.write(_string_bytes(_json_records(table, "\n")))

    def __exit__(self, kind, value, traceback) -> bool:
        try:
            if self._writer is not None:
                self._writer.close()
            if self._handle is not None:
                self._handle.close()
        finally:
            self._atomic.__exit__(kind, value, traceback)
        return False


def _arrow_schema(*, dates_as_text: bool = False):
    import pyarrow as pa

    fields = []
    for name in FINDING_COLUMNS:
        if name in _NUMERIC_COLUMNS:
            fields.append(pa.field(name, pa.int64()))
        elif name == "dos" and not dates_as_text:
            fields.append(pa.field(name, pa.date32()))
        else:
            fields.append(pa.field(name, pa.large_string()))
    return pa.schema(fields)


def _arrow_table(findings: pd.DataFrame):
    """The findings as a pyarrow Table of :func:`_arrow_schema` (text never null, ``dos`` a
    date; CSV and JSON turn it into text with :func:`_dates_as_text`)."""
    import pyarrow as pa

    schema = _arrow_schema()
    arrays = []
    n = len(findings)
    for field in schema:
        name = field.name
        if name not in findings.columns:
            column = pd.Series([0 if name in _NUMERIC_COLUMNS else ""] * n)
        else:
            column = findings[name]
        if name in _NUMERIC_COLUMNS:
            values = pd.to_numeric(column, errors="coerce").fillna(0).astype("int64").to_numpy()
            arrays.append(pa.array(values, pa.int64()))
        elif name == "dos":
            days = pd.to_datetime(column, errors="coerce").to_numpy(dtype="datetime64[D]")
            arrays.append(pa.array(days, pa.date32()))
        else:
            arrays.append(_text_array(column))
    return pa.Table.from_arrays(arrays, schema=schema)


def _text_array(column: pd.Series):
    """A text column as a non-null ``large_string`` Arrow array (categories decoded once)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = pa.array(column.cat.categories.astype(str).tolist(), pa.large_string())
        codes = column.cat.codes.to_numpy()
        taken = categories.take(pa.array(codes, mask=codes < 0)) if len(categories) else pa.nulls(len(codes), pa.large_string())
        return pc.fill_null(taken, "")
    array = pa.array(column, from_pandas=True)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pa.array(column.astype(object).where(column.notna(), "").astype(str), pa.large_string())
    return pc.fill_null(array.cast(pa.large_string()), "")


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_OTHER_CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\n\r\t"]


def _json_text(column):
    """A string Arrow array escaped as the inside of JSON strings (RFC 8259), vectorised."""
    import pyarrow.compute as pc

    if not pc.any(pc.match_substring_regex(column, '[\\\\"\\x00-\\x1f]')).as_py():
        return column  # nearly every column: nothing to escape
    for char, escaped in _JSON_ESCAPES:
        column = pc.replace_substring(column, char, escaped)
    if pc.any(pc.match_substring_regex(column, "[\\x00-\\x1f]")).as_py():
        for char in _OTHER_CONTROLS:
            column = pc.replace_substring(column, char, f"\\u{ord(char):04x}")
    return column


def _dates_as_text(table):
    """``dos`` as ``YYYY-MM-DD`` text (``""`` when none), for CSV and JSON."""
    import pyarrow as pa
    import pyarrow.compute as pc

    index = table.schema.get_field_index("dos")
    column = table.column(index)
    if not pa.types.is_date(column.type):
        return table
    if not len(column):
        return table.set_column(index, pa.field("dos", pa.large_string()), pa.array([], pa.large_string()))
    # formatted once per distinct date (strftime per row is slow), then taken
    encoded = pc.dictionary_encode(column.combine_chunks() if hasattr(column, "combine_chunks") else column)
    days = pc.strftime(encoded.dictionary.cast(pa.timestamp("s")), format="%Y-%m-%d")
    text = pc.fill_null(days.cast(pa.large_string()).take(encoded.indices), "")
    return table.set_column(index, pa.field("dos", pa.large_string()), text)


def arrow_findings(findings: pd.DataFrame):
    """The findings as a pyarrow Table (text never null, ``row`` int64, ``dos`` date32)."""
    return _arrow_table(findings)


def _json_records(table, terminator: str):
    """Each finding of an Arrow findings table as one JSON object followed by
    ``terminator``, as an Arrow string array, built column-wise (no per-row Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = _dates_as_text(table)
    text = pa.large_string()
    parts = []
    for number, name in enumerate(table.column_names):
        column = table.column(name).combine_chunks()
        opening = ("{" if number == 0 else ",") + json.dumps(name) + ":"
        if name in _NUMERIC_COLUMNS:
            parts += [pa.scalar(opening, text), column.cast(text)]
        else:
            parts += [pa.scalar(opening + '"', text), _json_text(column.cast(text)), pa.scalar('"', text)]
    parts.append(pa.scalar("}" + terminator, text))
    return pc.binary_join_element_wise(*parts, pa.scalar("", text))


def _string_bytes(array) -> memoryview:
    """The UTF-8 bytes of a ``large_string`` array's values, end to end (zero copy)."""
    import numpy as np

    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    return memoryview(array.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def _write_jsonl(findings: pd.DataFrame, handle) -> None:
    """One JSON object per finding per line (JSON Lines)."""
    if len(findings):
        handle.write(_string_bytes(_json_records(arrow_findings(findings), "\n")))


def neutralise_formulas(table):
    """A pyarrow Table whose text columns have a ``'`` before values that start a formula.

    Vectorised (pyarrow compute); nulls and the numeric columns are untouched.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    triggers = pa.array(FORMULA_TRIGGERS)
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            first = pc.utf8_slice_codeunits(column, 0, 1)
            hit = pc.is_in(first, value_set=triggers.cast(first.type))
            if pc.any(hit).as_py():  # most columns have none: leave them as they are
                quoted = pc.binary_join_element_wise(pa.scalar("'", field.type), column, pa.scalar("", field.type))
                column = pc.if_else(hit, quoted, column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def _write_json(findings: pd.DataFrame, path: Path) -> None:
    """One JSON array, one finding object per line (the same objects as ``.jsonl``)."""
    with path.open("wb") as handle:
        if not len(findings):
            handle.write(b"[]\n")
            return
        body = _string_bytes(_json_records(arrow_findings(findings), ",\n"))
        handle.write(b"[\n")
        handle.write(body[:-2])  # no comma after the last object
        handle.write(b"\n]\n")
