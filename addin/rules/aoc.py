"""Add-on codes (AOC): an add-on is paid only with a primary procedure, same provider and date.

:func:`addon_lines` (cached on the context) finds, for each add-on line, its edit type in
force on the date of service, its listed primaries, and whether one of them (or any other
procedure) is billed for the same patient, by the same provider, on the same date — across
claims too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.reference.models import ADDON_TYPE_TEXT
from addin.reference.schema import ALL_SETTINGS, AOC, CONTRACTOR_DEFINED_PRIMARY
from addin.rules.base import Rule, no_findings, raw_findings
from addin.rules.context import RuleContext
from addin.rules.text import cat

#: How many listed primaries a message names before "…".
PRIMARIES_SHOWN = 12

ADDON_COLUMNS = ["line", "edit_type", "listed_present", "other_procedure", "primaries", "n_primaries", "source"]


def _live(rows: pd.DataFrame, day: np.ndarray) -> np.ndarray:
    """Rows in force on the day: edit effective..deleted, primary not deleted before it."""
    stamp = day.astype("datetime64[D]").astype("datetime64[ns]")

    def on_or_after(column: str) -> np.ndarray:
        values = rows[column].to_numpy(dtype="datetime64[ns]")
        return np.isnat(values) | (values >= stamp)

    effective = rows["effective_date"].to_numpy(dtype="datetime64[ns]")
    started = np.isnat(effective) | (effective <= stamp)
    return started & on_or_after("deletion_date") & on_or_after("primary_deletion_date")


def addon_lines(context: RuleContext) -> pd.DataFrame:
    """One row per add-on line with an edit in force (see the module docstring).

    Columns: ``line``, ``edit_type`` (the most frequent type among the rows in force),
    ``listed_present`` (a listed primary is on another line of the group), ``other_procedure``
    (another line of the group is not an add-on code), ``primaries`` (text, the first
    :data:`PRIMARIES_SHOWN` listed), ``n_primaries`` and ``source``.
    """
    lines = context.lines
    versions = context.reference.version_set(AOC, ALL_SETTINGS)
    if not versions or lines.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ADDON_COLUMNS})
    day = lines["day"].to_numpy()
    choice = versions.pick_many(day)
    frames = []
    is_addon = np.zeros(len(lines), dtype=bool)
    for version_no in np.unique(choice):
        on = np.flatnonzero(choice == version_no)
        date = (np.datetime64(int(day[on[0]]), "D")).astype(object)
        table = context.reference.addon_edits(date)
        if table.empty:
            continue
        addon_codes = pd.Index(table["addon_code"].astype(str).unique())
        in_table = addon_codes.get_indexer(context.cpt[on]) >= 0
        is_addon[on[in_table]] = True
        subset = on[in_table]
        if not len(subset):
            continue
        rows = pd.DataFrame({"line": subset, "addon_code": context.cpt[subset]}).merge(
            table.assign(addon_code=table["addon_code"].astype(str)), on="addon_code"
        )
        addon_deleted = rows["addon_deletion_date"].to_numpy(dtype="datetime64[ns]")
        stamp = day[rows["line"].to_numpy()]
        gone = ~np.isnat(addon_deleted) & (
            addon_deleted < stamp.astype("datetime64[D]").astype("datetime64[ns]")
        )
        rows = rows[_live(rows, stamp) & ~gone]
        frames.append(rows)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ADDON_COLUMNS})
    rows = pd.concat(frames, ignore_index=True)
    rows["primary_code"] = rows["primary_code"].astype(str)
    # edit type: the most frequent among the rows in force (ties: the lower type)
    types = rows.groupby(["line", "edit_type"]).size().rename("n").reset_index()
    types = types.sort_values(["line", "n", "edit_type"], ascending=[True, False, True])
    per_line = types.drop_duplicates("line").set_index("line")["edit_type"]
    listed = rows[rows["primary_code"] != CONTRACTOR_DEFINED_PRIMARY]
    # a listed primary on another line of the group (same patient, provider, date)
    group = lines["group"].to_numpy()
    categories = lines["cpt"].cat.categories
    width = len(categories) + 1
    line_codes = lines["cpt"].cat.codes.to_numpy(dtype=np.int64)
    line_keys = group * width + line_codes
    key_values, key_counts = np.unique(line_keys, return_counts=True)
    primary_idx = pd.Index(categories).get_indexer(listed["primary_code"].to_numpy())
    listed_lines = listed["line"].to_numpy()
    keys = group[listed_lines] * width + primary_idx
    pos = np.searchsorted(key_values, keys)
    pos = np.minimum(pos, len(key_values) - 1)
    found = (primary_idx >= 0) & (key_values[pos] == keys)
    count = np.where(found, key_counts[pos], 0)
    count = count - (listed["primary_code"].to_numpy(dtype=object) == context.cpt[listed_lines])
    present = pd.Series(count > 0).groupby(listed_lines).any()
    non_addon = np.bincount(group, weights=(~is_addon).astype(float), minlength=group.max() + 1)
    out_lines = per_line.index.to_numpy()
    first_source = rows.drop_duplicates("line").set_index("line")["source"].astype(object)
    n_primaries = listed.groupby("line").size()
    out = pd.DataFrame(
        {
            "line": out_lines,
            "edit_type": per_line.to_numpy(dtype=np.int64),
            "listed_present": present.reindex(out_lines, fill_value=False).to_numpy(dtype=bool),
            "other_procedure": non_addon[group[out_lines]] > 0,
            "n_primaries": n_primaries.reindex(out_lines, fill_value=0).to_numpy(dtype=np.int64),
            "source": first_source.reindex(out_lines).fillna("").to_numpy(dtype=object),
        }
    )
    out["primaries"] = _primary_lists(listed, out, day)
    return out


def _primary_lists(listed: pd.DataFrame, out: pd.DataFrame, day: np.ndarray) -> np.ndarray:
    """The listed primaries as text, joined once per distinct (add-on code, date)."""
    if listed.empty:
        return np.full(len(out), "", dtype=object)
    line = listed["line"].to_numpy()
    combo = pd.Series(listed["addon_code"].to_numpy(dtype=object)) + "|" + pd.Series(
        day[line]
    ).astype(str)
    combo_ids, _ = pd.factorize(combo)
    representative = pd.Series(line).groupby(combo_ids).first()
    chosen = listed[np.isin(line, representative.to_numpy())].sort_values(["line", "primary_code"])

    def text(codes: pd.Series) -> str:
        shown = ", ".join(codes.iloc[:PRIMARIES_SHOWN])
        more = f" … ({len(codes)} in all)" if len(codes) > PRIMARIES_SHOWN else ""
        return shown + more

    by_line = chosen.groupby("line")["primary_code"].agg(text)
    combo_of_line = pd.Series(combo_ids, index=line).groupby(level=0).first()
    combo_text = pd.Series(by_line.reindex(representative.to_numpy()).to_numpy(), index=representative.index)
    texts = combo_of_line.map(combo_text)
    return texts.reindex(out["line"].to_numpy()).fillna("").to_numpy(dtype=object)


def _base(context: RuleContext, addons: pd.DataFrame) -> pd.Series:
    code = pd.Series(context.cpt[addons["line"].to_numpy()], dtype=object)
    return code


class AOC001(Rule):
    """Type 1 add-on code without any of its listed primary codes.

    **What it checks.** Each add-on code whose NCCI add-on edit in force on the date of
    service is **type 1**: one of the listed primary codes must be billed for the same
    patient, by the same provider, on the same date (on this claim or another).

    **Why CMS denies it.** An add-on code describes extra work done *with* a primary
    procedure; for type 1 only the listed primaries qualify, so without one the add-on line
    is denied.

    **Example.** 0397T (endoscopic cholangioscopy) with no 43260–43265 / 43274–43278 ERCP
    code that day.

    **Fix.** Bill the add-on with the listed primary procedure performed with it (same date,
    same provider), or remove the add-on line.
    """

    rule_id = "AOC001"
    family = "aoc"
    name = "aoc.type1_no_primary"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        addons = context.addons
        addons = addons[(addons["edit_type"] == 1) & ~addons["listed_present"].astype(bool)]
        if addons.empty:
            return no_findings()
        code = _base(context, addons)
        message = cat(
            "ADD-ON WITHOUT PRIMARY: ", code, " is an add-on code (", ADDON_TYPE_TEXT[1],
            ") and none of its listed primaries is billed for this patient, provider and date. "
            "Listed primaries: ", addons["primaries"], ".",
        )
        suggestion = cat(
            "Bill ", code, " with the primary procedure it adds on to (", addons["primaries"],
            ") on the same date by the same provider, or remove it.",
        )
        return raw_findings(addons["line"], code=code, message=message, suggestion=suggestion, source=addons["source"])


class AOC002(Rule):
    """Type 3 add-on code without any of its listed primaries (the contractor may accept others).

    **What it checks.** Each add-on code whose edit in force is **type 3** and none of whose
    listed primaries is billed for the same patient, provider and date, while some other
    procedure is (with no procedure at all, AOC004 fires instead).

    **Why it matters.** For type 3 CMS lists some primaries and lets the contractor accept
    others; a claim without a listed primary may be denied depending on the contractor.

    **Example.** A type 3 add-on billed with a procedure that is not on its list.

    **Fix.** Check that the primary procedure is billed and that your contractor accepts it
    for this add-on; bill a listed primary when that is what was performed.
    """

    rule_id = "AOC002"
    family = "aoc"
    name = "aoc.type3_no_listed_primary"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        addons = context.addons
        addons = addons[
            (addons["edit_type"] == 3)
            & ~addons["listed_present"].astype(bool)
            & addons["other_procedure"].astype(bool)
        ]
        if addons.empty:
            return no_findings()
        code = _base(context, addons)
        message = cat(
            "ADD-ON, NO LISTED PRIMARY: ", code, " is an add-on code (", ADDON_TYPE_TEXT[3],
            ") and none of the listed primaries is billed for this patient, provider and date. "
            "Listed primaries: ", addons["primaries"], ".",
        )
        suggestion = cat(
            "Check that your contractor accepts the primary procedure billed with ", code,
            "; bill a listed primary when that is what was performed.",
        )
        return raw_findings(addons["line"], code=code, message=message, suggestion=suggestion, source=addons["source"])


class AOC003(Rule):
    """Type 2 add-on code: the contractor decides which primaries qualify (informational).

    **What it checks.** Each add-on code whose edit in force is **type 2** (no CMS list of
    primaries, shown as ``CCCCC``) while some other procedure is billed for the same patient,
    provider and date (with no procedure at all, AOC004 fires instead).

    **Why it matters.** The add-on is paid only with a primary procedure, but which
    primaries qualify is up to the Medicare contractor.

    **Example.** 77001 (fluoroscopic guidance for central venous access, type 2) with 36556.

    **Fix.** Nothing when the primary it adds on to is billed and your contractor accepts it.
    """

    rule_id = "AOC003"
    family = "aoc"
    name = "aoc.type2_contractor_defined"
    severity = "info"

    def check(self, context: RuleContext) -> pd.DataFrame:
        addons = context.addons
        addons = addons[(addons["edit_type"] == 2) & addons["other_procedure"].astype(bool)]
        if addons.empty:
            return no_findings()
        code = _base(context, addons)
        message = cat(
            "ADD-ON, CONTRACTOR-DEFINED PRIMARY: ", code, " is an add-on code (",
            ADDON_TYPE_TEXT[2], ").",
        )
        suggestion = cat(
            "Make sure the primary procedure ", code, " adds on to is billed on the same date "
            "by the same provider and that your contractor accepts it.",
        )
        return raw_findings(addons["line"], code=code, message=message, suggestion=suggestion, source=addons["source"])


class AOC004(Rule):
    """Type 2 or 3 add-on code billed with no other procedure at all that day.

    **What it checks.** Each add-on code whose edit in force is type 2 or 3, when no listed
    primary and no other (non-add-on) procedure is billed for the same patient, by the same
    provider, on the same date. (Type 1 add-ons are covered by AOC001.)

    **Why CMS denies it.** Whatever the primary list, an add-on code is never paid alone.

    **Example.** 77001 billed on its own for a patient and date.

    **Fix.** Bill the primary procedure performed with it on the same date by the same
    provider, or remove the add-on line.
    """

    rule_id = "AOC004"
    family = "aoc"
    name = "aoc.alone"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        addons = context.addons
        addons = addons[
            addons["edit_type"].isin([2, 3])
            & ~addons["listed_present"].astype(bool)
            & ~addons["other_procedure"].astype(bool)
        ]
        if addons.empty:
            return no_findings()
        code = _base(context, addons)
        type_text = addons["edit_type"].map(ADDON_TYPE_TEXT).astype(str).reset_index(drop=True)
        message = cat(
            "ADD-ON BILLED ALONE: ", code, " is an add-on code (", type_text,
            ") and no other procedure is billed for this patient, provider and date.",
        )
        suggestion = cat(
            "Bill the primary procedure performed with ", code,
            " on the same date by the same provider, or remove it.",
        )
        return raw_findings(addons["line"], code=code, message=message, suggestion=suggestion, source=addons["source"])


RULES = [AOC001, AOC002, AOC003, AOC004]
