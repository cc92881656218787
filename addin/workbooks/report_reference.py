"""The report's Reference sheet (facts about the codes on these claims and the PTP edits among
them) and About sheet (every rule's documentation, every table's source and vintage)."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterable

import numpy as np
import pandas as pd

from addin.explain import NO_LICENSED_TEXT
from addin.reference.indicators import MODIFIER_INDICATOR_TEXT
from addin.reference.models import ADDON_TYPE_TEXT
from addin.workbooks import styles
from addin.workbooks.fast_rows import StreamedRows
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
#: The Reference sheet lists at most this many PTP edits (a full CMS table among thousands of
#: codes has hundreds of thousands; those in force on the claims' dates come first).
REFERENCE_EDIT_LIMIT = 20_000
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


def _addon_texts(reference, last: dt.date | None, codes: Iterable[str] | None = None) -> dict[str, str]:
    """Add-on code -> "type 1: ...; primaries: ..." from the AOC table in force on ``last``.

    ``codes``: only these add-on codes (the codes on the claims; default every add-on code).
    """
    table = reference.addon_edits(last)
    if table is None or len(table) == 0:
        return {}
    addon = table["addon_code"].astype(str)
    if codes is not None:
        ids, uniques = pd.factorize(addon)
        wanted = np.isin(np.asarray(uniques, dtype=object), np.asarray(list(codes), dtype=object))
        keep = wanted[ids] & (ids >= 0)
        table, addon = table[keep], addon[keep]
        if table.empty:
            return {}
    frame = pd.DataFrame({
        "addon": addon.to_numpy(dtype=object),
        "type": pd.to_numeric(table["edit_type"], errors="coerce").to_numpy(),
        "primary": table["primary_code"].astype(str).to_numpy(dtype=object),
    })
    # the most frequent edit type of each add-on code (the smallest on a tie, as Series.mode)
    types = frame.dropna(subset=["type"]).groupby(["addon", "type"], sort=True).size().reset_index(name="n")
    types = types.sort_values(["addon", "n", "type"], ascending=[True, False, True], kind="stable")
    edit_type = types.drop_duplicates("addon").set_index("addon")["type"].astype(int)
    primaries = frame[frame["primary"] != "CCCCC"].drop_duplicates(["addon", "primary"])
    primaries = primaries.sort_values(["addon", "primary"], kind="stable")
    shown = primaries.groupby("addon", sort=False)["primary"].agg(
        lambda p: ", ".join(p.iloc[:12]) + (" …" if len(p) > 12 else "")
    )
    out = {}
    for code, kind in edit_type.items():
        text = ADDON_TYPE_TEXT.get(kind, f"type {kind}")
        listed = shown.get(code, "")
        out[str(code)] = f"{text}; primaries: {listed}" if listed else text
    return out


def _descriptions(reference, status: pd.DataFrame) -> list[str]:
    """Licensed text, else the project's plain summary, else why there is none."""
    notes = reference.notes
    plain = (
        notes["description"].reindex(status["code"]).fillna("").astype(str).to_numpy()
        if "description" in getattr(notes, "columns", [])
        else [""] * len(status)
    )
    out = []
    for (code, category, known, licensed), summary in zip(
        status[["code", "category", "known", "description"]].itertuples(index=False, name=None),
        plain,
        strict=True,
    ):
        if not isinstance(category, str) or not category:
            out.append(f"Invalid code format {code}: expected 5 characters such as 47383, 0397T or G0364")
        elif not known:
            out.append(f"Unknown code {code}: not in the loaded CMS tables")
        else:
            out.append(str(licensed or summary or f"{category} code; {NO_LICENSED_TEXT}"))
    return out


