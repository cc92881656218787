"""The code-lookup and pair-checker templates, built on the cpt-addin Excel functions."""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill

from addin.workbooks import styles
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

SETUP_TEXT = (
    "Install the add-in once: py -m pip install . in the cpt-addin folder, then cpt-addin excel "
    "install (docs/install.md and docs/excel.md), then in Excel "
    "use the xlwings tab: Import Functions (save this workbook as .xlsm first). Until the functions "
    "are loaded the grey cells show #NAME?."
)

# (label, formula with {code} {date} {setting} placeholders)
CODE_FACTS = [
    ("Description", "CPT_DESC({code},{date})"),
    ("Valid on the date", "CPT_VALID({code},{date},TRUE)"),
    ("Code set", 'CPT_INFO({code},"category",{date},{setting})'),
    ("Payment status", 'CPT_INFO({code},"status_text",{date},{setting})'),
    ("Global period", 'CPT_INFO({code},"global_text",{date},{setting})'),
    ("PC/TC (26/TC)", 'CPT_INFO({code},"pctc_text",{date},{setting})'),
    ("Multiple procedures (51)", 'CPT_INFO({code},"mult_proc_text",{date},{setting})'),
    ("Bilateral (50)", 'CPT_INFO({code},"bilat_text",{date},{setting})'),
    ("Assistant (80/81/82)", 'CPT_INFO({code},"asst_text",{date},{setting})'),
    ("Co-surgeons (62)", 'CPT_INFO({code},"co_surg_text",{date},{setting})'),
    ("Team surgery (66)", 'CPT_INFO({code},"team_surg_text",{date},{setting})'),
    ("MUE (units per day)", "CPT_MUE({code},{setting},{date})"),
    ("Add-on code", "CPT_ADDON({code},{date})"),
    ("Modifiers that apply", 'SUGGEST_MODIFIERS({code},"",{date},{setting})'),
    ("Sources", 'CPT_INFO({code},"source",{date},{setting})'),
]
MANY_FIRST, MANY_LAST = 28, 77
#: Facts whose answer runs to several lines (taller rows, so a printout shows all of it).
LONG_ANSWERS = frozenset({"Description", "MUE (units per day)", "Modifiers that apply"})
LONG_ANSWER_HEIGHT = 48


def _setting_validation():
    return list_validation(
        '"' + ",".join(SETTINGS) + ',dme"',
        "practitioner (default), hospital (outpatient) or dme.",
        "Pick practitioner, hospital or dme.",
    )


def build_code_lookup(reference, codes=None, as_of=None):
    """One code's facts from the Excel functions, and a list of codes with the main facts."""
    workbook = new_workbook("Code lookup (cpt-addin)")
    ws = workbook.create_sheet("Code lookup")
    widths(ws, [26, 16, 50, 16, 40, 40])
    ws.sheet_view.showGridLines = False
    title(ws, "Code lookup", "Type a CPT or HCPCS code in the yellow cell; the grey cells answer from the cpt-addin functions.")
    for row, (label, style) in enumerate(
        (("Code", styles.STYLE_INPUT), ("Date of service", styles.STYLE_INPUT_DATE), ("Setting", styles.STYLE_INPUT)),
        start=4,
    ):
        put(ws, f"A{row}", label, styles.STYLE_LABEL)
        ws[f"B{row}"].style = style
    put(ws, "B4", "47383", styles.STYLE_INPUT)
    put(ws, "C5", "(empty: today)", styles.STYLE_NOTE)
    put(ws, "C6", "(empty: practitioner)", styles.STYLE_NOTE)
    validation = date_validation()
    validation.add("B5")
    ws.add_data_validation(validation)
    setting = _setting_validation()
    setting.add("B6")
    ws.add_data_validation(setting)

    refs = {"code": "$B$4", "date": "$B$5", "setting": "$B$6"}
    for row, (label, template) in enumerate(CODE_FACTS, start=8):
        put(ws, f"A{row}", label, styles.STYLE_LABEL)
        ws.merge_cells(f"B{row}:F{row}")
        formula(ws, f"B{row}", f'=IF($B$4="","",{template.format(**refs)})', styles.STYLE_FORMULA_WRAP)
        ws.row_dimensions[row].height = LONG_ANSWER_HEIGHT if label in LONG_ANSWERS else 30
    version_row = 8 + len(CODE_FACTS)
    put(ws, f"A{version_row}", "Data loaded", styles.STYLE_LABEL)
    ws.merge_cells(f"B{version_row}:F{version_row}")
    formula(ws, f"B{version_row}", "=CPT_DATA_VERSION()", styles.STYLE_FORMULA_WRAP)
    ws.row_dimensions[version_row].height = 30

    put(ws, f"A{MANY_FIRST - 2}", "Many codes", styles.STYLE_SUBTITLE)
    header_row(ws, MANY_FIRST - 1, ["Code", "Valid", "Description", "MUE", "Add-on", "Modifiers that apply"])
    for row in range(MANY_FIRST, MANY_LAST + 1):
        ws[f"A{row}"].style = styles.STYLE_INPUT
        many = {"code": f"$A{row}", "date": '""', "setting": '""'}
        for column, template in (
            ("B", "CPT_VALID({code},{date},TRUE)"),
            ("C", "CPT_DESC({code},{date})"),
            ("D", "CPT_MUE({code},{setting},{date})"),
            ("E", "CPT_ADDON({code},{date})"),
            ("F", 'SUGGEST_MODIFIERS({code},"",{date},{setting})'),
        ):
            formula(ws, f"{column}{row}", f'=IF($A{row}="","",{template.format(**many)})')
    styles.print_setup(ws, title_rows=None)

    instructions_sheet(workbook, "Code lookup: how to use this workbook", [
        ("What this is", "Everything cpt-addin knows about a code, from the Excel functions: description, "
         "validity on the date of service, fee-schedule indicators in words, MUE, add-on status and "
         "the modifiers that apply. The Many codes table answers a list of codes at once."),
        ("Before you start", SETUP_TEXT),
        ("Functions used", "CPT_DESC, CPT_VALID, CPT_INFO(code, field), CPT_MUE, CPT_ADDON, "
         "SUGGEST_MODIFIERS, CPT_DATA_VERSION. Type =CPT_INFO(B4,\"x\") to see every field name."),
    ])
    return workbook


