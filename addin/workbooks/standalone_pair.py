"""The self-contained pair checker: works in any spreadsheet app, no add-in needed.

The workbook carries its own reference table (every NCCI PTP edit among a code list, both
settings, every episode with its dates) and facts about those codes. Formulas use only
functions every spreadsheet app computes (SUMPRODUCT, MAX, INDEX/MATCH, IFERROR, TEXT;
no XLOOKUP, which LibreOffice 7.4 does not know, nor MAXIFS, which Excel 2016 lacks): a row
finds the newest edit episode in force for (setting, Column 1, Column 2, date) in either order
as the largest matching row number, then reads the edit with INDEX.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill

from addin.codes import code_category, normalize_code
from addin.reference.indicators import MODIFIER_INDICATOR_TEXT
from addin.workbooks import styles
from addin.workbooks.lookup_sheets import verdict_formats
from addin.workbooks.template_parts import (
    SETTINGS,
    date_validation,
    formula,
    header_row,
    instructions_sheet,
    list_validation,
    new_workbook,
    put,
    title,
    widths,
)

SHEET = "Pair checker"
EDITS = "Edits"
CODES = "Codes"
FIRST_ROW, LAST_ROW = 5, 54  # 50 pairs
FROM_THE_START = dt.date(1900, 1, 1)  # a missing effective date: the edit applies from the start
STILL_ACTIVE = dt.date(9999, 12, 31)  # a missing deletion date: the edit is still active
STILL_ACTIVE_SERIAL = 2958465
KEY_SEPARATOR = ":"
EXAMPLES = [("43235", "43497"), ("47383", "77002"), ("47383", "77003")]


def default_codes(reference) -> list[str]:
    """The codes the bundled notes describe (the seed codes and the codes they mention)."""
    return sorted(str(c) for c in reference.notes.index)


def clean_codes(codes: Iterable[object]) -> list[str]:
    """Normalised, valid-format, distinct codes in sorted order."""
    out = {normalize_code(c) for c in codes}
    return sorted(c for c in out if c and code_category(c))


def edits_table(reference, codes: list[str]) -> pd.DataFrame:
    """Every PTP episode among ``codes`` for both settings, with the sheet's key column."""
    frames = []
    for setting in SETTINGS:
        frame = reference.ptp_edits_among(codes, None, setting, only_applicable=False)
        if len(frame):
            frames.append(frame.assign(setting=setting))
    columns = ["key", "setting", "column_1", "column_2", "effective_date", "deletion_date",
               "modifier_indicator", "indicator_text", "rationale", "source"]
    if not frames:
        return pd.DataFrame(columns=columns)
    edits = pd.concat(frames, ignore_index=True)
    edits["effective_date"] = [
        d.date() if pd.notna(d) else FROM_THE_START for d in pd.to_datetime(edits["effective_date"])
    ]
    edits["deletion_date"] = [
        d.date() if pd.notna(d) else STILL_ACTIVE for d in pd.to_datetime(edits["deletion_date"])
    ]
    edits["modifier_indicator"] = edits["modifier_indicator"].astype(int)
    edits["indicator_text"] = edits["modifier_indicator"].map(MODIFIER_INDICATOR_TEXT).fillna("")
    edits["key"] = edits["setting"] + KEY_SEPARATOR + edits["column_1"] + KEY_SEPARATOR + edits["column_2"]
    for column in ("rationale", "source"):
        edits[column] = edits[column].astype(str)
    edits = edits.drop_duplicates()
    return edits.sort_values(["setting", "column_1", "column_2", "effective_date"]).reset_index(drop=True)[columns]


def code_facts(reference, codes: list[str], as_of: dt.date) -> pd.DataFrame:
    """One row per code: description, code set, status, MUE (both settings), add-on, indicators."""
    rows = []
    for code in codes:
        info = reference.code_info(code, as_of, "practitioner")
        hospital = reference.mue(code, as_of, "hospital")
        fee = info.fee_schedule
        rows.append(
            {
                "code": code,
                "description": info.description or info.plain_description or "(no description loaded)",
                "category": info.category or "",
                "status": "active" if info.active else (info.inactive_reason or "not in the loaded tables"),
                "mue_practitioner": info.mue.mue_units if info.mue else None,
                "mue_hospital": hospital.mue_units if hospital else None,
                "addon": info.addon.type_text if info.addon else "",
                "global_days": fee.global_days if fee else "",
                "pctc": fee.pctc if fee else "",
            }
        )
    return pd.DataFrame(rows, columns=["code", "description", "category", "status", "mue_practitioner",
                                       "mue_hospital", "addon", "global_days", "pctc"])


