"""Diagnoses: present, valid ICD-10-CM, billable (not a category header), as typed.

Kept apart from the NCCI rules (PTP, MUE, AOC): a different rule layer from different data
(the imported ICD-10-CM order file of the fiscal year of each date of service, else the
tabular list shipped by the ``simple-icd-10-cm`` package).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.reference.icd10 import NOT_COVERED
from addin.reference.icd10 import SOURCE as ICD10_SOURCE
from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits
from addin.rules.text import cat


@dataclass
class DxFacts:
    """Each diagnosis of each distinct dx cell, and its ICD-10-CM facts per version.

    ``long`` has one row per diagnosis in a cell: ``category`` (the cell) and ``form`` (an
    index into ``forms``, the distinct typed diagnoses). ``line_version`` is the ICD-10-CM
    version answering each line's date of service (-1 = no imported fiscal year covers it);
    ``facts[v]`` is ``icd10_frame(forms)`` for version ``v`` (one lookup per distinct
    diagnosis and version, never per line).
    """

    forms: np.ndarray
    long: pd.DataFrame
    line_version: np.ndarray
    facts: dict[int, pd.DataFrame]
    sources: dict[int, str]


def _dx_facts(context: RuleContext) -> DxFacts:
    """Shared by DX002-DX005 (computed once per context)."""
    return context.memo("dx_facts", lambda: _split_dx(context))


def _split_dx(context: RuleContext) -> DxFacts:
    import pyarrow as pa
    import pyarrow.compute as pc

    reference = context.reference
    lines = context.lines
    version = np.asarray(reference.icd10_version_index(lines["dos"], len(lines)), dtype=np.int64)
    present = [int(v) for v in np.unique(version)]
    sources = {v: reference.icd10_source(v) for v in present}
    categories = lines["dx"].cat.categories
    empty = DxFacts(
        np.zeros(0, object),
        pd.DataFrame({"category": np.zeros(0, np.int64), "form": np.zeros(0, np.int64)}),
        version,
        {},
        sources,
    )
    if not len(categories):
        return empty
    cells = pa.array(np.asarray(categories, dtype=object).astype(str)).cast(pa.large_string())
    cells = pc.replace_substring(cells, ";", ",")
    lists = pc.split_pattern(cells, ",")
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parent = np.asarray(pc.list_parent_indices(lists))
    keep = np.asarray(pc.not_equal(flat, ""))
    if not keep.any():
        return empty
    # one ICD-10-CM lookup per distinct diagnosis and version: no Python loop over lines
    encoded = flat.filter(pa.array(keep)).dictionary_encode()
    forms = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    long = pd.DataFrame(
        {
            "category": parent[keep].astype(np.int64),
            "form": np.asarray(encoded.indices, dtype=np.int64),
        }
    )
    facts = {v: reference.icd10_frame(forms, version=v) for v in present if v != NOT_COVERED}
    return DxFacts(forms, long, version, facts, sources)


def _lines_with(
    context: RuleContext, dx: DxFacts, bad_forms: dict[int, np.ndarray]
) -> tuple[Hits, pd.DataFrame]:
    """The lines whose dx cell holds a diagnosis that is bad for the line's version.

    ``bad_forms[v]`` flags the bad forms of version ``v``. Returns the hits and, aligned with
    them, ``form`` (index into ``dx.forms``) and ``version``.
    """
    codes = context.lines["dx"].cat.codes.to_numpy(dtype=np.int64)
    found = []
    for version, bad in bad_forms.items():
        if not bad.any():
            continue
        long = dx.long[bad[dx.long["form"].to_numpy()]]
        wanted = (dx.line_version == version) & np.isin(codes, long["category"].to_numpy())
        lines = pd.DataFrame({"line": np.flatnonzero(wanted), "category": codes[wanted]})
        found.append(lines.merge(long, on="category").assign(version=version))
    if not found:
        frame = pd.DataFrame(
            {"line": np.zeros(0, np.int64), "form": np.zeros(0, np.int64), "version": 0}
        )
    else:
        frame = pd.concat(found, ignore_index=True)
        frame = frame.sort_values(["line"], kind="stable").reset_index(drop=True)
    return Hits(context, frame["line"].to_numpy()), frame


def _column(dx: DxFacts, hits: pd.DataFrame, name: str) -> pd.Series:
    """A column of the facts (``normalised`` ...) for each hit's form and version."""
    out = np.empty(len(hits), dtype=object)
    for version in np.unique(hits["version"].to_numpy()):
        rows = (hits["version"] == version).to_numpy()
        out[rows] = dx.facts[int(version)][name].to_numpy(dtype=object)[
            hits["form"].to_numpy()[rows]
        ]
    return pd.Series(out, dtype=object)


def _sources(dx: DxFacts, hits: pd.DataFrame) -> pd.Series:
    labels = pd.Series(dx.sources)
    return pd.Series(labels.reindex(hits["version"].to_numpy()).to_numpy(dtype=object))