PAIR_FIRST, PAIR_LAST = 5, 54


def build_pair_checker(reference, codes=None, as_of=None):
    """Pairs of codes with their NCCI PTP verdict and suggested modifiers (Excel functions)."""
    workbook = new_workbook("Pair checker (cpt-addin)")
    ws = workbook.create_sheet("Pair checker")
    headers = ["Code 1", "Code 2", "Modifiers 1", "Modifiers 2", "Date of service", "Setting",
               "Verdict (CPT_CONFLICTS)", "Suggested modifiers"]
    widths(ws, [10, 10, 12, 12, 14, 13, 80, 50])
    title(ws, "Pair checker", "Type two codes per row (either order); the verdict says CONFLICT, BYPASSED or NO EDIT, then why and what to do.")
    header_row(ws, 4, headers)
    ws.row_dimensions[4].height = 30
    for row in range(PAIR_FIRST, PAIR_LAST + 1):
        for column in "ABCDF":
            ws[f"{column}{row}"].style = styles.STYLE_INPUT
        ws[f"E{row}"].style = styles.STYLE_INPUT_DATE
        formula(ws, f"G{row}", f'=IF(OR($A{row}="",$B{row}=""),"",CPT_CONFLICTS($A{row},$B{row},$C{row},$D{row},$E{row},$F{row}))', styles.STYLE_FORMULA_WRAP)
        formula(ws, f"H{row}", f'=IF(OR($A{row}="",$B{row}=""),"",SUGGEST_MODIFIERS($A{row},$B{row},$E{row},$F{row}))', styles.STYLE_FORMULA_WRAP)
        ws.row_dimensions[row].height = 45
    for (a, b), row in zip((("47383", "77002"), ("43235", "43497")), (PAIR_FIRST, PAIR_FIRST + 1), strict=True):
        put(ws, f"A{row}", a, styles.STYLE_INPUT)
        put(ws, f"B{row}", b, styles.STYLE_INPUT)
        ws.row_dimensions[row].height = 112  # an example verdict shows whole (why, then what to do)
    dates = date_validation()
    dates.add(f"E{PAIR_FIRST}:E{PAIR_LAST}")
    ws.add_data_validation(dates)
    setting = _setting_validation()
    setting.add(f"F{PAIR_FIRST}:F{PAIR_LAST}")
    ws.add_data_validation(setting)
    verdict_formats(ws, f"G{PAIR_FIRST}:G{PAIR_LAST}")
    ws.freeze_panes = f"A{PAIR_FIRST}"
    styles.print_setup(ws, title_rows="4:4")

    instructions_sheet(workbook, "Pair checker: how to use this workbook", [
        ("What this is", "The NCCI procedure-to-procedure (PTP) verdict for pairs of codes billed for one "
         "patient on one date, from =CPT_CONFLICTS(code1, code2, mods1, mods2, date, setting). "
         "Either order works: the answer names Column 1 and Column 2."),
        ("Before you start", SETUP_TEXT),
        ("Reading the verdict", "CONFLICT: the Column 2 code is denied with the Column 1 code (red). "
         "BYPASSED: a modifier on the claim lets both be paid (amber). NO EDIT: no edit in force "
         "(green). Modifiers: type them as 59,XS."),
        ("All pairs among a list", "=CPT_CONFLICTS_TABLE(A2:A10) spills every edit among a list of codes."),
        ("Without the add-in", "The pair-checker-standalone template works in any spreadsheet app: it "
         "carries its own table of edits (cpt-addin template pair-checker-standalone --codes ...)."),
    ])
    return workbook


def verdict_formats(ws, cells: str) -> None:
    """Verdict cells: CONFLICT red, BYPASSED amber, NO EDIT green."""
    first = cells.split(":")[0]
    for word, fill, font in (
        ("CONFLICT", styles.SEVERITY_FILLS["error"], styles.SEVERITY_FONTS["error"]),
        ("BYPASSED", styles.SEVERITY_FILLS["warning"], styles.SEVERITY_FONTS["warning"]),
        ("NO EDIT", styles.OK_FILL, styles.OK_FONT),
    ):
        ws.conditional_formatting.add(
            cells,
            FormulaRule(
                formula=[f'LEFT({first},{len(word)})="{word}"'],
                fill=PatternFill("solid", bgColor=fill),
                font=Font(color=font, bold=word == "CONFLICT"),
            ),
        )