def build(reference, codes: Iterable[object] | None = None, as_of: dt.date | None = None):
    """The self-contained pair checker for ``codes`` (default: the bundled code list)."""
    code_list = clean_codes(codes if codes is not None else default_codes(reference))
    as_of = as_of or dt.date.today()
    edits = edits_table(reference, code_list)
    facts = code_facts(reference, code_list, as_of)
    workbook = new_workbook("Pair checker, no add-in needed (cpt-addin)")
    _pair_sheet(workbook, len(edits), len(code_list))
    _edits_sheet(workbook, edits)
    _codes_sheet(workbook, facts, as_of)
    instructions_sheet(workbook, "Pair checker (no add-in): how to use this workbook",
                       _instructions(code_list, reference.data_version_text()))
    return workbook


def _pair_sheet(workbook, edit_count: int, code_count: int) -> None:
    ws = workbook.create_sheet(SHEET)
    title(
        ws,
        "Pair checker (works without the add-in)",
        f"Type two codes per row, either order. Answers come from the {edit_count} NCCI PTP edits among "
        f"{code_count} codes on the Edits sheet (see Instructions for the data used).",
    )
    headers = ["Code 1", "Code 2", "Date of service", "Setting", "Verdict", "Column 1", "Column 2",
               "Modifier indicator", "Rationale", "What to do", "Edit in force", "Code 1 is",
               "Code 2 is", None, "code 1", "code 2", "date", "setting", "row (1-2)", "row (2-1)", "row"]
    widths(ws, [9, 9, 13, 13, 46, 9, 9, 10, 32, 58, 24, 40, 40, 3, 8, 8, 8, 12, 8, 8, 8])
    header_row(ws, 4, [h or "" for h in headers])
    ws["N4"].style = styles.STYLE_PLAIN
    ws.row_dimensions[4].height = 30
    for row in range(FIRST_ROW, LAST_ROW + 1):
        _pair_row(ws, row, edit_count + 1)
    for row, (a, b) in enumerate(EXAMPLES, start=FIRST_ROW):
        put(ws, f"A{row}", a, styles.STYLE_INPUT)
        put(ws, f"B{row}", b, styles.STYLE_INPUT)
    dates = date_validation()
    dates.add(f"C{FIRST_ROW}:C{LAST_ROW}")
    ws.add_data_validation(dates)
    setting = list_validation('"' + ",".join(SETTINGS) + '"', "practitioner (default) or hospital.",
                              "Pick practitioner or hospital.")
    setting.add(f"D{FIRST_ROW}:D{LAST_ROW}")
    ws.add_data_validation(setting)
    cells = f"E{FIRST_ROW}:E{LAST_ROW}"
    verdict_formats(ws, cells)
    ws.conditional_formatting.add(
        cells,
        FormulaRule(formula=[f'LEFT(E{FIRST_ROW},3)="NOT"'],
                    fill=PatternFill("solid", bgColor=styles.SEVERITY_FILLS["rejected"]),
                    font=Font(color=styles.SEVERITY_FONTS["rejected"])),
    )
    ws.column_dimensions.group("O", "U", hidden=True)
    ws.freeze_panes = f"C{FIRST_ROW}"
    styles.print_setup(ws, title_rows="4:4")
    ws.print_area = f"A1:K{LAST_ROW}"


