"""The report's Findings sheet(s): one row per finding, filterable, linked to its claim row.

Streams rows in write-only mode. When there are more findings than one sheet holds they are
split over ``Findings``, ``Findings 2``, ...; the Summary says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from addin.workbooks import fast_rows, styles
from addin.workbooks.fast_rows import StreamedRows
from addin.workbooks.report_layout import WRAP_ROWS_LIMIT, ClaimLocator, part_titles, sheet_ref
from addin.workbooks.report_modifiers import modifier_columns
from addin.workbooks.safe_cells import CellMaker

# (column, header a person reads) in sheet order. Severity and rule family stay in columns B
# and C: the Summary's COUNTIFS formulas point at them. ``billed_modifier`` and
# ``suggested_modifiers`` come from report_modifiers; the last three are the worklist a coder
# fills in (empty when written).
FINDINGS_SHEET_COLUMNS: list[tuple[str, str]] = [
    ("row", "Row"),
    ("severity", "Severity"),
    ("rule", "Rule family"),
    ("rule_id", "Rule ID"),
    ("claim_id", "Claim ID"),
    ("code", "Code"),
    ("billed_modifier", "Billed modifier"),
    ("suggested_modifiers", "Suggested modifiers"),
    ("message", "Message"),
    ("suggestion", "Suggestion"),
    ("dos", "Date of service"),
    ("patient_id", "Patient ID"),
    ("provider_npi", "Provider NPI"),
    ("related_code", "Related code"),
    ("related_row", "Related row"),
    ("source", "Source"),
    ("work_status", "Status"),
    ("work_owner", "Owner"),
    ("work_note", "Note"),
]
SEVERITY_COLUMN = "B"
FAMILY_COLUMN = "C"
RULE_ID_COLUMN = "D"
#: The worklist columns: Status (a drop-down list), Owner and Note, empty when written.
WORKLIST_COLUMNS = ("work_status", "work_owner", "work_note")
STATUS_COLUMN = get_column_letter(FINDINGS_SHEET_COLUMNS.index(("work_status", "Status")) + 1)
#: The values the Status drop-down offers (empty = not looked at yet).
WORK_STATUSES = ("Open", "In progress", "Fixed", "Won't fix", "Not an error")
_MAX_WIDTH = {"message": 90, "suggestion": 70, "source": 45}
_MAX_WIDTH_WRAPPED = {"message": 60, "suggestion": 50, "source": 45}
_FIXED_WIDTH = {"work_status": 14.0, "work_owner": 14.0, "work_note": 40.0}
MESSAGE_INDEX, SUGGESTION_INDEX = 8, 9
RELATED_ROW_INDEX = FINDINGS_SHEET_COLUMNS.index(("related_row", "Related row"))


@dataclass
class FindingsSheet:
    """Where one part of the findings went: sheet title and its number of data rows."""

    title: str
    rows: int


def _ordered(findings: pd.DataFrame, lines: pd.DataFrame | None = None) -> pd.DataFrame:
    frame = findings.copy()
    frame["billed_modifier"], frame["suggested_modifiers"] = modifier_columns(frame, lines)
    for column in WORKLIST_COLUMNS:
        frame[column] = None
    for column, _ in FINDINGS_SHEET_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame = frame[[c for c, _ in FINDINGS_SHEET_COLUMNS]]
    for column in ("row", "related_row"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    frame["related_row"] = frame["related_row"].mask(frame["related_row"] == 0)
    return frame


def _widths(frame: pd.DataFrame, wrap: bool) -> list[float]:
    maxima = _MAX_WIDTH_WRAPPED if wrap else _MAX_WIDTH
    return [
        _FIXED_WIDTH[column] if column in _FIXED_WIDTH
        else styles.series_width(header, frame[column], maximum=maxima.get(column, 40))
        for column, header in FINDINGS_SHEET_COLUMNS
    ]


def plan_findings_sheets(count: int, limit: int) -> list[FindingsSheet]:
    """The Findings sheet(s) ``count`` findings need, ``limit`` data rows each."""
    titles = part_titles("Findings", count, limit)
    return [
        FindingsSheet(title, min(limit, max(0, count - i * limit))) for i, title in enumerate(titles)
    ]


def write_findings(
    workbook, findings: pd.DataFrame, locator: ClaimLocator, limit: int, lines: pd.DataFrame | None = None
) -> list[StreamedRows]:
    """Write the Findings sheet(s); returns the streamed rows to splice in after saving.

    ``lines``: the checked claim lines (their modifiers fill "Billed modifier").
    """
    frame = _ordered(findings, lines)
    sheets = plan_findings_sheets(len(frame), limit)
    wrap = len(frame) <= WRAP_ROWS_LIMIT
    widths = _widths(frame, wrap)
    streams = []
    for number, sheet in enumerate(sheets):
        part = frame.iloc[number * limit : (number + 1) * limit]
        stream = _write_part(workbook, sheet.title, part, widths, locator, sheet.title.replace(" ", ""), wrap)
        if stream is not None:
            streams.append(stream)
    return streams


# per-column cell styles of a findings row (plain rows, and rows taller than one line)
_LINK_STYLE = styles.STYLE_LINK_INT
_STYLES = [None] * len(FINDINGS_SHEET_COLUMNS)
_STYLES[RELATED_ROW_INDEX] = styles.STYLE_CENTER
_TALL_STYLES = [styles.STYLE_PLAIN] * len(FINDINGS_SHEET_COLUMNS)
_TALL_STYLES[MESSAGE_INDEX] = _TALL_STYLES[SUGGESTION_INDEX] = styles.STYLE_WRAP
_TALL_STYLES[RELATED_ROW_INDEX] = styles.STYLE_CENTER
_TOOLTIP = "Go to this row on the Claims sheet"


def _write_part(workbook, title, part, widths, locator: ClaimLocator, table_name: str, wrap: bool):
    """One Findings sheet; with ``wrap`` long messages wrap and rows grow to fit them.

    Returns the :class:`StreamedRows` holding the data rows (None when there are none).
    """
    ws = workbook.create_sheet(title)
    maker = CellMaker(ws)
    styles.set_widths(ws, widths)
    ws.freeze_panes = "B2"
    styles.print_setup(ws)
    headers = [header for _, header in FINDINGS_SHEET_COLUMNS]
    height = styles.row_height(headers, widths, bold=True)
    if height:
        ws.row_dimensions[1].height = height
    ws.append([maker.text(header, styles.STYLE_HEADER) for header in headers])
    last_column = get_column_letter(len(FINDINGS_SHEET_COLUMNS))
    if part.empty:
        ws.append([None, maker.text("No findings: every checked line passed every rule.", styles.STYLE_NOTE)])
        return None
    link_formulas = len(part) > fast_rows.MAX_LINK_ELEMENTS
    stream = StreamedRows(ws, len(FINDINGS_SHEET_COLUMNS), date_style=styles.STYLE_DATE,
                          datetime_style=styles.STYLE_DATETIME, link_formulas=link_formulas)
    stream.placeholder(with_links=not link_formulas)
    targets = locator.locations(part["row"].to_numpy())
    linked = pd.notna(targets) & part["row"].notna().to_numpy()
    targets = np.where(linked, targets, None)
    heights = None
    tall = np.zeros(len(part), dtype=bool)
    if wrap:
        heights = styles.row_heights(
            [part.iloc[:, MESSAGE_INDEX], part.iloc[:, SUGGESTION_INDEX]],
            [widths[MESSAGE_INDEX], widths[SUGGESTION_INDEX]],
        )
        tall = np.isfinite(heights)
    cell_styles: list = []
    for index, (plain, high) in enumerate(zip(_STYLES, _TALL_STYLES, strict=True)):
        column = np.where(tall, high, plain) if tall.any() and plain != high else plain
        if index == 0 and linked.any():
            column = np.where(linked, _LINK_STYLE, column)
        cell_styles.append(column.astype(object) if isinstance(column, np.ndarray) else column)
    columns = [part.iloc[:, i] for i in range(part.shape[1])]
    stream.add_columns(columns, cell_styles, heights, (0, targets, _TOOLTIP))
    last_row = stream.last_row
    table = Table(
        displayName=table_name,
        ref=f"A1:{last_column}{last_row}",
        tableStyleInfo=TableStyleInfo(name="TableStyleLight9", showRowStripes=True),
    )
    # named here: a write-only sheet keeps no cells for openpyxl to read the headers from
    table.tableColumns = [
        TableColumn(id=i + 1, name=header) for i, (_, header) in enumerate(FINDINGS_SHEET_COLUMNS)
    ]
    with warnings.catch_warnings():  # "add table columns manually": done above
        warnings.simplefilter("ignore", UserWarning)
        ws.add_table(table)
    _severity_formats(ws, f"{SEVERITY_COLUMN}2:{SEVERITY_COLUMN}{last_row}")
    ws.data_validations.append(status_validation(f"{STATUS_COLUMN}2:{STATUS_COLUMN}{last_row}"))
    return stream


def status_validation(cells: str) -> DataValidation:
    """The Status column's drop-down: one of :data:`WORK_STATUSES`, or empty."""
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(WORK_STATUSES) + '"',
        allow_blank=True,
        showDropDown=False,  # (sic) False shows the in-cell arrow
        showErrorMessage=True,
        errorTitle="Status",
        error="Pick a status from the list: " + ", ".join(WORK_STATUSES) + ".",
        promptTitle="Status",
        prompt="Where this finding stands: " + ", ".join(WORK_STATUSES) + ".",
        showInputMessage=False,
    )
    validation.add(cells)
    return validation


