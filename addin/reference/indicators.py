"""What the fee-schedule and NCCI indicator values mean, in words a coder reads.

Values and meanings follow the CMS Physician Fee Schedule RVU file documentation (PFS
Relative Value File record layout) and the NCCI policy manual. One place, so the CLI, the
Excel functions and the checker explain an indicator with the same words.
"""

from __future__ import annotations

STATUS_TEXT = {
    "A": "active code, paid under the fee schedule",
    "B": "bundled: payment is always included in another service",
    "C": "carrier (contractor) priced",
    "D": "deleted code",
    "E": "excluded from the fee schedule by regulation",
    "F": "deleted/discontinued code, no grace period",
    "G": "not valid for Medicare; another code applies",
    "H": "deleted modifier for this code",
    "I": "not valid for Medicare (another code is used)",
    "J": "anesthesia service (paid under anesthesia rules)",
    "M": "measurement code, used for reporting only",
    "N": "non-covered service",
    "P": "bundled or excluded (no separate payment)",
    "R": "restricted coverage",
    "T": "paid only when no other fee-schedule service is billed that day",
    "X": "statutory exclusion: not a Medicare benefit",
}

# Status codes for which Medicare makes no separate fee-schedule payment.
NOT_PAYABLE_STATUS = frozenset({"B", "D", "E", "F", "G", "H", "I", "M", "N", "P", "X"})
DELETED_STATUS = frozenset({"D", "F"})

PCTC_TEXT = {
    "0": "physician service: the 26/TC concept does not apply",
    "1": "diagnostic test with professional (26) and technical (TC) components",
    "2": "professional-component-only code: 26/TC not valid",
    "3": "technical-component-only code: 26/TC not valid",
    "4": "global-test-only code: 26/TC not valid (separate codes exist for the components)",
    "5": "incident-to code: 26/TC not valid",
    "6": "laboratory physician interpretation code: 26 valid, TC not",
    "7": "physical therapy service: 26/TC not valid",
    "8": "physician interpretation code: 26/TC not valid",
    "9": "26/TC concept does not apply",
}

GLOBAL_DAYS_TEXT = {
    "000": "0-day global: endoscopy or minor procedure; same-day E/M is included",
    "010": "10-day global: minor procedure; follow-up for 10 days is included",
    "090": "90-day global: major surgery; the day before, the day of and 90 days after are included",
    "MMM": "maternity care: the global concept for obstetrics applies",
    "XXX": "the global concept does not apply",
    "YYY": "the contractor sets the global period",
    "ZZZ": "add-on code: falls inside the global period of another service",
}

MULT_PROC_TEXT = {
    "0": "no multiple-procedure reduction applies (51 not needed)",
    "1": "standard reduction before 1996 rules (rare)",
    "2": "standard multiple-procedure reduction (100/50/50…): append 51 when other procedures are billed",
    "3": "endoscopic family reduction (relative to the endoscopic base code)",
    "4": "diagnostic imaging reduction",
    "5": "therapy services reduction",
    "6": "diagnostic cardiovascular reduction",
    "7": "diagnostic ophthalmology reduction",
    "9": "the multiple-procedure concept does not apply",
}

BILAT_TEXT = {
    "0": "bilateral modifier 50 not valid (150% payment does not apply)",
    "1": "bilateral surgery: 50 allowed, paid at 150%",
    "2": "already bilateral by definition: 50 not valid",
    "3": "each side paid separately: report LT/RT, not 50",
    "9": "the bilateral concept does not apply",
}

ASST_TEXT = {
    "0": "assistant (80/81/82/AS) paid only with documentation of medical necessity",
    "1": "assistant at surgery never paid",
    "2": "assistant at surgery allowed",
    "9": "the assistant concept does not apply",
}

CO_SURG_TEXT = {
    "0": "co-surgeons (62) not permitted",
    "1": "co-surgeons (62) allowed with supporting documentation",
    "2": "co-surgeons (62) allowed",
    "9": "the co-surgeon concept does not apply",
}

TEAM_SURG_TEXT = {
    "0": "team surgery (66) not permitted",
    "1": "team surgery (66) allowed with supporting documentation",
    "2": "team surgery (66) allowed",
    "9": "the team-surgery concept does not apply",
}

MODIFIER_INDICATOR_TEXT = {
    0: "0 = no modifier bypasses this edit",
    1: "1 = an NCCI-associated modifier may bypass it when clinically justified",
    9: "9 = not applicable (the edit was deleted retroactively)",
}


def describe(table: dict[str, str], value: str | None) -> str:
    """The text for an indicator value, or a neutral phrase when unknown."""
    if value is None or value == "":
        return "not in the loaded fee schedule"
    return table.get(str(value), f"indicator {value}")
