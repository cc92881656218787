"""The claim-entry template: type claim lines, get drop-downs and live checks from the add-in.

Sheet *Claim lines*: a title (row 1), a note and the NCCI setting (row 2), the header (row 3),
an example claim (rows 4-5) and room for 200 lines. Columns A-L are the checker's claim
columns as a CMS-1500 lays them out (Mod 1-Mod 4: one modifier per cell, box 24D), so the
sheet can be checked as it is with ``cpt-addin check``; M-O call the Excel functions.

Whole-claim conflicts without a window: the hidden sheet *Line pairs* (same row numbers as
*Claim lines*) lists, for each line, the rows of every line of its claim (plain MATCH chains
that any spreadsheet app computes: up to 50 lines per claim, the 837P limit), asks
``CPT_CONFLICTS`` once for each other line of the claim on the same date of service, and
joins the conflicting codes. The suggestion column asks ``SUGGEST_MODIFIERS`` with the
first conflicting code (the bypass modifier and the line it goes on), or, when the line has no
conflict, shows only the code's own component/side modifiers (26/TC, 50, LT/RT): the
modifiers every procedure may carry (51, 22, 52, 53) would say nothing about the line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from addin.workbooks import styles
from addin.workbooks.template_parts import (
    CLAIM_HEADERS,
    SETTINGS,
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
PAIRS = "Line pairs"
LIST_SHEET = "Lists"
Q_SHEET = f"'{SHEET}'!"
HEADER_ROW = 3
FIRST_ROW = 4
LAST_ROW = 203  # 200 lines ready to type into
#: Lines per claim the live checks look at (an 837P claim has at most 50 service lines).
MAX_CLAIM_LINES = 50
SETTING_CELL = "$N$2"
LIVE_HEADERS = ["Description", "Conflicts on this claim", "Suggested modifiers"]
MOD_COLUMNS = ("F", "G", "H", "I")
#: Column letters of the claim fields on *Claim lines*.
COL = {"claim": "A", "dos": "D", "code": "E", "mod_first": "F", "mod_last": "I", "units": "J",
       "dx": "K", "pos": "L", "desc": "M", "conflicts": "N", "suggest": "O"}
LAST_COLUMN = "O"
#: Modifier suggestions that concern the line's own code whatever else is on the claim.
OWN_MODIFIER_PREFIXES = ("26 ", "TC ", "50 ", "LT/RT ")

# Line pairs layout: A = the row when the line has a claim id and a code; then the rows of
# the claim's lines, then the conflicting rows, then the joined results.
SLOT_FIRST_COLUMN = 2
CONFLICT_FIRST_COLUMN = SLOT_FIRST_COLUMN + MAX_CLAIM_LINES
FIRST_CONFLICT_COLUMN = CONFLICT_FIRST_COLUMN + MAX_CLAIM_LINES
CONFLICT_TEXT_COLUMN = FIRST_CONFLICT_COLUMN + 1
ADVICE_COLUMN = CONFLICT_TEXT_COLUMN + 1
ITEM1_COLUMN = ADVICE_COLUMN + 1
ITEM2_COLUMN = ITEM1_COLUMN + 1
SUGGESTED_COLUMN = ITEM2_COLUMN + 1

#: (code1, code2, mods1, mods2, date, setting) -> the verdict formula of two lines.
VerdictFormula = Callable[[str, str, str, str, str, str], str]
#: (code, other code or "", date, setting) -> the suggestion formula of a line.
SuggestFormula = Callable[[str, str, str, str], str]


def cpt_conflicts(code1: str, code2: str, mods1: str, mods2: str, date: str, setting: str) -> str:
    """The add-in's ``CPT_CONFLICTS`` call (its text starts ``CONFLICT`` for a conflict)."""
    return f"CPT_CONFLICTS({code1},{code2},{mods1},{mods2},{date},{setting})"


def suggest_modifiers(code: str, other: str, date: str, setting: str) -> str:
    """The add-in's ``SUGGEST_MODIFIERS`` call."""
    return f"SUGGEST_MODIFIERS({code},{other},{date},{setting})"


def column(index: int) -> str:
    """Column letter of a 1-based column number on *Line pairs*."""
    return get_column_letter(index)


