"""ICD-10-CM: the CMS order file (``icd10cm_order_YYYY.txt``), one version per fiscal year.

Fixed width, one code per line (header codes included), CRLF in CMS's download:

===========  =======  ==============================================================
columns      width    field
===========  =======  ==============================================================
1-5          5        order number, zero-padded
6            1        blank
7-13         7        code, no dot, left-justified (``E119   ``)
14           1        blank
15           1        ``0`` header (not valid on a claim), ``1`` valid for HIPAA-covered
                      transactions (billable)
16           1        blank
17-76        60       short description
77           1        blank
78-          to EOL   long description
===========  =======  ==============================================================

The file name carries the fiscal year (``icd10cm_order_2026.txt`` = FY2026, in force from
2025-10-01 to 2026-09-30), so the vintage is 1 October of the previous calendar year; an April
update (``...April-1-2026...``) starts on 1 April; ``--vintage`` overrides both. A file that
breaks the layout is refused naming the line and the column of the first problem.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import Hints, ParsedTable, Source, decode_text, finish
from addin.reference.importers.names import fiscal_year, fiscal_year_vintage

LAYOUT = "icd10cm-order-txt"
#: How the first line of an order file starts (loose on widths: a file with the wrong widths
#: is still recognised, then refused naming the column).
FIRST_LINE = re.compile(r"^\d{5} [A-Z][0-9A-Z]{2,6}\s+[01] ")
CODE = r"[A-Z][0-9][0-9A-Z]{1,5}"
LONG_START = 77  # 0-based start of the long description (column 78)


def looks_like_order_file(lines: list[str]) -> bool:
    """True when the first non-blank line has the order-file shape."""
    first = next((line for line in lines if line.strip()), "")
    return bool(FIRST_LINE.match(first.removeprefix("\ufeff").removeprefix("\xef\xbb\xbf")))


def parse_order_file(source: Source, hints: Hints) -> ParsedTable:
    """Parse an ICD-10-CM order file into the ``icd10cm`` table (vectorised, ~98k lines)."""
    text = decode_text(source).removeprefix("\ufeff")
    raw = pd.Series(text.split("\n"), dtype=object)
    line_numbers = np.arange(1, len(raw) + 1)
    lines = raw.str.rstrip("\r")
    keep = (lines.str.strip() != "").to_numpy()
    lines = lines[keep].reset_index(drop=True).astype(str)
    line_numbers = line_numbers[keep]
    if lines.empty:
        raise InputFileError(source.name, "the file has no lines")
    _check_layout(source.name, lines, line_numbers)
    code = lines.str.slice(6, 13).str.rstrip()
    frame = pd.DataFrame(
        {
            "code": code.astype(str),
            "billable": (lines.str.slice(14, 15) == "1").to_numpy(dtype=bool),
            "short_description": lines.str.slice(16, 76).str.strip().astype(str),
            "long_description": lines.str.slice(LONG_START).str.strip().astype(str),
            "order_number": lines.str.slice(0, 5).astype(np.int64),
        }
    )
    repeated = frame["code"].duplicated()
    if repeated.any():
        index = int(np.flatnonzero(repeated.to_numpy())[0])
        first = int(np.flatnonzero((frame["code"] == frame["code"].iloc[index]).to_numpy())[0])
        raise InputFileError(
            source.name,
            f"code {frame['code'].iloc[index]} appears twice (first on line {line_numbers[first]})",
            line=int(line_numbers[index]),
            column="code (7-13)",
        )
    notes: list[str] = []
    vintage = _vintage(source, hints, notes)
    year = fiscal_year(vintage)
    notes.append(
        f"ICD-10-CM FY{year}: {len(frame)} codes, {int(frame['billable'].sum())} billable; "
        f"answers dates of service from {vintage.isoformat()}"
    )
    return ParsedTable(
        table=schema.ICD10CM,
        setting=schema.ALL_SETTINGS,
        vintage=vintage,
        part="",
        layout=LAYOUT,
        frame=finish(frame, schema.ICD10CM),
        source=source.name,
        notes=notes,
    )


def _check_layout(name: str, lines: pd.Series, line_numbers: np.ndarray) -> None:
    """Refuse the first line that breaks the fixed-width layout, naming line and column."""
    length = lines.str.len().to_numpy()
    # (column label, reason, mask of bad lines), in the order of the columns on a line
    checks: list[tuple[str, str, np.ndarray]] = [
        (
            "order number (1-5)",
            "expected a 5-digit order number",
            ~lines.str.match(r"\d{5}").to_numpy(dtype=bool),
        ),
        ("6", "expected a blank after the order number", lines.str.slice(5, 6) != " "),
        (
            "code (7-13)",
            "expected an ICD-10-CM code without a dot, left-justified in 7 characters",
            ~lines.str.slice(6, 13).str.fullmatch(CODE + r" *").to_numpy(dtype=bool)
            | (length < 13),
        ),
        ("14", "expected a blank after the 7-character code field", lines.str.slice(13, 14) != " "),
        (
            "header flag (15)",
            "expected 0 (header) or 1 (valid for HIPAA-covered transactions)",
            ~lines.str.slice(14, 15).isin(["0", "1"]).to_numpy(dtype=bool),
        ),
        ("16", "expected a blank after the header flag", lines.str.slice(15, 16) != " "),
        (
            "short description (17-76)",
            "the short description is missing",
            (lines.str.slice(16, 76).str.strip() == "").to_numpy(dtype=bool),
        ),
        (
            "77",
            "expected a blank after the 60-character short description (wrong widths?)",
            (lines.str.slice(76, 77) != " ").to_numpy(dtype=bool) & (length > 76),
        ),
        (
            "long description (78-)",
            "the long description is missing (a truncated line?)",
            (lines.str.slice(LONG_START).str.strip() == "").to_numpy(dtype=bool),
        ),
        (
            "1",
            "the line holds a tab or control character; the order file is fixed width",
            lines.str.contains(r"[\x00-\x08\x09\x0b-\x1f\x7f]", regex=True).to_numpy(dtype=bool),
        ),
    ]
    masks = np.vstack([np.asarray(mask, dtype=bool) for _, _, mask in checks])
    bad_lines = masks.any(axis=0)
    if not bad_lines.any():
        return
    index = int(np.flatnonzero(bad_lines)[0])
    column, reason, _ = checks[int(np.flatnonzero(masks[:, index])[0])]
    if length[index] <= LONG_START and column in ("77", "long description (78-)"):
        column = str(int(length[index]) + 1)
        reason = (
            f"the line ends after column {int(length[index])}, before the long description "
            "(column 78): a truncated line?"
        )
    excerpt = lines.iloc[index][:40]
    raise InputFileError(
        name,
        f"not the ICD-10-CM order-file layout: {reason} (line starts {excerpt!r})",
        line=int(line_numbers[index]),
        column=column,
    )


def _vintage(source: Source, hints: Hints, notes: list[str]):
    """``--vintage``, else the fiscal year in the file's (or its zip's) name."""
    if hints.vintage:
        if (hints.vintage.month, hints.vintage.day) not in ((10, 1), (4, 1)):
            notes.append(
                f"--vintage {hints.vintage.isoformat()}: ICD-10-CM releases start on 1 October "
                "(fiscal year) or 1 April (update); this version answers from the date given"
            )
        return hints.vintage
    for name in source.name_chain:
        found = fiscal_year_vintage(name)
        if found is not None:
            return found
    raise InputFileError(
        source.name,
        "cannot tell which fiscal year this ICD-10-CM order file is for: keep CMS's file name "
        "(icd10cm_order_2026.txt = FY2026) or pass --vintage 2025-10-01",
    )
