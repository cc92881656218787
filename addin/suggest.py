"""Which modifiers a code (or a pair of codes) may need, derived from the loaded data.

Nothing here is a fixed list per code: every suggestion follows from an indicator of the CMS
tables that answer for the date of service, and names that indicator in its reason. The
Excel functions ``SUGGEST_MODIFIERS`` / ``SUGGEST_MODIFIERS_TABLE`` and ``cpt-addin
suggest`` all word their answers from :func:`suggest_modifiers`.

Policy (what each indicator of the Physician Fee Schedule RVU file leads to):

- **PC/TC** 1: 26 (professional component) and TC (technical component); 6: 26 only; any
  other value: neither (2/3/4 are component-only or global-only codes).
- **Bilateral** 1: 50 (both sides in one session, 150%), and LT/RT when one side only;
  3: LT/RT, each side on its own line (50 is not valid); 0, 2, 9: nothing.
- **Multiple procedure** 1/2: 51 on the additional procedures of a session; 3: 51 only
  towards procedures outside the endoscopic family (the family rule uses the base code);
  0 and 4-9 (no reduction, or imaging/therapy/cardiovascular/ophthalmology reductions that
  payers apply without 51): nothing.
- **Co-surgeons** 1/2: 62; **team surgery** 1/2: 66; **assistant** (procedures with a
  000/010/090 global only, since non-surgical codes carry 0 too) 2: 80/81/82/AS, 0: the same
  but only with documented medical necessity; 1 (never paid) and 9: nothing.
- **Global period** 000: 25 on a significant, separately identifiable same-day E/M;
  010: 24 and 25 on E/M visits, 58/78/79 on procedures in the 10-day period;
  090: 57 (decision for surgery), 24 and 25 on E/M visits, 58/78/79 on procedures in the
  90-day period. XXX, YYY, ZZZ, MMM: nothing (the concept does not apply or is another
  service's).
- **Reduced or discontinued services**: a procedure is a code with a surgical global period
  (000/010/090); a diagnostic test a code with PC/TC 1-4. Practitioner claims: 22 for
  procedures (CMS accepts 22 only with a 000/010/090 global), 52 for procedures and tests,
  53 for procedures and tests and wherever the RVU file prices a separate 53 row.
  Hospital outpatient claims use 73/74 (discontinued before/after anesthesia) for
  procedures instead of 53, and 52 as above.
- A code that is unknown, inactive on the date, or has a payment status with no separate
  payment (B, N, I, X …) gets a note and no modifier; a component row (26/TC/53) whose own
  status says no payment removes that modifier.

With another code, the NCCI PTP edit between the two decides first, through the same
:func:`addin.verdicts.pair_verdict` the CLI uses: no edit in force -> no PTP modifier;
indicator 0 -> no modifier bypasses (report Column 1 only); indicator 1 -> an X{EPSU}
modifier (or 59 when none fits) on the Column 2 code, 25 on the E/M when one of the codes is
an E/M, and LT/RT on the two lines when a bilateral indicator says the codes are sided.
Then each code's own suggestions that matter on the same day (its line's modifiers, and
25/57 on the other code when that is the E/M visit); duplicates are dropped. A pair where
either code is missing, malformed or unknown (:func:`addin.validation.code_problem`) gets
only the notes naming it, never "no PTP edit"; the doors (CLI, Excel, server) refuse such
input before asking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from addin.codes import Setting, normalize_code
from addin.reference import indicators
from addin.reference.models import CodeInfo
from addin.validation import code_problem
from addin.verdicts import BYPASSED, CONFLICT, X_MODIFIERS, is_em_code, pair_verdict

SURGICAL_GLOBALS = frozenset({"000", "010", "090"})
DIAGNOSTIC_PCTC = frozenset({"1", "2", "3", "4"})
POSTOP_GLOBALS = frozenset({"010", "090"})

# kinds, in the order answers list them
PTP, NOTE, COMPONENT, BILATERAL, MULTIPLE, SURGEONS, REDUCED, GLOBAL = (
    "ptp",
    "note",
    "component",
    "bilateral",
    "multiple",
    "surgeons",
    "reduced",
    "global",
)
KIND_ORDER = {kind: i for i, kind in enumerate((PTP, NOTE, COMPONENT, BILATERAL, MULTIPLE, SURGEONS, REDUCED, GLOBAL))}


@dataclass(frozen=True)
class Suggestion:
    """One modifier suggestion (or a note that no modifier applies) with its reason.

    ``modifiers`` are alternatives: choose the one that fits (empty for a note).
    ``code`` is the code whose claim line the modifier goes on; ``line`` says which line
    when it is not simply that code's line (e.g. "the E/M visit").
    """

    modifiers: tuple[str, ...]
    code: str
    label: str
    reason: str
    kind: str
    line: str = ""

    @property
    def modifier(self) -> str:
        """The alternatives as one text, e.g. ``XE/XS/XP/XU/59``."""
        return "/".join(self.modifiers)

    def compact(self, with_code: bool = False) -> str:
        """``26 (professional component)``; with ``with_code`` also ``on 77002``."""
        if not self.modifiers:
            return self.label
        where = f" on {self.line or self.code}" if with_code or self.line else ""
        return f"{self.modifier} ({self.label}){where}"


def suggest_modifiers(
    reference,
    code: object,
    other_code: object = None,
    date_of_service: dt.date | None = None,
    setting: object = Setting.practitioner,
) -> list[Suggestion]:
    """Modifier suggestions for ``code`` (and the pair with ``other_code``), each with its reason.

    ``reference`` is a :class:`addin.reference.ReferenceData`. The PTP decision comes first
    when ``other_code`` is given, then each code's own indicators (see the module docstring
    for the policy).
    """
    setting = Setting.parse(setting)
    first = normalize_code(code) or ""
    second = normalize_code(other_code) if other_code is not None else None
    info = reference.code_info(first, date_of_service, setting)
    if not second:
        return code_suggestions(reference, info, setting)
    problems = [
        _note(code, problem)
        for code, what in ((first, "code"), (second, "other code"))
        if (problem := code_problem(reference, code, date_of_service, what, setting)) is not None
    ]
    if problems:  # no PTP answer about a thing that is not a code
        return problems
    other = reference.code_info(second, date_of_service, setting)
    out = _pair_suggestions(reference, info, other, date_of_service, setting)
    for this, that in ((info, other), (other, info)):
        out.extend(_same_day(code_suggestions(reference, this, setting), that.code))
    unique: dict[tuple[tuple[str, ...], str], Suggestion] = {}
    for suggestion in out:
        unique.setdefault((suggestion.modifiers, suggestion.line or suggestion.code), suggestion)
    return list(unique.values())


def _same_day(suggestions: list[Suggestion], other_code: str) -> list[Suggestion]:
    """A code's suggestions that matter when ``other_code`` is billed the same day: its own
    line's modifiers, and 25/57 on the other code when that is the E/M visit (24, 58, 78
    and 79 concern later dates and are left to the one-code answer)."""
    out = []
    for s in suggestions:
        if s.kind != GLOBAL:
            out.append(s)
        elif is_em_code(other_code) and s.modifiers in (("25",), ("57",)):
            out.append(Suggestion(s.modifiers, other_code, s.label, s.reason, s.kind, other_code))
    return out


def code_suggestions(reference, info: CodeInfo, setting: Setting) -> list[Suggestion]:
    """The suggestions that follow from one code's fee-schedule indicators."""
    code = info.code
    if info.category is None:
        return [_note(code, f"Invalid code format {code or '(empty)'}: no modifier suggestions")]
    if not info.known:
        return [_note(code, f"Unknown code {code}: not in the loaded CMS tables")]
    if not info.active:
        return [_note(code, f"{code} is inactive on {info.date_of_service.isoformat()} ({info.inactive_reason}): no modifier makes it payable")]
    fee = info.fee_schedule
    if fee is None:
        return [_note(code, f"{code} is not in the loaded fee schedule (RVU file): no indicator-based modifiers; import the RVU file for them")]
    if fee.status in indicators.NOT_PAYABLE_STATUS:
        text = indicators.describe(indicators.STATUS_TEXT, fee.status)
        return [_note(code, f"{code} has payment status {fee.status} ({text}): no payment modifier applies")]
    unpaid_rows = {row.modifier for row in info.component_rows if row.status in indicators.NOT_PAYABLE_STATUS}
    priced_53 = any(row.modifier == "53" and row.modifier not in unpaid_rows for row in info.component_rows)
    out: list[Suggestion] = []
    out += _component(code, fee.pctc)
    out += _bilateral(code, fee.bilat)
    out += _multiple(code, fee.mult_proc, fee.endo_base)
    out += _surgeons(code, fee.co_surg, fee.team_surg, fee.asst, fee.global_days)
    out += _reduced(code, fee.global_days, fee.pctc, priced_53, setting)
    out += _global(code, fee.global_days)
    kept = [s for s in out if not set(s.modifiers) & unpaid_rows]
    return kept