def code_facts(reference, lines: pd.DataFrame, findings: pd.DataFrame, setting: str) -> pd.DataFrame:
    """One row per distinct code on the claim lines with the facts a coder checks.

    Vector queries (one call per table for all codes), each code as of its latest date of
    service on these claims.
    """
    columns = [c for c, *_ in CODE_HEADERS]
    if lines is None or lines.empty or "cpt" not in lines.columns:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        {"code": lines["cpt"].astype(str).to_numpy(), "dos": pd.to_datetime(lines.get("dos"), errors="coerce")}
    )
    frame = frame[frame["code"] != ""]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    grouped = frame.groupby("code", sort=True)
    per_code = pd.DataFrame({"lines": grouped.size(), "dos": grouped["dos"].max()})
    codes = per_code.index.to_numpy(dtype=object)
    dates = per_code["dos"].to_numpy()
    status = reference.code_status_frame(codes, dates)
    mue = reference.mue_frame(codes, dates, setting)
    last = per_code["dos"].max()
    addons = _addon_texts(reference, last.date() if pd.notna(last) else None, codes)
    counts = findings["code"].astype(str).value_counts() if len(findings) else pd.Series(dtype=int)
    active = status["active"].to_numpy(dtype=bool)
    reason = status["inactive_reason"].fillna("").astype(str).to_numpy()
    known = status["known"].to_numpy(dtype=bool)
    state = np.where(active, "active", np.where(known, reason, "not in the loaded tables"))
    state = np.where((state == "") & known, "inactive", state)
    sources = [
        "; ".join(sorted({str(x) for x in parts if isinstance(x, str) and x}))
        for parts in zip(status["source"], mue["source"], strict=True)
    ]
    mai = pd.to_numeric(mue["mai"], errors="coerce")
    out = pd.DataFrame(
        {
            "code": codes,
            "lines": per_code["lines"].to_numpy(dtype=int),
            "findings": counts.reindex(codes).fillna(0).astype(int).to_numpy(),
            "category": status["category"].where(status["category"].notna(), "invalid format").to_numpy(),
            "status": state,
            "description": _descriptions(reference, status),
            "mue": pd.to_numeric(mue["mue_units"], errors="coerce").to_numpy(),
            "mai": [MAI_SHORT.get(int(m), f"MAI {int(m)}") if pd.notna(m) else "" for m in mai],
            "addon": [addons.get(c, "") for c in codes],
            "global_days": status["global_days"].fillna("").astype(str).to_numpy(),
            "pctc": status["pctc"].fillna("").astype(str).to_numpy(),
            "sources": sources,
        }
    )
    return out[columns]


