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
from addin.workbooks.rows import RowWriter
from addin.workbooks.safe_cells import CellMaker

# Both tables of the Reference sheet share its columns, so long texts of the PTP table sit in
# the wide columns of the codes table. (field, header, width, wrap)
CODE_HEADERS = [
    ("code", "Code", 9, False),
    ("lines", "Lines", 9, False),
    ("findings", "Findings", 10, False),
    ("category", "Code set", 16, True),
    ("status", "Status on the latest date", 16, True),
    ("description", "Description", 50, True),
    ("mue", "MUE units", 9, False),
    ("mai", "MUE counted", 20, True),
    ("addon", "Add-on code", 32, True),
    ("global_days", "Global days", 9, False),
    ("pctc", "PC/TC", 7, False),
    ("sources", "Sources", 32, True),
]
PTP_HEADERS = [
    ("column_1", "Column 1"),
    ("column_2", "Column 2"),
    ("modifier_indicator", "Modifier indicator"),
    ("effective_date", "Effective"),
    ("deletion_date", "Deleted after"),
    ("rationale", "Rationale"),
    ("in_force", "In force"),
    ("indicator_text", "What the indicator means"),
    ("source", "Source"),
]
MAI_SHORT = {1: "per line (MAI 1)", 2: "per day, policy (MAI 2)", 3: "per day, clinical (MAI 3)"}
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


def _description(info) -> str:
    """The licensed text, else the project's plain summary (the sheet notes which), else why not."""
    if info.category and info.known and (info.description or info.plain_description):
        text = info.description or info.plain_description
        if not info.active and info.inactive_reason:
            text += f" [inactive: {info.inactive_reason}]"
        return text
    return short_description(info)


def code_facts(reference, lines: pd.DataFrame, findings: pd.DataFrame, setting: str) -> pd.DataFrame:
    """One row per distinct code on the claim lines with the facts a coder checks."""
    if lines is None or lines.empty or "cpt" not in lines.columns:
        return pd.DataFrame(columns=[c for c, *_ in CODE_HEADERS])
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
                "description": _description(info),
                "mue": info.mue.mue_units if info.mue else None,
                "mai": MAI_SHORT.get(info.mue.mai, f"MAI {info.mue.mai}") if info.mue else "",
                "addon": addon,
                "global_days": fee.global_days if fee else "",
                "pctc": fee.pctc if fee else "",
                "sources": "; ".join(info.sources),
            }
        )
    return pd.DataFrame(rows, columns=[c for c, *_ in CODE_HEADERS])


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
    styles.print_setup(ws, title_rows=None)
    out = RowWriter(ws, [width for *_, width, _ in CODE_HEADERS], maker)
    wrap_columns = {i for i, (*_, wrap) in enumerate(CODE_HEADERS) if wrap}
    out.add([maker.text("Codes on these claims", styles.STYLE_TITLE)])
    out.add([maker.text(
        f"Facts as of each code's latest date of service on these claims ({dates_text}). Descriptions "
        "are licensed texts when an RVU or AMA file is imported, else the project's plain-language "
        "summaries.", styles.STYLE_NOTE)])
    out.add([maker.text(h, styles.STYLE_HEADER) for _, h, *_ in CODE_HEADERS], wrap=True, bold=True)
    if facts.empty:
        out.add([maker.text("No codes: no line was checked.", styles.STYLE_NOTE)])
    for values in facts.itertuples(index=False, name=None):
        row = maker.safe_row(values)
        row[0] = maker.text(values[0], styles.STYLE_CODE)
        for i in (1, 2, 6, 9, 10):
            if row[i] is not None:
                row[i] = maker.cell(row[i], styles.STYLE_CENTER)
        for i in wrap_columns:
            if isinstance(row[i], str):
                row[i] = maker.text(row[i], styles.STYLE_WRAP)
        out.add(row, wrap=True)
    out.add()
    out.add([maker.text("PTP edits among these codes", styles.STYLE_TITLE)])
    out.add([maker.text(
        "Every episode of every NCCI procedure-to-procedure edit between two codes above (either "
        "order). In force: the episode covers some date of service on these claims.", styles.STYLE_NOTE)])
    out.add([maker.text(h, styles.STYLE_HEADER) for _, h in PTP_HEADERS], wrap=True, bold=True)
    if edits.empty:
        out.add([maker.text("No PTP edit between any two of these codes.", styles.STYLE_NOTE)])
    for values in edits.itertuples(index=False, name=None):
        row = maker.safe_row(values)
        row[0] = maker.text(values[0], styles.STYLE_CODE)
        row[1] = maker.text(values[1], styles.STYLE_CODE)
        row[2] = maker.cell(row[2], styles.STYLE_CENTER)
        for i in (5, 7, 8):
            if isinstance(row[i], str):
                row[i] = maker.text(row[i], styles.STYLE_WRAP)
        out.add(row, wrap=True)


def plain_doc(doc: str) -> str:
    """A rule docstring for a cell: markdown marks removed, paragraphs on their own lines."""
    text = inspect.cleandoc(doc).replace("**", "").replace("``", "")
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    return "\n".join(paragraphs)


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
                "documentation": plain_doc(str(doc)),
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
    styles.print_setup(ws, title_rows=None)
    out = RowWriter(ws, [16, 11, 36, 10, 95], maker)
    wrap = styles.STYLE_WRAP
    out.add([maker.text("About this report", styles.STYLE_TITLE)])
    out.add([maker.text(f"Written by cpt-addin {tool_version}. Findings are advice for a coder, not a payer's decision.", styles.STYLE_NOTE)])
    out.add()
    out.add([maker.text("Sheets", styles.STYLE_SUBTITLE)])
    for name, text in SHEET_GUIDE:
        out.add([maker.text(name, styles.STYLE_LABEL), maker.text(text)])
    out.add()
    out.add([maker.text("Rules", styles.STYLE_SUBTITLE)])
    out.add([maker.text(h, styles.STYLE_HEADER) for h in ("Rule ID", "Family", "Name", "Severity", "What it checks, why, an example, the fix")])
    if rules.empty:
        out.add([maker.text("The rule registry is not available in this installation.", styles.STYLE_NOTE)])
    for values in rules.itertuples(index=False, name=None):
        row = [maker.text(str(v)) for v in values]
        row[0] = maker.text(values[0], styles.STYLE_LABEL)
        row[4] = maker.text(values[4], wrap)
        out.add(row, wrap=True)
    out.add()
    out.add([maker.text("Reference tables", styles.STYLE_SUBTITLE)])
    out.add([maker.text(h, styles.STYLE_HEADER) for h in ("Table", "Setting", "Vintage", "Rows", "Source and files")])
    for version in versions:
        table = getattr(version, "table", "")
        files = ", ".join(getattr(version, "files", []) or [])
        origin = getattr(version, "origin", "")
        source = TABLE_SOURCES.get(table, table)
        vintage = getattr(version, "vintage", None)
        out.add(
            [
                maker.text(str(table).upper(), styles.STYLE_LABEL),
                maker.text(str(getattr(version, "setting", ""))),
                maker.cell(vintage, styles.STYLE_DATE) if vintage else maker.text("undated"),
                maker.cell(getattr(version, "rows", None), styles.STYLE_INTEGER),
                maker.text(f"{source} ({origin}{'; ' + files if files else ''})", wrap),
            ],
            wrap=True,
        )
    out.add()
    out.add([maker.text("Data version", styles.STYLE_LABEL), None, None, None, maker.text(data_version, wrap)], wrap=True)