def _note(code: str, text: str, kind: str = NOTE) -> Suggestion:
    return Suggestion((), code, text, text, kind)


def _component(code: str, pctc: str) -> list[Suggestion]:
    why = f"PC/TC indicator {pctc}: {indicators.describe(indicators.PCTC_TEXT, pctc)}"
    if pctc == "1":
        return [
            Suggestion(("26",), code, "professional component", f"{why}. Append 26 when you only supervise and interpret (the report); bill without modifier when you do both parts.", COMPONENT),
            Suggestion(("TC",), code, "technical component", f"{why}. Append TC when you only provide the equipment, staff and supplies.", COMPONENT),
        ]
    if pctc == "6":
        return [Suggestion(("26",), code, "professional component", f"{why}. Append 26 for the physician interpretation; TC is not valid.", COMPONENT)]
    return []


def _bilateral(code: str, bilat: str) -> list[Suggestion]:
    why = f"Bilateral indicator {bilat}: {indicators.describe(indicators.BILAT_TEXT, bilat)}"
    if bilat == "1":
        return [
            Suggestion(("50",), code, "bilateral, one line at 150%", f"{why}. Append 50 when both sides are done in the same session.", BILATERAL),
            Suggestion(("LT", "RT"), code, "side, when one side only", f"{why}. Name the side with LT or RT when only one side is done.", BILATERAL),
        ]
    if bilat == "3":
        return [Suggestion(("LT", "RT"), code, "each side on its own line", f"{why}. Report each side on its own line with LT and RT; 50 is not valid.", BILATERAL)]
    return []


