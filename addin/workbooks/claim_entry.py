"""The claim-entry template: type claim lines, get drop-downs and live checks from the add-in.

Columns A-I are the checker's canonical claim columns (so the sheet can be checked as it is
with ``cpt-addin check``); J-L call the Excel functions (``CPT_DESC``, ``CPT_CONFLICTS``,
``SUGGEST_MODIFIERS``). Conditional formatting tints a line red when it conflicts with
another line of the same claim.
"""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from addin.workbooks import styles
from addin.workbooks.template_parts import (
    CLAIM_HEADERS,
    date_validation,
    formula,
    header_row,
    instructions_sheet,
    list_validation,
    modifier_frame,
    new_workbook,
    pos_frame,
    put,
    whole_number_validation,
    widths,
)

SHEET = "Claim lines"
LIST_SHEET = "Lists"
FIRST_ROW = 2
LAST_ROW = 201  # 200 lines ready to type into
#: A line is checked against this many lines above and below it on the same claim.
NEIGHBOURS = 7
LIVE_HEADERS = ["Description", "Conflicts on this claim", "Suggested modifiers"]
INPUT_STYLES = {
    "Date of Service": styles.STYLE_INPUT_DATE,
}


def conflicts_formula(row: int, first: int = FIRST_ROW, last: int = LAST_ROW, window: int = NEIGHBOURS) -> str:
    """``CPT_CONFLICTS`` of this line against each nearby line of the same claim.

    Lists the conflicting codes as ``43235 (row 3), 77002 (row 5)``; empty when none. A
    neighbour is asked only when its Claim ID matches (IF evaluates one branch), so a claim's
    lines cost one call per pair.
    """
    pieces = []
    for other in range(max(first, row - window), min(last, row + window) + 1):
        if other == row:
            continue
        verdict = f"CPT_CONFLICTS($E{row},$E{other},$F{row},$F{other},$D{row})"
        pieces.append(
            f'IF(AND($A{other}=$A{row},$E{other}<>""),'
            f'IF(LEFT({verdict},8)="CONFLICT",", "&$E{other}&" (row "&ROW($E{other})&")",""),"")'
        )
    joined = "&".join(pieces) if pieces else '""'
    return f'=IF(OR($A{row}="",$E{row}=""),"",MID({joined},3,999))'


def build(reference, codes=None, as_of=None):
    """The claim-entry workbook (``codes`` and ``as_of`` are not used by this template)."""
    workbook = new_workbook("Claim entry (cpt-addin)")
    ws = workbook.create_sheet(SHEET)
    _lists_sheet(workbook, reference, as_of)
    modifiers_count = len(modifier_frame(reference))
    pos_count = len(pos_frame(reference, as_of))

    headers = CLAIM_HEADERS + LIVE_HEADERS
    header_row(ws, 1, headers)
    ws.row_dimensions[1].height = 30
    widths(ws, [12, 12, 13, 13, 11, 12, 7, 18, 7, 48, 28, 48])
    for row in range(FIRST_ROW, LAST_ROW + 1):
        for column, name in enumerate(CLAIM_HEADERS, start=1):
            cell = ws.cell(row=row, column=column)
            cell.style = INPUT_STYLES.get(name, styles.STYLE_INPUT)
        formula(ws, f"J{row}", f'=IF($E{row}="","",CPT_DESC($E{row},$D{row}))')
        formula(ws, f"K{row}", conflicts_formula(row))
        formula(ws, f"L{row}", f'=IF($E{row}="","",SUGGEST_MODIFIERS($E{row}))')

    rows = f"{FIRST_ROW}:{LAST_ROW}"
    first, last = rows.split(":")
    validations = [
        (list_validation(
            f"{LIST_SHEET}!$A$2:$A${modifiers_count + 1}",
            "One modifier from the list, or several separated by commas (59,XS).",
            "Not a modifier in the list. Several modifiers: separate them with commas (59,XS).",
            strict=False,
        ), "F"),
        (list_validation(
            f"{LIST_SHEET}!$D$2:$D${pos_count + 1}",
            "Two-digit CMS place-of-service code (11 office, 22 outpatient hospital ...).",
            "Not a CMS place-of-service code: pick one from the list (see the Lists sheet).",
        ), "I"),
        (date_validation(), "D"),
        (whole_number_validation(1, 999, "Units", "Units of service on this line (1 or more)."), "G"),
        (_code_length_validation(), "E"),
    ]
    for validation, column in validations:
        validation.add(f"{column}{first}:{column}{last}")
        ws.add_data_validation(validation)

    ws.conditional_formatting.add(
        f"A{first}:L{last}",
        FormulaRule(
            formula=[f'AND(NOT(ISERROR($K{first})),$K{first}<>"")'],
            fill=PatternFill("solid", bgColor=styles.SEVERITY_FILLS["error"]),
            font=Font(color=styles.SEVERITY_FONTS["error"]),
        ),
    )
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:L{last}"
    styles.print_setup(ws)

    instructions_sheet(workbook, "Claim entry: how to use this workbook", INSTRUCTIONS)
    workbook.move_sheet("Instructions", offset=-1)
    return workbook


