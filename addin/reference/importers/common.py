"""Shared pieces of the importers: the parse result, text decoding, row context, cell text.

Every importer turns one file into a :class:`ParsedTable` whose ``frame`` has exactly the
columns of :data:`addin.reference.schema.COLUMNS` for its table, or raises
:class:`addin.errors.InputFileError` naming the file, the line (or spreadsheet row) and the
column of the first problem. What names say (vintage, setting, part) lives in
:mod:`addin.reference.importers.names`, the column validators in
:mod:`addin.reference.importers.validate`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pandas as pd

from addin.errors import InputFileError
from addin.reference import schema

# --------------------------------------------------------------------------- results


@dataclass
class Source:
    """One file to import: a display name (``q.zip!x.txt`` for zip members) and its bytes."""

    name: str
    data: bytes

    @property
    def filename(self) -> str:
        """The file's own name, without folders or the zip it came from."""
        return PurePosixPath(self.name.replace("\\", "/").split("!")[-1]).name

    @property
    def name_chain(self) -> list[str]:
        """The file's name, then the zips holding it, innermost first (for name hints)."""
        return [PurePosixPath(p.replace("\\", "/")).name for p in reversed(self.name.split("!"))]


@dataclass
class ParsedTable:
    """A file parsed into one canonical table, with the facts that identify the import."""

    table: str
    setting: str
    vintage: dt.date
    part: str
    layout: str
    frame: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def identity(self) -> tuple[str, str, dt.date, str]:
        """(table, setting, vintage, part): what an import replaces when re-released."""
        return (self.table, self.setting, self.vintage, self.part)


@dataclass
class SkippedFile:
    """A file recognised as something cpt-addin does not use (GPCI, NUCC, a PDF...)."""

    source: str
    reason: str


@dataclass
class Hints:
    """What the user told us on the command line (``--setting``, ``--vintage``)."""

    setting: str | None = None
    vintage: dt.date | None = None


# --------------------------------------------------------------------------- decoding


def check_not_binary(source: Source) -> None:
    """Refuse empty files, UTF-16/32 text and binary data with a message that says so."""
    data = source.data
    if not data.strip():
        raise InputFileError(source.name, "the file is empty")
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(head) > 3 and head.count(b"\x00") > len(head) // 8
    ):
        raise InputFileError(
            source.name,
            "the file is UTF-16 (or binary) text; save it as CSV UTF-8 or Latin-1 "
            "(Excel: Save As > CSV UTF-8)",
            line=1,
        )
    if b"\x00" in head:
        raise InputFileError(source.name, "the file contains binary data, not text", line=1)
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    if controls > len(head) // 20:
        raise InputFileError(source.name, "the file is binary data, not text or a spreadsheet")


def _old_mac_lines(data: bytes) -> bytes:
    """Lines ended by CR alone (classic Mac OS, some exports) as LF lines; CRLF untouched."""
    if b"\r" in data and b"\n" not in data:
        return data.replace(b"\r", b"\n")
    return data


def decode_text(source: Source) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else Windows-1252 / Latin-1.
    CR-only line ends are read as line ends."""
    check_not_binary(source)
    data = _old_mac_lines(source.data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def is_utf8(data: bytes, chunk: int = 1 << 22) -> bool:
    """True when the bytes are valid UTF-8 (checked in chunks: no full-size copy)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(view[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def utf8_bytes(source: Source) -> bytes:
    """The file's bytes as UTF-8 (BOM removed, CR-only line ends as LF), for pyarrow's CSV
    reader."""
    check_not_binary(source)
    data = _old_mac_lines(source.data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if is_utf8(data):
        return data
    return decode_text(source).encode("utf-8")


# --------------------------------------------------------------------------- row context


@dataclass
class RowContext:
    """Where the rows of a parsed table came from, to name the line of a bad value.

    ``locate(i)`` turns a data-row index into the file's line number (or spreadsheet row);
    it may be slow (it can rescan the file) because it only runs when reporting an error.
    """

    file: str
    locate: Callable[[int], int | None]

    def fail(self, index: int, column: str, reason: str) -> InputFileError:
        """Build the error for data row ``index``."""
        return InputFileError(self.file, reason, line=self.locate(int(index)), column=column)


# --------------------------------------------------------------------------- cell text


def cell_text(values: pd.Series | list[object]) -> pd.Series:
    """Cells (text, numbers, dates from a spreadsheet) as stripped text.

    Integral numbers lose the ``.0`` Excel gives them (``47383.0`` -> ``"47383"``); empty cells
    and None become ``""``.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if series.dtype == object:
        series = series.where(series.notna(), "")
    text = series.astype(str).str.strip()
    return text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def normalise_header(text: object) -> str:
    """Header cell as a key: lower case, runs of spaces / punctuation as one ``_``."""
    return re.sub(r"[^a-z0-9*=]+", "_", str(text).lower()).strip("_")


def finish(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Put the canonical columns in order and check nothing is missing or extra."""
    expected = schema.COLUMNS[table]
    missing = [c for c in expected if c not in frame.columns]
    if missing:  # pragma: no cover - importer bug, not user input
        raise AssertionError(f"{table} importer left out {missing}")
    return frame[expected].reset_index(drop=True)