def ptp_among(
    reference,
    codes: Iterable[str],
    first: dt.date | None,
    last: dt.date | None,
    setting: str,
    limit: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """The PTP edits among the codes, each marked whether it is in force within ``first``..``last``.

    At most ``limit`` (default :data:`REFERENCE_EDIT_LIMIT`) rows, those in force first;
    returns (edits, how many were left out).
    """
    limit = REFERENCE_EDIT_LIMIT if limit is None else limit
    empty = pd.DataFrame(columns=[c for c, _ in PTP_HEADERS])
    codes = [c for c in codes if c]
    if not codes or setting == "dme":  # no PTP table for DME suppliers (the check notes it)
        return empty, 0
    edits = reference.ptp_edits_among(codes, last, setting, only_applicable=False)
    if edits.empty:
        return empty, 0
    start = pd.to_datetime(edits["effective_date"], errors="coerce")
    end = pd.to_datetime(edits["deletion_date"], errors="coerce")
    lo = pd.Timestamp(first or dt.date.today())
    hi = pd.Timestamp(last or dt.date.today())
    indicator = pd.to_numeric(edits["modifier_indicator"], errors="coerce")
    live = ((start.isna() | (start <= hi)) & (end.isna() | (end >= lo)) & (indicator != 9)).to_numpy()
    left_out = max(0, len(edits) - limit)
    if left_out:  # keep the edits in force first, cheaply, before formatting
        keep = np.sort(np.argsort(~live, kind="stable")[:limit])
        edits, start, end, indicator, live = (
            edits.iloc[keep], start.iloc[keep], end.iloc[keep], indicator.iloc[keep], live[keep]
        )
    out = pd.DataFrame(
        {
            "column_1": edits["column_1"].astype(str).to_numpy(),
            "column_2": edits["column_2"].astype(str).to_numpy(),
            "modifier_indicator": indicator.to_numpy(),
            "effective_date": start.to_numpy(),
            "deletion_date": end.to_numpy(),
            "rationale": edits["rationale"].astype(str).to_numpy(),
            "in_force": np.where(live, "yes", "no"),
            "indicator_text": indicator.map(MODIFIER_INDICATOR_TEXT).fillna("").to_numpy(),
            "source": edits["source"].astype(str).to_numpy(),
        }
    )
    out = out.sort_values(["column_1", "column_2", "effective_date"], kind="stable").reset_index(drop=True)
    return out[[c for c, _ in PTP_HEADERS]], left_out


_CODE_STYLES = [styles.STYLE_CODE, styles.STYLE_CENTER, styles.STYLE_CENTER, styles.STYLE_WRAP,
                styles.STYLE_WRAP, styles.STYLE_WRAP, styles.STYLE_CENTER, styles.STYLE_WRAP,
                styles.STYLE_WRAP, styles.STYLE_CENTER, styles.STYLE_CENTER, styles.STYLE_WRAP]
_PTP_STYLES = [styles.STYLE_CODE, styles.STYLE_CODE, styles.STYLE_CENTER, styles.STYLE_DATE,
               styles.STYLE_DATE, styles.STYLE_WRAP, styles.STYLE_CENTER, styles.STYLE_WRAP,
               styles.STYLE_WRAP]


def write_reference(
    workbook, facts: pd.DataFrame, edits: pd.DataFrame, dates_text: str, left_out: int = 0
) -> StreamedRows:
    """The Reference sheet: code facts, then the PTP edits among those codes.

    Streamed (a full CMS table gives thousands of rows); returns the rows to splice in.
    """
    ws = workbook.create_sheet("Reference")
    widths = [width for *_, width, _ in CODE_HEADERS]
    styles.set_widths(ws, widths)
    styles.print_setup(ws, title_rows=None)
    out = StreamedRows(ws, len(widths), first_row=1, date_style=styles.STYLE_DATE)
    out.placeholder()

    def line(text: str, style: str) -> None:
        out.add([text], [style])

    def table_rows(frame: pd.DataFrame, row_styles: list[str]) -> None:
        columns = [frame.iloc[:, i] for i in range(frame.shape[1])]
        wrapped = [i for i, s in enumerate(row_styles[: len(columns)]) if s == styles.STYLE_WRAP]
        heights = styles.row_heights([columns[i] for i in wrapped], [widths[i] for i in wrapped])
        out.add_columns(columns, row_styles[: len(columns)], heights)

    line("Codes on these claims", styles.STYLE_TITLE)
    line(f"Facts as of each code's latest date of service on these claims ({dates_text}). "
         "Descriptions are licensed texts when an RVU or AMA file is imported, else the project's "
         "plain-language summaries.", styles.STYLE_NOTE)
    headers = [h for _, h, *_ in CODE_HEADERS]
    out.add(headers, [styles.STYLE_HEADER] * len(headers), styles.row_height(headers, widths, bold=True))
    if facts.empty:
        line("No codes: no line was checked.", styles.STYLE_NOTE)
    table_rows(facts, _CODE_STYLES)
    out.add([])
    line("PTP edits among these codes", styles.STYLE_TITLE)
    line("Every episode of every NCCI procedure-to-procedure edit between two codes above (either "
         "order). In force: the episode covers some date of service on these claims.", styles.STYLE_NOTE)
    if left_out:
        line(f"{left_out:,} more edits among these codes are not listed (the sheet keeps "
             f"{REFERENCE_EDIT_LIMIT:,}, those in force first); ask for a pair with cpt-addin conflicts.",
             styles.STYLE_NOTE)
    headers = [h for _, h in PTP_HEADERS]
    out.add(headers, [styles.STYLE_HEADER] * len(headers), styles.row_height(headers, widths, bold=True))
    if edits.empty:
        line("No PTP edit between any two of these codes.", styles.STYLE_NOTE)
    table_rows(edits, _PTP_STYLES)
    return out


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