def _line(col: str, row: int | str) -> str:
    """A cell of *Claim lines* as seen from *Line pairs*."""
    return f"{Q_SHEET}${col}{row}"


def _at(col: str, row_expr: str) -> str:
    """The cell of column ``col`` on *Claim lines* in the row a formula computes."""
    return f"INDEX({Q_SHEET}${col}:${col},{row_expr})"


def slot_formula(row: int, slot: int) -> str:
    """Row number of the ``slot``-th line (1-based) of this line's claim, or ``""``.

    Slot 1 is the claim's first line; each next slot looks below the previous one with MATCH,
    so lines of a claim may be anywhere on the sheet.
    """
    claims = f"{Q_SHEET}$A${FIRST_ROW}:$A${LAST_ROW}"
    if slot == 1:
        return f'=IF($A{row}="","",MATCH({_line("A", row)},{claims},0)+{FIRST_ROW - 1})'
    previous = f"{column(SLOT_FIRST_COLUMN + slot - 2)}{row}"
    below = f"INDEX({Q_SHEET}$A:$A,{previous}+1):{Q_SHEET}$A${LAST_ROW}"
    return (
        f'=IF(OR({previous}="",N({previous})>={LAST_ROW}),"",'
        f'IFERROR({previous}+MATCH({_line("A", row)},{below},0),""))'
    )


def pair_formula(row: int, slot: int, verdict: VerdictFormula = cpt_conflicts) -> str:
    """The other line's row when this line conflicts with it (same claim and date), else ``""``.

    The verdict is asked only for another line with a code on the same date of service (IF
    evaluates one branch), so a claim of n lines costs n*(n-1) calls, not one per sheet row.
    """
    other = f"{column(SLOT_FIRST_COLUMN + slot - 1)}{row}"
    ask = verdict(
        _line("E", row),
        _at("E", other),
        f"{Q_SHEET}$F{row}:$I{row}",
        f"INDEX({Q_SHEET}$F:$I,{other},0)",
        _line("D", row),
        f"{Q_SHEET}{SETTING_CELL}",
    )
    return (
        f'=IF(OR({other}="",{other}=$A{row}),"",'
        f'IF(OR({_at("E", other)}="",{_at("D", other)}<>{_line("D", row)}),"",'
        f'IF(LEFT({ask},8)="CONFLICT",{other},"")))'
    )


def _conflict_cells(row: int) -> str:
    first = column(CONFLICT_FIRST_COLUMN)
    last = column(CONFLICT_FIRST_COLUMN + MAX_CLAIM_LINES - 1)
    return f"{first}{row}:{last}{row}"


def first_conflict_formula(row: int) -> str:
    """The row of the first line this line conflicts with, or ``""``."""
    cells = _conflict_cells(row)
    return f'=IF(COUNT({cells})=0,"",MIN({cells}))'


def conflict_text_formula(row: int) -> str:
    """``77002 (row 5), 77003 (row 9)``: every line of the claim this line conflicts with."""
    pieces = []
    for slot in range(1, MAX_CLAIM_LINES + 1):
        cell = f"{column(CONFLICT_FIRST_COLUMN + slot - 1)}{row}"
        pieces.append(f'IF({cell}="","",", "&{_at("E", cell)}&" (row "&{cell}&")")')
    return f'=IF($A{row}="","",MID({"&".join(pieces)},3,999))'


def advice_formula(row: int, suggest: SuggestFormula = suggest_modifiers) -> str:
    """The add-in's suggestions for the line: with the first conflicting code when there is one."""
    first = f"{column(FIRST_CONFLICT_COLUMN)}{row}"
    code, date, setting = _line("E", row), _line("D", row), f"{Q_SHEET}{SETTING_CELL}"
    alone, paired = suggest(code, '""', date, setting), suggest(code, _at("E", first), date, setting)
    return f'=IF($A{row}="","",IF({first}="",{alone},{paired}))'