def _severity_formats(ws, cells: str) -> None:
    first = cells.split(":")[0]
    column, row = first[0], first[1:]
    for severity in ("error", "warning", "info"):
        ws.conditional_formatting.add(
            cells,
            FormulaRule(
                formula=[f'${column}{row}="{severity}"'],
                fill=PatternFill("solid", bgColor=styles.SEVERITY_FILLS[severity]),
                font=Font(color=styles.SEVERITY_FONTS[severity], bold=severity == "error"),
                stopIfTrue=True,
            ),
        )


def countifs_formula(sheets: list[FindingsSheet], criteria: list[tuple[str, str]]) -> str:
    """``=COUNTIFS(Findings!$B:$B,"error",...)+COUNTIFS('Findings 2'!$B:$B,...)`` over every part.

    ``criteria`` is a list of (column letter, criterion cell reference or quoted text).
    """
    terms = []
    for sheet in sheets:
        prefix = sheet_ref(sheet.title)
        args = ",".join(f"{prefix}${col}:${col},{crit}" for col, crit in criteria)
        terms.append(f"COUNTIFS({args})")
    return "=" + "+".join(terms)


def visible_formula(sheets: list[FindingsSheet]) -> str:
    """``=SUBTOTAL(103, ...)``: findings the current filter on the Findings sheet(s) shows."""
    terms = [
        f"SUBTOTAL(103,{sheet_ref(s.title)}${SEVERITY_COLUMN}$2:${SEVERITY_COLUMN}${max(s.rows, 1) + 1})"
        for s in sheets
    ]
    return "=" + "+".join(terms)


