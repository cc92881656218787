"""NCCI procedure-to-procedure (PTP) edits between two lines of one patient, provider and date.

One computation (:func:`ptp_edits_for`, cached on the context) finds every edit in force
between two lines and applies the bypass policy of :func:`addin.verdicts.bypass_for_pair`
to whole columns; the three rules below only pick their rows and word them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.codes import TABLE_SETTINGS
from addin.reference.indicators import MODIFIER_INDICATOR_TEXT
from addin.reference.ptp_index import GOVERNING_ORDER
from addin.rules.base import Rule, no_findings, raw_findings
from addin.rules.context import EM_ONLY, RuleContext
from addin.rules.hits import line_rows
from addin.rules.text import cat, choose, iso_dates
from addin.verdicts import X_MODIFIER_TEXT, X_MODIFIERS

EDIT_COLUMNS = [
    "line_1",
    "line_2",
    "column_1",
    "column_2",
    "modifier_indicator",
    "rationale",
    "effective_date",
    "deletion_date",
    "source",
    "bypassed",
    "bypass_modifier",
    "bypass_line",
    "same_sites",
    "anatomic_present",
    "rows_in_force",
    "in_force_text",
]

X_SUGGESTION = ", ".join(f"{m} ({X_MODIFIER_TEXT[m]})" for m in X_MODIFIERS)
EM_SUGGESTION = "25 (significant, separately identifiable E/M)"
NOT_FOR_SETTING = (
    "PTP edits not checked: NCCI PTP edits do not apply to DME supplier claims "
    "(CMS publishes PTP tables for practitioner and outpatient hospital claims only)"
)


def _empty_edits() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in EDIT_COLUMNS})


def ptp_edits_for(context: RuleContext) -> pd.DataFrame:
    """One row per line pair with a PTP edit in force, oriented Column 1 / Column 2.

    Columns: ``line_1`` / ``line_2`` (positions of the Column 1 and Column 2 lines),
    ``column_1, column_2, modifier_indicator, rationale, effective_date, deletion_date,
    source``, and the bypass decision: ``bypassed``, ``bypass_modifier``, ``bypass_line``
    (``column_1``/``column_2``), ``same_sites`` (anatomic modifiers both lines carry) and
    ``anatomic_present``; ``rows_in_force`` (how many table rows are in force for the pair
    on the date) and ``in_force_text`` (each of them described, ``""`` when only one).

    When several rows are in force for one pair (both orders, overlapping episodes) the row
    that governs is the strictest — indicator 0 over 1 — and on a tie the earliest effective
    (an unknown effective date counts as the earliest), then the lower Column 1 code: the
    order :data:`addin.reference.ptp_index.GOVERNING_ORDER` fixes and
    :func:`addin.verdicts.pair_verdict` shares. The governing row decides Column 1 /
    Column 2, the modifier indicator and whether a modifier bypasses; the finding names
    every row in force.
    """
    if context.setting not in {s.value for s in TABLE_SETTINGS["ptp"]}:  # dme: no PTP table
        if NOT_FOR_SETTING not in context.notes:
            context.notes.append(NOT_FOR_SETTING)
        return _empty_edits()
    pairs = context.pairs
    if pairs.empty:
        return _empty_edits()
    line_a = pairs["line_a"].to_numpy()
    line_b = pairs["line_b"].to_numpy()
    # ask the table once per distinct (code a, code b, date)
    code_ids = context.lines["cpt"].cat.codes.to_numpy(dtype=np.int64)
    ncodes = max(len(context.lines["cpt"].cat.categories), 1) + 1
    day_ids, day_uniques = pd.factorize(context.lines["day"].to_numpy()[line_a])
    key = ((code_ids[line_a] + 1) * ncodes + code_ids[line_b] + 1) * max(
        len(day_uniques), 1
    ) + day_ids
    pair_ids, unique_keys = pd.factorize(key)
    first = np.zeros(len(unique_keys), dtype=np.int64)
    first[pair_ids] = np.arange(len(pair_ids))  # one pair standing for each distinct key
    cpt = context.cpt
    matches = context.reference.ptp_matches(
        cpt[line_a[first]],
        cpt[line_b[first]],
        context.dates[line_a[first]],
        context.setting,
    )
    if matches.empty:
        return _empty_edits()
    # the strictest row in force governs (indicator 0 over 1), then the earliest effective
    # (NaT = from the start), then the lower Column 1 code: the order pair_verdict uses
    matches = matches.sort_values(
        ["pair", *GOVERNING_ORDER], na_position="first", kind="stable"
    ).reset_index(drop=True)
    pair_of_match = matches["pair"].to_numpy()
    first_of_pair = np.r_[True, pair_of_match[1:] != pair_of_match[:-1]]
    run_starts = np.flatnonzero(first_of_pair)
    run_sizes = np.diff(np.r_[run_starts, len(matches)])
    in_force_text = _in_force_texts(matches, run_starts, run_sizes)
    matches = matches.iloc[run_starts].reset_index(drop=True)
    matches["rows_in_force"] = run_sizes
    matches["in_force_text"] = in_force_text
    edit_of_key = np.full(len(unique_keys), -1, dtype=np.int64)
    edit_of_key[matches["pair"].to_numpy()] = np.arange(len(matches))
    edit_index = edit_of_key[pair_ids]
    hit = np.flatnonzero(edit_index >= 0)
    chosen = matches.iloc[edit_index[hit]].reset_index(drop=True)
    a, b = line_a[hit], line_b[hit]
    forward = chosen["column_1"].to_numpy(dtype=object) == cpt[a]
    edits = pd.DataFrame(
        {
            "line_1": np.where(forward, a, b),
            "line_2": np.where(forward, b, a),
            "column_1": chosen["column_1"].to_numpy(dtype=object),
            "column_2": chosen["column_2"].to_numpy(dtype=object),
            "modifier_indicator": chosen["modifier_indicator"].to_numpy(dtype=np.int64),
            "rationale": chosen["rationale"].astype(object).to_numpy(),
            "effective_date": chosen["effective_date"].to_numpy(),
            "deletion_date": chosen["deletion_date"].to_numpy(),
            "source": chosen["source"].astype(object).to_numpy(),
            "rows_in_force": chosen["rows_in_force"].to_numpy(dtype=np.int64),
            "in_force_text": chosen["in_force_text"].to_numpy(dtype=object),
        }
    )
    return _apply_bypass(context, edits)


def _in_force_texts(
    matches: pd.DataFrame, run_starts: np.ndarray, run_sizes: np.ndarray
) -> np.ndarray:
    """Per pair (one run of ``matches``, governing row first), every row in force described
    and joined with ``"; "`` — ``""`` for a pair with one row (the message names it)."""
    out = np.full(len(run_starts), "", dtype=object)
    several = np.flatnonzero(run_sizes > 1)
    if not len(several):
        return out
    rows = np.repeat(run_starts[several], run_sizes[several])
    rows = rows + np.arange(len(rows)) - np.repeat(
        np.cumsum(run_sizes[several]) - run_sizes[several], run_sizes[several]
    )
    subset = matches.iloc[rows].reset_index(drop=True)
    start = iso_dates(subset["effective_date"], missing="the start of the table")
    end = iso_dates(subset["deletion_date"], missing="")
    end = end.where(end == "", "last day " + end).where(end != "", "still active")
    text = cat(
        "Column 1 ",
        subset["column_1"],
        ", Column 2 ",
        subset["column_2"],
        ", indicator ",
        subset["modifier_indicator"].astype(str),
        ", from ",
        start,
        ", ",
        end,
        ", rationale: ",
        subset["rationale"],
    )
    joined = text.groupby(np.repeat(several, run_sizes[several]), sort=True).agg("; ".join)
    out[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return out


def _in_force_note(edits: pd.DataFrame) -> pd.Series:
    """``" N rows of this pair are in force …: …"`` for pairs with several, else ``""``."""
    several = edits["rows_in_force"].to_numpy(dtype=np.int64) > 1
    return choose(
        [several],
        [
            cat(
                " ",
                edits["rows_in_force"].astype(str),
                " rows of this pair are in force on the date; the strictest governs "
                "(indicator 0 over 1): ",
                edits["in_force_text"],
                ".",
            )
        ],
    )


def _apply_bypass(context: RuleContext, edits: pd.DataFrame) -> pd.DataFrame:
    """The bypass policy of :func:`addin.verdicts.bypass_for_pair`, over whole columns."""
    n_edits = len(edits)
    table = context.modifier_table
    associated = table.index[
        table["ncci_associated"].astype(bool)
        & (table.get("anatomic_family", pd.Series("", index=table.index)).fillna("") == "")
    ]
    family = (
        table["anatomic_family"].fillna("").astype(str)
        if "anatomic_family" in table.columns
        else pd.Series(dtype=str)
    )
    family = family[family != ""]
    # per line: the first non-anatomic NCCI-associated modifier that counts on that line
    line_bypass = first_bypass_modifier(context, set(associated))
    indicator_1 = edits["modifier_indicator"].to_numpy() == 1
    line_1 = edits["line_1"].to_numpy()
    line_2 = edits["line_2"].to_numpy()
    on_2 = indicator_1 & (line_bypass[line_2] != "")
    on_1 = indicator_1 & ~on_2 & (line_bypass[line_1] != "")
    bypass_mod = np.where(on_2, line_bypass[line_2], np.where(on_1, line_bypass[line_1], ""))
    bypass_line = np.where(on_2, "column_2", np.where(on_1, "column_1", ""))
    # anatomic modifiers: both lines name sites of one family, and the sites differ
    anatomic = context.modifier_slot_where(lambda mods_: mods_.isin(family.index).to_numpy())
    anatomic["family"] = anatomic["modifier"].map(family).astype(object)
    anatomic = anatomic.drop_duplicates(["line", "modifier"])  # first slot of a repeat counts
    has_anatomic = np.zeros(len(context.lines), dtype=bool)
    has_anatomic[anatomic["line"].to_numpy()] = True
    anatomic_present = indicator_1 & (has_anatomic[line_1] | has_anatomic[line_2])
    same_sites = np.full(n_edits, "", dtype=object)
    pending = np.flatnonzero(anatomic_present & ~(on_1 | on_2))
    if len(pending):
        cand = pd.DataFrame({"edit": pending, "line_1": line_1[pending], "line_2": line_2[pending]})
        side_2 = cand.merge(
            anatomic.rename(columns={"line": "line_2", "modifier": "mod_2", "slot": "slot_2"}),
            on="line_2",
        )
        both = side_2.merge(
            anatomic.rename(columns={"line": "line_1", "modifier": "mod_1", "slot": "slot_1"}),
            on=["line_1", "family"],
        )
        differ = both[both["mod_1"] != both["mod_2"]].sort_values(["edit", "slot_2"])
        differ = differ.drop_duplicates("edit")
        rows = differ["edit"].to_numpy()
        bypass_mod[rows] = differ["mod_2"].to_numpy(dtype=object)
        bypass_line[rows] = "column_2"
        same = both[both["mod_1"] == both["mod_2"]]
        if len(same):
            joined = (
                same.drop_duplicates(["edit", "mod_1"])
                .sort_values(["edit", "mod_1"])
                .groupby("edit")["mod_1"]
                .agg(", ".join)
            )
            same_sites[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    edits["bypassed"] = bypass_line != ""
    edits["bypass_modifier"] = bypass_mod
    edits["bypass_line"] = bypass_line
    edits["same_sites"] = np.where(edits["bypassed"].to_numpy(), "", same_sites)
    edits["anatomic_present"] = anatomic_present
    return edits


def first_bypass_modifier(context: RuleContext, associated: set[str]) -> np.ndarray:
    """Per line, the first modifier (slot order) that bypasses an indicator-1 edit by itself:
    NCCI-associated, not anatomic, and 25/57 only on an E/M line (``""`` when none).

    Evaluated once per distinct modifier of each slot, then broadcast to the lines.
    """
    from addin.rules.context import MODIFIER_SLOTS, code_categories

    n = len(context.lines)
    out = np.full(n, "", dtype=object)
    is_em = context.is_em
    for name in reversed(MODIFIER_SLOTS):  # the first slot wins: assign it last
        codes, categories = code_categories(context.lines[name])
        if not len(categories):
            continue
        names = pd.Series(categories, dtype=object)
        counts_always = np.append((names.isin(associated) & ~names.isin(EM_ONLY)).to_numpy(), False)
        counts_on_em = np.append((names.isin(associated) & names.isin(EM_ONLY)).to_numpy(), False)
        hit = counts_always[codes] | (counts_on_em[codes] & is_em)
        where = np.flatnonzero(hit)
        out[where] = np.append(categories, "")[codes[where]]
    return out


def _window(edits: pd.DataFrame) -> pd.Series:
    start = iso_dates(edits["effective_date"], missing="the start of the table")
    end = iso_dates(edits["deletion_date"], missing="")
    end = end.where(end == "", "last day " + end).where(end != "", "still active")
    return cat("Edit in force from ", start, ", ", end, ".")


def _rows(context: RuleContext, edits: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The spreadsheet rows (as text) of the Column 1 and the Column 2 line of each edit."""
    row_1 = line_rows(context, edits["line_1"].to_numpy())
    return row_1, line_rows(context, edits["line_2"].to_numpy())