def item_formulas(row: int) -> tuple[str, str]:
    """The first and the second suggestion of the advice (items are separated by ``; ``)."""
    advice = f"{column(ADVICE_COLUMN)}{row}"
    item1 = f"{column(ITEM1_COLUMN)}{row}"
    rest = f"MID({advice},LEN({item1})+3,9999)"
    return (
        f'=IF(ISERROR({advice}),"",IF({advice}="","",LEFT({advice},FIND("; ",{advice}&"; ")-1)))',
        f'=IF(ISERROR({advice}),"",IF(LEN({item1})+2>=LEN({advice}),"",LEFT({rest},FIND("; ",{rest}&"; ")-1)))',
    )


def _own(item: str) -> str:
    return "OR(" + ",".join(f'LEFT({item},{len(p)})="{p}"' for p in OWN_MODIFIER_PREFIXES) + ")"


def suggested_formula(row: int) -> str:
    """What the Suggested column shows: the PTP advice for a conflicting line; else the
    code's component/side modifiers (26/TC, 50, LT/RT) when its indicators call for them."""
    first = f"{column(FIRST_CONFLICT_COLUMN)}{row}"
    item1, item2 = f"{column(ITEM1_COLUMN)}{row}", f"{column(ITEM2_COLUMN)}{row}"
    return (
        f'=IF({first}<>"",{item1},IF({_own(item1)},{item1}&IF({_own(item2)},"; "&{item2},""),""))'
    )


def build(reference, codes=None, as_of=None, *, verdict: VerdictFormula = cpt_conflicts,
          suggest: SuggestFormula = suggest_modifiers):
    """The claim-entry workbook (``codes`` is not used by this template).

    ``verdict`` / ``suggest`` build the add-in calls; tests pass plain-formula stand-ins so
    LibreOffice can compute every cell.
    """
    workbook = new_workbook("Claim entry (cpt-addin)")
    ws = workbook.create_sheet(SHEET)
    _lists_sheet(workbook, reference, as_of)
    pairs = workbook.create_sheet(PAIRS)
    modifiers_count = len(modifier_frame(reference))
    pos_count = len(pos_frame(reference, as_of))

    _title(ws)
    headers = CLAIM_HEADERS + LIVE_HEADERS
    header_row(ws, HEADER_ROW, headers)
    ws.row_dimensions[HEADER_ROW].height = 30
    widths(ws, [12, 12, 13, 13, 11, 6, 6, 6, 6, 6, 18, 6, 44, 26, 52])
    for row in range(FIRST_ROW, LAST_ROW + 1):
        for index, name in enumerate(CLAIM_HEADERS, start=1):
            cell = ws.cell(row=row, column=index)
            cell.style = styles.STYLE_INPUT_DATE if name == "Date of Service" else styles.STYLE_INPUT
        formula(ws, f"M{row}", f'=IF($E{row}="","",CPT_DESC($E{row},$D{row}))')
        formula(ws, f"N{row}", f"='{PAIRS}'!{column(CONFLICT_TEXT_COLUMN)}{row}")
        formula(ws, f"O{row}", f"='{PAIRS}'!{column(SUGGESTED_COLUMN)}{row}")
    _example(ws, as_of)
    _validations(ws, modifiers_count, pos_count)
    _formats(ws, modifiers_count)
    ws.freeze_panes = f"B{FIRST_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{LAST_COLUMN}{LAST_ROW}"
    styles.print_setup(ws)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"

    _pairs_sheet(pairs, verdict, suggest)
    instructions_sheet(workbook, "Claim entry: how to use this workbook", INSTRUCTIONS)
    workbook.move_sheet("Instructions", offset=-3)
    workbook.active = workbook.sheetnames.index(SHEET)
    return workbook


def _title(ws) -> None:
    put(ws, "A1", "Claim entry", styles.STYLE_TITLE)
    ws.row_dimensions[1].height = 24
    put(ws, "A2", "Yellow cells are yours; grey columns are the add-in's live checks. Rows 4-5 are "
        "an example claim: type over them.", styles.STYLE_NOTE)
    put(ws, "M2", "NCCI setting (PTP table):", styles.STYLE_LABEL)
    ws["M2"].alignment = Alignment(horizontal="right", vertical="top")
    put(ws, SETTING_CELL.replace("$", ""), SETTINGS[0], styles.STYLE_INPUT)


