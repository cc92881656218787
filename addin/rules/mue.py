"""Medically unlikely edits (MUE): units of service over the most CMS allows per day.

The MUE adjudication indicator (MAI) says how units are counted: MAI 1 per claim line,
MAI 2 and 3 summed over every line and claim of one patient, provider and date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits, line_rows
from addin.rules.text import cat, int_text

MAI_WORDS = {
    1: "MAI 1, line edit: each claim line is judged on its own",
    2: "MAI 2, date-of-service edit (policy): units are summed per date and the limit is "
    "absolute — an appeal cannot overturn it",
    3: "MAI 3, date-of-service edit (clinical): units are summed per date — an appeal with "
    "medical records may overturn the denial",
}


def _limits(context: RuleContext) -> tuple[np.ndarray, np.ndarray]:
    mue = context.mue
    units = mue["mue_units"].to_numpy(dtype=float)
    mai = mue["mai"].fillna(0).to_numpy(dtype=np.int64)
    return units, mai


class MUE001(Rule):
    """Units on one line over the code's MUE, for a line edit (MAI 1).

    **What it checks.** The units of each line against the MUE of its code in the chosen
    setting (practitioner, outpatient hospital or DME supplier), for codes whose MUE
    adjudication indicator is **1**: each line is judged on its own.

    **Why CMS denies it.** More units than are medically likely on one line: all units of
    that line are denied (not only the excess).

    **Example.** 77002 with MUE 1: a line with 2 units is denied in full.

    **Fix.** Correct the units. When more were truly provided at separate sites or sessions,
    report them on separate lines with the modifier that makes each line distinct (76, 77,
    an anatomic modifier, XE/XS/XP/XU or 59) and keep the records. Same-code lines without
    such a modifier are reported by DUP001.
    """

    rule_id = "MUE001"
    family = "mue"
    name = "mue.line_units"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        limit, mai = _limits(context)
        units = context.lines["units"].to_numpy()
        hits = Hits.where(context, (mai == 1) & ~np.isnan(limit) & (units > np.nan_to_num(limit)))
        if not hits:
            return no_findings()
        over = hits.line
        mue = context.mue.iloc[over].reset_index(drop=True)
        n_units, n_limit = int_text(units[over]), int_text(limit[over])
        message = cat(
            "UNITS OVER MUE: ",
            hits.code,
            " has ",
            n_units,
            " units on this line; the MUE is ",
            n_limit,
            " per line (",
            MAI_WORDS[1],
            "). All ",
            n_units,
            " units of the line are denied. Rationale: ",
            mue["rationale"],
            ".",
        )
        suggestion = cat(
            "Correct the units to at most ",
            n_limit,
            " per line. If more were provided at "
            "separate sites or sessions, report them on separate lines with the modifier that "
            "makes each distinct (76, 77, anatomic, XE/XS/XP/XU or 59) and keep the records.",
        )
        return hits.findings(message=message, suggestion=suggestion, source=mue["source"])


def _date_edit(context: RuleContext, wanted_mai: int) -> pd.DataFrame:
    """Lines of (patient, provider, date, code) groups whose summed units exceed the MUE."""
    limit, mai = _limits(context)
    candidate = np.flatnonzero((mai == wanted_mai) & ~np.isnan(limit))
    if not len(candidate):
        return no_findings()
    lines = context.lines
    codes = lines["cpt"].cat.codes.to_numpy(dtype=np.int64)
    key = (
        lines["group"].to_numpy()[candidate] * (len(lines["cpt"].cat.categories) + 1)
        + codes[candidate]
    )
    key_ids, _ = pd.factorize(key)
    units = lines["units"].to_numpy()[candidate]
    total = np.bincount(key_ids, weights=units).astype(np.int64)
    line_count = np.bincount(key_ids)
    claims_ids = context.claim_numbers[candidate]
    claim_pairs = pd.DataFrame({"k": key_ids, "c": claims_ids}).drop_duplicates()
    claim_count = np.bincount(claim_pairs["k"].to_numpy(), minlength=len(total))
    first_line = np.full(len(total), -1, dtype=np.int64)
    first_line[key_ids[::-1]] = candidate[::-1]
    over_key = total > limit[first_line]
    hit = np.flatnonzero(over_key[key_ids])
    if not len(hit):
        return no_findings()
    hits = Hits(context, candidate[hit])
    line, code = hits.line, hits.code
    k = key_ids[hit]
    mue = context.mue.iloc[line].reset_index(drop=True)
    n_limit = int_text(limit[line])
    n_total = int_text(total[k])
    related = np.where(first_line[k] != line, first_line[k], -1)
    first_row = line_rows(context, np.maximum(first_line[k], 0))
    message = cat(
        "UNITS OVER MUE: ",
        code,
        " totals ",
        n_total,
        " units for this patient, provider and date (",
        int_text(line_count[k]),
        " line(s) on ",
        int_text(claim_count[k]),
        " claim(s), this line ",
        int_text(lines["units"].to_numpy()[line]),
        "); the MUE is ",
        n_limit,
        " per day (",
        MAI_WORDS[wanted_mai],
        "). All ",
        n_total,
        " units of that date are denied. Rationale: ",
        mue["rationale"],
        ".",
    )
    if wanted_mai == 2:
        suggestion = cat(
            "Correct the units: bill at most ",
            n_limit,
            " units of ",
            code,
            " for this patient and date across all lines and claims (first line: row ",
            first_row,
            ").",
        )
    else:
        suggestion = cat(
            "Check the units. If more than ",
            n_limit,
            " were medically necessary, expect the "
            "denial of all units and appeal with the medical records; otherwise correct the "
            "units (first line: row ",
            first_row,
            ").",
        )
    return hits.findings(
        message=message, suggestion=suggestion, source=mue["source"], related_line=related
    )


class MUE002(Rule):
    """Units of one code per patient and date over its MUE, policy edit (MAI 2).

    **What it checks.** For codes whose MUE adjudication indicator is **2**, the units of
    every line with that code for one patient, by one provider, on one date — across lines
    and across claims — are added up and compared with the MUE. Every line of an exceeding
    date is listed.

    **Why CMS denies it.** MAI 2 limits rest on policy (anatomy, code descriptor, CMS
    instruction): all units of that date are denied, and an appeal cannot overturn it.

    **Example.** 47383 (MUE 1, MAI 2) billed on two claims for one patient on one date.

    **Fix.** Correct the units so the date's total is within the MUE (remove the duplicate
    line or claim).
    """

    rule_id = "MUE002"
    family = "mue"
    name = "mue.date_units_policy"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _date_edit(context, 2)


class MUE003(Rule):
    """Units of one code per patient and date over its MUE, clinical edit (MAI 3).

    **What it checks.** As MUE002, for codes whose MUE adjudication indicator is **3**: units
    are summed over every line and claim of one patient, provider and date.

    **Why CMS denies it.** More units than are clinically likely on one day: all units of
    that date are denied. Unlike MAI 2, an appeal with medical records that show the units
    were necessary may overturn the denial.

    **Example.** 77001 (MUE 2, MAI 3): 2 units on one line and 1 on another claim, same date.

    **Fix.** Correct the units; when the extra units were medically necessary, bill them
    knowing they will be denied and appeal with the records.
    """

    rule_id = "MUE003"
    family = "mue"
    name = "mue.date_units_clinical"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        return _date_edit(context, 3)


RULES = [MUE001, MUE002, MUE003]
