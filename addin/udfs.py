"""Excel functions (classic xlwings UDFs): thin doors onto the answers the CLI gives.

Register with ``cpt-addin excel install`` (writes ``UDF MODULES = addin.udfs`` to the xlwings
configuration), then *Import Functions* on the xlwings ribbon; see docs/excel.md.

Each function normalises what Excel sends (:mod:`addin.excel.cells`), asks the data layer,
the checker or the suggestion rules, and formats the answer; the words come from
:mod:`addin.explain`, :mod:`addin.verdicts` and :mod:`addin.suggest`, shared with the CLI.
Every function is wrapped by :func:`~addin.excel.cells.excel_safe`: a bad input shows a
short message in the cell, never a traceback. Each function's docstring is one line of at
most 255 characters: Excel shows it as the function's help (xlwings passes ``doc[:255]``).

Spill functions (``*_TABLE``, ``CLAIM_CHECK``) return a plain 2-D list without the legacy
``expand`` option: Excel with dynamic arrays spills it; older Excel takes it as an array
formula (select the output area, Ctrl+Shift+Enter). Importing this module loads no table:
the first call does, once.
"""

from __future__ import annotations

from typing import Any

import xlwings as xw

from addin.excel import answers, cells, fields
from addin.excel.cells import excel_safe
from addin.explain import describing_currency
from addin.reference import bundled, currency
from addin.suggest import TABLE_HEADER, format_compact, table_rows
from addin.validation import CodeInputError

CATEGORY = "CPT add-in"
CONFLICT_HEADER = ["Column 1", "Column 2", "Indicator", "Verdict", "Rationale", "Effective", "Deletion"]
FINDING_HEADER = {
    "row": "Row",
    "severity": "Severity",
    "rule": "Rule",
    "rule_id": "Rule ID",
    "code": "Code",
    "related_code": "Related code",
    "related_row": "Related row",
    "modifier": "Modifier",
    "message": "Message",
    "suggestion": "Suggestion",
    "source": "Source",
    "claim_id": "Claim",
    "dos": "Date of service",
}

CODE_DOC = "Procedure code (CPT or HCPCS), e.g. 47383, 0397T or G0364; a number cell is fine (100 means 00100)."
DATE_DOC = "Date of service (date cell, YYYY-MM-DD or MM/DD/YYYY). Empty: today."
SETTING_DOC = "practitioner (default), hospital (outpatient) or dme: which NCCI tables apply."
PTP_SETTING_DOC = "practitioner (default) or hospital (outpatient): which NCCI PTP table applies (CMS publishes none for dme)."


def _date(value: Any):
    """The date of service, today when the cell is empty."""
    return cells.date_arg(value) or bundled.today()


@xw.func(category=CATEGORY)
@xw.arg("code", doc=CODE_DOC)
@xw.arg("date", doc=DATE_DOC)
@excel_safe
def CPT_DESC(code: Any, date: Any = None) -> str:
    """Description of a CPT/HCPCS code on the date of service (licensed CMS text once imported, else a plain-language summary), or why the code is invalid, unknown or inactive. Same words as cpt-addin lookup."""
    code = cells.code_arg(code)
    if code is None:
        return ""
    return answers.description(code, _date(date))


@xw.func(category=CATEGORY)
@xw.arg("code1", doc="First procedure code (either order: the answer names Column 1 and Column 2).")
@xw.arg("code2", doc="Second procedure code.")
@xw.arg("mods1", doc='Modifiers on the first code, e.g. "59,XS", or a range of modifier cells. Optional.')
@xw.arg("mods2", doc='Modifiers on the second code, e.g. "XS" or "LT". Optional.')
@xw.arg("date", doc=DATE_DOC)
@xw.arg("setting", doc=PTP_SETTING_DOC)
@excel_safe
def CPT_CONFLICTS(code1: Any, code2: Any, mods1: Any = None, mods2: Any = None, date: Any = None, setting: Any = None) -> str:
    """NCCI PTP verdict for two codes billed together, in either order: CONFLICT, BYPASSED or NO EDIT, then Column 1/2, modifier indicator, rationale and table vintage, then what to do. Same words as cpt-addin conflicts."""
    first, second = cells.code_arg(code1, "code1"), cells.code_arg(code2, "code2")
    if first is None and second is None:
        return ""
    dos, chosen = _date(date), cells.setting_arg(setting, "ptp")
    mods = cells.modifiers_arg(mods1, "mods1"), cells.modifiers_arg(mods2, "mods2")
    problem = answers.pair_problem(first, second, *mods, dos, chosen)  # as cpt-addin conflicts
    if problem is not None:
        raise CodeInputError(problem)
    verdict = answers.verdict(first, second, *mods, dos, chosen)
    return verdict.text()


