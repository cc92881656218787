"""Pieces every template shares: workbook set-up, titles, input cells, instructions, lists.

Templates are ordinary (not write-only) openpyxl workbooks: small, formula-rich, and saved
byte-stable (see :mod:`addin.workbooks.stable_zip`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from addin.reference import schema
from addin.workbooks import styles
from addin.workbooks.safe_cells import set_text
from addin.workbooks.stable_zip import FIXED_DATE

#: The claim columns users type, in order (the checker's canonical fields, as people name them).
CLAIM_HEADERS = [
    "Claim ID",
    "Patient ID",
    "Rendering NPI",
    "Date of Service",
    "CPT/HCPCS",
    "Mod 1",  # one modifier per cell, as in box 24D of the CMS-1500
    "Mod 2",
    "Mod 3",
    "Mod 4",
    "Units",
    "Diagnosis Codes",
    "POS",
]
SETTINGS = ("practitioner", "hospital")
EXCEL_MIN_DATE = dt.date(2000, 1, 1)
EXCEL_MAX_DATE = dt.date(2099, 12, 31)


def new_workbook(title: str) -> Workbook:
    """An empty workbook with the project's styles and fixed document properties."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    styles.register(workbook)
    props = workbook.properties
    props.creator = "cpt-addin"
    props.lastModifiedBy = "cpt-addin"
    props.title = title
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    return workbook


def put(ws, ref: str, value: object, style: str | None = None, text: bool = True):
    """Write a cell: strings as text (never a formula) unless ``text`` is False."""
    cell = ws[ref]
    if isinstance(value, str) and text:
        set_text(cell, value)
    else:
        cell.value = value
    if style:
        cell.style = style
    return cell


def formula(ws, ref: str, text: str, style: str | None = styles.STYLE_FORMULA):
    """Write a formula the program built (never user text)."""
    if not text.startswith("="):
        raise ValueError(f"not a formula: {text!r}")
    cell = ws[ref]
    cell.value = text
    if style:
        cell.style = style
    return cell


def title(ws, text: str, subtitle: str, width_cells: int = 8) -> None:
    """Row 1: title; row 2: one-line explanation."""
    put(ws, "A1", text, styles.STYLE_TITLE)
    ws.row_dimensions[1].height = 24
    put(ws, "A2", subtitle, styles.STYLE_NOTE)


def header_row(ws, row: int, headers: Sequence[str], first_column: int = 1) -> None:
    """A styled header row."""
    for offset, header in enumerate(headers):
        put(ws, f"{get_column_letter(first_column + offset)}{row}", header, styles.STYLE_HEADER)


def widths(ws, values: Sequence[float], first_column: int = 1) -> None:
    """Column widths in characters."""
    styles.set_widths(ws, values, first_column)


def instructions_sheet(workbook: Workbook, heading: str, paragraphs: Sequence[tuple[str, str]]) -> None:
    """An Instructions sheet: a heading, then (label, text) rows with wrapped text."""
    ws = workbook.create_sheet("Instructions")
    widths(ws, [26, 100])
    ws.sheet_view.showGridLines = False
    put(ws, "A1", heading, styles.STYLE_TITLE)
    ws.row_dimensions[1].height = 24
    row = 3
    for label, text in paragraphs:
        put(ws, f"A{row}", label, styles.STYLE_LABEL)
        put(ws, f"B{row}", text, styles.STYLE_WRAP)
        height = styles.row_height([text], [100])
        if height:
            ws.row_dimensions[row].height = height
        row += 1
    styles.print_setup(ws, title_rows=None, landscape=False)


def list_validation(source: str, prompt: str, error: str, strict: bool = True) -> DataValidation:
    """A drop-down list validation (``source``: a range such as ``Lists!$A$2:$A$90``, no "=", or a quoted list)."""
    validation = DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showDropDown=False,  # False means "show the arrow" in OOXML
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="stop" if strict else "information",
        promptTitle="Pick from the list",
        prompt=prompt,
        errorTitle="Not in the list",
        error=error,
    )
    return validation


def date_validation() -> DataValidation:
    """Dates between 2000-01-01 and 2099-12-31."""
    first = (EXCEL_MIN_DATE - dt.date(1899, 12, 30)).days
    last = (EXCEL_MAX_DATE - dt.date(1899, 12, 30)).days
    return DataValidation(
        type="date",
        operator="between",
        formula1=str(first),
        formula2=str(last),
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle="Not a date of service",
        error="Enter a date such as 2025-03-14 (between 2000 and 2099).",
        promptTitle="Date of service",
        prompt="The date the service was performed.",
    )


def whole_number_validation(low: int, high: int, title_text: str, prompt: str) -> DataValidation:
    """Whole numbers between ``low`` and ``high``."""
    return DataValidation(
        type="whole",
        operator="between",
        formula1=str(low),
        formula2=str(high),
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle=title_text,
        error=f"Enter a whole number from {low} to {high}.",
        promptTitle=title_text,
        prompt=prompt,
    )


def modifier_frame(reference) -> pd.DataFrame:
    """The bundled modifier list: ``modifier, description`` sorted by modifier."""
    table = reference.modifier_table
    if table is None or len(table) == 0:
        return pd.DataFrame(columns=["modifier", "description"])
    frame = table.reset_index()[["modifier", "description"]].fillna("")
    return frame.sort_values("modifier").reset_index(drop=True)


def pos_frame(reference, as_of: dt.date) -> pd.DataFrame:
    """Place-of-service codes: ``pos_code, name`` sorted by code."""
    version = reference.version_for(schema.POS, schema.ALL_SETTINGS, as_of)
    if version is None:
        return pd.DataFrame(columns=["pos_code", "name"])
    frame = version.load()
    out = pd.DataFrame(
        {
            "pos_code": frame["pos_code"].astype(str).str.strip().str.zfill(2),
            "name": frame.get("name", pd.Series("", index=frame.index)).fillna("").astype(str),
        }
    )
    return out.drop_duplicates("pos_code").sort_values("pos_code").reset_index(drop=True)


def data_as_of(reference) -> dt.date:
    """The newest vintage among the loaded tables (a date that makes the facts reproducible)."""
    vintages = [v.vintage for v in reference.versions() if v.vintage]
    return max(vintages) if vintages else dt.date.today()
