"""Duplicate lines: the same service billed twice for one patient, provider and date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits, line_rows
from addin.rules.text import cat
from addin.verdicts import X_MODIFIERS

#: Modifiers that make a second line of the same code a separate service.
REPEAT_MODIFIERS = ("76", "77", "91")
DISTINCT_MODIFIERS = (*REPEAT_MODIFIERS, "59", *X_MODIFIERS)


def _anatomic_signature(context: RuleContext) -> np.ndarray:
    """Per line, its anatomic modifiers sorted and joined (``""`` when none)."""
    table = context.modifier_table
    if "anatomic_family" not in table.columns:
        return np.full(len(context.lines), "", dtype=object)
    family = table["anatomic_family"].fillna("").astype(str)
    anatomic = set(family.index[family != ""])
    found = context.modifier_slot_where(lambda mods: mods.isin(anatomic).to_numpy())
    out = np.full(len(context.lines), "", dtype=object)
    if found.empty:
        return out
    joined = (
        found.drop_duplicates(["line", "modifier"])
        .sort_values(["line", "modifier"])
        .groupby("line")["modifier"]
        .agg(",".join)
    )
    out[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return out


class DUP001(Rule):
    """The same code billed again for one patient, provider and date without a repeat modifier.

    **What it checks.** Lines with the same code for the same patient, by the same provider,
    on the same date of service — on one claim or across claims — where the later line has
    no modifier that makes it a separate service: 76/77 (repeat procedure by the same/another
    physician), 91 (repeat lab test), 59 or XE/XS/XP/XU, or anatomic modifiers naming another
    site than the first line (RT vs LT). The first line is kept; the second and later lines
    are flagged, each pointing to the first (``related_row``).

    **Why CMS denies it.** Payers deny exact repeats as duplicate claims.

    **Example.** 77002 on rows 4 and 9 for one patient and date, no modifiers.

    **Fix.** Remove the duplicate line (or raise the units of the first line); if the
    service really was repeated, add 76, 77 or 91 to the repeat line.
    """

    rule_id = "DUP001"
    family = "duplicate"
    name = "duplicate.line"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        lines = context.lines
        if lines.empty:
            return no_findings()
        signature = _anatomic_signature(context)
        codes = lines["cpt"].cat.codes.to_numpy(dtype=np.int64)
        sig_ids, _ = pd.factorize(signature)
        width = len(lines["cpt"].cat.categories) + 1
        key = (lines["group"].to_numpy() * width + codes) * (int(sig_ids.max()) + 1) + sig_ids
        key_ids, _ = pd.factorize(key)
        first = np.full(int(key_ids.max()) + 1, -1, dtype=np.int64)
        first[key_ids[::-1]] = np.arange(len(key_ids))[::-1]  # earliest line of each key
        first_line = first[key_ids]
        later = first_line != np.arange(len(key_ids))
        line = np.flatnonzero(later & ~context.has_modifier(DISTINCT_MODIFIERS))
        if not len(line):
            return no_findings()
        hits = Hits(context, line)
        related = first_line[line]
        first_row = line_rows(context, related)
        same_claim = lines["claim_id"].to_numpy()[line] == lines["claim_id"].to_numpy()[related]
        where = np.where(same_claim, "on the same claim", "on another claim")
        message = cat(
            "DUPLICATE LINE: ",
            hits.code,
            " is billed again for the same patient, provider and date ",
            "(first on row ",
            first_row,
            ", ",
            where,
            ") without a repeat or distinct-service modifier (76, 77, 91, 59, XE/XS/XP/XU).",
        )
        suggestion = cat(
            "Remove the duplicate line (or raise the units on row ",
            first_row,
            "); if the service was repeated, add 76, 77 or 91 to row ",
            hits.rows,
            ".",
        )
        return hits.findings(
            related_code=hits.code,
            message=message,
            suggestion=suggestion,
            source="claim lines",
            related_line=related,
        )


RULES = [DUP001]