@xw.func(category=CATEGORY)
@xw.arg("code", doc=CODE_DOC)
@xw.arg("other_code", doc="Another code billed the same day: the PTP edit between the two decides the bypass modifier and its line. Optional.")
@xw.arg("date", doc=DATE_DOC)
@xw.arg("setting", doc=SETTING_DOC)
@excel_safe
def SUGGEST_MODIFIERS(code: Any, other_code: Any = None, date: Any = None, setting: Any = None) -> str:
    """Modifiers the CMS indicators allow for a code, with reasons (26/TC, 50, LT/RT, 51, 62, 66, 80-82, 22/52/53, global-period); with another code, first the PTP bypass modifier and its line. Never one an indicator forbids."""
    first, second = cells.code_arg(code), cells.code_arg(other_code, "other_code")
    if first is None and second is None:
        return ""
    dos, chosen = _date(date), cells.setting_arg(setting, None if second is None else "ptp")
    first = answers.require_code(first, dos, "code", None if second is None else chosen)
    if second is not None:
        second = answers.require_code(second, dos, "other_code", chosen)
    found = answers.suggestions(first, second, dos, chosen)
    notes = answers.reference().suggestion_currency(first, second, dos, chosen)
    return currency.with_suffix(format_compact(list(found), with_code=second is not None), notes)


@xw.func(category=CATEGORY)
@xw.arg("code", doc=CODE_DOC)
@xw.arg("field", doc="What to return: description, plain, status, global, pctc, mult_proc, bilat, asst, co_surg, team_surg, endo_base, mue, mai, addon_type, primaries, category, active, source… (add _text for an indicator's meaning).")
@xw.arg("date", doc=DATE_DOC)
@xw.arg("setting", doc=SETTING_DOC)
@excel_safe
def CPT_INFO(code: Any, field: Any, date: Any = None, setting: Any = None) -> Any:
    """One fact about a code on the date of service: a fee-schedule indicator as CMS writes it ("1", "090"; add _text to the field for its meaning), the MUE, add-on type and primaries, category, active or source."""
    name = fields.resolve_field(cells.text_arg(field, "field"))
    if name is None:
        return f"Unknown field {cells.text_arg(field, 'field') or '(empty)'}: use one of {fields.field_names()}"
    code = cells.code_arg(code)
    if code is None:
        return ""
    dos, chosen = _date(date), cells.setting_arg(setting)
    if name not in fields.STATUS_FIELDS:
        answers.require_code(code, dos)
    return fields.INFO_FIELDS[name](answers.reference().code_info(code, dos, chosen))


@xw.func(category=CATEGORY)
@xw.arg("code", doc=CODE_DOC)
@xw.arg("setting", doc=SETTING_DOC)
@xw.arg("date", doc=DATE_DOC)
@excel_safe
def CPT_MUE(code: Any, setting: Any = None, date: Any = None) -> str:
    """Medically unlikely edit for a code: the most units per day, the adjudication indicator (MAI 1 line edit, 2 or 3 date-of-service edit) and its rationale, for the setting and date."""
    code = cells.code_arg(code)
    if code is None:
        return ""
    dos, chosen = _date(date), cells.setting_arg(setting, "mue")
    info = answers.reference().code_info(answers.require_code(code, dos), dos, chosen)
    return fields.INFO_FIELDS["mue_text"](info)


