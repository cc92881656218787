"""Duplicate lines: the same service billed twice for one patient, provider and date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.rules.base import Rule, no_findings
from addin.rules.context import MODIFIER_SLOTS, RuleContext, code_categories
from addin.rules.hits import Hits, line_rows
from addin.rules.text import cat
from addin.verdicts import X_MODIFIERS

#: Modifiers that make a second line of the same code a separate service.
REPEAT_MODIFIERS = ("76", "77", "91")
DISTINCT_MODIFIERS = (*REPEAT_MODIFIERS, "59", *X_MODIFIERS)


def _anatomic_signature(context: RuleContext) -> np.ndarray:
    """Per line, an id of its set of anatomic modifiers (0 when none; equal sets, equal ids).

    Each anatomic modifier is one bit, so a line's set is the OR of its slots' bits: no text
    is joined. With more distinct anatomic modifiers than bits in an int64, the ids of the
    sets are factorised from per-slot tuples instead.
    """
    n = len(context.lines)
    table = context.modifier_table
    if "anatomic_family" not in table.columns:
        return np.zeros(n, dtype=np.int64)
    family = table["anatomic_family"].fillna("").astype(str)
    anatomic = sorted(set(family.index[family != ""]))
    bit_of = {modifier: k for k, modifier in enumerate(anatomic)}
    if len(anatomic) > 62:  # pragma: no cover - CMS has ~30 anatomic modifiers
        matrix = context.modifier_matrix
        keep = np.isin(matrix, anatomic)
        sets = [frozenset(row[mask]) for row, mask in zip(matrix, keep, strict=True)]
        return pd.factorize(pd.Series(sets, dtype=object))[0].astype(np.int64)
    signature = np.zeros(n, dtype=np.int64)
    for slot in MODIFIER_SLOTS:
        codes, categories = code_categories(context.lines[slot])
        if not len(categories):
            continue
        bits = np.array(
            [(1 << bit_of[m]) if m in bit_of else 0 for m in categories] + [0], dtype=np.int64
        )
        signature |= bits[codes]  # code -1 (no modifier) reads the trailing 0
    return signature


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
