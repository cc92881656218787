"""What could not be checked because the input has no column for it.

A check without a modifiers column cannot see the ``XS`` that bypasses a PTP edit; without a
provider column every line of a patient and date is one provider's. The reader says so once
in its notes (shown on the console and on the report's Summary), and every finding of an
affected rule family says so at the end of its message, so a finding read on its own is not
taken for more than it is. With every column present nothing is added.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

#: Missing canonical column -> the reader note (what was not checked or was assumed).
MISSING_COLUMN_NOTES: dict[str, str] = {
    "modifiers": (
        "no modifiers column: modifiers were not checked, and PTP and duplicate findings do "
        "not consider bypass or repeat modifiers"
    ),
    "dx": "no diagnosis column: diagnoses were not checked",
    "pos": "no place-of-service column: place of service was not checked",
}

#: Missing canonical column -> {rule family: caveat added to that family's findings}.
FINDING_CAVEATS: dict[str, dict[str, str]] = {
    "modifiers": {
        "ptp": "no modifiers column: bypass modifiers were not considered",
        "duplicate": "no modifiers column: repeat and distinct-service modifiers were not "
        "considered",
        "modifier": "no modifiers column: the claim's modifiers were not seen",
    },
    "provider_npi": {
        family: "no provider column: lines were grouped per patient and date only"
        for family in ("ptp", "mue", "aoc", "duplicate")
    },
    "patient_id": {
        family: "no patient column: lines were grouped per claim (the claim id stands for "
        "the patient)"
        for family in ("ptp", "mue", "aoc", "duplicate")
    },
    "units": {"mue": "no units column: 1 unit per line was assumed"},
}


def missing_columns(column_mapping: Mapping[str, object] | None) -> list[str]:
    """The canonical columns with a caveat that the input does not have (none if unknown)."""
    if column_mapping is None:
        return []
    wanted = list(dict.fromkeys([*MISSING_COLUMN_NOTES, *FINDING_CAVEATS]))
    return [c for c in wanted if c not in column_mapping]


#: Demographic caveats: said only when the input has one of (date of birth or age) and sex —
#: most billing exports carry neither, and the age/sex rules then simply do not apply.
DEMOGRAPHIC_CAVEATS: dict[str, str] = {
    "dob": "no date-of-birth or age column: age conflicts (MCE age edits) were not checked",
    "sex": "no sex column: sex conflicts (MCE sex edits) were not checked",
}


def missing_demographics(column_mapping: Mapping[str, object] | None) -> list[str]:
    """``dob`` and/or ``sex`` when the input has the other one but not it (``[]`` when it has
    both or neither: an input without demographics is not an age/sex check)."""
    if column_mapping is None:
        return []
    has_age = "dob" in column_mapping or "age" in column_mapping
    has_sex = "sex" in column_mapping
    if has_age == has_sex:
        return []
    return ["sex"] if has_age else ["dob"]


def missing_column_notes(column_mapping: Mapping[str, object]) -> list[str]:
    """Reader notes for the missing columns that no other note covers."""
    return [
        MISSING_COLUMN_NOTES[c]
        for c in missing_columns(column_mapping)
        if c in MISSING_COLUMN_NOTES
    ] + [DEMOGRAPHIC_CAVEATS[c] for c in missing_demographics(column_mapping)]


def add_caveats(
    findings: pd.DataFrame, column_mapping: Mapping[str, object] | None
) -> pd.DataFrame:
    """``findings`` with ``" Not checked: <caveat>."`` appended to the message of each finding
    whose rule family depends on a column the input lacks (unchanged when none is missing)."""
    missing = missing_columns(column_mapping)
    demographics = missing_demographics(column_mapping)
    if (
        not (missing or demographics)
        or findings.empty
        or "rule" not in findings
        or "message" not in findings
    ):
        return findings
    per_family: dict[str, list[str]] = {}
    for column in missing:
        for family, caveat in FINDING_CAVEATS.get(column, {}).items():
            per_family.setdefault(family, []).append(caveat)
    for column in demographics:
        per_family.setdefault("demographic", []).append(DEMOGRAPHIC_CAVEATS[column])
    if not per_family:
        return findings
    suffix = {f: " Not checked: " + "; ".join(c) + "." for f, c in per_family.items()}
    extra = findings["rule"].astype(str).map(suffix).fillna("")
    if not (extra != "").any():
        return findings
    out = findings.copy()
    out["message"] = out["message"].astype(str) + extra.astype(str)
    return out
