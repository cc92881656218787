"""Findings files: CSV or JSON, written atomically and never over the input file.

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

FORMATS = (".csv", ".json")
#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_PATTERN = "^[=+\\-@\t\r]"
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
    """Write the findings to ``path`` (``.csv`` or ``.json``) atomically; returns the path.

    ``raw_csv``: write CSV text cells as they are (by default a cell that would start a
    formula in Excel gets a leading ``'``; see the module docs).

    Raises:
        addin.outputs.OutputFileError: another extension, ``path`` is the input file (also
            through a link), a folder, a device, or cannot be written (full disk ...).
    """
    path = check_output(path, inputs=[input_path], suffixes=FORMATS, what="findings file")
    table = findings_for_output(findings)
    with atomic_write(path) as temp:
        if path.suffix.lower() == ".csv":
            _write_csv(table, temp, raw=raw_csv)
        else:
            _write_json(table, temp)
    return path


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


def _neutralise_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The pandas form of :func:`neutralise_formulas` (used without pyarrow)."""
    out = table.copy()
    for column in out.columns:
        if column in _NUMERIC_COLUMNS:
            continue
        values = out[column]
        text = values.where(values.isna(), values.astype(str))
        hit = text.str.match(_TRIGGER_PATTERN, na=False)
        out[column] = text.where(~hit, "'" + text)
    return out


def _write_csv(table: pd.DataFrame, path: Path, raw: bool = False) -> None:
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        (table if raw else _neutralise_frame(table)).to_csv(path, index=False, encoding="utf-8")
        return
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    if not raw:
        arrow = neutralise_formulas(arrow)
    pacsv.write_csv(arrow, str(path), write_options=pacsv.WriteOptions(quoting_style="needed"))


def _write_json(table: pd.DataFrame, path: Path) -> None:
    records = table.to_dict(orient="records")
    with path.open("w", encoding="utf-8") as handle:
        json.dump(records, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