def _pair_row(ws, r: int, edit_rows: int) -> None:
    for column in "ABD":
        ws[f"{column}{r}"].style = styles.STYLE_INPUT
    ws[f"C{r}"].style = styles.STYLE_INPUT_DATE
    # helpers (hidden columns O-U): normalised codes, date, setting, matching edit rows
    formula(ws, f"O{r}", f'=IF(ISNUMBER($A{r}),TEXT($A{r},"00000"),UPPER(TRIM($A{r})))', None)
    formula(ws, f"P{r}", f'=IF(ISNUMBER($B{r}),TEXT($B{r},"00000"),UPPER(TRIM($B{r})))', None)
    formula(ws, f"Q{r}", f"=IF(ISNUMBER($C{r}),$C{r},TODAY())", None)
    formula(ws, f"R{r}", f'=IF(TRIM($D{r})="","practitioner",LOWER(TRIM($D{r})))', None)
    sep = f'&"{KEY_SEPARATOR}"&'

    last = max(edit_rows, 2)

    def match(first: str, second: str) -> str:
        # the newest matching episode's row: SUMPRODUCT(MAX(...)) evaluates the condition
        # arrays in every spreadsheet app without array entry (MAXIFS is not everywhere)
        def col(c: str) -> str:
            return f"{EDITS}!${c}$2:${c}${last}"

        return (
            f'=IF(OR($O{r}="",$P{r}=""),0,SUMPRODUCT(MAX(({col("A")}=$R{r}{sep}{first}{sep}{second})'
            f'*({col("E")}<=$Q{r})*({col("F")}>=$Q{r})*({col("G")}<>9)*{col("K")})))'
        )

    formula(ws, f"S{r}", match(f"$O{r}", f"$P{r}"), None)
    formula(ws, f"T{r}", match(f"$P{r}", f"$O{r}"), None)
    formula(ws, f"U{r}", f"=IF($S{r}>0,$S{r},$T{r})", None)

    def edit(column: str) -> str:
        return f"INDEX({EDITS}!${column}:${column},$U{r})"

    in_list = f"ISNUMBER(MATCH($O{r},{CODES}!$A:$A,0))", f"ISNUMBER(MATCH($P{r},{CODES}!$A:$A,0))"
    verdict = (
        f'=IF(OR($O{r}="",$P{r}=""),"",'
        f'IF($U{r}>0,"CONFLICT: "&$G{r}&" is denied when billed with "&$F{r}&'
        f'IF($H{r}=1," unless an NCCI-associated modifier applies (indicator 1)."," (indicator 0: no modifier bypasses it).")'
        f',IF(NOT(AND({in_list[0]},{in_list[1]})),"NOT IN THIS WORKBOOK: "&IF({in_list[0]},$P{r},$O{r})&'
        f'" is not in the embedded code list; no answer.",'
        f'"NO EDIT: "&$O{r}&" and "&$P{r}&" may be reported together on "&TEXT($Q{r},"yyyy-mm-dd")&" ("&$R{r}&").")))'
    )
    formula(ws, f"E{r}", verdict, styles.STYLE_FORMULA_WRAP)
    formula(ws, f"F{r}", f'=IF($U{r}=0,"",{edit("C")})')
    formula(ws, f"G{r}", f'=IF($U{r}=0,"",{edit("D")})')
    formula(ws, f"H{r}", f'=IF($U{r}=0,"",{edit("G")})', styles.STYLE_FORMULA_CENTER)
    formula(ws, f"I{r}", f'=IF($U{r}=0,"",{edit("I")})', styles.STYLE_FORMULA_WRAP)
    formula(
        ws,
        f"J{r}",
        f'=IF($U{r}=0,"",IF($H{r}=0,"Report "&$F{r}&" only: no modifier bypasses this edit.",'
        f'"If the services were distinct (another site, session or encounter) and the record shows it, '
        f'append XS, XE, XP or XU (59 if none fits; 25 on an E/M code) to "&$G{r}&". Otherwise report "&$F{r}&" only."))',
        styles.STYLE_FORMULA_WRAP,
    )
    formula(
        ws,
        f"K{r}",
        f'=IF($U{r}=0,"",IF({edit("E")}<=1,"from the start",TEXT({edit("E")},"yyyy-mm-dd"))&" to "&'
        f'IF({edit("F")}>={STILL_ACTIVE_SERIAL},"still active",TEXT({edit("F")},"yyyy-mm-dd")))',
        styles.STYLE_FORMULA_WRAP,
    )
    for column, code in (("L", "O"), ("M", "P")):
        formula(
            ws,
            f"{column}{r}",
            f'=IF(${code}{r}="","",IFERROR(INDEX({CODES}!$B:$B,MATCH(${code}{r},{CODES}!$A:$A,0)),"not in this workbook"))',
            styles.STYLE_FORMULA_WRAP,
        )
    ws.row_dimensions[r].height = 45


