"""Place-of-service codes: ``pos_code,pos_type,pos_name,pos_description``.

``pos_code`` is two digits (``1`` from a spreadsheet is re-padded to ``01``); ``pos_type`` is
``Facility``, ``Non-Facility`` or blank. The list has no date: the vintage comes from the name,
``--vintage``, or else the start of the current quarter (a note says so).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import Hints, ParsedTable, finish, normalise_header
from addin.reference.importers.names import quarter_start, resolve_vintage
from addin.reference.importers.tabular import Grid

ALIASES = {
    "pos_code": ("pos_code", "pos", "place_of_service", "place_of_service_code", "code"),
    "pos_type": ("pos_type", "type", "facility_type"),
    "name": ("pos_name", "name", "place_of_service_name"),
    "description": ("pos_description", "description"),
}


def is_pos_header(cells: list[str]) -> bool:
    """True for a header row whose first cell is ``pos_code`` (or ``Place of Service Code``)."""
    return bool(cells) and normalise_header(cells[0]) in ("pos_code", "place_of_service_code")


def parse_pos_grid(grid: Grid, hints: Hints) -> ParsedTable:
    """Parse a place-of-service list."""
    header = grid.find_row(is_pos_header, limit=5)
    if header is None:  # pragma: no cover - detect routes only matching grids here
        raise InputFileError(grid.where, "no 'pos_code' header")
    keys = [normalise_header(c) for c in grid.head_text(header + 1)[header]]
    raw, ctx = grid.frame(header + 1, [f"c{i}" for i in range(len(keys))])
    columns: dict[str, pd.Series] = {}
    for canonical, aliases in ALIASES.items():
        found = next((keys.index(a) for a in aliases if a in keys), None)
        if found is None:
            if canonical in ("pos_code", "name"):
                raise InputFileError(
                    grid.where, f"no '{aliases[0]}' column", line=grid.lines[header]
                )
            columns[canonical] = pd.Series("", index=raw.index, dtype="str")
        else:
            columns[canonical] = raw[f"c{found}"]
    code = columns["pos_code"].str.zfill(2)
    bad = ~code.str.fullmatch(r"\d{2}").fillna(False).astype(bool)
    if bad.any():
        index = int(bad.to_numpy().nonzero()[0][0])
        raise ctx.fail(
            index, "pos_code", f"{columns['pos_code'].iloc[index]!r} is not a 2-digit POS code"
        )
    frame = pd.DataFrame(
        {
            "pos_code": code.astype("str"),
            "pos_type": columns["pos_type"].astype("str"),
            "name": columns["name"].astype("str"),
            "description": columns["description"].astype("str"),
        }
    )
    notes: list[str] = []
    fallback = quarter_start(dt.date.today())
    vintage = resolve_vintage(schema.POS, grid.source, hints, None, fallback=fallback, notes=notes)
    return ParsedTable(
        table=schema.POS,
        setting=schema.ALL_SETTINGS,
        vintage=vintage,
        part="",
        layout=f"pos-{grid.kind}",
        frame=finish(frame, schema.POS),
        source=grid.source.name,
        notes=notes,
    )