def _findings(
    context: RuleContext, edits: pd.DataFrame, message, suggestion, modifier
) -> pd.DataFrame:
    return raw_findings(
        edits["line_2"].to_numpy(),
        code=edits["column_2"],
        related_code=edits["column_1"],
        modifier=modifier,
        message=message,
        suggestion=suggestion,
        source=edits["source"],
        related_line=edits["line_1"].to_numpy(),
    )


class PTP001(Rule):
    """Two codes that NCCI never pays together: no modifier can bypass the edit.

    **What it checks.** Every two lines of one patient, by the same provider, on the same date
    of service (on one claim or across claims) are looked up in the NCCI PTP table of the
    chosen setting (practitioner or outpatient hospital), in either order, using the edit
    rows in force on that date (effective date on or before it, deletion date on or after
    it; indicator 9 rows never apply). This rule fires when the edit's modifier indicator
    is **0**. CMS publishes no PTP table for DME suppliers: with setting ``dme`` the PTP
    rules do not run and the check says so in its notes.

    **Why CMS denies it.** Column 2 is part of Column 1 (or mutually exclusive with it);
    with indicator 0 no modifier can show a separate service, so the Column 2 line is denied.

    **Example.** 43497 (POEM) and 43235 (diagnostic EGD) for one patient on one day:
    43235 is Column 2, indicator 0 — denied, even with 59 or XS.

    **Fix.** Report the Column 1 code only; remove the Column 2 line unless the services
    were in fact on different dates or for different patients (then correct those fields).
    """

    rule_id = "PTP001"
    family = "ptp"
    name = "ptp.not_bypassable"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        edits = context.ptp_edits
        edits = edits[edits["modifier_indicator"] == 0].reset_index(drop=True)
        if edits.empty:
            return no_findings()
        row_1, row_2 = _rows(context, edits)
        message = cat(
            "CONFLICT, not bypassable: ",
            edits["column_2"],
            " (Column 2) is denied when billed with ",
            edits["column_1"],
            " (Column 1, row ",
            row_1,
            ") for the same patient, provider and date. Modifier indicator ",
            MODIFIER_INDICATOR_TEXT[0],
            ". Rationale: ",
            edits["rationale"],
            ". ",
            _window(edits),
            _in_force_note(edits),
        )
        suggestion = cat(
            "Report ",
            edits["column_1"],
            " only: remove ",
            edits["column_2"],
            " (row ",
            row_2,
            "), unless the services were on different dates or for different patients.",
        )
        return _findings(context, edits, message, suggestion, "")


