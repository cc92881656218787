"""Recognise a file's layout by its content and hand it to the right importer.

The file name never decides the layout (users rename files); it only helps with the setting,
the vintage and the part. Recognised:

==========================  ===============================================================
layout                      how it is recognised
==========================  ===============================================================
PTP TXT (official)          tab-separated ``Column 1 / Column 2`` header block
PTP XLSX (official)         a sheet with a ``Column 1``, ``Column 2`` header row
MUE CSV / XLSX (official)   header ``HCPCS/CPT Code``, ``... MUE Values``
RVU CSV / XLSX              header rows ending ``HCPCS, MOD, DESCRIPTION``
RVU TXT                     ``HDR`` lines then fixed-width rows
AOC XLSX / CSV              header row ``AOC_Edit_Type, Add-On_Code, ...``
HCPCS ANWEB / derived       header ``HCPC, SEQNUM, RECID`` / ``hcpcs,seqnum,recid`` /
                            ``hcpcs_code,long_description``
POS                         header ``pos_code, ...``
ICD-10-CM order file        fixed width ``00001 A00     0 Cholera ...`` (fiscal year)
plain PTP / MUE CSV         ``column_1, column_2, ...`` / ``code, mue_units, mai`` (aliases)
skipped with a note         GPCI, NUCC taxonomy, Medicare specialty crosswalk, PDF and
                            Word documents
==========================  ===============================================================
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

from addin.errors import InputFileError
from addin.reference.importers import aoc, hcpcs, icd10cm, mue, plain_csv, pos, ptp, rvu
from addin.reference.importers.common import (
    Hints,
    ParsedTable,
    SkippedFile,
    Source,
    decode_text,
    normalise_header,
)
from addin.reference.importers.tabular import Grid, is_workbook, read_csv_grid, read_workbook

GZIP_MAGIC = b"\x1f\x8b"
MAX_UNCOMPRESSED = 2 * 1024**3
NOT_A_TABLE = "not a table cpt-addin uses"

GridParser = Callable[[Grid, Hints], ParsedTable]


class UnknownLayoutError(InputFileError):
    """The file is no table cpt-addin knows (refused when named, skipped inside a folder/zip)."""


# (recognise a header row, parser), tried on the first rows of a CSV or sheet
GRID_LAYOUTS: list[tuple[Callable[[list[str]], bool], GridParser]] = [
    (mue.is_mue_header, mue.parse_mue_grid),
    (rvu.is_rvu_header, rvu.parse_rvu_grid),
    (aoc.is_aoc_header, aoc.parse_aoc_grid),
    (lambda cells: hcpcs.hcpcs_layout(cells) is not None, hcpcs.parse_hcpcs_grid),
    (pos.is_pos_header, pos.parse_pos_grid),
    (ptp.is_ptp_header, ptp.parse_ptp_grid),
]


def parse_file(
    path: Path | str, setting: str | None = None, vintage=None
) -> ParsedTable | SkippedFile:
    """Read and parse one file from disk (see :func:`parse_source`)."""
    from addin.reference.importers.names import parse_vintage

    path = Path(path)
    hints = Hints(setting, parse_vintage(vintage) if vintage else None)
    return parse_source(Source(path.name, path.read_bytes()), hints)


def parse_source(source: Source, hints: Hints | None = None) -> ParsedTable | SkippedFile:
    """Recognise a file by content and parse it into a canonical table.

    Returns a :class:`SkippedFile` for files that are recognised but not used (GPCI, NUCC,
    documents); raises :class:`InputFileError` for anything malformed or unknown.
    """
    hints = hints or Hints()
    data = source.data
    if not data.strip():
        raise InputFileError(source.name, "the file is empty")
    if data.startswith(GZIP_MAGIC):
        source = Source(source.name, gunzip(source))
        data = source.data
    if data.startswith(b"%PDF"):
        return SkippedFile(source.name, f"PDF document, {NOT_A_TABLE}")
    if is_workbook(data):
        return _parse_workbook(source, hints)
    if data.startswith(b"PK\x03\x04"):
        if source.filename.lower().endswith((".docx", ".pptx")):
            return SkippedFile(source.name, f"Office document, {NOT_A_TABLE}")
        raise InputFileError(source.name, "a zip archive inside a zip archive is not opened")
    if source.filename.lower().endswith((".doc", ".docx", ".html", ".htm", ".rtf")):
        return SkippedFile(source.name, f"document, {NOT_A_TABLE}")
    return _parse_text(source, hints)


def gunzip(source: Source) -> bytes:
    """Decompress a .gz file in memory, refusing anything that expands past 2 GB."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(source.data, MAX_UNCOMPRESSED + 1)
    except zlib.error as exc:
        raise InputFileError(source.name, f"damaged gzip file: {exc}") from exc
    if len(out) > MAX_UNCOMPRESSED or inflater.unconsumed_tail:
        raise InputFileError(source.name, "the gzip file expands past 2 GB; refused")
    if not inflater.eof:
        raise InputFileError(source.name, "the gzip file is cut off (incomplete download?)")
    return out


