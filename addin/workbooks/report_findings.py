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
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from addin.workbooks import fast_rows, styles
from addin.workbooks.fast_rows import StreamedRows
from addin.workbooks.report_layout import WRAP_ROWS_LIMIT, ClaimLocator, part_titles, sheet_ref
from addin.workbooks.safe_cells import CellMaker

# (finding column, header a person reads) in sheet order. Severity and rule family stay in
# columns B and C: the Summary's COUNTIFS formulas point at them.
FINDINGS_SHEET_COLUMNS: list[tuple[str, str]] = [
    ("row", "Row"),
    ("severity", "Severity"),
    ("rule", "Rule family"),
    ("rule_id", "Rule ID"),
    ("claim_id", "Claim ID"),
    ("code", "Code"),
    ("related_code", "Related code"),
    ("modifier", "Modifier"),
    ("message", "Message"),
    ("suggestion", "Suggestion"),
    ("dos", "Date of service"),
    ("patient_id", "Patient ID"),
    ("provider_npi", "Provider NPI"),
    ("related_row", "Related row"),
    ("source", "Source"),
]
SEVERITY_COLUMN = "B"
FAMILY_COLUMN = "C"
RULE_ID_COLUMN = "D"
_MAX_WIDTH = {"message": 90, "suggestion": 70, "source": 45}
_MAX_WIDTH_WRAPPED = {"message": 60, "suggestion": 50, "source": 45}
MESSAGE_INDEX, SUGGESTION_INDEX, RELATED_ROW_INDEX = 8, 9, 13


@dataclass
class FindingsSheet:
    """Where one part of the findings went: sheet title and its number of data rows."""

    title: str
    rows: int


def _ordered(findings: pd.DataFrame) -> pd.DataFrame:
    frame = findings.copy()
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
        styles.series_width(header, frame[column], maximum=maxima.get(column, 40))
        for column, header in FINDINGS_SHEET_COLUMNS
    ]


def plan_findings_sheets(count: int, limit: int) -> list[FindingsSheet]:
    """The Findings sheet(s) ``count`` findings need, ``limit`` data rows each."""
    titles = part_titles("Findings", count, limit)
    return [
        FindingsSheet(title, min(limit, max(0, count - i * limit))) for i, title in enumerate(titles)
    ]


def write_findings(
    workbook, findings: pd.DataFrame, locator: ClaimLocator, limit: int
) -> list[StreamedRows]:
    """Write the Findings sheet(s); returns the streamed rows to splice in after saving."""
    frame = _ordered(findings)
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
    text_widths = [widths[MESSAGE_INDEX], widths[SUGGESTION_INDEX]]
    for values, target in zip(part.to_numpy(dtype=object), targets, strict=True):
        row_styles = list(_STYLES)
        height = None
        if wrap:
            texts = [values[MESSAGE_INDEX], values[SUGGESTION_INDEX]]
            height = styles.row_height([t if isinstance(t, str) else None for t in texts], text_widths)
            if height:
                row_styles = list(_TALL_STYLES)
        link = None
        if target is not None and values[0] is not None:
            row_styles[0] = _LINK_STYLE
            link = (0, target, _TOOLTIP)
        stream.add(values, row_styles, height, link)
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
    return stream


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
