"""Procedure codes: format, known to the loaded data, active on the date, payable status."""

from __future__ import annotations

import pandas as pd

from addin.reference import indicators
from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits
from addin.rules.text import cat, iso_dates

CATEGORY_II = "CPT Category II"
#: Statuses that mean "not paid under the physician fee schedule" but paid under another
#: Medicare fee schedule (clinical lab, ambulance, drugs, DME): not flagged.
PAID_ELSEWHERE = frozenset({"X", "E"})
#: Measurement codes (quality reporting, e.g. G8xxx): reported, never paid (COD005).
TRACKING = frozenset({"M"})


def _status(context: RuleContext) -> pd.DataFrame:
    return context.code_status


def _fee_status(context: RuleContext) -> pd.Series:
    """Each line's fee-schedule status, read from the RVU row the line is priced on (its
    26/TC/53 row when billed with that modifier and the release has one, else the global
    row): :attr:`~addin.rules.context.RuleContext.line_fees`."""
    def build() -> pd.Series:
        status = context.line_fees["status"]
        if not isinstance(status.dtype, pd.CategoricalDtype):
            return status.astype(object).fillna("").astype(str)
        # the few distinct statuses as text, not a million text copies (missing reads "")
        values = status.array
        labels = pd.Index([str(c) for c in values.categories] + [""], dtype=object)
        codes = values.codes.astype("int64")
        codes[codes < 0] = len(labels) - 1
        ids, uniques = pd.factorize(labels)
        text = pd.Categorical.from_codes(ids[codes], categories=pd.Index(uniques, dtype=object))
        return pd.Series(text, index=status.index)

    return context.memo("fee_status", build)


def _source(status: pd.DataFrame, hits: Hits, fallback: str) -> pd.Series:
    source = pd.Series(hits.take(status["source"])).fillna("").astype(str)
    return source.where(source != "", fallback)


class COD001(Rule):
    """A procedure code whose format is not a CPT or HCPCS code.

    **What it checks.** The code of each line: CPT Category I (5 digits), Category II
    (4 digits + F), Category III (4 digits + T), PLA (4 digits + U), vaccine administration
    (4 digits + A), MAAA (4 digits + M), or HCPCS Level II (a letter + 4 digits). Numbers
    that lost their leading zeros in Excel are re-padded before this check (100 → 00100).

    **Why CMS denies it.** A line with a malformed code cannot be processed.

    **Example.** ``4738`` (a digit missing) or ``47383-59`` (modifier typed in the code cell).

    **Fix.** Correct the code; put modifiers in the modifier column.
    """

    rule_id = "COD001"
    family = "code"
    name = "code.bad_format"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        status = _status(context)
        hits = Hits.where(context, status["category"].isna().to_numpy())
        if not hits:
            return no_findings()
        message = cat(
            'BAD CODE FORMAT: "',
            hits.code,
            '" is not a CPT or HCPCS code (5 digits, 4 digits + '
            "F/T/U/A/M, or a letter + 4 digits).",
        )
        suggestion = cat(
            "Correct the code on row ",
            hits.rows,
            "; modifiers go in the modifier column.",
        )
        return hits.findings(
            message=message, suggestion=suggestion, source="CPT/HCPCS code formats"
        )


class COD002(Rule):
    """A well-formed code that no loaded table knows.

    **What it checks.** Codes with a valid format that are in none of the loaded tables
    (fee schedule, HCPCS Level II, MUE, the project's code notes).

    **Why it matters.** With the full CMS tables imported (``cpt-addin data import``) an
    unknown code is most likely mistyped or not valid for Medicare; with only the bundled
    sample data many real codes are simply not covered — hence a warning.

    **Example.** ``47399`` typed for ``47383``.

    **Fix.** Check the code against the code book; import the current CMS tables.
    """

    rule_id = "COD002"
    family = "code"
    name = "code.unknown"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        status = _status(context)
        hits = Hits.where(
            context, status["category"].notna().to_numpy() & ~status["known"].to_numpy(dtype=bool)
        )
        if not hits:
            return no_findings()
        message = cat(
            "UNKNOWN CODE: ",
            hits.code,
            " is not in the loaded reference tables (fee schedule, HCPCS, MUE).",
        )
        suggestion = cat(
            "Check ",
            hits.code,
            " on row ",
            hits.rows,
            "; if it is right, import the current CMS tables (cpt-addin data import).",
        )
        return hits.findings(
            message=message, suggestion=suggestion, source="loaded reference tables"
        )


class COD003(Rule):
    """A code that is not active on the date of service (deleted, terminated or not yet effective).

    **What it checks.** Every table in force for the date of service, and the message names
    the one that decided: fee-schedule status deleted (D/F); a HCPCS Level II termination
    date before the date of service; an add-on code's deletion date (AOC_DelDT) or a
    primary code's deletion date (Primary_Code_DelDT) in the add-on code file before it
    (a deletion date is the last day the code is valid); a CPT code the full RVU release
    covering the date does not list (new in a later release, or no longer listed); a HCPCS
    effective date after it.

    **Why CMS denies it.** Only codes valid on the date of service are paid.

    **Example.** A HCPCS code terminated 2023-12-31 billed for 2024-03-01; 37220 (AOC
    primary-code deletion date 2025-12-31) billed for 2026-02-02.

    **Fix.** Bill the code that replaced it for that date (see the code book's crosswalk).
    """

    rule_id = "COD003"
    family = "code"
    name = "code.inactive"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        status = _status(context)
        hits = Hits.where(
            context, status["known"].to_numpy(dtype=bool) & ~status["active"].to_numpy(dtype=bool)
        )
        if not hits:
            return no_findings()
        code = hits.code
        reason = pd.Series(hits.take(status["inactive_reason"])).astype(str)
        dos = iso_dates(context.lines["dos"].to_numpy()[hits.line])
        message = cat("CODE NOT ACTIVE: ", code, " is not valid on ", dos, " (", reason, ").")
        suggestion = cat("Bill the code valid on ", dos, " in place of ", code, ".")
        decided = pd.Series(hits.take(status["inactive_source"])).fillna("").astype(str)
        return hits.findings(
            message=message,
            suggestion=suggestion,
            source=decided.where(decided != "", _source(status, hits, "HCPCS Level II")),
        )