def _edits_sheet(workbook, edits: pd.DataFrame) -> None:
    ws = workbook.create_sheet(EDITS)
    headers = ["Key", "Setting", "Column 1", "Column 2", "Effective", "Deleted after", "Modifier indicator",
               "What the indicator means", "Rationale", "Source", "Row"]
    header_row(ws, 1, headers)
    ws.row_dimensions[1].height = 30
    widths(ws, [26, 12, 9, 9, 12, 12, 10, 40, 45, 40, 6])
    for row, values in enumerate(edits.itertuples(index=False), start=2):
        put(ws, f"A{row}", values.key)
        put(ws, f"B{row}", values.setting)
        put(ws, f"C{row}", values.column_1, styles.STYLE_CODE)
        put(ws, f"D{row}", values.column_2, styles.STYLE_CODE)
        put(ws, f"E{row}", values.effective_date, styles.STYLE_DATE)
        put(ws, f"F{row}", values.deletion_date, styles.STYLE_DATE)
        put(ws, f"G{row}", int(values.modifier_indicator), styles.STYLE_CENTER)
        put(ws, f"H{row}", values.indicator_text)
        put(ws, f"I{row}", values.rationale)
        put(ws, f"J{row}", values.source)
        put(ws, f"K{row}", row)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:K{max(len(edits) + 1, 2)}"
    styles.print_setup(ws)


def _codes_sheet(workbook, facts: pd.DataFrame, as_of: dt.date) -> None:
    ws = workbook.create_sheet(CODES)
    headers = ["Code", "Description", "Code set", f"Status on {as_of.isoformat()}", "MUE practitioner",
               "MUE hospital", "Add-on code", "Global days", "PC/TC"]
    header_row(ws, 1, headers)
    ws.row_dimensions[1].height = 30
    widths(ws, [9, 70, 22, 22, 12, 11, 40, 9, 7])
    for row, values in enumerate(facts.itertuples(index=False), start=2):
        put(ws, f"A{row}", values.code, styles.STYLE_CODE)
        put(ws, f"B{row}", values.description, styles.STYLE_WRAP)
        height = styles.row_height([values.description], [70])
        if height:
            ws.row_dimensions[row].height = height
        put(ws, f"C{row}", values.category, styles.STYLE_PLAIN)
        put(ws, f"D{row}", values.status, styles.STYLE_PLAIN)
        for column, number in (("E", values.mue_practitioner), ("F", values.mue_hospital)):
            if pd.notna(number):
                put(ws, f"{column}{row}", int(number), styles.STYLE_CENTER)
        put(ws, f"G{row}", values.addon, styles.STYLE_PLAIN)
        put(ws, f"H{row}", values.global_days, styles.STYLE_CENTER)
        put(ws, f"I{row}", values.pctc, styles.STYLE_CENTER)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:I{max(len(facts) + 1, 2)}"
    styles.print_setup(ws)


def _instructions(codes: list[str], data_version: str) -> list[tuple[str, str]]:
    shown = ", ".join(codes[:40]) + (" …" if len(codes) > 40 else "")
    return [
        ("What this is", "The NCCI procedure-to-procedure (PTP) verdict for two codes billed for one patient "
         "on one date, in any spreadsheet app (Excel, LibreOffice, Google Sheets, Numbers): no add-in, "
         "no macros. The edits are embedded on the Edits sheet; the Codes sheet holds facts about each code."),
        ("How to use it", "Type two codes in a row of the yellow cells, in either order. Date of service: "
         "empty means today. Setting: practitioner (default) or hospital (outpatient). The verdict "
         "names Column 1 and Column 2, the modifier indicator, the rationale and what to do."),
        ("Verdicts", "CONFLICT (red): the Column 2 code is denied when billed with the Column 1 code. "
         "Indicator 0: no modifier bypasses it. Indicator 1: an NCCI-associated modifier (XE, XS, XP, "
         "XU, 59, or 25 on an E/M code) lets both be paid when the services were really distinct. "
         "NO EDIT (green): no edit in force between the two on that date. NOT IN THIS WORKBOOK (grey): "
         "a code outside the embedded list; the workbook cannot answer for it."),
        ("Codes covered", f"{len(codes)} codes: {shown}. For other codes build a new copy: "
         "cpt-addin template pair-checker-standalone -o pairs.xlsx --codes 47383,77002,..."),
        ("Dates", "Each edit has an effective date and a last day (Edits sheet; 1900-01-01 means from the "
         "start of the table, 9999-12-31 means still active). Indicator 9 edits never apply."),
        ("Data used", data_version),
    ]
