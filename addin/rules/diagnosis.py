"""Diagnoses: present, valid ICD-10-CM, billable (not a category header), as typed.

Kept apart from the NCCI rules (PTP, MUE, AOC): a different rule layer from different data
(the imported ICD-10-CM order file of the fiscal year of each date of service, else the
tabular list shipped by the ``simple-icd-10-cm`` package). Excludes1 notes (DX006) come only
from the package (order files carry no notes): see :mod:`addin.reference.excludes1`.
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


def _claim_codes(context: RuleContext, dx: DxFacts, ordinal_of_form: np.ndarray) -> pd.DataFrame:
    """Each distinct diagnosis of each claim: ``claim, ordinal`` (tabular position) and the
    first ``line`` of the claim that carries it, sorted by claim then ordinal. A claim is one
    claim id of one patient; a line without a claim id is a claim of its own. Whole-column
    work with hash de-duplication, no loop over lines."""
    lines = context.lines
    n = len(lines)
    cell = lines["dx"].cat.codes.to_numpy(dtype=np.int64)
    patient = context.patient_numbers
    claim_id = context.claim_numbers
    claim = patient * (int(claim_id.max()) + 2 if n else 1) + claim_id
    no_claim_id = (lines["claim_id"] == "").to_numpy(dtype=bool)
    claim = np.where(no_claim_id, -1 - np.arange(n, dtype=np.int64), claim)
    claim, _ = pd.factorize(claim)
    claim = claim.astype(np.int64)
    has = cell >= 0
    ncell = len(lines["dx"].cat.categories) + 1
    line_no = np.flatnonzero(has)
    first = ~pd.Series(claim[has] * ncell + cell[has]).duplicated().to_numpy()
    first_line = line_no[first]  # ascending: the first line of each (claim, dx cell)
    long = dx.long.sort_values("category", kind="stable")
    long_cat = long["category"].to_numpy()
    long_form = long["form"].to_numpy()
    start = np.searchsorted(long_cat, cell[first_line], "left")
    stop = np.searchsorted(long_cat, cell[first_line], "right")
    count = stop - start
    take = np.repeat(start, count) + (
        np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    )
    ordinal = ordinal_of_form[long_form[take]].astype(np.int64)
    claim_of = np.repeat(claim[first_line], count)
    line_of = np.repeat(first_line, count)
    known = ordinal >= 0
    ordinal, claim_of, line_of = ordinal[known], claim_of[known], line_of[known]
    key = claim_of * (int(ordinal.max()) + 2 if len(ordinal) else 1) + ordinal
    keep = np.flatnonzero(~pd.Series(key).duplicated().to_numpy())  # first line wins
    keep = keep[np.argsort(key[keep], kind="stable")]
    return pd.DataFrame({"claim": claim_of[keep], "ordinal": ordinal[keep], "line": line_of[keep]})


def _excludes1_verdicts(table, first: np.ndarray, second: np.ndarray) -> pd.DataFrame:
    """For distinct code pairs (ordinals, ``first`` before ``second`` in the book): the note
    that governs (``note``, -1 when none), whether it sits on ``first`` (``on_first``) and
    whether the other code's notes exclude the pair too (``mutual``).

    The most specific note wins (on the code, then its category ..., a block, a chapter);
    on a tie the note on the code earlier in the book.
    """
    count = len(first)
    out = pd.DataFrame({"note": np.full(count, -1, np.int64), "on_first": True, "mutual": False})
    a = np.concatenate([first, second])
    b = np.concatenate([second, first])
    candidate = np.flatnonzero(table.excluded(a, b))  # a sorted search; few pairs remain
    hits = table.pairs(a[candidate], b[candidate])
    if not len(hits):
        return out
    hits = hits.assign(pair=candidate[hits["pair"].to_numpy()])
    bearer = table.notes["bearer"].astype(str)
    specificity = np.where(
        bearer.str.isdigit(),
        0,
        np.where(bearer.str.contains("-", regex=False), 1, bearer.str.len()),
    )
    hits = hits.assign(
        unordered=hits["pair"].to_numpy() % count,
        direction=hits["pair"].to_numpy() // count,
        rank=-specificity[hits["note"].to_numpy()],
    )
    hits = hits.sort_values(["unordered", "rank", "direction", "note"], kind="stable")
    mutual = hits.groupby("unordered")["direction"].transform("nunique").to_numpy() > 1
    keep = ~hits.duplicated("unordered").to_numpy()
    chosen = hits[keep]
    rows = chosen["unordered"].to_numpy()
    out.loc[rows, "note"] = chosen["note"].to_numpy()
    out.loc[rows, "on_first"] = chosen["direction"].to_numpy() == 0
    out.loc[rows, "mutual"] = mutual[keep]
    return out


def _within_claim_pairs(codes: pd.DataFrame) -> pd.DataFrame:
    """Every two distinct diagnoses of one claim (``i < j``: rows of ``codes``, sorted by
    claim then ordinal, so ``i`` is the code earlier in the tabular)."""
    claim = codes["claim"].to_numpy()
    n = len(claim)
    if n < 2:
        return pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64)})
    bounds = np.flatnonzero(claim[1:] != claim[:-1]) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [n]])
    sizes = ends - starts
    partners = np.repeat(ends, sizes) - np.arange(n) - 1
    i = np.repeat(np.arange(n), partners)
    offsets = np.arange(len(i)) - np.repeat(np.cumsum(partners) - partners, partners)
    return pd.DataFrame({"i": i, "j": i + 1 + offsets})


def _bearer_kind(bearer: pd.Series, code: pd.Series) -> pd.Series:
    """Where a note sits, for the message: the code itself, or which ancestor."""
    bearer = bearer.astype(str).reset_index(drop=True)
    code = code.astype(str).reset_index(drop=True)
    kind = np.select(
        [
            (bearer == code).to_numpy(),
            bearer.str.isdigit().to_numpy(),
            bearer.str.contains("-", regex=False).to_numpy(),
            (bearer.str.len() == 3).to_numpy(),
        ],
        [
            "on " + code,
            "on chapter " + bearer + " (inherited by " + code + ")",
            "on block " + bearer + " (inherited by " + code + ")",
            "on category " + bearer + " (inherited by " + code + ")",
        ],
        "on " + bearer + " (inherited by " + code + ")",
    )
    return pd.Series(kind, dtype=object)


class DX006(Rule):
    """Two diagnoses on one claim that an ICD-10-CM Excludes1 note says are never coded together.

    **What it checks.** Every two distinct diagnoses on one claim (one claim id of one
    patient: the diagnoses of all its lines). When an Excludes1 note on one of them, or on
    one of its ancestors (subcategory, category, block, chapter: a code inherits their
    notes), names the other — a single code (``E10.9``), a dash form for a whole subtree
    (``E10.-``, ``E10.1-``) or a range (``C00-C14``, ``O00-O9A``) — the pair is flagged
    once per claim, naming both codes, the note and where it sits. The notes are those of
    the ICD-10-CM tabular shipped by the ``simple-icd-10-cm`` package (its release is named
    in the source); the imported order files carry no notes.

    **Why CMS denies it.** Excludes1 means "NOT CODED HERE": the two conditions cannot occur
    together (type 1 and type 2 diabetes), so a claim with both is contradictory and is
    returned or denied by payers' diagnosis edits. The official exception: when the two
    conditions are unrelated, both may be reported (ICD-10-CM guideline I.A.12.a); the
    checker cannot know that, so this is a warning.

    **Example.** ``E11.9`` and ``E10.9`` on one claim: the note at category E11 excludes
    "type 1 diabetes mellitus (E10.-)". ``R73.9`` with ``E11.9``: the note at R73 excludes
    "diabetes mellitus (E08-E13)".

    **Fix.** Keep the one code the record supports, or document that the two conditions
    are unrelated.
    """

    rule_id = "DX006"
    family = "diagnosis"
    name = "diagnosis.excludes1"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        dx = _dx_facts(context)
        if len(dx.forms) < 2:
            return no_findings()
        from addin.reference.excludes1 import excludes1_table

        forms = pd.Series(dx.forms, dtype=object).astype(str)
        keys = forms.str.strip().str.upper().str.replace(".", "", regex=False)
        book = keys.where(keys.str.len() <= 3, keys.str.slice(0, 3) + "." + keys.str.slice(3))
        table = excludes1_table()
        codes = _claim_codes(context, dx, table.ordinals(book.to_numpy(dtype=object)))
        pairs = _within_claim_pairs(codes)
        if not len(pairs):
            return no_findings()
        ordinal = codes["ordinal"].to_numpy()
        i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
        # claims repeat the same pairs of codes: judge each distinct pair once
        stride = len(table.codes) + 1
        pair_id, keys = pd.factorize(ordinal[i] * stride + ordinal[j])
        keys = np.asarray(keys, dtype=np.int64)
        verdict = _excludes1_verdicts(table, keys // stride, keys % stride)
        note_of = verdict["note"].to_numpy()[pair_id]
        hit = np.flatnonzero(note_of >= 0)
        if not len(hit):
            return no_findings()
        on_first = verdict["on_first"].to_numpy()[pair_id[hit]]
        mutual = verdict["mutual"].to_numpy()[pair_id[hit]]
        bearer_row = np.where(on_first, i[hit], j[hit])
        other_row = np.where(on_first, j[hit], i[hit])
        note = note_of[hit]
        order = np.argsort(codes["line"].to_numpy()[bearer_row], kind="stable")
        bearer_row, other_row = bearer_row[order], other_row[order]
        note, mutual = note[order], mutual[order]
        code = pd.Series(table.codes[ordinal[bearer_row]], dtype=object)
        other = pd.Series(table.codes[ordinal[other_row]], dtype=object)
        notes = table.notes.iloc[note].reset_index(drop=True)
        line = codes["line"].to_numpy()[bearer_row]
        related_line = codes["line"].to_numpy()[other_row]
        found = Hits(context, line)
        other_rows = Hits(context, related_line).rows
        also = pd.Series(
            np.where(mutual, " (the note on the other code excludes this one too)", ""),
            dtype=object,
        )
        message = cat(
            "EXCLUDES1: ",
            code,
            " and ",
            other,
            " are never coded together: the Excludes1 note ",
            _bearer_kind(notes["bearer"], code),
            ' reads "',
            notes["text"],
            '"',
            also,
            ". This applies unless the conditions are unrelated (ICD-10-CM guideline I.A.12.a).",
        )
        suggestion = cat(
            "Keep the code the record supports on this claim (",
            code,
            " on row ",
            found.rows,
            ", ",
            other,
            " on row ",
            other_rows,
            "), or document that the two conditions are unrelated.",
        )
        return found.findings(
            code=code,
            related_code=other,
            message=message,
            suggestion=suggestion,
            source=table.source,
            related_line=related_line,
        )


RULES = [DX001, DX002, DX003, DX004, DX005, DX006]