@xw.func(category=CATEGORY)
@xw.arg("code", doc=CODE_DOC)
@xw.arg("date", doc=DATE_DOC)
@excel_safe
def CPT_ADDON(code: Any, date: Any = None) -> str:
    """Add-on code facts: the AOC edit type (1 listed primaries only, 2 contractor-defined, 3 some listed) and the primary codes it may be billed with; or that the code is not an add-on."""
    code = cells.code_arg(code)
    if code is None:
        return ""
    dos = _date(date)
    info = answers.reference().code_info(answers.require_code(code, dos), dos)
    return fields.INFO_FIELDS["addon_text"](info) or f"{code} is not an add-on code and no add-on code lists it as a primary"


@xw.func(category=CATEGORY)
@xw.arg("modifier", doc='A modifier such as 59, XS, LT or 26 (several: "59,XS").')
@excel_safe
def MODIFIER_DESC(modifier: Any) -> str:
    """What a modifier means, and whether it is NCCI-associated (may bypass an indicator-1 PTP edit)."""
    mods = cells.modifiers_arg(cells.single(modifier, "modifier"), "modifier")
    ref = answers.reference()
    return "; ".join(fields.modifier_text(mod, ref.modifier(mod)) for mod in mods)


@xw.func(category=CATEGORY)
@xw.arg("code", doc="ICD-10-CM diagnosis code, with or without the dot (K83.1 or K831).")
@xw.arg("date", doc=DATE_DOC)
@excel_safe
def ICD10_DESC(code: Any, date: Any = None) -> str:
    """ICD-10-CM description of a diagnosis code for the date of service (its fiscal year when order files are imported); says so when the code is unknown, a non-billable header (K83 instead of K83.1) or the date is not covered."""
    text = cells.text_arg(code, "code")
    if not text:
        return ""
    return fields.icd10_text(answers.reference().icd10(text, _date(date)))


@xw.func(category=CATEGORY)
@xw.arg("code", doc=CODE_DOC)
@xw.arg("date", doc=DATE_DOC)
@xw.arg("with_reason", doc="TRUE to get the reason as text instead of TRUE/FALSE. Optional.")
@excel_safe
def CPT_VALID(code: Any, date: Any = None, with_reason: Any = None) -> Any:
    """TRUE when the code exists in the loaded CMS tables and is active on the date of service, else FALSE; with_reason=TRUE returns the reason as text instead."""
    code = cells.code_arg(code)
    if code is None:
        return "Empty cell" if cells.flag_arg(with_reason) else False
    info = answers.reference().code_info(code, _date(date))
    valid, reason = fields.validity(info)
    if not cells.flag_arg(with_reason):
        return valid
    return currency.with_suffix(reason, [describing_currency(info)] if info.known else [])


@xw.func(category=CATEGORY)
@excel_safe
def CPT_DATA_VERSION() -> str:
    """Which CMS tables answer: each table, setting and vintage loaded (imported or bundled). Put it on a sheet's About area so printed answers carry their data version."""
    return answers.data_version()


@xw.func(category=CATEGORY)
@xw.arg("codes", ndim=2, doc="A range of codes (a column, a row or a block); empty cells stay empty.")
@xw.arg("date", doc=DATE_DOC)
@excel_safe
def CPT_DESC_TABLE(codes: Any, date: Any = None) -> list[list[Any]]:
    """Spill form of CPT_DESC: one description per cell of the range, same shape, computed in one pass (fast for whole columns)."""
    rows = cells.column_arg(codes)
    texts = iter(answers.descriptions(cells.code_list(rows), _date(date)))
    with cells.gc_paused():
        return [[next(texts) for _ in row] for row in rows]