def _multiple(code: str, mult_proc: str, endo_base: str) -> list[Suggestion]:
    why = f"Multiple-procedure indicator {mult_proc}: {indicators.describe(indicators.MULT_PROC_TEXT, mult_proc)}"
    if mult_proc in ("1", "2"):
        return [Suggestion(("51",), code, "multiple procedures", f"{why}. Append 51 to this code when it is an additional procedure in the session (not the highest-valued one).", MULTIPLE)]
    if mult_proc == "3":
        base = f" (base code {endo_base})" if endo_base else ""
        return [Suggestion(("51",), code, f"multiple procedures, outside its endoscopic family{base}", f"{why}{base}. Within the family the base code's value is subtracted instead; append 51 only towards procedures outside the family.", MULTIPLE)]
    return []


def _surgeons(code: str, co_surg: str, team_surg: str, asst: str, global_days: str) -> list[Suggestion]:
    out: list[Suggestion] = []
    if global_days not in SURGICAL_GLOBALS:
        asst = ""  # 0 is also the value of non-surgical codes, where an assistant makes no sense
    if co_surg in ("1", "2"):
        doc = " with documentation" if co_surg == "1" else ""
        out.append(Suggestion(("62",), code, f"two surgeons{doc}", f"Co-surgeon indicator {co_surg}: {indicators.describe(indicators.CO_SURG_TEXT, co_surg)}. Each surgeon reports the code with 62.", SURGEONS))
    if team_surg in ("1", "2"):
        doc = " with documentation" if team_surg == "1" else ""
        out.append(Suggestion(("66",), code, f"surgical team{doc}", f"Team-surgery indicator {team_surg}: {indicators.describe(indicators.TEAM_SURG_TEXT, team_surg)}. Each surgeon of the team reports the code with 66.", SURGEONS))
    if asst in ("0", "2"):
        doc = " with documented medical necessity" if asst == "0" else ""
        out.append(Suggestion(("80", "81", "82", "AS"), code, f"assistant at surgery{doc}", f"Assistant indicator {asst}: {indicators.describe(indicators.ASST_TEXT, asst)}. The assistant reports the code with 80 (assistant surgeon), 81 (minimum assistant), 82 (no qualified resident available) or AS (PA, NP or CNS assistant).", SURGEONS))
    return out


def _reduced(code: str, global_days: str, pctc: str, priced_53: bool, setting: Setting) -> list[Suggestion]:
    procedure = global_days in SURGICAL_GLOBALS
    test = pctc in DIAGNOSTIC_PCTC
    what = f"global period {global_days}" if procedure else f"diagnostic test (PC/TC {pctc})"
    out: list[Suggestion] = []
    if procedure and setting is Setting.practitioner:
        out.append(Suggestion(("22",), code, "increased procedural services", f"Procedure with a {global_days} global period: when the work was substantially greater than usual, append 22 and document why (time, difficulty, the patient's condition).", REDUCED))
    if procedure or test:
        out.append(Suggestion(("52",), code, "reduced services", f"{what.capitalize()}: when part of the service was reduced at the physician's discretion, append 52.", REDUCED))
    if setting is Setting.hospital and procedure:
        out.append(Suggestion(("73", "74"), code, "discontinued before/after anesthesia", f"Hospital outpatient procedure ({what}): when it was discontinued, append 73 (before anesthesia) or 74 (after anesthesia began).", REDUCED))
    elif setting is not Setting.hospital and (procedure or test or priced_53):
        priced = "; the RVU file prices a separate 53 row for it" if priced_53 else ""
        basis = what if (procedure or test) else "priced 53 row"
        out.append(Suggestion(("53",), code, "discontinued procedure", f"{basis.capitalize()}{priced}: when the physician stopped the procedure for the patient's well-being after it started, append 53 (not for an elective cancellation).", REDUCED))
    return out


