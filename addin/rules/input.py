"""Input: rows that could not be read, and claim fields no payer accepts as typed.

Nothing is lost: every rejected row becomes an INP001 finding, so the findings file and the
report account for every input row (rows read = rows checked + rows rejected).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.reference.schema import ALL_SETTINGS, POS
from addin.rules.base import Rule, no_findings, raw_findings
from addin.rules.context import RuleContext, code_categories
from addin.rules.hits import Hits
from addin.rules.text import cat, rows_text

MAX_MODIFIERS = 4
#: The identifying fields a rejected row's finding keeps as read.
IDENTIFIERS = ("claim_id", "patient_id", "provider_npi")


def rejected_with_identifiers(claims) -> pd.DataFrame:
    """``claims.rejected`` plus ``claim_id, patient_id, provider_npi`` as read from each
    rejected row's cells (text, even when invalid), so its INP001 finding can be filtered by
    claim, patient or provider like any other. A missing or blank patient cell takes the
    claim id, as for checked lines; a column the input lacks gives ``""``."""
    from addin.claims.table import cell_text

    rejected = claims.rejected.reset_index(drop=True).copy()
    if rejected.empty:
        for name in IDENTIFIERS:
            rejected[name] = pd.Series(dtype=object)
        return rejected
    raw = claims.raw
    mapping = (claims.meta or {}).get("column_mapping") or {}
    position = pd.Index(raw["row"].to_numpy()).get_indexer(rejected["row"].to_numpy())
    for name in IDENTIFIERS:
        header = mapping.get(name)
        if isinstance(header, str) and header in raw.columns and (position >= 0).all():
            cells = raw[header].to_numpy(dtype=object)[position]
            rejected[name] = pd.Series([cell_text(c) for c in cells], dtype=object)
        else:
            rejected[name] = pd.Series([""] * len(rejected), dtype=object)
    blank = rejected["patient_id"] == ""
    rejected["patient_id"] = rejected["patient_id"].where(~blank, rejected["claim_id"])
    return rejected


def _cells(categories: np.ndarray, codes: np.ndarray, hits: Hits) -> pd.Series:
    """The cell text (see :func:`code_categories`) of each flagged line."""
    return pd.Series(np.append(categories, "")[codes[hits.line]], dtype=object).astype(str)


class INP001(Rule):
    """A row that could not be read, so it was not checked.

    **What it checks.** Every row the reader rejected (a date that is not a date, units that
    are not a whole number, no code ...) becomes a finding with the reason and the column,
    so no input row is silently dropped. The finding keeps the row's claim id, patient and
    provider exactly as read (even when invalid), so filtering by claim finds it.

    **Why it matters.** A line that is not checked may still be denied; it must be fixed and
    the file checked again.

    **Example.** Row 17: Date of Service "13/45/2024" is not a date.

    **Fix.** Correct the cell the message names and run the check again.
    """

    rule_id = "INP001"
    family = "input"
    name = "input.rejected_row"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        rejected = context.rejected
        if rejected is None or rejected.empty:
            return no_findings()
        reason = rejected["reason"].fillna("").astype(str).reset_index(drop=True)
        column = rejected["column"].fillna("").astype(str).reset_index(drop=True)
        where = pd.Series(np.where(column != "", " (column " + column + ")", ""), dtype=object)
        message = cat("ROW NOT CHECKED: ", reason, where, ".")
        suggestion = cat(
            "Correct row ", rows_text(rejected["row"].to_numpy()), " and check the file again."
        )
        found = raw_findings(
            np.full(len(rejected), -1, dtype=np.int64),
            row=rejected["row"].to_numpy(dtype=np.int64),
            message=message,
            suggestion=suggestion,
            source="input file",
        )
        # a rejected row keeps its identifying fields as read (see rejected_with_identifiers)
        for name in IDENTIFIERS:
            if name in rejected.columns:
                found[name] = rejected[name].fillna("").astype(str).to_numpy(dtype=object)
        return found


class INP002(Rule):
    """More than 4 modifiers on one claim line.

    **What it checks.** Lines whose modifier cells hold more than 4 modifiers.

    **Why CMS denies it.** A claim line (CMS-1500 / 837P) has room for 4 modifiers; the
    rest are lost, and only the first 4 were checked here.

    **Example.** ``LT, 59, XS, 76, 25`` on one line.

    **Fix.** Keep the 4 modifiers that matter for payment (pricing modifiers first); split
    the service into lines if the payer instructs it.
    """

    rule_id = "INP002"
    family = "input"
    name = "input.too_many_modifiers"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        codes, categories = code_categories(context.lines["modifiers"])
        if not len(categories):
            return no_findings()
        counts = np.array([len([m for m in str(c).split(",") if m]) for c in categories] + [0])
        hits = Hits.where(context, counts[codes] > MAX_MODIFIERS)
        if not hits:
            return no_findings()
        mods = _cells(categories, codes, hits)
        message = cat(
            "TOO MANY MODIFIERS: ",
            hits.code,
            " has ",
            pd.Series(counts[codes[hits.line]]).astype(str),
            " modifiers (",
            mods,
            "); a claim line holds 4. Only the first 4 were checked.",
        )
        suggestion = cat("Keep at most 4 modifiers on row ", hits.rows, ".")
        return hits.findings(
            modifier=mods, message=message, suggestion=suggestion, source="CMS-1500 claim form"
        )


class INP003(Rule):
    """A place of service that is not a CMS place-of-service code.

    **What it checks.** The place-of-service cell of each line (2 digits: 11 office, 22
    outpatient hospital, 24 ambulatory surgical center ...) against the CMS list.

    **Why CMS denies it.** An invalid place of service makes the line unprocessable (and
    decides facility vs non-facility payment).

    **Example.** ``99`` is valid (other place); ``1`` is read as ``01``; ``35`` is unassigned.

    **Fix.** Use the 2-digit CMS place-of-service code.
    """

    rule_id = "INP003"
    family = "input"
    name = "input.invalid_pos"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        if not context.reference.version_set(POS, ALL_SETTINGS):
            return no_findings()
        codes, categories = code_categories(context.lines["pos"])
        if not len(categories):
            return no_findings()
        valid = np.array(
            [c == "" or context.reference.place_of_service(c) is not None for c in categories]
            + [True]
        )
        hits = Hits.where(context, ~valid[codes])
        if not hits:
            return no_findings()
        pos = _cells(categories, codes, hits)
        message = cat("INVALID PLACE OF SERVICE: ", pos, " is not a CMS place-of-service code.")
        suggestion = cat(
            "Correct the place of service on row ",
            hits.rows,
            " (2 digits, e.g. 11 office, 22 outpatient hospital).",
        )
        return hits.findings(
            related_code=pos,
            message=message,
            suggestion=suggestion,
            source=context.version_label(POS, ALL_SETTINGS),
        )


class INP004(Rule):
    """A claim line with zero units.

    **What it checks.** Lines whose units cell is 0.

    **Why CMS denies it.** A service line must report at least one unit.

    **Example.** 77002 with units 0.

    **Fix.** Enter the units provided (1 when the code is reported once).
    """

    rule_id = "INP004"
    family = "input"
    name = "input.zero_units"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        hits = Hits.where(context, context.lines["units"].to_numpy() < 1)
        if not hits:
            return no_findings()
        message = cat("ZERO UNITS: the line for ", hits.code, " reports 0 units.")
        suggestion = cat("Enter the units provided on row ", hits.rows, ".")
        return hits.findings(message=message, suggestion=suggestion, source="input file")


RULES = [INP001, INP002, INP003, INP004]
