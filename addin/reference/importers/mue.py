"""Official MUE tables (CSV and XLSX), one file per setting and quarter.

Layout (``MCR_MUE_PractitionerServices_Eff_04-01-2026.csv``, Latin-1): record 1 is a quoted
multi-line AMA notice; record 2 is the header, whose first cell holds a line break
(``"HCPCS/\\nCPT Code"``) and whose second names the setting (``Practitioner Services MUE
Values``, ``Outpatient Hospital Services MUE Values``, ``DME Supplier Services MUE Values``);
then ``code, MUE value, "2 Date of Service Edit: Policy" | "3 Date of Service Edit: Clinical" |
"1 Line Edit", rationale``. The XLSX has the same rows. The vintage comes from the name
(``Eff_04-01-2026``) or, for a workbook, the sheet name.
"""

from __future__ import annotations

import pandas as pd

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import Hints, ParsedTable, finish, normalise_header
from addin.reference.importers.names import (
    resolve_setting,
    resolve_vintage,
    setting_from_text,
    vintage_from_text,
)
from addin.reference.importers.tabular import Grid
from addin.reference.importers.validate import to_choice, to_codes, to_int

HEADERS = ["HCPCS/CPT Code", "MUE Values", "MUE Adjudication Indicator", "MUE Rationale"]


def is_mue_header(cells: list[str]) -> bool:
    """True for the official header row (first cell ``HCPCS/CPT Code``, then ``... MUE Values``)."""
    return (
        len(cells) >= 3
        and normalise_header(cells[0]).startswith("hcpcs_cpt_code")
        and "mue" in normalise_header(cells[1])
    )


def parse_mue_grid(grid: Grid, hints: Hints) -> ParsedTable:
    """Parse an official MUE table read as a grid (CSV or workbook sheet)."""
    header = grid.find_row(is_mue_header)
    if header is None:  # pragma: no cover - detect routes only matching grids here
        raise InputFileError(grid.where, "no 'HCPCS/CPT Code' header row")
    header_cells = grid.head_text(header + 1)[header]
    raw, ctx = grid.frame(header + 1, ["code", "units", "mai", "rationale"])
    if raw.empty:
        raise InputFileError(grid.where, "the table has a header but no rows")
    names = [header_cells[0].replace("\n", " ")] + header_cells[1:4]
    frame = pd.DataFrame(
        {
            "code": to_codes(raw["code"], ctx, names[0]),
            "mue_units": to_int(raw["units"], ctx, names[1]),
            "mai": to_choice(raw["mai"], ctx, names[2], (1, 2, 3), first_char=True),
            "rationale": raw["rationale"].str.strip(),
        }
    )
    duplicated = frame["code"].duplicated()
    if duplicated.any():
        index = int(duplicated.to_numpy().nonzero()[0][0])
        raise ctx.fail(index, names[0], f"code {frame['code'].iloc[index]} appears twice")
    notes: list[str] = []
    setting = resolve_setting(schema.MUE, grid.source, hints, setting_from_text(header_cells[1]))
    named = vintage_from_text(grid.source.filename) or vintage_from_text(grid.sheet)
    vintage = resolve_vintage(schema.MUE, grid.source, hints, named)
    return ParsedTable(
        table=schema.MUE,
        setting=setting,
        vintage=vintage,
        part="",
        layout=f"mue-official-{grid.kind}",
        frame=finish(frame, schema.MUE),
        source=grid.source.name,
        notes=notes,
    )
