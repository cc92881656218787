"""Findings files: CSV or JSON, written atomically and never over the input file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from addin.errors import InputFileError
from addin.findings import FINDING_COLUMNS

FORMATS = (".csv", ".json")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def findings_for_output(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings with :data:`FINDING_COLUMNS` in order and dates as ``YYYY-MM-DD`` text."""
    out = findings.reindex(columns=FINDING_COLUMNS).copy()
    dos = pd.to_datetime(out["dos"], errors="coerce")
    out["dos"] = dos.dt.strftime("%Y-%m-%d").fillna("").astype(str)
    for column in ("row", "related_row"):
        out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0).astype("int64")
    return out


def write_findings(
    findings: pd.DataFrame, path: str | Path, *, input_path: str | Path | None = None
) -> Path:
    """Write the findings to ``path`` (``.csv`` or ``.json``) atomically.

    Raises :class:`~addin.errors.InputFileError` for another extension or when ``path`` is
    the input file (a check never overwrites its input).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputFileError(str(path), "the findings file must end in .csv or .json")
    if input_path is not None and _same_file(path, Path(input_path)):
        raise InputFileError(str(path), "refusing to overwrite the input file with findings")
    table = findings_for_output(findings)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    os.close(handle)
    temp = Path(temp_name)
    try:
        if suffix == ".csv":
            _write_csv(table, temp)
        else:
            _write_json(table, temp)
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual mode
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        table.to_csv(path, index=False, encoding="utf-8")
        return
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    pacsv.write_csv(arrow, str(path), write_options=pacsv.WriteOptions(quoting_style="needed"))


def _write_json(table: pd.DataFrame, path: Path) -> None:
    records = table.to_dict(orient="records")
    with path.open("w", encoding="utf-8") as handle:
        json.dump(records, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