def _dx_findings(
    hits: Hits,
    dx: DxFacts,
    frame: pd.DataFrame,
    related: pd.Series,
    message: pd.Series,
    suggestion: pd.Series,
) -> pd.DataFrame:
    """DX002-DX004 findings: the line's code, the diagnosis as related code."""
    return hits.findings(
        related_code=related,
        message=message,
        suggestion=suggestion,
        source=_sources(dx, frame),
    )


def _flags(dx: DxFacts, pick) -> dict[int, np.ndarray]:
    return {v: np.asarray(pick(f), dtype=bool) for v, f in dx.facts.items()}


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
    """A diagnosis that is not an ICD-10-CM code on the date of service.

    **What it checks.** Each diagnosis on a line (a list in one cell or DX1..DX12) against
    the ICD-10-CM code list of the line's fiscal year (the imported order file whose fiscal
    year covers the date of service; without any import, the bundled tabular list), with or
    without the dot, in any case.

    **Why CMS denies it.** An invalid diagnosis code makes the claim unprocessable; a code
    added on 1 October is invalid for services before it, a deleted one after.

    **Example.** ``K83.9X`` or an ICD-9 code such as ``574.20``.

    **Fix.** Correct the code from the ICD-10-CM code book of the date of service.
    """

    rule_id = "DX002"
    family = "diagnosis"
    name = "diagnosis.invalid"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        dx = _dx_facts(context)
        hits, frame = _lines_with(context, dx, _flags(dx, lambda f: ~f["valid"]))
        if not hits:
            return no_findings()
        typed = pd.Series(dx.forms[frame["form"].to_numpy()], dtype=object)
        message = cat(
            "INVALID DIAGNOSIS: ",
            typed,
            " is not an ICD-10-CM code on the date of service (checked against ",
            _sources(dx, frame),
            ").",
        )
        suggestion = cat(
            "Correct ",
            typed,
            " on row ",
            hits.rows,
            " from the ICD-10-CM code book of the date of service.",
        )
        return _dx_findings(hits, dx, frame, typed, message, suggestion)


class DX003(Rule):
    """A diagnosis that is an ICD-10-CM category header, not a billable code.

    **What it checks.** Diagnoses that exist in ICD-10-CM but are not valid on a claim: the
    order file flags them as headers (for the bundled list: they have more specific codes
    below them).

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
        dx = _dx_facts(context)
        hits, frame = _lines_with(context, dx, _flags(dx, lambda f: f["valid"] & ~f["billable"]))
        if not hits:
            return no_findings()
        code = _column(dx, frame, "normalised")
        message = cat(
            "DIAGNOSIS NOT BILLABLE: ",
            code,
            " is an ICD-10-CM category header with more specific codes below it.",
        )
        suggestion = cat(
            "Replace ",
            code,
            " on row ",
            hits.rows,
            " with the most specific code the record supports.",
        )
        return _dx_findings(hits, dx, frame, code, message, suggestion)


class DX004(Rule):
    """A valid diagnosis typed without the dot or in lower case (normalised; a note).

    **What it checks.** Diagnoses such as ``e119``, ``E119`` or ``e11.9`` that are valid
    ICD-10-CM codes once written the code book's way (upper case, dot after the third
    character: ``E11.9``). The check reads them as that code; this note says so once per
    distinct typed form (at its first line, with the number of other lines), not per line.

    **Why it matters.** Nothing is denied for it (claims transmit codes without the dot);
    the note shows how the checker read the cell, so a surprising reading can be caught.

    **Example.** ``e119`` on rows 2 and 7: one note, "read as E11.9", on row 2.

    **Fix.** None needed. Write ``E11.9`` if your worksheets should match the code book.
    """

    rule_id = "DX004"
    family = "diagnosis"
    name = "diagnosis.normalised"
    severity = "info"

    def check(self, context: RuleContext) -> pd.DataFrame:
        dx, hits, frame = _normalised_hits(context)
        if not hits:
            return no_findings()
        typed_all = dx.forms[frame["form"].to_numpy()]
        file_wide = context.meta.get(NORMALISED_FORMS_KEY)
        if file_wide is not None:
            # the input was checked in parts: the note goes on the form's first line in the
            # whole file, and counts the lines of every part
            table = file_wide.set_index("form")
            first_row = table["first_row"].reindex(typed_all).to_numpy()
            rows = context.lines["row"].to_numpy()[frame["line"].to_numpy()]
            at_first = rows == first_row
            repeated = pd.Series(np.where(at_first, typed_all, None)).duplicated().to_numpy()
            first = at_first & ~repeated
            others = table["lines"].reindex(typed_all).to_numpy(dtype=np.int64) - 1
        else:
            # one note per distinct typed form: at its first line, counting the others
            first = ~frame.duplicated(["form"]).to_numpy()
            others = frame.groupby("form")["line"].transform("nunique").to_numpy() - 1
        keep = np.flatnonzero(first)
        frame = frame.iloc[keep].reset_index(drop=True)
        hits = Hits(context, frame["line"].to_numpy())
        typed = pd.Series(dx.forms[frame["form"].to_numpy()], dtype=object)
        code = _column(dx, frame, "normalised")
        more = pd.Series(np.where(others[keep] > 0, others[keep], 0)).astype(str)
        message = cat(
            "DIAGNOSIS NORMALISED: ",
            typed,
            " was read as ICD-10-CM ",
            code,
            " (upper case, dot after the third character); the same form is on ",
            more,
            " other line(s).",
        )
        suggestion = cat("Nothing to fix; the checker used ", code, ".")
        return _dx_findings(hits, dx, frame, code, message, suggestion)


#: ``RuleContext.meta`` key of the file-wide :func:`normalised_forms` (inputs checked in parts).
NORMALISED_FORMS_KEY = "dx_normalised_forms"


def _normalised_hits(context: RuleContext) -> tuple[DxFacts, Hits, pd.DataFrame]:
    """Lines with a valid diagnosis typed in another form than the code book's (DX004)."""
    dx = _dx_facts(context)
    typed_forms = pd.Series(dx.forms, dtype=object)
    hits, frame = _lines_with(
        context,
        dx,
        _flags(
            dx,
            lambda f: (
                f["valid"].to_numpy(dtype=bool)
                & (f["normalised"].to_numpy(dtype=object) != typed_forms.to_numpy(dtype=object))
            ),
        ),
    )
    return dx, hits, frame