#: The example claim: a knee injection and an office visit the same day (a PTP pair, indicator 1:
#: modifier 25 on the visit bypasses it when the visit was significant and separate).
EXAMPLE_LINES = [
    ("EXAMPLE-1", "PAT-0001", "1234567893", "99213", "", "1", "M17.11", "11"),
    ("EXAMPLE-1", "PAT-0001", "1234567893", "20610", "", "1", "M17.11", "11"),
]


def _example(ws, as_of: dt.date | None) -> None:
    for row, (claim, patient, npi, code, mod, units, dx, pos) in enumerate(EXAMPLE_LINES, start=FIRST_ROW):
        put(ws, f"A{row}", claim)
        put(ws, f"B{row}", patient)
        put(ws, f"C{row}", npi)
        if as_of is not None:
            ws[f"D{row}"].value = as_of
        put(ws, f"E{row}", code)
        put(ws, f"F{row}", mod or None)
        ws[f"J{row}"].value = int(units)
        put(ws, f"K{row}", dx)
        put(ws, f"L{row}", pos)


def _validations(ws, modifiers_count: int, pos_count: int) -> None:
    first, last = FIRST_ROW, LAST_ROW
    modifiers = list_validation(
        f"{LIST_SHEET}!$A$2:$A${modifiers_count + 1}",
        "One modifier per cell as on the CMS-1500 (box 24D): pick from the list or type it. "
        "59,XS in one cell is read as two modifiers.",
        "",
    )
    # a typed value never raises a pop-up: 59,XS or a payer's own modifier are the coder's
    # call; the cell is tinted instead when it is not a known modifier (see _formats)
    modifiers.showErrorMessage = False
    modifiers.promptTitle = "Modifier"
    validations: list[tuple[DataValidation, str]] = [
        (modifiers, f"{MOD_COLUMNS[0]}{first}:{MOD_COLUMNS[-1]}{last}"),
        (list_validation(
            f"{LIST_SHEET}!$D$2:$D${pos_count + 1}",
            "Two-digit CMS place-of-service code (11 office, 22 outpatient hospital ...).",
            "Not a CMS place-of-service code: pick one from the list (see the Lists sheet).",
        ), f"L{first}:L{last}"),
        (date_validation(), f"D{first}:D{last}"),
        (whole_number_validation(1, 999, "Units", "Units of service on this line (1 or more)."),
         f"J{first}:J{last}"),
        (_code_length_validation(), f"E{first}:E{last}"),
        (list_validation('"' + ",".join(SETTINGS) + '"', "practitioner (default) or hospital "
                         "(outpatient): which NCCI PTP table the conflicts come from.",
                         "Pick practitioner or hospital."), SETTING_CELL.replace("$", "")),
    ]
    for validation, cells in validations:
        validation.add(cells)
        ws.add_data_validation(validation)


def _formats(ws, modifiers_count: int) -> None:
    first, last = FIRST_ROW, LAST_ROW
    ws.conditional_formatting.add(
        f"A{first}:{LAST_COLUMN}{last}",
        FormulaRule(
            formula=[f'AND(NOT(ISERROR($N{first})),$N{first}<>"")'],
            fill=PatternFill("solid", bgColor=styles.SEVERITY_FILLS["error"]),
            font=Font(color=styles.SEVERITY_FONTS["error"]),
        ),
    )
    # a modifier cell holding something that is not on the list (and not a list like 59,XS)
    ws.conditional_formatting.add(
        f"F{first}:I{last}",
        FormulaRule(
            formula=[f'AND(F{first}<>"",ISERROR(FIND(",",F{first})),'
                     f'COUNTIF({LIST_SHEET}!$A$2:$A${modifiers_count + 1},F{first})=0)'],
            fill=PatternFill("solid", bgColor=styles.SEVERITY_FILLS["warning"]),
        ),
    )


