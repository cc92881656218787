"""Diagnoses: present, valid ICD-10-CM, billable (a leaf code, not a category header).

Kept apart from the NCCI rules (PTP, MUE, AOC): a different rule layer from different data
(the ICD-10-CM tabular list shipped by the ``simple-icd-10-cm`` package).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.reference.icd10 import SOURCE as ICD10_SOURCE
from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits
from addin.rules.text import cat


def _dx_long(context: RuleContext) -> pd.DataFrame:
    """``category, dx, valid, billable`` for each diagnosis of each distinct dx cell.

    Cells are split with pyarrow (one pass over the distinct cells); ICD-10-CM facts are
    asked once per distinct diagnosis code. Shared by DX002 and DX003.
    """
    return context.memo("dx_long", lambda: _split_dx(context))


def _split_dx(context: RuleContext) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc

    categories = context.lines["dx"].cat.categories
    empty = pd.DataFrame(
        {
            "category": np.zeros(0, np.int64),
            "dx": np.zeros(0, object),
            "valid": np.zeros(0, bool),
            "billable": np.zeros(0, bool),
        }
    )
    if not len(categories):
        return empty
    cells = pa.array(categories.astype(str)).cast(pa.large_string())
    cells = pc.replace_substring(cells, ";", ",")
    lists = pc.split_pattern(cells, ",")
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parent = np.asarray(pc.list_parent_indices(lists))
    keep = np.asarray(pc.not_equal(flat, ""))
    if not keep.any():
        return empty
    # one ICD-10-CM lookup per distinct diagnosis: dictionary-encode in arrow, no Python loop
    encoded = flat.filter(pa.array(keep)).dictionary_encode()
    unique = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    index = np.asarray(encoded.indices, dtype=np.int64)
    facts = context.reference.icd10_frame(unique)
    return pd.DataFrame(
        {
            "category": parent[keep].astype(np.int64),
            "dx": pd.Categorical.from_codes(
                index, categories=pd.Index(unique, dtype=object).astype(str)
            )
            if len(set(unique)) == len(unique)
            else unique[index],
            "valid": facts["valid"].to_numpy(dtype=bool)[index],
            "billable": facts["billable"].to_numpy(dtype=bool)[index],
        }
    )


def _lines_with(context: RuleContext, bad: pd.DataFrame) -> tuple[Hits, pd.Series]:
    """The lines whose dx cell holds one of the ``bad`` rows of :func:`_dx_long`, and its dx."""
    codes = context.lines["dx"].cat.codes.to_numpy(dtype=np.int64)
    wanted = np.isin(codes, bad["category"].to_numpy())
    lines = pd.DataFrame({"line": np.flatnonzero(wanted), "category": codes[wanted]})
    found = (
        lines.merge(bad[["category", "dx"]], on="category")
        .sort_values(["line"], kind="stable")
        .reset_index(drop=True)
    )
    return Hits(context, found["line"].to_numpy()), found["dx"].astype(str)


def _dx_findings(
    hits: Hits, dx: pd.Series, message: pd.Series, suggestion: pd.Series
) -> pd.DataFrame:
    """DX002/DX003 findings: the line's code, the diagnosis as related code."""
    return hits.findings(
        related_code=dx, message=message, suggestion=suggestion, source=ICD10_SOURCE
    )


class DX001(Rule):
    """A claim line without a diagnosis.

    **What it checks.** Lines whose diagnosis cell (or DX1..DX12 cells) is empty, when the
    input has a diagnosis column (an input without one is noted, not flagged line by line).

    **Why CMS denies it.** Every service must point to the diagnosis that makes it
    medically necessary; a line without one is returned as unprocessable.

    **Example.** 99213 with an empty DX column.

    **Fix.** Add the ICD-10-CM code(s) documented for the visit.
    """

    rule_id = "DX001"
    family = "diagnosis"
    name = "diagnosis.missing"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        mapping = context.meta.get("column_mapping")
        if mapping is not None and "dx" not in mapping:
            return no_findings()
        hits = Hits.where(context, (context.lines["dx"] == "").to_numpy(dtype=bool))
        if not hits:
            return no_findings()
        message = cat("NO DIAGNOSIS: the line for ", hits.code, " has no ICD-10-CM diagnosis.")
        suggestion = cat("Add the diagnosis that supports ", hits.code, " on row ", hits.rows, ".")
        return hits.findings(message=message, suggestion=suggestion, source=ICD10_SOURCE)


class DX002(Rule):
    """A diagnosis that is not an ICD-10-CM code.

    **What it checks.** Each diagnosis on a line (a list in one cell or DX1..DX12) against
    the ICD-10-CM tabular list (with or without the dot).

    **Why CMS denies it.** An invalid diagnosis code makes the claim unprocessable.

    **Example.** ``K83.9X`` or an ICD-9 code such as ``574.20``.

    **Fix.** Correct the code from the ICD-10-CM code book.
    """

    rule_id = "DX002"
    family = "diagnosis"
    name = "diagnosis.invalid"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        long = _dx_long(context)
        bad = long[~long["valid"]]
        if bad.empty:
            return no_findings()
        hits, dx = _lines_with(context, bad)
        message = cat("INVALID DIAGNOSIS: ", dx, " is not an ICD-10-CM code.")
        suggestion = cat(
            "Correct ",
            dx,
            " on row ",
            hits.rows,
            " from the ICD-10-CM code book.",
        )
        return _dx_findings(hits, dx, message, suggestion)


class DX003(Rule):
    """A diagnosis that is an ICD-10-CM category header, not a billable code.

    **What it checks.** Diagnoses that exist in ICD-10-CM but have more specific codes below
    them (they are not leaf codes).

    **Why CMS denies it.** Claims must carry the most specific code; a header such as
    ``K83`` (other diseases of biliary tract) is not billable, ``K83.1`` is.

    **Example.** ``K83`` instead of ``K83.1``; ``E11`` instead of ``E11.9``.

    **Fix.** Code to the highest specificity the record supports.
    """

    rule_id = "DX003"
    family = "diagnosis"
    name = "diagnosis.not_billable"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        long = _dx_long(context)
        bad = long[long["valid"] & ~long["billable"]]
        if bad.empty:
            return no_findings()
        hits, dx = _lines_with(context, bad)
        message = cat(
            "DIAGNOSIS NOT BILLABLE: ",
            dx,
            " is an ICD-10-CM category header with more specific codes below it.",
        )
        suggestion = cat(
            "Replace ",
            dx,
            " on row ",
            hits.rows,
            " with the most specific code the record supports.",
        )
        return _dx_findings(hits, dx, message, suggestion)


RULES = [DX001, DX002, DX003]
