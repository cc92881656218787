"""The report's Reference sheet (facts about the codes on these claims and the PTP edits among
them) and About sheet (every rule's documentation, every table's source and vintage)."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterable

import numpy as np
import pandas as pd

from addin.explain import short_description
from addin.reference.indicators import MODIFIER_INDICATOR_TEXT
from addin.workbooks import styles
from addin.workbooks.safe_cells import CellMaker

CODE_HEADERS = [
    ("code", "Code", 9),
    ("lines", "Lines", 8),
    ("findings", "Findings", 10),
    ("category", "Code set", 22),
    ("status", "Status", 30),
    ("description", "Description", 70),
    ("mue", "MUE (units/day)", 10),
    ("mai", "MUE adjudication", 40),
    ("addon", "Add-on code", 40),
    ("global_days", "Global days", 9),
    ("pctc", "PC/TC", 8),
    ("sources", "Sources", 40),
]
PTP_HEADERS = [
    ("column_1", "Column 1"),
    ("column_2", "Column 2"),
    ("modifier_indicator", "Modifier indicator"),
    ("indicator_text", "What the indicator means"),
    ("rationale", "Rationale"),
    ("effective_date", "Effective"),
    ("deletion_date", "Deleted after"),
    ("in_force", "In force on these claims' dates"),
    ("source", "Source"),
]
TABLE_SOURCES = {
    "ptp": "CMS NCCI procedure-to-procedure (PTP) edits: pairs of codes not paid together",
    "mue": "CMS NCCI medically unlikely edits (MUE): most units of a code per line or day",
    "aoc": "CMS NCCI add-on code edits: add-on codes and the primary codes they need",
    "rvu": "CMS Physician Fee Schedule relative value file: status and payment indicators",
    "hcpcs": "CMS HCPCS Level II file: codes, modifiers, effective and termination dates",
    "pos": "CMS place-of-service code set",
}


def _yes(flag: object) -> str:
    return "yes" if bool(flag) else "no"


def code_facts(reference, lines: pd.DataFrame, findings: pd.DataFrame, setting: str) -> pd.DataFrame:
    """One row per distinct code on the claim lines with the facts a coder checks."""
    if lines is None or lines.empty or "cpt" not in lines.columns:
        return pd.DataFrame(columns=[c for c, _, _ in CODE_HEADERS])
    codes = lines["cpt"].astype(str)
    frame = pd.DataFrame({"code": codes, "dos": pd.to_datetime(lines.get("dos"), errors="coerce")})
    frame = frame[frame["code"] != ""]
    grouped = frame.groupby("code", sort=True)
    per_code = pd.DataFrame({"lines": grouped.size(), "dos": grouped["dos"].max()})
    if len(findings):
        counts = findings["code"].astype(str).value_counts()
        per_code["findings"] = counts.reindex(per_code.index).fillna(0).astype(int)
    else:
        per_code["findings"] = 0
    rows = []
    for code, row in per_code.iterrows():
        dos = row["dos"].date() if pd.notna(row["dos"]) else None
        info = reference.code_info(code, dos, setting)
        fee = info.fee_schedule
        addon = ""
        if info.addon is not None:
            primaries = ", ".join(info.addon.primaries[:12]) or "contractor-defined"
            more = " …" if len(info.addon.primaries) > 12 else ""
            addon = f"{info.addon.type_text}; primaries: {primaries}{more}"
        status = "active" if info.active else (info.inactive_reason or "not known")
        if not info.known:
            status = "not in the loaded tables"
        rows.append(
            {
                "code": code,
                "lines": int(row["lines"]),
                "findings": int(row["findings"]),
                "category": info.category or "invalid format",
                "status": status,
                "description": short_description(info),
                "mue": info.mue.mue_units if info.mue else None,
                "mai": info.mue.mai_text if info.mue else "",
                "addon": addon,
                "global_days": fee.global_days if fee else "",
                "pctc": fee.pctc if fee else "",
                "sources": "; ".join(info.sources),
            }
        )
    return pd.DataFrame(rows, columns=[c for c, _, _ in CODE_HEADERS])


def ptp_among(reference, codes: Iterable[str], first: dt.date | None, last: dt.date | None, setting: str) -> pd.DataFrame:
    """Every PTP edit among the codes, marked whether it is in force within ``first``..``last``."""
    codes = [c for c in codes if c]
    if not codes:
        return pd.DataFrame(columns=[c for c, _ in PTP_HEADERS])
    edits = reference.ptp_edits_among(codes, last, setting, only_applicable=False)
    if edits.empty:
        return pd.DataFrame(columns=[c for c, _ in PTP_HEADERS])
    edits = edits.copy()
    start = pd.to_datetime(edits["effective_date"], errors="coerce")
    end = pd.to_datetime(edits["deletion_date"], errors="coerce")
    lo = pd.Timestamp(first or dt.date.today())
    hi = pd.Timestamp(last or dt.date.today())
    live = (start.isna() | (start <= hi)) & (end.isna() | (end >= lo)) & (edits["modifier_indicator"] != 9)
    edits["in_force"] = np.where(live, "yes", "no")
    edits["indicator_text"] = edits["modifier_indicator"].map(
        lambda i: MODIFIER_INDICATOR_TEXT.get(int(i), "") if pd.notna(i) else ""
    )
    edits["effective_date"] = start
    edits["deletion_date"] = end
    edits = edits.sort_values(["column_1", "column_2", "effective_date"]).reset_index(drop=True)
    return edits[[c for c, _ in PTP_HEADERS]]


def write_reference(workbook, facts: pd.DataFrame, edits: pd.DataFrame, dates_text: str) -> None:
    """The Reference sheet: code facts, then the PTP edits among those codes."""
    ws = workbook.create_sheet("Reference")
    maker = CellMaker(ws)
    widths = [w for _, _, w in CODE_HEADERS]
    ptp_widths = [10, 10, 11, 45, 45, 12, 12, 14, 40]
    widths = [max(a, b) for a, b in zip(widths, ptp_widths + [0] * (len(widths) - len(ptp_widths)), strict=True)]
    styles.set_widths(ws, widths)
    styles.print_setup(ws, title_rows=None)
    ws.append([maker.text("Codes on these claims", styles.STYLE_TITLE)])
    ws.append([maker.text(f"Facts as of each code's latest date of service on these claims ({dates_text}).", styles.STYLE_NOTE)])
    ws.append([maker.text(h, styles.STYLE_HEADER) for _, h, _ in CODE_HEADERS])
    if facts.empty:
        ws.append([maker.text("No codes: no line was checked.", styles.STYLE_NOTE)])
    for values in facts.itertuples(index=False, name=None):
        out = maker.safe_row(values)
        out[0] = maker.text(values[0], styles.STYLE_CODE)
        ws.append(out)
    ws.append([])
    ws.append([maker.text("PTP edits among these codes", styles.STYLE_TITLE)])
    ws.append([maker.text("Every episode of every NCCI procedure-to-procedure edit between two codes above (either order).", styles.STYLE_NOTE)])
    ws.append([maker.text(h, styles.STYLE_HEADER) for _, h in PTP_HEADERS])
    if edits.empty:
        ws.append([maker.text("No PTP edit between any two of these codes.", styles.STYLE_NOTE)])
    for values in edits.itertuples(index=False, name=None):
        out = maker.safe_row(values)
        out[0] = maker.text(values[0], styles.STYLE_CODE)
        out[1] = maker.text(values[1], styles.STYLE_CODE)
        ws.append(out)


def rule_docs() -> pd.DataFrame:
    """Every rule in the registry: ``rule_id, family, name, severity, documentation``."""
    columns = ["rule_id", "family", "name", "severity", "documentation"]
    try:
        from addin.rules import all_rules
    except ImportError:
        return pd.DataFrame(columns=columns)
    rows = []
    for rule in all_rules():
        doc = getattr(rule, "docstring", None) or inspect.getdoc(rule) or ""
        rows.append(
            {
                "rule_id": str(getattr(rule, "rule_id", "")),
                "family": str(getattr(rule, "family", "")),
                "name": str(getattr(rule, "name", "")),
                "severity": str(getattr(rule, "severity", "")),
                "documentation": inspect.cleandoc(str(doc)),
            }
        )
    return pd.DataFrame(rows, columns=columns).sort_values(["family", "rule_id"]).reset_index(drop=True)


SHEET_GUIDE = [
    ("Summary", "Counts of lines and findings (live formulas over the Findings sheet), charts, the input file and the data used."),
    ("Findings", "One row per finding. Filter by severity, rule or code; click a row number to jump to the claim line."),
    ("Claims", "The input exactly as read, every column, with each row's worst severity, number of findings and messages."),
    ("Rejected rows", "Rows the checker could not read, with the reason. Fix them and run the check again."),
    ("Reference", "The codes on these claims with their facts, and the NCCI PTP edits among them."),
    ("About", "What each rule checks and why, and where each reference table comes from."),
]


def write_about(workbook, rules: pd.DataFrame, versions: list, data_version: str, tool_version: str) -> None:
    """The About sheet: how to read the report, the rules, the tables."""
    ws = workbook.create_sheet("About")
    maker = CellMaker(ws)
    styles.set_widths(ws, [16, 14, 30, 11, 110])
    styles.print_setup(ws, title_rows=None)
    ws.append([maker.text("About this report", styles.STYLE_TITLE)])
    ws.append([maker.text(f"Written by cpt-addin {tool_version}. Findings are advice for a coder, not a payer's decision.", styles.STYLE_NOTE)])
    ws.append([])
    ws.append([maker.text("Sheets", styles.STYLE_SUBTITLE)])
    for name, text in SHEET_GUIDE:
        ws.append([maker.text(name, styles.STYLE_LABEL), maker.text(text)])
    ws.append([])
    ws.append([maker.text("Rules", styles.STYLE_SUBTITLE)])
    ws.append([maker.text(h, styles.STYLE_HEADER) for h in ("Rule ID", "Family", "Name", "Severity", "What it checks, why, example, fix")])
    if rules.empty:
        ws.append([maker.text("The rule registry is not available in this installation.", styles.STYLE_NOTE)])
    for values in rules.itertuples(index=False, name=None):
        out = maker.safe_row(values)
        out[0] = maker.text(values[0], styles.STYLE_LABEL)
        out[4] = maker.text(values[4], styles.STYLE_WRAP)
        ws.append(out)
    ws.append([])
    ws.append([maker.text("Reference tables", styles.STYLE_SUBTITLE)])
    ws.append([maker.text(h, styles.STYLE_HEADER) for h in ("Table", "Setting", "Vintage", "Rows", "Source and files")])
    for version in versions:
        table = getattr(version, "table", "")
        files = ", ".join(getattr(version, "files", []) or [])
        origin = getattr(version, "origin", "")
        source = TABLE_SOURCES.get(table, table)
        ws.append(
            [
                maker.text(str(table).upper(), styles.STYLE_LABEL),
                maker.text(str(getattr(version, "setting", ""))),
                maker.safe_value(getattr(version, "vintage", None)) or maker.text("undated"),
                maker.cell(getattr(version, "rows", None), styles.STYLE_INTEGER),
                maker.text(f"{source} ({origin}{'; ' + files if files else ''})", styles.STYLE_WRAP),
            ]
        )
    ws.append([])
    ws.append([maker.text("Data version", styles.STYLE_LABEL), None, None, None, maker.text(data_version, styles.STYLE_WRAP)])