class PTP002(Rule):
    """Two codes in an NCCI edit that a modifier could bypass, but none does.

    **What it checks.** Like PTP001 (same patient, provider and date; either order; the edit
    rows in force on the date), for edits with modifier indicator **1** when neither line
    carries a modifier that bypasses them. NCCI-associated modifiers: 24, 25, 27, 57, 58, 78,
    79, 91, 59, XE, XS, XP, XU and the anatomic ones (LT/RT, E1–E4, FA/F1–F9, TA/T1–T9,
    LC/LD/LM/RC/RI). 25 and 57 count only on an E/M line; anatomic modifiers count only when
    both lines name *different* sites of one family (LT with RT, F1 with F2) — the same site
    on both lines (RT and RT) does not bypass.

    **Why CMS denies it.** Without a modifier the Column 2 line is treated as part of the
    Column 1 service and denied.

    **Example.** 47383 and 77002 on one day, no modifiers: 77002 (Column 2) is denied.

    **Fix.** If the record shows a distinct service (other site, other encounter, other
    practitioner), append the modifier that fits to the line the suggestion names — one of
    XE/XS/XP/XU (or 59 if none fits), or 25 on the E/M line; otherwise report Column 1 only.
    """

    rule_id = "PTP002"
    family = "ptp"
    name = "ptp.needs_modifier"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        edits = context.ptp_edits
        edits = edits[
            (edits["modifier_indicator"] == 1) & ~edits["bypassed"].astype(bool)
        ].reset_index(drop=True)
        if edits.empty:
            return no_findings()
        row_1, row_2 = _rows(context, edits)
        em_2 = context.is_em[edits["line_2"].to_numpy()]
        em_1 = context.is_em[edits["line_1"].to_numpy()] & ~em_2
        target_code = np.where(em_1, edits["column_1"], edits["column_2"])
        target_row = np.where(em_1, row_1, row_2)
        modifier_text = np.where(
            em_2 | em_1,
            EM_SUGGESTION,
            f"the X modifier that fits — {X_SUGGESTION} — or 59 if none fits",
        )
        modifier = np.where(em_2 | em_1, "25", "XE/XS/XP/XU/59")
        same = edits["same_sites"].astype(str)
        site_note = choose(
            [same.to_numpy() != "", edits["anatomic_present"].to_numpy(dtype=bool)],
            [
                cat(
                    "Both lines name the same site (",
                    same,
                    "): anatomic modifiers bypass only for different sites. ",
                ),
                "An anatomic modifier bypasses only when both lines name different sites of one family. ",
            ],
        )
        message = cat(
            "CONFLICT, bypassable: ",
            edits["column_2"],
            " (Column 2) is denied when billed with ",
            edits["column_1"],
            " (Column 1, row ",
            row_1,
            ") for the same patient, provider and date unless a modifier shows a distinct service. "
            "Modifier indicator ",
            MODIFIER_INDICATOR_TEXT[1],
            ". ",
            site_note,
            "Rationale: ",
            edits["rationale"],
            ". ",
            _window(edits),
            _in_force_note(edits),
        )
        suggestion = cat(
            "If the services were distinct and the record supports it, append ",
            modifier_text,
            " to ",
            target_code,
            " on row ",
            target_row,
            ". Otherwise report ",
            edits["column_1"],
            " only.",
        )
        return _findings(context, edits, message, suggestion, modifier)


