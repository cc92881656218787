"""The Physician Fee Schedule RVU file (PPRRVU) as CSV, XLSX or fixed-width TXT.

CSV / XLSX: about nine preamble rows (title ``2025 National Physician Fee Schedule Relative
Value File October Release``, AMA and ADA notices, ``RELEASED`` date), then a header split
over two rows (``STATUS`` / ``CODE``, ``PCTC`` / ``IND`` ...) whose last row starts ``HCPCS,
MOD, DESCRIPTION``. The 2025 layout has 31 columns; 2026 files add ``PRIC IND`` before
``ENDO BASE`` (32 columns). Columns are found by their header names, so both layouts read the
same way.

TXT: ``HDR`` notice lines, then fixed-width rows. Column positions (0-based, end exclusive)
were worked out from ``PPRRVU2025_Oct.txt`` by aligning it with the CSV of the same release;
see :data:`TXT_COLUMNS`. The 2025 layout leaves positions 120-126 blank: a 2026 TXT that puts
``PRIC IND`` there is read too, and any other shift is refused (import the CSV instead).

The DESCRIPTION column (AMA CPT short descriptors) is kept: it is the user's licensed file and
goes only into their local store. GPCI files are recognised and skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import (
    Hints,
    ParsedTable,
    RowContext,
    Source,
    decode_text,
    finish,
    normalise_header,
)
from addin.reference.importers.names import resolve_vintage, vintage_from_text
from addin.reference.importers.tabular import Grid
from addin.reference.importers.validate import to_codes, to_float

# canonical column -> header key (upper + lower header rows, normalised)
HEADER_KEYS = {
    "code": "hcpcs",
    "modifier": "mod",
    "description": "description",
    "status": "status_code",
    "pctc": "pctc_ind",
    "global_days": "glob_days",
    "mult_proc": "mult_proc",
    "bilat": "bilat_surg",
    "asst": "asst_surg",
    "co_surg": "co_surg",
    "team_surg": "team_surg",
    "endo_base": "endo_base",
    "pric_ind": "pric_ind",
    "work_rvu": "work_rvu",
    "nonfac_total": "non_facility_total",
    "fac_total": "facility_total",
    "conv_factor": "conv_factor",
}
OPTIONAL = {"pric_ind"}

# Fixed-width TXT (2025 layout): canonical column -> (start, end)
TXT_COLUMNS = {
    "code": (0, 5),
    "modifier": (5, 7),
    "description": (7, 57),
    "status": (57, 58),
    "work_rvu": (59, 65),
    "nonfac_total": (89, 96),
    "fac_total": (96, 102),
    "pctc": (102, 103),
    "global_days": (103, 106),
    "mult_proc": (115, 116),
    "bilat": (116, 117),
    "asst": (117, 118),
    "co_surg": (118, 119),
    "team_surg": (119, 120),
    "endo_base": (127, 132),
    "conv_factor": (132, 140),
}
TXT_GAP = (120, 127)  # blank in 2025; where a 2026 TXT can hold PRIC IND
TXT_MIN_WIDTH = 140

LABELS = {
    "code": "HCPCS",
    "modifier": "MOD",
    "status": "STATUS CODE",
    "pctc": "PCTC IND",
    "global_days": "GLOB DAYS",
    "mult_proc": "MULT PROC",
    "bilat": "BILAT SURG",
    "asst": "ASST SURG",
    "co_surg": "CO-SURG",
    "team_surg": "TEAM SURG",
    "endo_base": "ENDO BASE",
    "pric_ind": "PRIC IND",
    "work_rvu": "WORK RVU",
    "nonfac_total": "NON-FACILITY TOTAL",
    "fac_total": "FACILITY TOTAL",
    "conv_factor": "CONV FACTOR",
}


def is_rvu_header(cells: list[str]) -> bool:
    """True for the last header row of the RVU file (``HCPCS, MOD, DESCRIPTION, ...``)."""
    keys = [normalise_header(c) for c in cells[:3]]
    return keys[:2] == ["hcpcs", "mod"] and "description" in keys


def is_gpci(rows: list[list[str]]) -> bool:
    """True for a GPCI (geographic practice cost index) file."""
    return any("GPCI" in cell.upper() for row in rows[:6] for cell in row)


def looks_like_rvu_txt(lines: list[str]) -> bool:
    """True for the fixed-width TXT: ``HDR`` lines, then rows at least 140 characters wide."""
    hdr = [line for line in lines[:30] if line.startswith("HDR")]
    rows = [line for line in lines[:40] if line.strip() and not line.startswith("HDR")]
    return bool(hdr) and bool(rows) and len(rows[0].rstrip("\r")) >= TXT_MIN_WIDTH


def build_rvu_frame(raw: pd.DataFrame, ctx: RowContext) -> pd.DataFrame:
    """Validate RVU text columns (canonical names) and return the canonical RVU table."""

    def check(column: str, pattern: str, what: str) -> pd.Series:
        values = raw[column].str.upper()
        bad = ~values.str.fullmatch(pattern).fillna(False).astype(bool)
        if bad.any():
            index = int(bad.to_numpy().nonzero()[0][0])
            raise ctx.fail(index, LABELS[column], f"{raw[column].iloc[index]!r} is not {what}")
        return values.astype("str")

    globals_ = raw["global_days"].str.upper()
    short = globals_.str.fullmatch(r"\d{1,2}").fillna(False).astype(bool)
    raw = raw.assign(global_days=globals_.where(~short, globals_.str.zfill(3)))
    frame = pd.DataFrame(
        {
            "code": to_codes(raw["code"], ctx, LABELS["code"]),
            "modifier": check("modifier", r"([0-9A-Z]{2})?", "a modifier"),
            "description": raw["description"].str.strip(),
            "status": check("status", r"[A-Z]", "a status code letter"),
            "pctc": check("pctc", r"\d", "a PC/TC indicator digit"),
            "global_days": check(
                "global_days", r"[0-9A-Z]{3}", "a global period (000, 090, XXX...)"
            ),
            "mult_proc": check("mult_proc", r"\d", "a digit"),
            "bilat": check("bilat", r"\d", "a digit"),
            "asst": check("asst", r"\d", "a digit"),
            "co_surg": check("co_surg", r"\d", "a digit"),
            "team_surg": check("team_surg", r"\d", "a digit"),
            "endo_base": to_codes(raw["endo_base"], ctx, LABELS["endo_base"], allow_empty=True),
            "pric_ind": check("pric_ind", r"[0-9A-Z]{0,2}", "a pricing indicator"),
            "work_rvu": to_float(raw["work_rvu"], ctx, LABELS["work_rvu"]),
            "nonfac_total": to_float(raw["nonfac_total"], ctx, LABELS["nonfac_total"]),
            "fac_total": to_float(raw["fac_total"], ctx, LABELS["fac_total"]),
            "conv_factor": to_float(raw["conv_factor"], ctx, LABELS["conv_factor"]),
        }
    )
    return finish(frame, schema.RVU)


def parse_rvu_grid(grid: Grid, hints: Hints) -> ParsedTable:
    """Parse the RVU file read as a grid (CSV or workbook), 2025 or 2026 layout."""
    header = grid.find_row(is_rvu_header)
    if header is None:  # pragma: no cover - detect routes only matching grids here
        raise InputFileError(grid.where, "no 'HCPCS, MOD, DESCRIPTION' header row")
    head = grid.head_text(header + 1)
    lower = head[header]
    upper = head[header - 1] if header > 0 else [""] * len(lower)
    upper = upper + [""] * (len(lower) - len(upper))
    keys = [normalise_header(f"{u} {w}") for u, w in zip(upper, lower, strict=False)]
    positions: dict[str, int] = {}
    for column, key in HEADER_KEYS.items():
        if key in keys:
            positions[column] = keys.index(key)
        elif column not in OPTIONAL:
            raise InputFileError(
                grid.where,
                f"the RVU header has no '{LABELS.get(column, column.upper())}' column",
                line=grid.lines[header],
            )
    names = [f"c{i}" for i in range(len(lower))]
    raw, ctx = grid.frame(header + 1, names)
    picked = pd.DataFrame({c: raw[f"c{i}"] for c, i in positions.items()})
    if "pric_ind" not in picked:
        picked["pric_ind"] = ""
    layout = "rvu-2026" if "pric_ind" in positions else "rvu-2025"
    frame = build_rvu_frame(picked, ctx)
    title = " ".join(" ".join(row) for row in head[:header])
    return _result(grid.source, hints, frame, f"{layout}-{grid.kind}", title)


def parse_rvu_txt(source: Source, hints: Hints) -> ParsedTable:
    """Parse the fixed-width RVU TXT (``PPRRVU2025_Oct.txt``)."""
    lines = pd.Series(decode_text(source).split("\n"), dtype="str").str.rstrip("\r")
    numbers = np.arange(1, len(lines) + 1)
    keep = (~lines.str.startswith("HDR") & (lines.str.strip() != "")).to_numpy()
    body, numbers = lines[keep].reset_index(drop=True), numbers[keep]
    ctx = RowContext(source.name, lambda i: int(numbers[i]))
    narrow = (body.str.len() < TXT_MIN_WIDTH).to_numpy()
    if narrow.any():
        index = int(narrow.nonzero()[0][0])
        raise ctx.fail(
            index,
            None,
            f"line is {len(body.iloc[index])} characters, expected at least {TXT_MIN_WIDTH}",
        )
    raw = pd.DataFrame({c: body.str.slice(a, b).str.strip() for c, (a, b) in TXT_COLUMNS.items()})
    gap = body.str.slice(*TXT_GAP)
    filled = [i for i in range(TXT_GAP[1] - TXT_GAP[0]) if (gap.str.slice(i, i + 1) != " ").any()]
    layout = "rvu-2025-txt"
    raw["pric_ind"] = ""
    if filled:
        if len(filled) != 1 or (gap.str.slice(filled[0], filled[0] + 1) == " ").any():
            raise InputFileError(
                source.name,
                "this TXT does not match the known fixed-width RVU layout; import the CSV or "
                "XLSX file from the same CMS zip instead",
            )
        raw["pric_ind"] = gap.str.slice(filled[0], filled[0] + 1)
        layout = "rvu-2026-txt"
    conv = pd.to_numeric(raw["conv_factor"], errors="coerce")
    if conv.isna().any():
        index = int(conv.isna().to_numpy().nonzero()[0][0])
        raise InputFileError(
            source.name,
            f"no conversion factor at characters {TXT_COLUMNS['conv_factor']}: this TXT does "
            "not match the known fixed-width RVU layout; import the CSV or XLSX instead",
            line=int(numbers[index]),
        )
    frame = build_rvu_frame(raw, ctx)
    return _result(source, hints, frame, layout, "")


def _result(
    source: Source, hints: Hints, frame: pd.DataFrame, layout: str, title: str
) -> ParsedTable:
    notes: list[str] = []
    content = vintage_from_text(title) if "release" in title.lower() else None
    vintage = resolve_vintage(schema.RVU, source, hints, content, notes=notes)
    return ParsedTable(
        table=schema.RVU,
        setting=schema.ALL_SETTINGS,
        vintage=vintage,
        part="",
        layout=layout,
        frame=frame,
        source=source.name,
        notes=notes,
    )