@xw.func(category=CATEGORY)
@xw.arg("codes", ndim=2, doc="A range of codes billed together (e.g. one claim's lines); order does not matter.")
@xw.arg("date", doc=DATE_DOC)
@xw.arg("setting", doc=PTP_SETTING_DOC)
@excel_safe
def CPT_CONFLICTS_TABLE(codes: Any, date: Any = None, setting: Any = None) -> list[list[Any]]:
    """Spill table of every NCCI PTP edit in force among a range of codes, whichever order they appear in: Column 1, Column 2, Indicator, Verdict, Rationale, Effective, Deletion."""
    flat = [c for row in cells.column_arg(codes) for c in (cells.code_arg(v) for v in row) if c]
    dos, setting = _date(date), cells.setting_arg(setting, "ptp")
    problems = answers.code_problems(flat, dos, setting)  # a bad code gets its own row, after the edits
    if problems:
        flat = [c for c in flat if c not in problems]
    rows = answers.conflict_rows(flat, dos, setting)
    note = [answers.reference().currency("ptp", setting.value, dos)]
    blank = [""] * (len(CONFLICT_HEADER) - 4)
    named = [[code, "", "", problem, *blank] for code, problem in problems.items()]
    none_text = currency.with_suffix(
        f"No NCCI PTP edit among these {len(set(flat))} codes on {dos.isoformat()} ({setting.value})", note
    )
    if not rows and not named:
        return [[none_text]]
    if not rows:
        rows = [["", "", "", none_text.replace("these", "the known", 1), *blank]]
    else:
        suffix = currency.suffix(note)
        if suffix:  # each verdict says which table it is from: "… [PTP table 2024Q3 older than 2026Q2]"
            for row in rows:
                row[3] = f"{row[3]} {suffix}"
    return [list(CONFLICT_HEADER), *rows, *named]  # plain str/int values already


@xw.func(category=CATEGORY)
@xw.arg("codes", ndim=2, doc="A column of codes, or two columns: code and the other code billed with it.")
@xw.arg("date", doc=DATE_DOC)
@xw.arg("setting", doc=SETTING_DOC)
@excel_safe
def SUGGEST_MODIFIERS_TABLE(codes: Any, date: Any = None, setting: Any = None) -> list[list[Any]]:
    """Spill form of SUGGEST_MODIFIERS: one row per suggestion with Code, Modifier, Goes on, Suggestion and the full Reason, for each code (or code pair) of the range."""
    dos, setting = _date(date), cells.setting_arg(setting)
    out: list[list[Any]] = []
    for row in cells.column_arg(codes):
        code = cells.code_arg(row[0])
        other = cells.code_arg(row[1], "other code") if len(row) > 1 else None
        if code is None and other is None:
            continue
        # a bad code (or a pair question in a setting without PTP) is named in its own row
        ptp = None if other is None else setting
        problem = (other is not None and answers.ptp_setting_problem(setting)) or answers.code_problem(
            code, dos, "code", ptp
        ) or (other is not None and answers.code_problem(other, dos, "other code", ptp))
        if problem:
            out.append([code or "", "", "", problem, problem])
            continue
        out.extend(table_rows(list(answers.suggestions(code, other, dos, setting))))
    return cells.rows_out(TABLE_HEADER, out) if out else [["No codes in the range"]]


@xw.func(category=CATEGORY)
@xw.arg("claims", ndim=2, doc="Claim lines with a header row (e.g. Claim, Patient, NPI, DOS, CPT, Modifiers, Units, DX).")
@xw.arg("setting", doc=SETTING_DOC)
@excel_safe
def CLAIM_CHECK(claims: Any, setting: Any = None) -> list[list[Any]]:
    """Batch-check claim lines (a range with a header row): a spill table of findings (row, severity, rule, codes, message, suggestion, source), the same as cpt-addin check."""
    frame = cells.claims_frame(claims)
    result = answers.check(frame, cells.setting_arg(setting))
    findings = result.findings
    notes = [str(n) for n in result.options.get("notes", [])]  # e.g. no PTP table for dme
    if findings.empty:
        return [[" ".join([f"No findings: {result.counts['rows_checked']} line(s) checked ({result.setting}).", *notes])]]
    columns = [c for c in FINDING_HEADER if c in findings.columns]
    table = cells.rows_out([FINDING_HEADER[c] for c in columns], findings[columns].itertuples(index=False))
    for note in notes:
        table.append(["info" if c == "severity" else note if c == "message" else "" for c in columns])
    return table
