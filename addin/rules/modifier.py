"""Modifiers: known codes, and the fee-schedule indicators that decide 26/TC, 50, 51, 62, 66, 80.

Fee-schedule indicators come from the RVU file row the line is priced on, in the release for
the date of service: a line billed with 26, TC or 53 reads the row with that MOD when the
release has one (it carries its own PC/TC indicator and status), every other line the
global row (:attr:`~addin.rules.context.RuleContext.line_fees`). A code missing from the
loaded fee schedule is not judged here (CODE rules say it is unknown).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from addin.codes import is_valid_modifier_format
from addin.reference import indicators
from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits
from addin.rules.text import cat, choose, map_text
from addin.verdicts import X_MODIFIERS

ASSISTANT_MODIFIERS = ("80", "81", "82", "AS")


def _lines_with(context: RuleContext, modifiers: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """``line, slot, modifier`` for each of ``modifiers`` on a line (first slot if repeated)."""
    wanted = set(modifiers)
    found = context.modifier_slot_where(lambda mods: mods.isin(wanted).to_numpy())
    return (
        found.drop_duplicates(["line", "modifier"])
        .sort_values(["line", "slot"])
        .reset_index(drop=True)
    )


class Indicator(NamedTuple):
    """A fee-schedule indicator: its ``code_status`` column, value meanings, and name."""

    column: str
    texts: dict[str, str]
    label: str


PCTC = Indicator("pctc", indicators.PCTC_TEXT, "PC/TC indicator")
BILAT = Indicator("bilat", indicators.BILAT_TEXT, "bilateral indicator")
MULT_PROC = Indicator("mult_proc", indicators.MULT_PROC_TEXT, "multiple-procedure indicator")
CO_SURG = Indicator("co_surg", indicators.CO_SURG_TEXT, "co-surgeon indicator")
TEAM_SURG = Indicator("team_surg", indicators.TEAM_SURG_TEXT, "team-surgery indicator")
ASST = Indicator("asst", indicators.ASST_TEXT, "assistant-at-surgery indicator")


def _indicator_findings(
    context: RuleContext,
    modifiers: tuple[str, ...],
    indicator: Indicator,
    bad_values: set[str],
    verdict: str,
    suggestions: dict[str, str],
) -> pd.DataFrame:
    """Lines carrying one of ``modifiers`` whose code's ``indicator`` value is bad.

    ``suggestions`` maps an indicator value to its advice (``"*"``: any other value).
    """
    found = _lines_with(context, modifiers)
    if found.empty:
        return no_findings()
    fees = context.line_fees
    column = fees[indicator.column]
    values = column.take(found["line"].to_numpy()).to_numpy(dtype=object)
    found = found[np.isin(values.astype(str), list(bad_values))].reset_index(drop=True)
    hits = Hits(context, found["line"])
    if not hits:
        return no_findings()
    value = pd.Series(hits.take(column)).astype(str)
    row_mod = pd.Series(hits.take(fees["fee_modifier"])).astype(str)
    which_row = choose([row_mod.to_numpy() != ""], [cat(" (its ", row_mod, " row)")])
    mod = found["modifier"]
    message = cat(
        verdict,
        ": ",
        mod,
        " on ",
        hits.code,
        " — the fee schedule's ",
        indicator.label,
        which_row,
        " is ",
        value,
        " (",
        map_text(value, indicator.texts),
        ").",
    )
    advice = map_text(value, suggestions, suggestions.get("*", ""))
    suggestion = cat("Remove ", mod, " from ", hits.code, " on row ", hits.rows, ". ", advice)
    return hits.findings(
        modifier=mod,
        message=message,
        suggestion=suggestion,
        source=hits.take(fees["source"]),
    )


class MOD001(Rule):
    """A modifier that does not exist.

    **What it checks.** Every modifier on a line (up to 4) against the modifiers the loaded
    data knows: the CPT modifiers in the bundled list and the HCPCS Level II modifiers.
    Modifiers are 2 letters or digits.

    **Why CMS denies it.** A claim line with an invalid modifier is returned as
    unprocessable.

    **Example.** ``5X`` or ``RTT`` typed in the modifier column.

    **Fix.** Correct the modifier (see ``cpt-addin lookup`` or MODIFIER_DESC) or remove it.
    """

    rule_id = "MOD001"
    family = "modifier"
    name = "modifier.invalid"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        known = context.known_modifiers
        found = context.modifier_slot_where(
            lambda mods: ~mods.isin(known).to_numpy() & (mods != "").to_numpy()
        )
        if found.empty:
            return no_findings()
        hits = Hits(context, found["line"])
        mod = found["modifier"].astype(str)
        shaped = mod.map(is_valid_modifier_format).to_numpy(dtype=bool)
        reason = np.where(
            shaped,
            " is not a modifier the loaded data knows (CPT and HCPCS Level II modifiers).",
            " is not a valid modifier: modifiers are 2 letters or digits.",
        )
        message = cat("INVALID MODIFIER: ", mod, reason, " (line code ", hits.code, ")")
        suggestion = cat("Correct or remove modifier ", mod, " on row ", hits.rows, ".")
        return hits.findings(
            modifier=mod, message=message, suggestion=suggestion, source="modifier list"
        )


class MOD002(Rule):
    """Modifier 26 (professional component) on a code whose PC/TC indicator forbids it.

    **What it checks.** Lines with 26 whose code's PC/TC indicator is not 1 (diagnostic test
    with professional and technical components) or 6 (lab physician interpretation). The
    indicator is read from the code's 26 row in the RVU file when it has one (83020: global
    row 9, 26 row 6 — 26 is valid), else from the global row.

    **Why CMS denies it.** Only codes with separate professional and technical components can
    be split; 2 = professional-only code, 3 = technical-only, 4 = global-test-only (separate
    codes exist for the components), 0/5/7/8/9 = the concept does not apply.

    **Example.** 26 on 93000 (a global-test-only code, indicator 4): bill 93010 instead.

    **Fix.** Remove 26; for a global-test-only code bill the code that describes the
    interpretation alone.
    """

    rule_id = "MOD002"
    family = "modifier"
    name = "modifier.pc_not_valid"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _indicator_findings(
            context,
            ("26",),
            PCTC,
            {"0", "2", "3", "4", "5", "7", "8", "9"},
            "MODIFIER NOT VALID FOR CODE",
            {
                "2": "The code is already professional-only.",
                "4": "Bill the separate code that describes the professional component.",
                "*": "The code has no separate professional component.",
            },
        )


class MOD003(Rule):
    """Modifier TC (technical component) on a code whose PC/TC indicator forbids it.

    **What it checks.** Lines with TC whose code's PC/TC indicator is not 1, read from the
    code's TC row in the RVU file when it has one, else from the global row.

    **Why CMS denies it.** Only codes with separate professional and technical components
    (indicator 1) have a technical component to bill; 6 = lab physician interpretation codes
    take 26 but never TC; 3 = technical-only codes are already technical.

    **Example.** TC on 88305 is fine (indicator 1); TC on 99213 (indicator 0) is denied.

    **Fix.** Remove TC; bill the technical-only code where one exists.
    """

    rule_id = "MOD003"
    family = "modifier"
    name = "modifier.tc_not_valid"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _indicator_findings(
            context,
            ("TC",),
            PCTC,
            {"0", "2", "3", "4", "5", "6", "7", "8", "9"},
            "MODIFIER NOT VALID FOR CODE",
            {
                "3": "The code is already technical-only.",
                "4": "Bill the separate code that describes the technical component.",
                "*": "The code has no separate technical component.",
            },
        )


class MOD004(Rule):
    """Modifier 50 (bilateral) on a code whose bilateral indicator is not 1.

    **What it checks.** Lines with 50 whose code's bilateral surgery indicator is 0, 2, 3
    or 9.

    **Why CMS denies it.** Only indicator 1 codes are paid at 150% with 50. 2 = the code is
    already bilateral; 3 = each side is paid separately (report RT and LT lines); 0 and 9 =
    the bilateral adjustment does not apply.

    **Example.** 50 on 47383 (bilateral indicator 0).

    **Fix.** Remove 50; for indicator 3 report one line per side with RT and LT.
    """

    rule_id = "MOD004"
    family = "modifier"
    name = "modifier.bilateral_not_valid"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _indicator_findings(
            context,
            ("50",),
            BILAT,
            {"0", "2", "3", "9"},
            "MODIFIER NOT VALID FOR CODE",
            {
                "2": "The code is bilateral by definition: one line, one unit.",
                "3": "Report each side on its own line with RT and LT.",
                "*": "If both sides were treated, report the sides as the payer instructs (RT/LT).",
            },
        )


class MOD005(Rule):
    """Modifier 51 (multiple procedures) on a code exempt from the multiple-procedure rules.

    **What it checks.** Lines with 51 whose code's multiple-procedure indicator is 0 (no
    reduction applies) or 9 (the concept does not apply).

    **Why it matters.** 51 asks for the multiple-procedure payment reduction; on an exempt
    code the modifier is wrong and some payers reject the line.

    **Example.** 51 on an add-on code or an E/M visit.

    **Fix.** Remove 51 from the line.
    """

    rule_id = "MOD005"
    family = "modifier"
    name = "modifier.multiple_not_applicable"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _indicator_findings(
            context,
            ("51",),
            MULT_PROC,
            {"0", "9"},
            "MODIFIER NOT APPLICABLE",
            {"*": "The multiple-procedure reduction does not apply to this code."},
        )


class MOD006(Rule):
    """Modifier 62 (two surgeons) on a code that does not permit co-surgeons.

    **What it checks.** Lines with 62 whose code's co-surgeon indicator is 0 (not permitted)
    or 9 (the concept does not apply).

    **Why CMS denies it.** Co-surgery is paid only for codes with indicator 1 (with
    documentation) or 2.

    **Example.** 62 on a diagnostic endoscopy.

    **Fix.** Remove 62; each surgeon bills only the distinct procedure they performed.
    """

    rule_id = "MOD006"
    family = "modifier"
    name = "modifier.co_surgeon_not_permitted"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _indicator_findings(
            context,
            ("62",),
            CO_SURG,
            {"0", "9"},
            "MODIFIER NOT PAYABLE FOR CODE",
            {"*": "Co-surgery is not paid for this code."},
        )


class MOD007(Rule):
    """Modifier 66 (surgical team) on a code that does not permit team surgery.

    **What it checks.** Lines with 66 whose code's team-surgery indicator is 0 (not
    permitted) or 9 (the concept does not apply).

    **Why CMS denies it.** Team surgery is paid only for codes with indicator 1 (with
    documentation) or 2.

    **Example.** 66 on a code with team-surgery indicator 0.

    **Fix.** Remove 66.
    """

    rule_id = "MOD007"
    family = "modifier"
    name = "modifier.team_not_permitted"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _indicator_findings(
            context,
            ("66",),
            TEAM_SURG,
            {"0", "9"},
            "MODIFIER NOT PAYABLE FOR CODE",
            {"*": "Team surgery is not paid for this code."},
        )


class MOD008(Rule):
    """Assistant-at-surgery modifier (80, 81, 82, AS) on a code where an assistant is never paid.

    **What it checks.** Lines with 80, 81, 82 or AS whose code's assistant-at-surgery
    indicator is 1 (never paid) or 9 (the concept does not apply).

    **Why CMS denies it.** Medicare does not pay an assistant for these procedures.

    **Example.** 80 on 47383 (assistant indicator 1).

    **Fix.** Remove the assistant line (bill the patient only if an ABN allows it).
    """

    rule_id = "MOD008"
    family = "modifier"
    name = "modifier.assistant_never_paid"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _indicator_findings(
            context,
            ASSISTANT_MODIFIERS,
            ASST,
            {"1", "9"},
            "ASSISTANT NOT PAID",
            {"*": "An assistant at surgery is not paid for this code."},
        )


class MOD009(Rule):
    """Assistant-at-surgery modifier on a code that needs documented medical necessity.

    **What it checks.** Lines with 80, 81, 82 or AS whose code's assistant-at-surgery
    indicator is 0.

    **Why it matters.** An assistant is paid for these codes only when the record documents
    why one was necessary; without it the line is denied.

    **Example.** 80 on a procedure with assistant indicator 0.

    **Fix.** Keep the documentation of medical necessity with the claim (or remove the line).
    """

    rule_id = "MOD009"
    family = "modifier"
    name = "modifier.assistant_needs_documentation"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        found = _indicator_findings(
            context,
            ASSISTANT_MODIFIERS,
            ASST,
            {"0"},
            "DOCUMENTATION NEEDED",
            {"*": ""},
        )
        if found.empty:
            return found
        found["suggestion"] = cat(
            "Keep the documentation of why an assistant was medically necessary for ",
            found["code"],
            "; without it the line is denied.",
        )
        return found


class MOD010(Rule):
    """Modifier 62 or 66 on a code that pays it only with supporting documentation (informational).

    **What it checks.** Lines with 62 whose co-surgeon indicator is 1, or with 66 whose
    team-surgery indicator is 1.

    **Why it matters.** The payer pays only when the operative notes support the need for
    two surgeons or a team.

    **Example.** 62 on a spine procedure with co-surgeon indicator 1.

    **Fix.** Send or keep the operative notes of each surgeon.
    """

    rule_id = "MOD010"
    family = "modifier"
    name = "modifier.surgeons_need_documentation"
    severity = "info"

    def check(self, context: RuleContext) -> pd.DataFrame:
        frames = [
            _indicator_findings(
                context, (mod,), indicator, {"1"}, "DOCUMENTATION NEEDED", {"*": ""}
            )
            for mod, indicator in (("62", CO_SURG), ("66", TEAM_SURG))
        ]
        found = pd.concat(frames, ignore_index=True)
        if found.empty:
            return no_findings()
        found["suggestion"] = cat(
            "Keep the operative notes that support ",
            found["modifier"],
            " on ",
            found["code"],
            ".",
        )
        return found


class MOD011(Rule):
    """Modifier 59 and an X modifier (XE, XS, XP, XU) on the same line.

    **What it checks.** Lines carrying 59 together with XE, XS, XP or XU.

    **Why CMS denies it.** The X modifiers are the specific forms of 59; CMS instructs never
    to report 59 and an X modifier on one line.

    **Example.** 77002-59-XS.

    **Fix.** Keep the X modifier that describes why the service is distinct; remove 59.
    """

    rule_id = "MOD011"
    family = "modifier"
    name = "modifier.59_with_x"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        with_59 = context.has_modifier("59")
        x_found = _lines_with(context, X_MODIFIERS)
        x_found = x_found[with_59[x_found["line"].to_numpy()]].drop_duplicates("line")
        hits = Hits(context, x_found["line"])
        if not hits:
            return no_findings()
        x_mod = x_found["modifier"].reset_index(drop=True)
        message = cat(
            "59 WITH AN X MODIFIER: ",
            hits.code,
            " carries both 59 and ",
            x_mod,
            " — never report 59 and an X modifier on one line.",
        )
        suggestion = cat("Remove 59 from ", hits.code, " on row ", hits.rows, "; keep ", x_mod, ".")
        return hits.findings(
            modifier=cat("59+", x_mod),
            message=message,
            suggestion=suggestion,
            source="NCCI policy manual",
        )


class MOD012(Rule):
    """Modifier 25 or 57 on a code that is not an E/M service.

    **What it checks.** Lines with 25 (significant, separately identifiable E/M) or 57
    (decision for surgery) whose code is not an evaluation and management code
    (99202–99499, or the ophthalmology visits 92002–92014).

    **Why CMS denies it.** 25 and 57 describe an E/M visit; on a procedure code they are
    invalid and do not bypass any edit.

    **Example.** 25 on 11042 (debridement) instead of on the 99213 billed with it.

    **Fix.** Move the modifier to the E/M line, or use the modifier that fits the procedure
    (XE/XS/XP/XU or 59).
    """

    rule_id = "MOD012"
    family = "modifier"
    name = "modifier.em_only"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        found = _lines_with(context, ("25", "57"))
        found = found[~context.is_em[found["line"].to_numpy()]].reset_index(drop=True)
        hits = Hits(context, found["line"])
        if not hits:
            return no_findings()
        mod = found["modifier"]
        message = cat(
            "MODIFIER FOR E/M ONLY: ",
            mod,
            " on ",
            hits.code,
            ", which is not an E/M code — 25 and 57 apply to evaluation and management visits.",
        )
        suggestion = cat(
            "Move ",
            mod,
            " to the E/M line, or use the modifier that fits the procedure on row ",
            hits.rows,
            " (XE/XS/XP/XU or 59).",
        )
        return hits.findings(
            modifier=mod, message=message, suggestion=suggestion, source="CPT modifier definitions"
        )


class MOD013(Rule):
    """Modifier 59 where a more specific X modifier may fit (informational).

    **What it checks.** Lines with 59 and no X modifier.

    **Why it matters.** CMS prefers XE (separate encounter), XS (separate structure), XP
    (separate practitioner) or XU (unusual non-overlapping service) over 59; some payers
    require them, and 59 draws audits.

    **Example.** 77002-59 where the service was on a separate organ: 77002-XS.

    **Fix.** Replace 59 with the X modifier that describes why the service is distinct.
    """

    rule_id = "MOD013"
    family = "modifier"
    name = "modifier.prefer_x"
    severity = "info"

    def check(self, context: RuleContext) -> pd.DataFrame:
        hits = Hits.where(context, context.has_modifier("59") & ~context.has_modifier(X_MODIFIERS))
        if not hits:
            return no_findings()
        message = cat("59 USED: ", hits.code, " carries 59; CMS prefers the specific X modifiers.")
        suggestion = cat(
            "Replace 59 with XE (separate encounter), XS (separate structure), XP (separate "
            "practitioner) or XU (unusual non-overlapping service) when one fits (row ",
            hits.rows,
            ").",
        )
        return hits.findings(
            modifier="59",
            message=message,
            suggestion=suggestion,
            source="NCCI policy manual",
        )


RULES = [
    MOD001,
    MOD002,
    MOD003,
    MOD004,
    MOD005,
    MOD006,
    MOD007,
    MOD008,
    MOD009,
    MOD010,
    MOD011,
    MOD012,
    MOD013,
]
