"""NCCI add-on code (AOC) edits: the official XLSX (or the same sheet saved as CSV).

Layout (``AOC_V2026Q2-MCR.xlsx``): row 1 AMA notice, row 2 header ``AOC_Edit_Type,
Add-On_Code, AOC_DelDT, Primary_Code, Primary_Code_DelDT, AOC_Edit_EffDT, AOC_Edit_DelDT,
Special_Instruction_Notes``, then one row per (add-on, primary) pair. Dates are Julian
``YYYYDDD`` (``2013091`` = 2013-04-01); a primary of ``CCCCC`` means the contractor defines
the primaries (type 2). The vintage comes from the name (``V2026Q2``).
"""

from __future__ import annotations

import pandas as pd

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import Hints, ParsedTable, finish, normalise_header
from addin.reference.importers.names import resolve_vintage
from addin.reference.importers.tabular import Grid
from addin.reference.importers.validate import to_choice, to_codes, to_dates

# canonical column -> official header
HEADERS = {
    "edit_type": "AOC_Edit_Type",
    "addon_code": "Add-On_Code",
    "addon_deletion_date": "AOC_DelDT",
    "primary_code": "Primary_Code",
    "primary_deletion_date": "Primary_Code_DelDT",
    "effective_date": "AOC_Edit_EffDT",
    "deletion_date": "AOC_Edit_DelDT",
    "notes": "Special_Instruction_Notes",
}
DATE_FORMATS = ("%Y%j", "%Y%m%d", "%Y-%m-%d", "%m/%d/%Y")


def is_aoc_header(cells: list[str]) -> bool:
    """True for the AOC header row."""
    return bool(cells) and normalise_header(cells[0]) == "aoc_edit_type"


def parse_aoc_grid(grid: Grid, hints: Hints) -> ParsedTable:
    """Parse the AOC edit table from a grid (workbook sheet or CSV)."""
    header = grid.find_row(is_aoc_header)
    if header is None:  # pragma: no cover - detect routes only matching grids here
        raise InputFileError(grid.where, "no 'AOC_Edit_Type' header row")
    keys = [normalise_header(c) for c in grid.head_text(header + 1)[header]]
    positions = {}
    for column, label in HEADERS.items():
        key = normalise_header(label)
        if key not in keys:
            raise InputFileError(
                grid.where, f"the AOC header has no '{label}' column", line=grid.lines[header]
            )
        positions[column] = keys.index(key)
    raw, ctx = grid.frame(header + 1, [f"c{i}" for i in range(len(keys))])
    if raw.empty:
        raise InputFileError(grid.where, "the table has a header but no rows")
    col = {c: raw[f"c{i}"] for c, i in positions.items()}
    frame = pd.DataFrame(
        {
            "edit_type": to_choice(col["edit_type"], ctx, HEADERS["edit_type"], (1, 2, 3)),
            "addon_code": to_codes(col["addon_code"], ctx, HEADERS["addon_code"]),
            "primary_code": to_codes(col["primary_code"], ctx, HEADERS["primary_code"]),
            "notes": col["notes"].str.strip(),
        }
    )
    for column in schema.DATE_COLUMNS[schema.AOC]:
        frame[column] = to_dates(col[column], ctx, HEADERS[column], formats=DATE_FORMATS)
    vintage = resolve_vintage(schema.AOC, grid.source, hints, None)
    return ParsedTable(
        table=schema.AOC,
        setting=schema.ALL_SETTINGS,
        vintage=vintage,
        part="",
        layout=f"aoc-{grid.kind}",
        frame=finish(frame, schema.AOC),
        source=grid.source.name,
    )
