"""The report's Summary sheet: counts (live formulas beside the checker's numbers), charts,
top codes and pairs, the input file and the data used.

The totals by severity and rule family are COUNTIFS formulas over the Findings sheet(s), so a
user who edits a finding sees them recompute; "shown by the current filter" is a SUBTOTAL
that follows the Findings filter. The checker's own numbers sit beside them for comparison.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PureWindowsPath

import pandas as pd
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill

from addin.findings import SEVERITIES
from addin.reference import currency
from addin.rules.base import FAMILIES as RULE_FAMILIES
from addin.workbooks import charts, styles
from addin.workbooks.report_findings import (
    FAMILY_COLUMN,
    SEVERITY_COLUMN,
    FindingsSheet,
    countifs_formula,
    visible_formula,
)
from addin.workbooks.rows import RowWriter
from addin.workbooks.safe_cells import CellMaker

#: Rule families in the order the Summary lists them (the registry's order, PRODUCT.md).
FAMILIES = list(RULE_FAMILIES)
FAMILY_NAMES = {
    "ptp": "code pairs (PTP)",
    "mue": "units (MUE)",
    "aoc": "add-on codes",
    "modifier": "modifiers",
    "code": "code validity",
    "diagnosis": "diagnoses",
    "demographic": "age and sex (MCE)",
    "global": "global surgery",
    "duplicate": "duplicate lines",
    "input": "unreadable input",
}
CHART_ANCHOR_COLUMN = "H"


@dataclass
class SummaryFacts:
    """What the Summary shows, gathered by the report writer."""

    file_name: str
    sha256: str
    sheet: str
    header_row: object
    column_mapping: list[str]
    setting: str
    elapsed_seconds: float
    generated: dt.datetime
    tool_version: str
    rows_read: int
    rows_checked: int
    rows_rejected: int
    blank_rows: int
    by_severity: dict[str, int]
    by_rule: dict[str, int]
    total_findings: int
    findings_sheets: list[FindingsSheet]
    claims_sheets: list[str]
    top_codes: pd.DataFrame
    top_pairs: pd.DataFrame
    versions: list
    notes: list[str] = field(default_factory=list)
    sheet_limit: int = 0


def file_display_name(path_text: str) -> str:
    """The file name without folders (works for POSIX and Windows paths)."""
    return PureWindowsPath(str(path_text)).name or str(path_text)


def write_summary(workbook, facts: SummaryFacts) -> None:
    """Write the Summary sheet (first sheet of the report)."""
    ws = workbook.create_sheet("Summary")
    m = CellMaker(ws)
    styles.print_setup(ws, title_rows=None)
    ws.sheet_view.showGridLines = False
    out = RowWriter(ws, [36, 16, 16, 16, 16, 18, 19], m)
    label, note, text = styles.STYLE_LABEL, styles.STYLE_NOTE, m.text

    out.add([text("Claim audit report", styles.STYLE_TITLE)])
    out.add([text(f"{facts.file_name} — checked {facts.generated:%Y-%m-%d %H:%M} by cpt-addin {facts.tool_version}", note)])
    out.add()
    _currency_banner(out, m, facts.versions)

    # ---- input
    out.add([text("Input", styles.STYLE_SUBTITLE)])
    for name, value in (
        ("File", facts.file_name),
        ("SHA-256", facts.sha256 or "(not a file)"),
        ("Sheet", facts.sheet or "(text file)"),
        ("Header row", facts.header_row),
        ("Setting", facts.setting),
    ):
        out.add([text(name, label), _left(m, value)])
    for number, mapping in enumerate(facts.column_mapping or ["(none)"]):
        out.add([text("Columns used" if number == 0 else "", label), text(mapping, styles.STYLE_LEFT)])
    out.add([text("Run time (seconds)", label), m.cell(round(facts.elapsed_seconds, 2), styles.STYLE_LEFT)])
    for line in facts.notes:
        out.add([text("Reader note", label), text(line)])
    out.add()

    # ---- lines
    out.add([text("Lines", styles.STYLE_SUBTITLE)])
    for name, value in (
        ("Lines read", facts.rows_read),
        ("Lines checked", facts.rows_checked),
        ("Lines rejected (see Rejected rows)", facts.rows_rejected),
        ("Blank rows skipped", facts.blank_rows),
    ):
        out.add([text(name, label), m.cell(int(value), styles.STYLE_INTEGER)])
    out.add()

    # ---- by severity
    out.add([text("Findings by severity", styles.STYLE_SUBTITLE)])
    out.add(_headers(m, ("Severity", "Findings", "Checker reported"), numbers=(1, 2)))
    severity_first = out.row + 1
    for severity in SEVERITIES:
        formula = countifs_formula(facts.findings_sheets, [(SEVERITY_COLUMN, f'"{severity}"')])
        out.add([text(severity, label), m.formula(formula, styles.STYLE_INTEGER),
                 m.cell(facts.by_severity.get(severity, 0), styles.STYLE_INTEGER)])
    severity_last = out.row
    total_row = out.add([
        text("All findings", label),
        m.formula(f"=SUM(B{severity_first}:B{severity_last})", styles.STYLE_INTEGER),
        m.cell(facts.total_findings, styles.STYLE_INTEGER),
    ])
    out.add([text("Shown by the current filter", label), m.formula(visible_formula(facts.findings_sheets), styles.STYLE_INTEGER),
             text("(follows the filter on the Findings sheet)", note)])
    _match_format(ws, f"B{severity_first}:B{total_row}", "C")
    out.add()

    # ---- by rule family
    out.add([text("Findings by rule family", styles.STYLE_SUBTITLE)])
    out.add(_headers(m, ("Rule family", *SEVERITIES, "Total", "Checker reported"), numbers=(1, 2, 3, 4, 5)))
    families = FAMILIES + sorted(set(facts.by_rule) - set(FAMILIES))
    family_first = out.row + 1
    for family in families:
        row = out.row + 1
        name = FAMILY_NAMES.get(family)
        cells = [text(f"{family} — {name}" if name else family, label)]
        for severity in SEVERITIES:
            cells.append(m.formula(
                countifs_formula(facts.findings_sheets, [(FAMILY_COLUMN, f'"{family}"'), (SEVERITY_COLUMN, f'"{severity}"')]),
                styles.STYLE_INTEGER,
            ))
        cells.append(m.formula(f"=SUM(B{row}:D{row})", styles.STYLE_INTEGER))
        cells.append(m.cell(facts.by_rule.get(family, 0), styles.STYLE_INTEGER))
        out.add(cells)
    family_last = out.row
    _match_format(ws, f"E{family_first}:E{family_last}", "F")
    out.add([text("Edits to the Findings sheet recompute these counts; a count that differs from "
                  "the checker's turns amber.", note)])
    out.add()

    # ---- where the findings are
    if len(facts.findings_sheets) > 1 or len(facts.claims_sheets) > 1:
        out.add([text("Split sheets", styles.STYLE_SUBTITLE)])
        names = ", ".join(s.title for s in facts.findings_sheets)
        out.add([text(f"There are more findings than one sheet holds ({facts.sheet_limit:,} rows): "
                      f"they are split over {len(facts.findings_sheets)} sheets: {names}.")])
        if len(facts.claims_sheets) > 1:
            out.add([text(f"The claims are split over {len(facts.claims_sheets)} sheets: {', '.join(facts.claims_sheets)}.")])
        out.add()

    # ---- top codes and pairs
    out.add([text("Codes with the most findings", styles.STYLE_SUBTITLE), None, None, None,
             text("Pairs with the most findings", styles.STYLE_SUBTITLE)])
    out.add(_headers(m, ("Code", "Findings", "Errors"), numbers=(1, 2)) + [None]
            + _headers(m, ("Code", "Related code", "Findings"), numbers=(2,)))
    codes = list(facts.top_codes.itertuples(index=False, name=None))
    pairs = list(facts.top_pairs.itertuples(index=False, name=None))
    for index in range(max(len(codes), len(pairs), 1)):
        row: list = [None] * 7
        if index < len(codes):
            code, count, errors = codes[index]
            row[0:3] = [text(code, styles.STYLE_CODE), m.cell(int(count), styles.STYLE_INTEGER), m.cell(int(errors), styles.STYLE_INTEGER)]
        if index < len(pairs):
            a, b, count = pairs[index]
            row[4:7] = [text(a, styles.STYLE_CODE), text(b, styles.STYLE_CODE), m.cell(int(count), styles.STYLE_INTEGER)]
        if not codes and not pairs:
            row[0] = text("No findings.", note)
        out.add(row)
    out.add()

    # ---- data used
    out.add([text("Reference data used", styles.STYLE_SUBTITLE)])
    out.add(_headers(m, ("Table", "Setting", "Vintage", "Origin", "Rows", "Covers", "Lines not covered"),
                     numbers=(4, 6)))
    for version in facts.versions:
        out.add([
            text(str(getattr(version, "table", "")).upper(), label),
            text(str(getattr(version, "setting", ""))),
            m.safe_value(getattr(version, "vintage", None)) or text("undated"),
            text(str(getattr(version, "origin", ""))),
            m.cell(getattr(version, "rows", None), styles.STYLE_INTEGER),
            text(str(getattr(version, "period", "") or "")),
            m.cell(int(getattr(version, "lines_stale", 0) or 0) + int(getattr(version, "lines_uncovered", 0) or 0), styles.STYLE_INTEGER),
        ])
    if not facts.versions:
        out.add([text("No reference tables were reported by the checker.", note)])

    # ---- charts, to the right of the tables
    bar = charts.findings_by_family_bar(ws, family_first, family_last, 1, 2, list(SEVERITIES))
    ws.add_chart(bar, f"{CHART_ANCHOR_COLUMN}4")
    pie = charts.findings_by_severity_pie(ws, severity_first, severity_last, 1, 2, list(SEVERITIES))
    ws.add_chart(pie, f"{CHART_ANCHOR_COLUMN}28")


def _headers(maker: CellMaker, names: tuple[str, ...], numbers: tuple[int, ...] = ()) -> list:
    """Table header cells; those over a column of numbers are right-aligned like the numbers."""
    return [maker.text(name, styles.STYLE_HEADER_NUMBER if i in numbers else styles.STYLE_HEADER)
            for i, name in enumerate(names)]


def _currency_banner(out: RowWriter, maker: CellMaker, versions: list) -> None:
    """A banner at the top when lines were checked against tables that do not cover their
    dates of service (see :func:`addin.reference.currency.banner_lines`)."""
    lines = currency.banner_lines(versions)
    if not lines:
        return
    fill = PatternFill("solid", fgColor=styles.SEVERITY_FILLS["warning"])
    for number, line in enumerate([currency.BANNER_TITLE, *lines]):
        cell = maker.text(line, styles.STYLE_LABEL if number == 0 else styles.STYLE_TEXT)
        cell.fill = fill
        if number == 0:
            cell.font = Font(bold=True, color=styles.SEVERITY_FONTS["warning"])
        out.add([cell])
    out.add()


def _left(maker: CellMaker, value: object):
    """A value left-aligned (numbers too), as in a list of facts."""
    value = maker.safe_value(value)
    if value is None or hasattr(value, "value"):
        return value
    if isinstance(value, str):
        return maker.text(value, styles.STYLE_LEFT)
    return maker.cell(value, styles.STYLE_LEFT)


def _match_format(ws, cells: str, other_column: str) -> None:
    """Turn a live count red when it differs from the checker's number beside it (edited)."""
    first = cells.split(":")[0]
    column, row = first[0], first[1:]
    ws.conditional_formatting.add(
        cells,
        FormulaRule(
            formula=[f"${column}{row}<>${other_column}{row}"],
            fill=PatternFill("solid", bgColor=styles.SEVERITY_FILLS["warning"]),
            font=Font(bold=True),
        ),
    )