def _global(code: str, global_days: str) -> list[Suggestion]:
    if global_days not in SURGICAL_GLOBALS:
        return []
    why = f"Global period {global_days}: {indicators.describe(indicators.GLOBAL_DAYS_TEXT, global_days)}"
    out: list[Suggestion] = []
    if global_days == "090":
        out.append(Suggestion(("57",), code, "decision for surgery", f"{why}. The E/M visit the day before or the day of surgery that led to the decision to operate gets 57.", GLOBAL, "the E/M visit"))
    out.append(Suggestion(("25",), code, "separately identifiable same-day E/M", f"{why}. A significant, separately identifiable E/M on the same day gets 25 (the usual pre-procedure evaluation is included).", GLOBAL, "the E/M visit"))
    if global_days in POSTOP_GLOBALS:
        days = int(global_days)
        out += [
            Suggestion(("24",), code, f"unrelated E/M in the {days}-day postoperative period", f"{why}. An E/M visit for an unrelated problem during the {days} days after {code} gets 24.", GLOBAL, "the E/M visit"),
            Suggestion(("58",), code, "staged or related procedure in the postoperative period", f"{why}. A planned (staged), more extensive or therapy procedure after {code} within {days} days gets 58.", GLOBAL, "the later procedure"),
            Suggestion(("78",), code, "unplanned return to the operating room", f"{why}. An unplanned return to the operating/procedure room for a related problem within {days} days gets 78.", GLOBAL, "the later procedure"),
            Suggestion(("79",), code, "unrelated procedure in the postoperative period", f"{why}. An unrelated procedure within the {days} days after {code} gets 79.", GLOBAL, "the later procedure"),
        ]
    return out


def _sided(info: CodeInfo) -> bool:
    return info.fee_schedule is not None and info.fee_schedule.bilat in ("1", "3")


def _pair_suggestions(
    reference, first: CodeInfo, second: CodeInfo, date_of_service: dt.date | None, setting: Setting
) -> list[Suggestion]:
    verdict = pair_verdict(reference, first.code, second.code, None, None, date_of_service, setting)
    pair = f"{first.code}/{second.code}"
    if verdict.verdict not in (CONFLICT, BYPASSED) or verdict.edit is None:
        return [_note(first.code, f"No NCCI PTP edit between {pair} on {verdict.date_of_service.isoformat()} ({verdict.setting}): no PTP modifier needed", PTP)]
    edit = verdict.edit
    col1, col2 = edit.column_1, edit.column_2
    why = f"{verdict.why} {verdict.action}".strip()
    if edit.modifier_indicator != 1:
        text = f"No modifier bypasses {col1}/{col2} (indicator {edit.modifier_indicator}): report {col1} only"
        return [Suggestion((), col1, text, why, PTP)]
    if is_em_code(col2) or is_em_code(col1):
        em = col2 if is_em_code(col2) else col1
        return [Suggestion(("25",), em, "separate E/M, PTP indicator 1", why, PTP)]
    out = [Suggestion((*X_MODIFIERS, "59"), col2, f"bypasses the PTP edit with {col1} when the services were distinct: the X modifier that fits, else 59", why, PTP)]
    if _sided(first) or _sided(second):
        out.append(Suggestion(("LT", "RT"), col2, "different sides on the two lines, bypasses the PTP edit", f"{why} Anatomic modifiers bypass only when the two lines name different sites (LT on one, RT on the other).", PTP, f"{col1} and {col2} (different sides)"))
    return out


def format_compact(suggestions: list[Suggestion], with_code: bool = False) -> str:
    """One cell of text: ``26 (professional component); TC (technical component)``."""
    if not suggestions:
        return "No modifier suggested by the loaded indicators"
    return "; ".join(s.compact(with_code or s.kind == PTP) for s in suggestions)


TABLE_HEADER = ["Code", "Modifier", "Goes on", "Suggestion", "Reason"]


def table_rows(suggestions: list[Suggestion]) -> list[list[str]]:
    """Rows for ``SUGGEST_MODIFIERS_TABLE`` and ``cpt-addin suggest`` (see TABLE_HEADER)."""
    return [[s.code, s.modifier, s.line or s.code, s.label, s.reason] for s in suggestions]
