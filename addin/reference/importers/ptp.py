"""Official NCCI procedure-to-procedure (PTP) edit files: the tab-delimited TXT and the XLSX.

Layout (``ccipra-v322r0-f1.txt`` practitioner, ``ccioph-...`` outpatient hospital; four parts
``-f1`` .. ``-f4`` per quarter)::

    CPT only copyright 2025 American Medical Association.  All rights reserved.
    Column1/Column2 Edits
    Column 1 <TAB> Column 2 <TAB> *=in existence <TAB> Effective <TAB> Deletion <TAB> Modifier <TAB> PTP Edit Rationale
    <TAB><TAB> prior to 1996 <TAB> Date <TAB> Date <TAB> 0=not allowed      (header continues)
    0001A <TAB> 0591T <TAB> <TAB> 20220101 <TAB> 20231231 <TAB> 1 <TAB> CPT Manual or CMS manual coding instruction

Columns: Column 1, Column 2, pre-1996 flag (``*`` or blank), effective date YYYYMMDD, deletion
date YYYYMMDD or ``*`` (active), modifier indicator 0/1/9, rationale. A malformed data line
refuses the whole file (:class:`InputFileError` with the line); so does a last line without a
line ending, the mark of a file cut off mid-record.

The TXT is read with pyarrow's CSV reader (about a second for 2.5 million rows); the per-line
scan that names a bad line runs only when pyarrow reports a problem.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import (
    Hints,
    ParsedTable,
    RowContext,
    Source,
    check_not_binary,
    finish,
    is_utf8,
    normalise_header,
)
from addin.reference.importers.names import (
    part_from_name,
    quarter_start,
    resolve_setting,
    resolve_vintage,
    setting_from_text,
)
from addin.reference.importers.tabular import Grid
from addin.reference.importers.validate import stripped_category, to_choice, to_codes, to_dates

OFFICIAL_HEADERS = [
    "Column 1",
    "Column 2",
    "*=in existence prior to 1996",
    "Effective Date",
    "Deletion Date",
    "Modifier",
    "PTP Edit Rationale",
]
FIELDS = len(OFFICIAL_HEADERS)


def is_ptp_header(cells: list[str]) -> bool:
    """True for the header row of the official layout (``Column 1``, ``Column 2``, ...)."""
    return (
        len(cells) >= 2
        and normalise_header(cells[0]) in ("column_1", "column1")
        and normalise_header(cells[1]).startswith(("column_2", "column2"))
    )


def looks_like_ptp_txt(lines: list[str]) -> bool:
    """True when the first lines hold the tab-delimited official header."""
    return any("\t" in line and is_ptp_header(line.split("\t")) for line in lines[:40])


def build_ptp_frame(
    raw: pd.DataFrame,
    ctx: RowContext,
    names: list[str],
    *,
    require_effective: bool = True,
) -> pd.DataFrame:
    """Validate the seven text columns of PTP rows and return the canonical PTP table.

    ``raw`` holds, in order: Column 1, Column 2, pre-1996 flag, effective date, deletion date,
    modifier indicator, rationale (text; the effective date or flag may be all blank for
    layouts that lost them). ``names`` are the file's own column names, used in errors.
    """
    cols = [raw[c] for c in raw.columns]
    pre = cols[2].str.strip()
    bad = ~pre.isin(["", "*", "Y", "N", "y", "n", "0", "1", "True", "False", "TRUE", "FALSE"])
    if bad.any():
        index = int(bad.to_numpy().nonzero()[0][0])
        raise ctx.fail(index, names[2], f"{pre.iloc[index]!r} is not '*' or blank")
    rationale = stripped_category(cols[6])
    frame = pd.DataFrame(
        {
            "column_1": to_codes(cols[0], ctx, names[0]),
            "column_2": to_codes(cols[1], ctx, names[1]),
            "pre_1996": pre.isin(["*", "Y", "y", "1", "True", "TRUE"]).astype(bool),
            "effective_date": to_dates(cols[3], ctx, names[3], allow_missing=not require_effective),
            "deletion_date": to_dates(cols[4], ctx, names[4]),
            "modifier_indicator": to_choice(cols[5], ctx, names[5], (0, 1, 9)),
            "rationale": rationale,
        }
    )
    return finish(frame, schema.PTP)


# --------------------------------------------------------------------------- TXT


def _header_block(data: bytes, name: str) -> tuple[int, list[str]]:
    """Index of the first data line and the lines before it (AMA line, title, header)."""
    head = data[: 256 * 1024].decode("latin-1").split("\n")
    header = next(
        (i for i, line in enumerate(head[:60]) if is_ptp_header(line.rstrip("\r").split("\t"))),
        None,
    )
    if header is None:
        raise InputFileError(name, "no 'Column 1 / Column 2' header line in the first 60 lines")
    for index in range(header + 1, len(head) - 1):
        line = head[index].rstrip("\r")
        if line.strip() and line.split("\t")[0].strip():
            return index, [x.rstrip("\r") for x in head[:index]]
    raise InputFileError(name, "the file has a header but no data lines")


def _line_locator(data: bytes, first: int):
    """Record index -> file line for the pyarrow rows (blank lines are skipped by pyarrow)."""

    def locate(index: int) -> int | None:
        count = -1
        for number, line in enumerate(data.split(b"\n")[first:], start=first + 1):
            if line.rstrip(b"\r"):
                count += 1
                if count == index:
                    return number
        return None

    return locate


def _find_bad_line(data: bytes, first: int, name: str) -> InputFileError | None:
    """Scan the data lines for the first one without the seven tab-separated fields."""
    for number, line in enumerate(data.split(b"\n")[first:], start=first + 1):
        line = line.rstrip(b"\r")
        if not line:
            continue
        fields = line.split(b"\t")
        if len(fields) < FIELDS:
            return InputFileError(
                name,
                f"expected {FIELDS} tab-separated fields, found {len(fields)} "
                f"(line starts {line[:40].decode('latin-1')!r})",
                line=number,
            )
        if any(f.strip() for f in fields[FIELDS:]):
            return InputFileError(
                name, f"expected {FIELDS} tab-separated fields, found {len(fields)}", line=number
            )
    return None


def parse_ptp_txt(source: Source, hints: Hints) -> ParsedTable:
    """Parse an official PTP TXT part (``ccipra-v322r0-f1.txt`` / ``ccioph-...``)."""
    check_not_binary(source)
    data = source.data.rstrip(b"\x1a")  # a DOS end-of-file mark is not a record
    first, preamble = _header_block(data, source.name)
    if not data.endswith(b"\n"):
        raise InputFileError(
            source.name,
            "the last line has no line ending: the file is cut off mid-record "
            "(incomplete download or copy); get the file again",
            line=data.count(b"\n") + 1,
        )
    encoding = "utf8" if is_utf8(data) else "cp1252"
    names = [f"f{i}" for i in range(FIELDS)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                skip_rows=first, column_names=names, encoding=encoding, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        error = _find_bad_line(data, first, source.name)
        raise error or InputFileError(source.name, f"cannot read the file: {exc}") from exc
    raw = table.to_pandas()
    del table
    ctx = RowContext(source.name, _line_locator(data, first))
    frame = build_ptp_frame(raw, ctx, OFFICIAL_HEADERS)
    return _result(source, hints, frame, "ptp-txt", " ".join(preamble))


# --------------------------------------------------------------------------- XLSX


def parse_ptp_grid(grid: Grid, hints: Hints) -> ParsedTable:
    """Parse the XLSX version of a PTP part (header block, then the same seven columns)."""
    header = grid.find_row(is_ptp_header, limit=60)
    if header is None:  # pragma: no cover - detect only routes grids with the header here
        raise InputFileError(grid.where, "no 'Column 1 / Column 2' header row")
    start = header + 1
    head = grid.head_text(start + 10)
    while start < len(head) and (not head[start] or head[start][0] == ""):
        start += 1  # wrapped header rows have a blank first cell
    frame_text, ctx = grid.frame(start, [f"f{i}" for i in range(FIELDS)])
    if frame_text.empty:
        raise InputFileError(grid.where, "the sheet has a header but no data rows")
    frame = build_ptp_frame(frame_text, ctx, OFFICIAL_HEADERS)
    preamble = " ".join(" ".join(row) for row in head[:header]) + " " + grid.sheet
    return _result(grid.source, hints, frame, "ptp-xlsx", preamble)


def _result(
    source: Source, hints: Hints, frame: pd.DataFrame, layout: str, preamble: str
) -> ParsedTable:
    notes: list[str] = []
    content_setting = setting_from_text(preamble.replace("Column1/Column2", ""))
    setting = resolve_setting(schema.PTP, source, hints, content_setting)
    latest = frame["effective_date"].max()
    fallback = quarter_start(latest.date()) if pd.notna(latest) else None
    vintage = resolve_vintage(schema.PTP, source, hints, fallback=fallback, notes=notes)
    return ParsedTable(
        table=schema.PTP,
        setting=setting,
        vintage=vintage,
        part=part_from_name(source.filename),
        layout=layout,
        frame=frame,
        source=source.name,
        notes=notes,
    )