def top_codes(findings: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The codes with the most findings: ``code, findings, errors``."""
    if findings.empty:
        return pd.DataFrame(columns=["code", "findings", "errors"])
    frame = findings[findings["code"].fillna("").astype(str) != ""]
    grouped = (frame["severity"] == "error").groupby(frame["code"].astype(str), observed=True)
    out = pd.DataFrame({"findings": grouped.size(), "errors": grouped.sum().astype(int)})
    out = out.reset_index(names="code")
    return out.sort_values(["findings", "code"], ascending=[False, True]).head(n).reset_index(drop=True)


def top_pairs(findings: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The code pairs with the most findings (pair rules): ``code, related_code, findings``."""
    if findings.empty:
        return pd.DataFrame(columns=["code", "related_code", "findings"])
    related = findings["related_code"].fillna("").astype(str)
    frame = findings[related != ""]
    if frame.empty:
        return pd.DataFrame(columns=["code", "related_code", "findings"])
    a = frame["code"].fillna("").astype(str).to_numpy()
    b = frame["related_code"].astype(str).to_numpy()
    first, second = np.where(a <= b, a, b), np.where(a <= b, b, a)
    pairs = pd.DataFrame({"code": first, "related_code": second})
    out = pairs.groupby(["code", "related_code"]).size().reset_index(name="findings")
    return out.sort_values(["findings", "code", "related_code"], ascending=[False, True, True]).head(n).reset_index(drop=True)