class PTP003(Rule):
    """An NCCI edit between two lines that a modifier bypasses (informational).

    **What it checks.** Like PTP002, for indicator-1 edits where a line carries a modifier
    that bypasses the edit: a non-anatomic NCCI-associated modifier on either line (25/57
    only on an E/M line), or anatomic modifiers naming different sites on the two lines.
    When the modifier is on the Column 1 line the message says so: Medicare's processing
    accepts it on either line, but best practice (and some payers' rule) is the Column 2 line.

    **Why it matters.** The claim passes the edit, so the record must support a distinct
    service; audits look at exactly these lines.

    **Example.** 47383 and 77002-XS on one day: bypassed by XS on 77002.

    **Fix.** Nothing to change when the documentation supports it; move the modifier to the
    Column 2 line when it sits on Column 1.
    """

    rule_id = "PTP003"
    family = "ptp"
    name = "ptp.bypassed"
    severity = "info"

    def check(self, context: RuleContext) -> pd.DataFrame:
        edits = context.ptp_edits
        edits = edits[edits["bypassed"].astype(bool)].reset_index(drop=True)
        if edits.empty:
            return no_findings()
        row_1, row_2 = _rows(context, edits)
        on_1 = edits["bypass_line"].to_numpy() == "column_1"
        mod_code = np.where(on_1, edits["column_1"], edits["column_2"])
        mod_row = np.where(on_1, row_1, row_2)
        message = cat(
            "BYPASSED: ",
            edits["column_1"],
            " (Column 1, row ",
            row_1,
            ") and ",
            edits["column_2"],
            " (Column 2) have an NCCI edit, bypassed by modifier ",
            edits["bypass_modifier"],
            " on ",
            mod_code,
            " (row ",
            mod_row,
            "). Modifier indicator ",
            MODIFIER_INDICATOR_TEXT[1],
            ". Rationale: ",
            edits["rationale"],
            ". ",
            _window(edits),
            _in_force_note(edits),
        )
        best = choose(
            [on_1],
            [
                cat(
                    " Best practice is Column 2: put the modifier on ",
                    edits["column_2"],
                    " (row ",
                    row_2,
                    ").",
                )
            ],
        )
        suggestion = cat("Keep the documentation that supports a distinct service.", best)
        return _findings(context, edits, message, suggestion, edits["bypass_modifier"])


RULES = [PTP001, PTP002, PTP003]