def _pairs_sheet(ws, verdict: VerdictFormula, suggest: SuggestFormula) -> None:
    """The hidden working sheet behind the Conflicts and Suggested columns."""
    put(ws, "A1", "Working cells of the Claim lines sheet (row n here is line n there); "
        "no need to edit.", styles.STYLE_NOTE)
    headers = ["Row"]
    headers += [f"Line {k}" for k in range(1, MAX_CLAIM_LINES + 1)]
    headers += [f"Conflict {k}" for k in range(1, MAX_CLAIM_LINES + 1)]
    headers += ["First conflict", "Conflicts", "Advice", "Item 1", "Item 2", "Suggested"]
    for index, name in enumerate(headers, start=1):
        put(ws, f"{column(index)}{HEADER_ROW}", name, styles.STYLE_HEADER)
    for row in range(FIRST_ROW, LAST_ROW + 1):
        formula(ws, f"A{row}", f'=IF(OR({_line("A", row)}="",{_line("E", row)}=""),"",ROW())', None)
        for slot in range(1, MAX_CLAIM_LINES + 1):
            formula(ws, f"{column(SLOT_FIRST_COLUMN + slot - 1)}{row}", slot_formula(row, slot), None)
            formula(ws, f"{column(CONFLICT_FIRST_COLUMN + slot - 1)}{row}",
                    pair_formula(row, slot, verdict), None)
        formula(ws, f"{column(FIRST_CONFLICT_COLUMN)}{row}", first_conflict_formula(row), None)
        formula(ws, f"{column(CONFLICT_TEXT_COLUMN)}{row}", conflict_text_formula(row), None)
        formula(ws, f"{column(ADVICE_COLUMN)}{row}", advice_formula(row, suggest), None)
        item1, item2 = item_formulas(row)
        formula(ws, f"{column(ITEM1_COLUMN)}{row}", item1, None)
        formula(ws, f"{column(ITEM2_COLUMN)}{row}", item2, None)
        formula(ws, f"{column(SUGGESTED_COLUMN)}{row}", suggested_formula(row), None)
    ws.freeze_panes = f"B{FIRST_ROW}"
    ws.sheet_state = "hidden"


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
        prompt="One code per line; modifiers go in Mod 1-Mod 4.",
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
     "Excel functions: the code's description, conflicts (NCCI PTP edits) with every other line of the "
     "same claim on the same date of service, and the modifier that fixes the line."),
    ("Before you start", "Install the add-in once: py -m pip install . in the cpt-addin folder, then "
     "cpt-addin excel install (docs/install.md and docs/excel.md), then in Excel use the xlwings "
     "tab: Import Functions (save this workbook as .xlsm first). Until the functions are loaded "
     "the grey columns show #NAME?."),
    ("Typing lines", "Yellow cells are for you. Rows 4-5 are an example claim (an office visit 99213 with a knee injection 20610): type "
     "over them or delete them. Claim ID groups the lines of one claim; its lines may be anywhere on "
     f"the sheet (up to {MAX_CLAIM_LINES} lines per claim are compared, the 837P limit). Codes are text: "
     "00100 keeps its zeros. Mod 1-Mod 4: one modifier per cell as on the CMS-1500 (box 24D); pick from "
     "the list or type it (59,XS in one cell is read as two modifiers; a cell that holds no known "
     "modifier turns amber). Date of Service: a date. Units: a whole number. POS: the 2-digit "
     "place-of-service code. NCCI setting (cell N2): practitioner or hospital."),
    ("Reading the checks", "Description: the code's description on the date of service (or why the code "
     "is invalid, unknown or inactive). Conflicts on this claim: the codes (and rows) of the same claim "
     "and date that this line has an NCCI PTP edit with, after the modifiers on both lines; the line "
     "turns red. Suggested modifiers: for a conflicting line, what the add-in advises for that pair "
     "(the bypass modifier and the line it goes on, or that no modifier bypasses it); otherwise the "
     "component or side modifiers the code's indicators call for (26/TC, 50, LT/RT), else nothing. "
     "=CPT_CONFLICTS(code1, code2) or the Pair checker template gives the full verdict."),
    ("Checking a whole file", "Save the sheet and run: cpt-addin check \"this file.xlsx\" -o audit.xlsx. "
     "The audit workbook lists every finding (PTP, MUE, add-on codes, modifiers, diagnoses, "
     "duplicates) with the fix."),
    ("Lists", "The Lists sheet holds the modifier and place-of-service codes the drop-downs offer, with "
     "what each means. The hidden Line pairs sheet holds the working cells of the live checks."),
]