def _code_length_validation() -> DataValidation:
    return DataValidation(
        type="textLength",
        operator="equal",
        formula1="5",
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="warning",
        errorTitle="Not a 5-character code",
        error="CPT and HCPCS codes have 5 characters (47383, 0397T, G0364). Keep it anyway?",
        promptTitle="CPT/HCPCS code",
        prompt="One code per line; modifiers go in the Modifiers column.",
    )


def _lists_sheet(workbook, reference, as_of) -> None:
    ws = workbook.create_sheet(LIST_SHEET)
    header_row(ws, 1, ["Modifier", "What it means"], 1)
    header_row(ws, 1, ["POS", "Place of service"], 4)
    widths(ws, [10, 90, 3, 7, 50])
    for index, row in enumerate(modifier_frame(reference).itertuples(index=False), start=2):
        put(ws, f"A{index}", row.modifier, styles.STYLE_CODE)
        put(ws, f"B{index}", row.description)
    for index, row in enumerate(pos_frame(reference, as_of).itertuples(index=False), start=2):
        put(ws, f"D{index}", row.pos_code, styles.STYLE_CODE)
        put(ws, f"E{index}", row.name)
    ws.freeze_panes = "A2"
    styles.print_setup(ws, landscape=False)


INSTRUCTIONS = [
    ("What this is", "A sheet for typing claim lines. Each line is checked as you type by the cpt-addin "
     "Excel functions: the code's description, conflicts (NCCI PTP edits) with the other lines of the "
     "same claim, and the modifiers the code's indicators allow."),
    ("Before you start", "Install the add-in once: pip install cpt-addin, then cpt-addin excel install, then "
     "in Excel use the xlwings tab: Import Functions (save this workbook as .xlsm first). Until the "
     "functions are loaded the grey columns show #NAME?."),
    ("Typing lines", "Yellow cells are for you. Claim ID groups the lines of one claim; keep a claim's "
     f"lines next to each other (each line is compared with up to {NEIGHBOURS} lines above and below "
     "it). Codes are text: 00100 keeps its zeros. Modifiers: pick one from the list or type several "
     "separated by commas (59,XS). Date of Service: a date. Units: a whole number. POS: the 2-digit "
     "place-of-service code."),
    ("Reading the checks", "Description: the code's description on the date of service (or why the code "
     "is invalid, unknown or inactive). Conflicts on this claim: the codes on the same claim that this "
     "line conflicts with; the line turns red. Use the Pair checker template or =CPT_CONFLICTS(code1, "
     "code2) to read the full verdict and what to do. Suggested modifiers: what the code's indicators "
     "allow."),
    ("Checking a whole file", "Save the sheet and run: cpt-addin check \"this file.xlsx\" -o audit.xlsx. "
     "The audit workbook lists every finding (PTP, MUE, add-on codes, modifiers, diagnoses, "
     "duplicates) with the fix."),
    ("Lists", "The Lists sheet holds the modifier and place-of-service codes the drop-downs offer, with "
     "what each means."),
]