class COD004(Rule):
    """A code whose fee-schedule status means Medicare makes no separate payment.

    **What it checks.** Active codes whose RVU-file status is B (bundled), G/I (not valid for
    Medicare), H, N (non-covered) or P (bundled/excluded). A line billed with 26, TC or 53
    is judged on the RVU row for that modifier when the file has one (it carries its own
    status), else on the code's global row. Measurement codes (status M) and
    Category II codes have their own rule (COD005). Statuses X and E are not flagged: they mean "not paid under
    the physician fee schedule", and clinical lab, ambulance, drug and DME codes carry them
    because another Medicare fee schedule pays them.

    **Why CMS denies it.** The fee schedule pays nothing for these codes: bundled into
    another service, not a Medicare benefit, or reported with another code for Medicare.

    **Example.** 99243 (office consultation, status I): Medicare pays the office visit codes
    instead; 99358 (status B) is bundled.

    **Fix.** For I/G status bill the Medicare code; for N obtain an ABN if the patient will
    pay; for B report it only if the payer wants it for tracking.
    """

    rule_id = "COD004"
    family = "code"
    name = "code.not_payable"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        status = _status(context)
        not_payable = (
            indicators.NOT_PAYABLE_STATUS - indicators.DELETED_STATUS - PAID_ELSEWHERE - TRACKING
        )
        fee_status = _fee_status(context)
        hits = Hits.where(
            context,
            fee_status.isin(sorted(not_payable)).to_numpy(dtype=bool)
            & status["active"].to_numpy(dtype=bool)
            & ~(status["category"] == CATEGORY_II).to_numpy(dtype=bool),
        )
        if not hits:
            return no_findings()
        letter = pd.Series(hits.take(fee_status)).astype(str)
        text = letter.map(indicators.STATUS_TEXT).fillna("").astype(str)
        message = cat(
            "NOT PAYABLE: ", hits.code, " has fee-schedule status ", letter, " (", text, ")."
        )
        suggestion = cat(
            "Check how the payer wants ",
            hits.code,
            " reported: bill the payable code if one "
            "applies, or obtain an ABN when the patient will pay.",
        )
        return hits.findings(
            message=message, suggestion=suggestion, source=_source(status, hits, "fee schedule")
        )


class COD005(Rule):
    """A quality-measure code: performance tracking only, never paid (informational).

    **What it checks.** CPT Category II codes (4 digits + F) and codes whose fee-schedule
    status is M (measurement codes such as the G8xxx quality codes).

    **Why it matters.** Category II codes report quality measures; they carry no payment
    (bill them at $0.00 or a nominal charge as your payer asks).

    **Example.** 3074F (most recent systolic blood pressure < 130).

    **Fix.** Nothing, when the code is reported for quality measures.
    """

    rule_id = "COD005"
    family = "code"
    name = "code.category_ii"
    severity = "info"

    def check(self, context: RuleContext) -> pd.DataFrame:
        status = _status(context)
        hits = Hits.where(
            context,
            (status["category"] == CATEGORY_II).to_numpy(dtype=bool)
            | (
                _fee_status(context).isin(sorted(TRACKING)).to_numpy(dtype=bool)
                & status["active"].to_numpy(dtype=bool)
            ),
        )
        if not hits:
            return no_findings()
        message = cat(
            "TRACKING ONLY: ",
            hits.code,
            " is a CPT Category II code (performance measure), never paid.",
        )
        return hits.findings(
            message=message,
            suggestion="Report it for quality measures at the charge your payer asks; expect no payment.",
            source="CPT code formats",
        )


class COD006(Rule):
    """A status-T code billed with another service the same day.

    **What it checks.** Lines whose code has fee-schedule status T when another line is
    billed for the same patient, by the same provider, on the same date.

    **Why CMS denies it.** Status T codes are paid only when no other fee-schedule service
    is billed that day.

    **Example.** 99211-type injection visits billed with another paid service.

    **Fix.** Drop the status-T line when another service was paid that day.
    """

    rule_id = "COD006"
    family = "code"
    name = "code.status_t_with_other"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        status = _status(context)
        hits = Hits.where(
            context, (_fee_status(context) == "T").to_numpy(dtype=bool) & (context.group_sizes > 1)
        )
        if not hits:
            return no_findings()
        message = cat(
            "PAID ONLY ALONE: ",
            hits.code,
            " has fee-schedule status T (",
            indicators.STATUS_TEXT["T"],
            ") and other services are billed that day.",
        )
        suggestion = cat(
            "Expect no payment for ", hits.code, " when another service is paid that day."
        )
        return hits.findings(
            message=message, suggestion=suggestion, source=_source(status, hits, "fee schedule")
        )


RULES = [COD001, COD002, COD003, COD004, COD005, COD006]