def normalised_forms(context: RuleContext) -> pd.DataFrame:
    """DX004's view of one part of an input: per typed form, its first row and its lines.

    Parts of one input are combined with :func:`combine_normalised_forms` and given to every
    part's check under :data:`NORMALISED_FORMS_KEY`, so the note is the same as for the
    whole input at once.
    """
    dx, hits, frame = _normalised_hits(context)
    if not hits:
        return pd.DataFrame({"form": pd.Series(dtype=object), "first_row": np.zeros(0, np.int64),
                             "lines": np.zeros(0, np.int64)})
    line = frame["line"].to_numpy()
    pairs = pd.DataFrame(
        {"form": dx.forms[frame["form"].to_numpy()], "row": context.lines["row"].to_numpy()[line],
         "line": line}
    ).drop_duplicates(["form", "line"])
    out = pairs.groupby("form", sort=True).agg(first_row=("row", "min"), lines=("line", "size"))
    return out.reset_index()


def combine_normalised_forms(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The file-wide :func:`normalised_forms` from those of its parts (disjoint lines)."""
    frame = pd.concat(parts, ignore_index=True) if parts else None
    if frame is None or frame.empty:
        return pd.DataFrame({"form": pd.Series(dtype=object), "first_row": np.zeros(0, np.int64),
                             "lines": np.zeros(0, np.int64)})
    out = frame.groupby("form", sort=True).agg(first_row=("first_row", "min"), lines=("lines", "sum"))
    return out.reset_index()


class DX005(Rule):
    """Diagnoses not checked: no imported ICD-10-CM fiscal year covers the date of service.

    **What it checks.** Lines with a diagnosis whose date of service is before the oldest
    imported ICD-10-CM order file (FY2026 starts on 2025-10-01). Judging them by another
    year's code list could call a valid code invalid, so DX002/DX003 skip them; this warning
    is given once, at the first such line, with the number of lines.

    **Why it matters.** Codes are added and deleted every 1 October; only the list of the
    service's fiscal year can say whether its diagnoses were valid.

    **Example.** Claims from 2025-06 checked with only FY2026 imported.

    **Fix.** Import the order file of that fiscal year (``icd10cm_order_2025.txt``).
    """

    rule_id = "DX005"
    family = "diagnosis"
    name = "diagnosis.year_not_covered"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        dx = _dx_facts(context)
        uncovered = (dx.line_version == NOT_COVERED) & (context.lines["dx"] != "").to_numpy(
            dtype=bool
        )
        if not uncovered.any():
            return no_findings()
        lines = np.flatnonzero(uncovered)
        hits = Hits(context, lines[:1])
        message = cat(
            "DIAGNOSES NOT CHECKED: no imported ICD-10-CM fiscal year covers the date of "
            "service of this line and ",
            pd.Series([str(len(lines) - 1)]),
            " other line(s).",
        )
        suggestion = cat(
            "Import the ICD-10-CM order file of the fiscal year of row ",
            hits.rows,
            " (cpt-addin data import icd10cm_order_YYYY.txt).",
        )
        return hits.findings(
            message=message, suggestion=suggestion, source=dx.sources.get(NOT_COVERED, "")
        )


RULES = [DX001, DX002, DX003, DX004, DX005]