def _parse_workbook(source: Source, hints: Hints) -> ParsedTable | SkippedFile:
    grids = read_workbook(source)
    for grid in grids:
        head = grid.head_text(60)
        for recognise, parser in GRID_LAYOUTS:
            if any(recognise(row) for row in head):
                return parser(grid, hints)
    for grid in grids:
        skipped = _skippable(source, grid.head_text(10))
        if skipped:
            return skipped
    raise UnknownLayoutError(
        source.name,
        "no sheet has a layout cpt-addin knows (PTP, MUE, AOC, RVU, HCPCS, POS); sheets: "
        + ", ".join(g.sheet for g in grids),
    )


def _parse_text(source: Source, hints: Hints) -> ParsedTable | SkippedFile:
    head_bytes = source.data[:65536]
    decode_text(Source(source.name, head_bytes))  # refuses UTF-16 / binary early
    lines = head_bytes.decode("latin-1").split("\n")[:60]
    lines = [line.rstrip("\r") for line in lines]
    if ptp.looks_like_ptp_txt(lines):
        return ptp.parse_ptp_txt(source, hints)
    if rvu.looks_like_rvu_txt(lines):
        return rvu.parse_rvu_txt(source, hints)
    if icd10cm.looks_like_order_file(lines):
        return icd10cm.parse_order_file(source, hints)
    first = next((line for line in lines if line.strip()), "")
    header = _split_header(first)
    if plain_csv.plain_table(header) is not None:
        return plain_csv.parse_plain_csv(source, hints)
    text = decode_text(source)
    grid = read_csv_grid(source, text)
    head = grid.head_text(40)
    for recognise, parser in GRID_LAYOUTS:
        if any(recognise(row) for row in head):
            return parser(grid, hints)
    skipped = _skippable(source, head)
    if skipped:
        return skipped
    raise UnknownLayoutError(
        source.name,
        "not a layout cpt-addin knows: expected an official CMS file (PTP, MUE, AOC, RVU, "
        "HCPCS) or a plain CSV with the columns in docs/custom_tables.md; first line: "
        f"{', '.join(header)[:120]!r}",
        line=1,
    )


def _split_header(line: str) -> list[str]:
    from addin.reference.importers.tabular import sniff_delimiter

    line = line.removeprefix("\ufeff").removeprefix("\xef\xbb\xbf")
    return [c.strip().strip('"') for c in line.split(sniff_delimiter(line))]


def _skippable(source: Source, head: list[list[str]]) -> SkippedFile | None:
    """Files that are known but not used: a note instead of an error."""
    if rvu.is_gpci(head):
        return SkippedFile(
            source.name, f"GPCI file (geographic practice cost indices), {NOT_A_TABLE}"
        )
    for row in head[:5]:
        keys = [normalise_header(c) for c in row]
        if keys[:3] == ["code", "grouping", "classification"]:
            return SkippedFile(source.name, f"NUCC provider taxonomy, {NOT_A_TABLE}")
        if keys and keys[0] == "medicare_specialty_code":
            return SkippedFile(
                source.name, f"Medicare specialty / taxonomy crosswalk, {NOT_A_TABLE}"
            )
    return None
